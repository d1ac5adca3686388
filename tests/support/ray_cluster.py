"""A real multi-host Ray cluster on this machine: a head and workers in network namespaces.

Ray advertises a node's interface address even when told to use 127.0.0.1, so every node runs in
a network namespace of its own (``ip netns add``), joined by veth pairs to a bridge in the
test's namespace: ``10.231.<net>.1`` is the bridge (where the driver, the test process, is), the
head is ``.10``, the workers ``.11``, ``.12``, ... No traffic leaves the machine: the bridge has
no route anywhere else. The driver reaches the head through Ray Client (``ray://head:10001``),
as a notebook kernel outside the cluster does. Needs root (the tests run as root in CI).

Usage::

    with RayCluster(workers=2) as cluster:
        daft.set_runner_ray(address=cluster.address)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

BIN = Path(sys.executable).parent
CLIENT_PORT = 10001
GCS_PORT = 6379


#: Each node has a network namespace of its own, so every node can use the same ports; fixed
#: ports also spare the raylet waiting for its agents to write theirs to files (which takes
#: longer than Ray's 30 s on a loaded 2-core machine).
_FIXED_PORTS = (
    "--node-manager-port=8090", "--object-manager-port=8091", "--metrics-export-port=8092",
    "--dashboard-agent-grpc-port=8093", "--dashboard-agent-listen-port=8094",
    "--runtime-env-agent-port=8095", "--min-worker-port=8100", "--max-worker-port=8199",
)  # fmt: skip


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class RayCluster:
    """A head (no CPUs: the workers run the tasks) and ``workers`` workers, each its own host."""

    def __init__(self, workers: int = 2, cpus_per_worker: int = 1,
                 object_store_mb: int = 512) -> None:  # fmt: skip
        self.workers = workers
        self.cpus = cpus_per_worker
        self.object_store = object_store_mb * 1024 * 1024
        tag = uuid.uuid4().hex[:4]
        self.net = 100 + int(tag, 16) % 150  # 10.231.<net>.0/24, one per cluster
        self.bridge = f"nlbr{tag}"
        self.namespaces = [f"nl-{tag}-head", *[f"nl-{tag}-w{i}" for i in range(1, workers + 1)]]
        self.procs: list[subprocess.Popen[bytes]] = []
        self.temp = Path(f"/tmp/nlray-{tag}")
        self.logs: list[Path] = []
        #: Ray's token authentication: every node and every driver must present this token
        self.env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": uuid.uuid4().hex + uuid.uuid4().hex,
                    "RAY_USAGE_STATS_ENABLED": "0",
                    # a loaded machine starts the Python agents slowly; the default 30 s is short
                    "RAY_agent_register_timeout_ms": "300000", "RAY_raylet_start_wait_time_s": "300"}  # fmt: skip

    def host(self, index: int) -> str:
        """The address of node ``index`` (0: the head)."""
        return f"10.231.{self.net}.{10 + index}"

    @property
    def gateway(self) -> str:
        """The bridge's address: the driver's side of the network."""
        return f"10.231.{self.net}.1"

    @property
    def address(self) -> str:
        """The Ray Client address of the head."""
        return f"ray://{self.host(0)}:{CLIENT_PORT}"

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> RayCluster:
        try:
            self._network()
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.procs.clear()
        for i, ns in enumerate(self.namespaces):
            subprocess.run(["ip", "link", "del", f"{self.bridge}v{i}"], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)

    def _network(self) -> None:
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for i, ns in enumerate(self.namespaces):
            outer, inner = f"{self.bridge}v{i}", f"{self.bridge}p{i}"
            _ip("netns", "add", ns)
            _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            _ip("link", "set", inner, "netns", ns)
            _ip("link", "set", outer, "master", self.bridge)
            _ip("link", "set", outer, "up")
            _ip("netns", "exec", ns, "ip", "addr", "add", f"{self.host(i)}/24", "dev", inner)
            _ip("netns", "exec", ns, "ip", "link", "set", inner, "up")
            _ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")

    def _node(self, index: int, args: list[str]) -> None:
        ns = self.namespaces[index]
        log = self.temp.with_name(f"{self.temp.name}-{index}.log")
        self.logs.append(log)
        env = {**os.environ, **self.env, "PATH": f"{BIN}:{os.environ['PATH']}"}
        with log.open("wb") as out:
            proc = subprocess.Popen(
                # a higher priority (the tests run as root): on a machine busy with other work
                # the raylet's agents still start within the seconds it gives them
                ["ip", "netns", "exec", ns, "nice", "-n", "-10", str(BIN / "ray"), "start",
                 "--block",
                 f"--node-ip-address={self.host(index)}",
                 f"--object-store-memory={self.object_store}",
                 f"--temp-dir={self.temp}-{index}", "--disable-usage-stats", *_FIXED_PORTS,
                 *args],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
        self.procs.append(proc)

    def _start(self) -> None:
        self._node(0, ["--head", f"--port={GCS_PORT}", f"--ray-client-server-port={CLIENT_PORT}",
                       "--num-cpus=0", "--include-dashboard=false"])  # fmt: skip
        self._wait_port(self.host(0), CLIENT_PORT, 120)
        # one worker at a time: a raylet gives its Python agents only seconds to start, and
        # several starting at once on two busy cores can miss that (the node then exits; it is
        # started again, at most twice)
        for i in range(1, self.workers + 1):
            for attempt in range(3):
                self._node(i, [f"--address={self.host(0)}:{GCS_PORT}", f"--num-cpus={self.cpus}"])
                if self._wait_workers(i, 120, self.procs[-1]):
                    break
                assert attempt < 2, f"worker {i} did not start: {self.logs[-1].read_text()[-2000:]}"
                self.procs.pop().wait(timeout=30)

    def _wait_port(self, host: str, port: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                socket.create_connection((host, port), timeout=1).close()
                return
            except OSError:
                for proc, log in zip(self.procs, self.logs, strict=False):
                    assert proc.poll() is None, f"a Ray node stopped: {log.read_text()[-2000:]}"
                assert time.monotonic() < deadline, f"{host}:{port} did not open"
                time.sleep(0.5)

    def _wait_workers(self, count: int, seconds: float, proc: subprocess.Popen[bytes]) -> bool:
        """Whether the head counts ``count`` workers' CPUs before ``proc`` (the newest) exits."""
        code = (
            f"import ray; ray.init(address={self.address!r}, logging_level='ERROR');"
            "print(int(ray.cluster_resources().get('CPU', 0)))"
        )
        deadline = time.monotonic() + seconds
        while proc.poll() is None:
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 timeout=180, env={**os.environ, **self.env})  # fmt: skip
            got = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
            if got.isdigit() and int(got) >= count * self.cpus:
                return True
            assert time.monotonic() < deadline, f"workers did not join: {out.stderr[-3000:]}"
            time.sleep(1)
        return False
