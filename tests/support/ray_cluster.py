"""A real multi-host Ray cluster on this machine: a head and workers in network namespaces.

Ray advertises a node's interface address even when told to use 127.0.0.1, so every node runs in
a network namespace of its own (``ip netns add``), joined by veth pairs to a bridge in the
test's namespace: ``10.231.<net>.1`` is the bridge (where the driver, the test process or a
kernel, is), the head is ``.10``, the workers ``.11``, ``.12``, ... No traffic leaves the
machine: the bridge has no route anywhere else. A driver reaches the head through Ray Client
(``ray://head:10001``), as a notebook kernel outside the cluster does. Needs root (the tests run
as root in CI) and ``ip`` (iproute2).

Starting on a slow, shared machine: each node is one ``ray start --block`` with lean options (no
dashboard, no autoscaler monitor, no log monitor, fixed ports, usage stats off) and lenient
timeouts in its environment (:data:`LENIENT`). One wait in Ray cannot be configured: the raylet
gives its dashboard agent 15 s to write its HTTP port to a file (``WaitForDashboardAgentPorts``),
and a Python agent importing Ray on two cores busy with other work can miss that. So the head starts
first and the workers after it, at a higher priority (niceness -10, set back to the driver's
once the node is up, so queries run at the driver's priority), nothing else of the cluster's
competes with them (readiness is read from ``ray start``'s own output, not probed by new drivers),
and a node that fails is stopped and started again, at most :data:`ATTEMPTS` times
(:attr:`RayCluster.retries` says why); if it never starts, :class:`RayClusterError` carries the
lines of Ray's logs that say why.

Usage::

    with RayCluster(workers=2) as cluster:
        os.environ.update(cluster.env)            # Ray's token authentication
        daft.set_runner_ray(address=cluster.address)

Stopping kills every process inside the namespaces (``ip netns pids``) and removes the namespaces,
the bridge and the nodes' temporary folders, also when starting failed half-way.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from pathlib import Path

BIN = Path(sys.executable).parent
CLIENT_PORT = 10001
GCS_PORT = 6379
ATTEMPTS = 3
#: the niceness a node starts at, also when the driver runs under ``nice`` (see the docstring)
STARTING_NICE = -10
#: seconds one node may take to register with the head before it is started again
NODE_DEADLINE = 150.0

#: Each node has a network namespace of its own, so every node can use the same ports; fixed
#: ports also spare the raylet waiting for its agents to write theirs to files.
_FIXED_PORTS = (
    "--node-manager-port=8090", "--object-manager-port=8091", "--metrics-export-port=8092",
    "--dashboard-agent-grpc-port=8093", "--dashboard-agent-listen-port=8094",
    "--runtime-env-agent-port=8095", "--min-worker-port=8100", "--max-worker-port=8199",
)  # fmt: skip

#: Ray's settings (``RAY_<name>`` overrides ``ray_config_def.h``) for a slow machine shared with
#: other work, in the environment of every node and of the driver.
LENIENT = {
    "RAY_USAGE_STATS_ENABLED": "0",
    # an agent (runtime env, dashboard) not registered with its raylet in time is restarted
    # (default 30 s)
    "RAY_agent_register_timeout_ms": "300000",
    # how long a core worker waits for its raylet to come up (default 10 s)
    "RAY_raylet_start_wait_time_s": "300",
    # a worker process that has not connected to its raylet within this is killed (default 60 s)
    "RAY_worker_register_timeout_seconds": "600",
    # the GCS declares a node dead after failure_threshold failed checks of timeout_ms each
    # (defaults 5 s, 3 s, 10 s, 5): a node starved of CPU for a minute is not dead
    "RAY_health_check_initial_delay_ms": "30000",
    "RAY_health_check_period_ms": "10000",
    "RAY_health_check_timeout_ms": "60000",
    "RAY_health_check_failure_threshold": "20",
    # how long raylets and workers keep trying to reach a GCS that does not answer (default 60 s)
    "RAY_gcs_rpc_server_reconnect_timeout_s": "600",
    # the memory monitor kills workers when the machine's memory is nearly full: other people's
    # processes count too on a shared machine
    "RAY_memory_monitor_refresh_ms": "0",
    # no metrics export (one agent less at work)
    "RAY_enable_metrics_collection": "0",
    # Ray Client: the proxy waits this long for the driver server it starts per client (default
    # 30 s), and a client this long for the proxy's answer (default 30 s)
    "RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S": "300",
    "RAY_CLIENT_MAX_CONNECTION_TIMEOUT_S": "120",
    # gRPC's fork handlers break a child forked while other threads are in gRPC calls (Ray
    # Client's proxy forks the driver server it starts per client: "epoll_wait error: Bad file
    # descriptor", and the client is refused); every child here execs a new program at once
    "GRPC_ENABLE_FORK_SUPPORT": "0",
    # a node told to stop stops now, without first draining for up to 30 s
    "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",
}


#: a log line worth showing when a node does not start: Ray's C++ warnings, errors and fatal
#: lines (``[time W|E|C pid tid]``), Python's ``ERROR``/``WARNING`` records and exceptions
_NOTABLE = re.compile(r"^\[[^\]]* [WEC] \d+ \d+\]|\t(ERROR|WARNING) |^\w+Error")


class RayClusterError(RuntimeError):
    """A node did not start: the message carries the lines of Ray's logs that say why."""


def _ip(*args: str) -> None:
    run = subprocess.run(["ip", *args], capture_output=True, text=True)
    if run.returncode:
        raise RayClusterError(f"ip {' '.join(args)}: {run.stderr.strip()}")


def _free_net() -> int:
    """A /24 under 10.231.0.0/16 no interface of this machine uses (several clusters may run)."""
    used = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True).stdout
    taken = {int(m) for m in re.findall(r"inet 10\.231\.(\d+)\.", used)}
    free = [n for n in range(100, 250) if n not in taken]
    if not free:
        raise RayClusterError("no free 10.231.x.0/24 network for the cluster's bridge")
    return free[int(uuid.uuid4().hex[:4], 16) % len(free)]


class RayCluster:
    """A head (no CPUs: the workers run the tasks) and ``workers`` workers, each its own host."""

    def __init__(self, workers: int = 2, cpus_per_worker: int = 1,
                 object_store_mb: int = 512) -> None:  # fmt: skip
        self.workers = workers
        self.cpus = cpus_per_worker
        self.object_store = object_store_mb * 1024 * 1024
        tag = uuid.uuid4().hex[:6]
        self.net = 0
        self.bridge = f"nlbr{tag}"
        self.namespaces = [f"nl-{tag}-head", *[f"nl-{tag}-w{i}" for i in range(1, workers + 1)]]
        self.root = Path(tempfile.mkdtemp(prefix=f"nlray-{tag}-"))
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        #: what each node's start took, in seconds, and how many attempts
        self.started: dict[int, tuple[float, int]] = {}
        #: why a node had to be started again (Ray's log lines), when one had to
        self.retries: list[str] = []
        #: Ray's token authentication: every node and every driver presents this token
        self.env = {
            **LENIENT,
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": uuid.uuid4().hex + uuid.uuid4().hex,
        }

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
            self._start(0)
            self._start(*range(1, len(self.namespaces)))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for index in reversed(range(len(self.namespaces))):
            self._stop(index)
        for i, ns in enumerate(self.namespaces):
            subprocess.run(["ip", "link", "del", f"{self.bridge}v{i}"], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def leftovers(self) -> list[str]:
        """Namespaces, links and processes of this cluster that still exist (none once stopped)."""
        found = [ns for ns in self.namespaces if ns in _lines(["ip", "netns", "list"])]
        found += [f"link {self.bridge}" for line in _lines(["ip", "-o", "link"])
                  if self.bridge in line][:1]  # fmt: skip
        found += [f"process {pid}" for pid in _pids_with(str(self.root))]
        return found

    def commands(self, index: int) -> list[str]:
        """The command lines of node ``index``'s processes (Ray names its workers ``ray::...``)."""
        found = []
        for pid in _netns_pids(self.namespaces[index]):
            try:
                found.append(
                    Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                )
            except OSError:
                continue  # it has exited
        return found

    # -- network --------------------------------------------------------------------------------

    def _network(self) -> None:
        for attempt in range(3):  # another cluster may take the same network at the same time
            self.net = _free_net()
            try:
                _ip("link", "add", self.bridge, "type", "bridge")
                _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
                break
            except RayClusterError:
                subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
                if attempt == 2:
                    raise
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

    # -- nodes ----------------------------------------------------------------------------------

    def _args(self, index: int) -> list[str]:
        common = [
            f"--node-ip-address={self.host(index)}", f"--object-store-memory={self.object_store}",
            f"--temp-dir={self.root / f'node{index}'}", "--disable-usage-stats",
            "--include-log-monitor=false", *_FIXED_PORTS,
        ]  # fmt: skip
        if index == 0:
            return [*common, "--head", f"--port={GCS_PORT}",
                    f"--ray-client-server-port={CLIENT_PORT}", "--num-cpus=0",
                    "--include-dashboard=false", "--no-monitor"]  # fmt: skip
        return [*common, f"--address={self.host(0)}:{GCS_PORT}", f"--num-cpus={self.cpus}"]

    def _log(self, index: int) -> Path:
        return self.root / f"node{index}.log"

    def _launch(self, index: int) -> None:
        env = {**os.environ, **self.env, "PATH": f"{BIN}:{os.environ['PATH']}"}
        with self._log(index).open("wb") as out:
            self.procs[index] = subprocess.Popen(
                # a higher priority while it starts: see the module's docstring
                ["ip", "netns", "exec", self.namespaces[index], "nice", "-n", str(STARTING_NICE
                 - os.getpriority(os.PRIO_PROCESS, 0)),
                 str(BIN / "ray"), "start", "--block", *self._args(index)],
                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip

    def _start(self, *nodes: int) -> None:
        """Start ``nodes`` together and wait until each has registered, starting again any that
        fails."""
        began, failures = time.monotonic(), {n: list[str]() for n in nodes}
        pending = list(nodes)
        for attempt in range(1, ATTEMPTS + 1):
            for index in pending:
                self._launch(index)
            failed = []
            for index in pending:
                why = self._wait(index)
                if why is None:
                    self.started[index] = (time.monotonic() - began, attempt)
                else:
                    failures[index].append(f"attempt {attempt}: {why}")
                    self.retries.append(f"node {index}, {failures[index][-1]}")
                    failed.append(index)
            for index in failed:
                self._stop(index, keep_logs=False)
            for index in set(pending) - set(failed):
                self._renice(index)
            pending = failed
            if not pending:
                return
        raise RayClusterError("\n".join(
            f"Ray node {i} ({'head' if i == 0 else 'worker'}) did not start in {ATTEMPTS} "
            "attempts:\n" + "\n".join(failures[i]) for i in pending
        ))  # fmt: skip

    def _wait(self, index: int) -> str | None:
        """``None`` once node ``index`` has registered; else what Ray's logs say went wrong."""
        proc, log = self.procs[index], self._log(index)
        deadline = time.monotonic() + NODE_DEADLINE
        while True:
            text = log.read_text(errors="replace")
            fatal = self._fatal(index)
            if "Ray runtime started." in text and proc.poll() is None and not fatal:
                return None
            if fatal or proc.poll() is not None or time.monotonic() > deadline:
                state = (f"exited with {proc.returncode}" if proc.poll() is not None
                         else f"not registered after {NODE_DEADLINE:.0f} s" if not fatal
                         else "the raylet failed")  # fmt: skip
                return f"{state}; {self._diagnosis(index, text)}"
            time.sleep(0.5)

    def _session_logs(self, index: int) -> Path:
        return self.root / f"node{index}" / "session_latest" / "logs"

    def _fatal(self, index: int) -> list[str]:
        """The raylet's fatal lines (``Check failed``, a ``C`` log level), if it has any."""
        raylet = self._session_logs(index) / "raylet.out"
        if not raylet.exists():
            return []
        lines = raylet.read_text(errors="replace").splitlines()
        return [line for line in lines if re.match(r"\[[^\]]* C \d+ \d+\]", line)]

    def _diagnosis(self, index: int, start_log: str) -> str:
        """The lines of the node's Ray logs that say why it is not up."""
        lines = self._fatal(index)
        logs = self._session_logs(index)
        for name in ("raylet.out", "gcs_server.out", "dashboard_agent.log",
                     "runtime_env_agent.log"):  # fmt: skip
            path = logs / name
            if path.exists():
                text = path.read_text(errors="replace").splitlines()
                lines += [f"{name}: {line}" for line in text if _NOTABLE.search(line)][-6:]
        lines += [f"ray start: {line}" for line in start_log.splitlines()[-8:]]
        return "\n  ".join(["", *lines])

    def _renice(self, index: int) -> None:
        """Give the node's processes the driver's priority back (new workers inherit it)."""
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        for pid in _netns_pids(self.namespaces[index]):
            with suppress(OSError):  # it has exited
                os.setpriority(os.PRIO_PROCESS, pid, mine)

    def _stop(self, index: int, keep_logs: bool = True) -> None:
        """Stop every process of node ``index``: all that live in its namespace."""
        proc = self.procs.pop(index, None)
        ns = self.namespaces[index]
        for sig, grace in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
            for pid in _netns_pids(ns):
                with suppress(OSError):  # it has exited
                    os.kill(pid, sig)
            deadline = time.monotonic() + grace
            while _netns_pids(ns) and time.monotonic() < deadline:
                time.sleep(0.2)
            if not _netns_pids(ns):
                break
        if proc is not None:
            proc.wait(timeout=10)  # ``ip netns exec`` became ``ray start``: reap it
        if not keep_logs:
            shutil.rmtree(self.root / f"node{index}", ignore_errors=True)


def _lines(command: list[str]) -> list[str]:
    return subprocess.run(command, capture_output=True, text=True).stdout.splitlines()


def _netns_pids(ns: str) -> set[int]:
    """The processes whose network namespace is ``ns``."""
    return {int(p) for p in _lines(["ip", "netns", "pids", ns]) if p.strip().isdigit()}


def _pids_with(text: str) -> list[int]:
    """Processes whose command line contains ``text``."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if text.encode() in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found
