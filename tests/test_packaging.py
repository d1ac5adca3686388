"""The wheel carries everything: package, prebuilt extension, kernelspec, server config."""

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=600,
    )
    (path,) = out.glob("neurolake_lab-*.whl")
    return zipfile.ZipFile(path)


@pytest.mark.slow
def test_wheel_contents(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    data = next(n.split("/")[0] for n in names if ".data/" in n)
    for required in (
        "neurolake_lab/__init__.py",
        "neurolake_lab/schema/report.schema.json",
        "neurolake_lab/notebooks/quickstart.ipynb",
        "neurolake_lab/notebooks/tour.ipynb",
        f"{data}/data/share/jupyter/kernels/neurolake/kernel.json",
        f"{data}/data/share/jupyter/kernels/neurolake/logo-32x32.png",
        f"{data}/data/share/jupyter/kernels/neurolake/logo-64x64.png",
        f"{data}/data/share/jupyter/kernels/neurolake/logo-svg.svg",
        f"{data}/data/share/jupyter/labextensions/neurolake-lab/package.json",
        f"{data}/data/share/jupyter/labextensions/neurolake-lab/static/style.js",
        f"{data}/data/share/jupyter/labextensions/neurolake-lab/install.json",
        f"{data}/data/etc/jupyter/jupyter_server_config.d/neurolake_lab.json",
    ):
        assert required in names, required
    assert any(
        n.startswith(f"{data}/data/share/jupyter/labextensions/neurolake-lab/static/remoteEntry.")
        for n in names
    )
    spec = json.loads(wheel.read(f"{data}/data/share/jupyter/kernels/neurolake/kernel.json"))
    assert spec["argv"][1:] == ["-m", "neurolake_lab.kernel", "-f", "{connection_file}"]
    entry = wheel.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "neurolake = neurolake_lab.cli:main" in entry


@pytest.mark.slow
def test_installed_extension_and_kernelspec_are_listed() -> None:
    ext = subprocess.run(
        [BIN / "jupyter", "labextension", "list"], capture_output=True, text=True, timeout=60
    )
    listing = re.sub(r"\x1b\[[0-9;]*m", "", ext.stdout + ext.stderr)
    line = next(line for line in listing.splitlines() if "neurolake-lab" in line)
    assert "enabled" in line and "OK" in line
    specs = subprocess.run(
        [BIN / "jupyter", "kernelspec", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "neurolake" in json.loads(specs.stdout)["kernelspecs"]
    server = subprocess.run(
        [BIN / "jupyter", "server", "extension", "list"], capture_output=True, text=True, timeout=60
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", server.stdout + server.stderr)
    assert "neurolake_lab enabled" in out
