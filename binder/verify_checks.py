"""The checks of binder/verify.sh, run with the Binder environment's Python against its server.

Usage: ``python verify_checks.py SERVER_URL TOKEN HOME``. Prints one line per check; exits non-zero
at the first that fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
from nbclient import NotebookClient

RETAIL = {"customers", "products", "orders", "order_items", "support_tickets"}
DEMOS = ["tour", "natural_language", "governance", "lineage_and_cost", "pipelines", "quickstart"]


def get(url: str, token: str) -> urllib.request.addinfourl:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    return urllib.request.urlopen(request, timeout=10)  # type: ignore[no-any-return]


def wait_for(url: str, token: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            get(f"{url}/api/status", token)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer within 120 s") from None
            time.sleep(0.5)


def check(what: str, ok: bool, detail: object = "") -> None:
    print(f"  {'ok ' if ok else 'FAIL'} {what}{f': {detail}' if detail and not ok else ''}")
    if not ok:
        raise SystemExit(1)


def run_notebook(path: Path, home: Path) -> list[str]:
    """Execute one notebook as Binder's user would; the problems found (empty: none)."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="neurolake",
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        expected = "raises-exception" in cell.metadata.get("tags", [])
        errors = [o for o in cell.outputs if o.output_type == "error"]
        stderr = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        if bool(errors) != expected or stderr:
            first = cell.source.splitlines()[0] if cell.source else ""
            problems.append(f"{path.name}: {first!r}: {errors or stderr}")
    return problems


def main(url: str, token: str, home: Path) -> None:
    """Run every check."""
    wait_for(url, token)
    check("the server answers", True)
    specs = json.load(get(f"{url}/api/kernelspecs", token))
    check("NeuroLake is the default kernel", specs["default"] == "neurolake", specs["default"])
    listed = subprocess.run(["jupyter", "labextension", "list"], capture_output=True, text=True)
    output = listed.stdout + listed.stderr
    check(
        "the extension is installed (prebuilt, from the wheel) and enabled",
        any("neurolake-lab" in line and "enabled" in line and "OK" in line
            for line in output.splitlines()),
        output,
    )  # fmt: skip
    page = get(f"{url}/lab", token).read().decode()
    check("JupyterLab's page loads the extension", '"neurolake-lab"' in page)
    first = get(f"{url}/", token)
    check("the first page is the tour", first.url.endswith("/lab/tree/demo/tour.ipynb"), first.url)
    status = json.load(get(f"{url}/neurolake/status", token))
    check("the server extension answers", status.get("workspace") == str(home / ".neurolake"))

    import neurolake_lab

    with neurolake_lab.connect() as session:
        tables = {(t["schema"], t["name"]) for t in session.tables().arrow().to_pylist()}
    missing = {("retail", name) for name in RETAIL} - tables
    check("the demo tables are in the workspace", not missing, missing)
    for name in DEMOS:
        path = home / "demo" / f"{name}.ipynb"
        check(f"{path.name} is in the file browser's folder", path.exists())
        start = time.monotonic()
        problems = run_notebook(path, home)
        took = time.monotonic() - start
        check(f"{path.name} runs with no error output ({took:.0f} s)", not problems, problems)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
