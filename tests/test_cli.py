import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

NEUROLAKE = [sys.executable, "-m", "neurolake_lab.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NEUROLAKE, *args], capture_output=True, text=True, timeout=60, env=env)


def test_sql_prints_a_table(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    proc = run("sql", "SELECT 42 AS answer, 'x' AS label", "--workspace", str(ws))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["answer", "label"]
    assert lines[2].split() == ["42", "x"]
    assert lines[-1].startswith("1 row")
    assert (ws / "neurolake.toml").exists()  # --workspace is honoured


def test_sql_csv_and_json(tmp_path: Path) -> None:
    proc = run(
        "sql", "SELECT range AS n FROM range(3)", "--format", "csv", "--workspace", str(tmp_path)
    )
    assert proc.returncode == 0 and proc.stdout.split() == ['"n"', "0", "1", "2"]
    proc = run(
        "sql", "SELECT 1.5::DECIMAL(4,2) AS d", "--format", "json", "--workspace", str(tmp_path)
    )
    assert json.loads(proc.stdout) == {"d": "1.50"}


def test_sql_error_exits_1_with_message_on_stderr(tmp_path: Path) -> None:
    proc = run("sql", "SELECT * FROM nowhere_table", "--workspace", str(tmp_path))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("Unknown table: Table with name nowhere_table does not exist")
    assert "Traceback" not in proc.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_lab_starts_with_neurolake_default_and_the_demo_notebooks(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    proc = subprocess.Popen(
        [*NEUROLAKE, "lab", "--workspace", str(ws), "--no-browser", "--port", str(port),
         "--", "--IdentityProvider.token=t0k", "--ServerApp.open_browser=False"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                req = urllib.request.Request(
                    f"{base}/api/kernelspecs", headers={"Authorization": "token t0k"}
                )
                specs = json.load(urllib.request.urlopen(req, timeout=2))
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("JupyterLab did not start") from None
                time.sleep(0.3)
        assert specs["default"] == "neurolake"
        assert "neurolake" in specs["kernelspecs"]
        for name in ("tour", "quickstart", "natural_language", "governance", "lineage_and_cost"):
            assert (ws / "notebooks" / f"{name}.ipynb").exists(), name
        req = urllib.request.Request(
            f"{base}/api/contents/tour.ipynb", headers={"Authorization": "token t0k"}
        )
        assert json.load(urllib.request.urlopen(req, timeout=5))["type"] == "notebook"
        req = urllib.request.Request(
            f"{base}/neurolake/status", headers={"Authorization": "token t0k"}
        )
        assert json.load(urllib.request.urlopen(req, timeout=5))["workspace"] == str(ws.resolve())
        # the first start loaded the demo data set into the empty workspace
        import neurolake_lab

        with neurolake_lab.connect(ws) as session:
            tables = session.tables().arrow().to_pylist()
            assert {t["name"] for t in tables if t["schema"] == "retail"} == {
                "customers", "products", "orders", "order_items", "support_tickets"
            }  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_demo_load_command(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    out = subprocess.run(
        [*NEUROLAKE, "demo", "load", "--workspace", str(ws), "--scale", "0.05", "--seed", "3"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "retail.customers" in out.stdout and "250 rows" in out.stdout
    bad = subprocess.run(
        [*NEUROLAKE, "demo", "load", "--workspace", str(ws), "--scale", "-1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert bad.returncode == 1 and "scale" in bad.stderr
