"""Kernel round-trip of a %%sql cell: NeuroLake vs JupySQL vs plain Python on DuckDB.

Usage: python bench/kernel_roundtrip.py [--repeat N] [--json OUT] [--compare-tree DIR]

Every variant runs in its own real kernel through jupyter_client; a round-trip is the time from
sending execute_request to having the reply and every output (the kernel back to idle), measured
the same way (``execute_interactive``) for all variants. Cells are interleaved round-robin over
the kernels so machine noise hits all of them alike, and the report gives ratios against
baselines measured in the same run. Needs the bench extra (JupySQL): pip install '.[bench]'.
Timings are reported, never asserted; the exit status is 1 only if a variant fails to run or
shows the wrong result. ``--compare-tree DIR`` adds NeuroLake running the package from another
source tree (a ``git worktree`` of an earlier commit), so a change is measured against the code
before it in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager, start_new_kernel
from runs import cold_kernel, cold_report, provenance

# The same data in every kernel: deterministic values (hash, not random()), 100 groups.
TABLE = (
    "CREATE TABLE t AS SELECT range AS id, range % 100 AS k, "
    "hash(range) / 18446744073709551615.0 AS v FROM range(100000)"
)
GROUPBY = "SELECT k, count(*) AS n, avg(v) AS a FROM t GROUP BY k"
REPORT_MIME = "application/vnd.neurolake.report+json"
QUERIES = ("trivial", "groupby")
WARMUP = 5

Check = Callable[[dict[str, Any]], bool]


def _text(data: dict[str, Any]) -> str:
    return str(data.get("text/plain", ""))


def _report(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = data.get(REPORT_MIME, {}).get("result", {})
    return result


def _cold(data: dict[str, Any], cell: str) -> dict[str, Any]:
    """The report's result, after checking the result cache did not answer the cell."""
    cold_report(data.get(REPORT_MIME, {}), cell)
    return _report(data)


@dataclass
class Variant:
    key: str
    name: str
    short: str
    kernel: str
    setup: list[str]
    trivial: str
    groupby: str
    # each check gets the execute_result's data and says whether the cell showed the right result
    checks: dict[str, Check]
    times: dict[str, list[float]] = field(default_factory=lambda: {q: [] for q in QUERIES})
    busy: dict[str, list[float]] = field(default_factory=lambda: {q: [] for q in QUERIES})
    payload: dict[str, int] = field(default_factory=dict)
    #: extra environment of the kernel (``PYTHONPATH`` for another source tree)
    env: dict[str, str] = field(default_factory=dict)


def _jupysql_setup(autopandas: bool) -> list[str]:
    return [
        "import duckdb; con = duckdb.connect()",
        f"con.execute({TABLE!r}); None",
        "%load_ext sql",
        # no connection banner or row-count feedback; autopandas: a DataFrame as the cell's value
        f"%config SqlMagic.autopandas = {autopandas}\n%config SqlMagic.displaycon = False\n"
        "%config SqlMagic.feedback = 0",
        # a native DuckDB connection object (not SQLAlchemy's duckdb:// dialect)
        "%sql con --alias duck",
    ]


# An experiment, not a product setting (``--tweaked``): two ipykernel costs every cell pays.
# ipykernel sleeps 0.5 ms before each execute_reply, and flushes stdout and stderr six times per
# cell, each flush a round trip through the IOPub thread even when nothing was written.
KERNEL_TWEAKS = """
import sys
get_ipython().kernel._execute_sleep = 0

def _lazy_flush(stream):
    flush = stream.flush

    def lazy():
        if (
            stream._flush_pending
            or stream._subprocess_flush_pending
            or any(buf.tell() for buf in stream._buffers.values())
        ):
            flush()

    return lazy

for _stream in (sys.stdout, sys.stderr):
    _stream.flush = _lazy_flush(_stream)
del _stream, _lazy_flush
"""


def make_variants(tweaked: bool = False, compare_tree: str | None = None) -> list[Variant]:
    """The variants, each with its kernel, setup cells, the two measured cells and their checks.

    ``tweaked`` adds NeuroLake on an ipykernel without the reply sleep and the empty flushes;
    ``compare_tree`` adds NeuroLake with the package imported from that source tree.
    """
    variants = [
        Variant(
            "floor",
            "python 1+1 (floor)",
            "floor",
            "python3",
            [],
            "1+1",
            "1+1",
            {"trivial": lambda d: _text(d) == "2", "groupby": lambda d: _text(d) == "2"},
        ),
        Variant(
            "python",
            "python + duckdb",
            "python",
            "python3",
            ["import duckdb; con = duckdb.connect()", f"con.execute({TABLE!r}); None"],
            "con.sql('select 42').fetchall()",
            f"con.sql({GROUPBY!r}).df()",
            {
                "trivial": lambda d: _text(d) == "[(42,)]",
                "groupby": lambda d: "100 rows \u00d7 3 columns" in d.get("text/html", ""),
            },
        ),
        Variant(
            "jupysql",
            "jupysql %%sql",
            "jupysql",
            "python3",
            _jupysql_setup(autopandas=True),
            "%%sql\nselect 42",
            f"%%sql\n{GROUPBY}",
            {
                "trivial": lambda d: "42" in _text(d),
                "groupby": lambda d: "100 rows \u00d7 3 columns" in d.get("text/html", ""),
            },
        ),
        # JupySQL's default display (a ResultSet that fetches and shows only displaylimit = 10
        # rows): less work than a DataFrame of all rows, so the stricter baseline
        Variant(
            "jupysql_rs",
            "jupysql (ResultSet)",
            "jupysql-rs",
            "python3",
            _jupysql_setup(autopandas=False),
            "%%sql\nselect 42",
            f"%%sql\n{GROUPBY}",
            {
                "trivial": lambda d: "| 42 |" in _text(d),
                "groupby": lambda d: "displaylimit of 10" in _text(d),
            },
        ),
        Variant(
            "neurolake",
            "neurolake %%sql",
            "neurolake",
            "neurolake",
            [f"%sql {TABLE}"],
            "%%sql\nselect 42",
            f"%%sql\n{GROUPBY}",
            {
                "trivial": lambda d: _cold(d, "select 42").get("rows_preview") == [[42]],
                "groupby": lambda d: _cold(d, GROUPBY).get("row_count") == 100,
            },
        ),
    ]
    nl = variants[-1]
    if compare_tree:
        tree = str(Path(compare_tree).resolve())
        variants.append(
            Variant(
                "neurolake_before",
                f"neurolake ({Path(tree).name})",
                "nl-before",
                "neurolake",
                nl.setup,
                nl.trivial,
                nl.groupby,
                nl.checks,
                env={"PYTHONPATH": tree},
            )
        )
    if tweaked:
        variants.append(
            Variant(
                "neurolake_tweaked",
                "neurolake (tweaked)",
                "nl-tweaked",
                "neurolake",
                [*nl.setup, KERNEL_TWEAKS],
                nl.trivial,
                nl.groupby,
                nl.checks,
            )
        )
    return variants


class CellFailed(RuntimeError):
    pass


def execute(kc: Any, code: str, outputs: list[dict[str, Any]] | None = None) -> tuple[float, float]:
    """One round-trip: (client ms, kernel busy→idle ms); raises ``CellFailed`` if the cell failed.

    The clock runs from sending execute_request until both the reply and the kernel's idle status
    (after every output) have arrived; ``outputs`` collects the execute_result/display_data data.
    """
    errors: list[str] = []
    status: dict[str, Any] = {}

    def hook(msg: dict[str, Any]) -> None:
        kind = msg["msg_type"]
        if kind == "status":
            status[msg["content"]["execution_state"]] = msg["header"]["date"]
        elif kind == "error":
            errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
        elif kind in ("execute_result", "display_data") and outputs is not None:
            outputs.append(msg["content"]["data"])

    start = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=60, output_hook=hook)
    elapsed = (time.perf_counter() - start) * 1000
    if reply["content"]["status"] != "ok" or errors:
        detail = errors or [f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}"]
        raise CellFailed(f"cell failed: {code!r}: {'; '.join(detail)}")
    busy = (status["idle"] - status["busy"]).total_seconds() * 1000
    return elapsed, busy


def start_kernel(v: Variant, workspace: str, log: Any = None) -> tuple[KernelManager, Any]:
    """Start ``v``'s kernel in ``workspace`` and run its setup cells."""
    env = {
        **os.environ,
        "NEUROLAKE_WORKSPACE": workspace,
        "PLOOMBER_STATS_ENABLED": "false",  # JupySQL's telemetry: no network
        "PLOOMBER_VERSION_CHECK_DISABLED": "true",
        "NEUROLAKE_RESULT_CACHE": "off",  # every cell runs (a cached answer is not a round trip)
        **v.env,
    }
    km, kc = start_new_kernel(kernel_name=v.kernel, env=env, stderr=log, stdout=log)
    for code in v.setup:
        execute(kc, code)
    check_cold([v], [kc], before=True)
    return km, kc


def check_cold(variants: list[Variant], clients: list[Any], *, before: bool) -> None:
    """Stop the benchmark if a NeuroLake kernel's result cache is on or answered a timed cell."""
    for v, kc in zip(variants, clients, strict=True):
        if v.kernel == "neurolake":
            line = cold_kernel(kc, v.name, before=before)
            if not before:
                print(line)


def check_outputs(v: Variant, kc: Any) -> None:
    """Run each cell once and check it shows the expected result; raises ``CellFailed``."""
    for query in QUERIES:
        outputs: list[dict[str, Any]] = []
        execute(kc, getattr(v, query), outputs)
        data = outputs[-1] if outputs else {}
        if not v.checks[query](data):
            shown = {k: str(val)[:200] for k, val in data.items()}
            raise CellFailed(f"{v.name}: {query} cell did not show the expected result: {shown}")
        v.payload[query] = len(json.dumps(data))


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in (
        "neurolake-lab",
        "duckdb",
        "jupysql",
        "ipykernel",
        "ipython",
        "jupyter_client",
        "pyzmq",
    ):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _p90(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=10, method="inclusive")[-1]


def schedule(n_variants: int, repeat: int) -> list[tuple[int, str]]:
    """The measured cells in order: (variant index, query), round-robin over the kernels.

    Every cell follows another kernel's cell (as a notebook cell follows the user's pause, so no
    cell profits from a cache its own previous cell warmed), and the order rotates each round so
    no variant always runs first or right after the same neighbour.
    """
    pairs = [(i, q) for q in QUERIES for i in range(n_variants)]
    order: list[tuple[int, str]] = []
    for r in range(repeat):
        k = r % len(pairs)
        order += pairs[k:] + pairs[:k]
    return order


def run(
    repeat: int, log: Any, tweaked: bool = False, compare_tree: str | None = None
) -> list[Variant]:
    """Start every kernel, warm up, and measure ``repeat`` interleaved rounds."""
    variants = make_variants(tweaked, compare_tree)
    workspace = tempfile.TemporaryDirectory(prefix="nl-bench-", ignore_cleanup_errors=True)
    kernels: list[tuple[KernelManager, Any]] = []
    try:
        for v in variants:
            kernels.append(start_kernel(v, workspace.name, log))
            check_outputs(v, kernels[-1][1])
            for _ in range(WARMUP):  # imports, first-query compilation, caches
                for query in QUERIES:
                    execute(kernels[-1][1], getattr(v, query))
        for i, query in schedule(len(variants), repeat):
            v, kc = variants[i], kernels[i][1]
            rt, busy = execute(kc, getattr(v, query))
            v.times[query].append(rt)
            v.busy[query].append(busy)
        check_cold(variants, [kc for _, kc in kernels], before=False)
    finally:
        for km, kc in kernels:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        workspace.cleanup()
    return variants


def report(variants: list[Variant], repeat: int, seconds: float) -> dict[str, Any]:
    by = {v.key: v for v in variants}
    nl = by["neurolake"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"kernel round-trips, ms: {repeat} interleaved runs per cell after {WARMUP} warm-ups "
        f"({os.cpu_count()} CPUs, load {load:.2f}, {seconds:.0f} s)"
    )
    print(
        "in-kernel = the kernel's busy→idle span from the message headers; bytes = execute_result data\n"
    )
    labels = {"trivial": "select 42", "groupby": "group-by 100k→100"}
    header = f"{'variant':<22}"
    for q in QUERIES:
        header += f" | {labels[q] + ': median':>26}{'p90':>7}{'in-kernel':>10}{'bytes':>7}"
    print(header)
    print("-" * len(header))
    for v in variants:
        line = f"{v.name:<22}"
        for q in QUERIES:
            line += (
                f" | {_median(v.times[q]):>26.2f}{_p90(v.times[q]):>7.2f}"
                f"{_median(v.busy[q]):>10.2f}{v.payload.get(q, 0):>7,}"
            )
        print(line)
    bases = ("jupysql", "jupysql_rs", "python")
    ratios = {
        q: {b: _median(nl.times[q]) / _median(by[b].times[q]) for b in bases} for q in QUERIES
    }
    print(f"\n{'ratio of medians':<36}{labels['trivial']:>12}{labels['groupby']:>20}")
    for b in bases:
        print(
            f"{'neurolake / ' + by[b].name:<36}{ratios['trivial'][b]:>11.2f}x"
            f"{ratios['groupby'][b]:>19.2f}x"
        )
    if "neurolake_before" in by:
        before = by["neurolake_before"]
        ratios_before = {q: _median(nl.times[q]) / _median(before.times[q]) for q in QUERIES}
        print(
            f"{'neurolake / ' + before.name:<36}{ratios_before['trivial']:>11.2f}x"
            f"{ratios_before['groupby']:>19.2f}x"
        )
        for q in QUERIES:
            ratios[q]["neurolake_before"] = ratios_before[q]
    over = {q: _median(nl.times[q]) - _median(by["floor"].times[q]) for q in QUERIES}
    print(f"{'neurolake - 1+1 floor':<36}{over['trivial']:>+9.2f} ms{over['groupby']:>+17.2f} ms")
    print(
        "\ngoal (issue 2): neurolake / jupysql <= 1.2x; "
        f"select 42 {ratios['trivial']['jupysql']:.2f}x, group-by {ratios['groupby']['jupysql']:.2f}x "
        f"(vs JupySQL's default ResultSet: {ratios['trivial']['jupysql_rs']:.2f}x, "
        f"{ratios['groupby']['jupysql_rs']:.2f}x); reported, not asserted"
    )
    return {
        "repeat": repeat,
        "warmup": WARMUP,
        "cpus": os.cpu_count(),
        "loadavg_1m": load,
        "seconds": seconds,
        "versions": _versions(),
        "queries": {"trivial": "select 42", "groupby": GROUPBY, "table": TABLE},
        "variants": {
            v.key: {
                "name": v.name,
                "kernel": v.kernel,
                "cells": {q: getattr(v, q) for q in QUERIES},
                **{
                    q: {
                        "median_ms": _median(v.times[q]),
                        "p90_ms": _p90(v.times[q]),
                        "in_kernel_median_ms": _median(v.busy[q]),
                        "payload_bytes": v.payload.get(q),
                        "samples_ms": v.times[q],
                    }
                    for q in QUERIES
                },
            }
            for v in variants
        },
        "ratios": {f"{q}: neurolake / {base}": r for q in QUERIES for base, r in ratios[q].items()},
        "neurolake_over_floor_ms": over,
    }


def main() -> int:
    print(provenance())
    print("result cache: off in the NeuroLake kernels (every cell runs; checked in each kernel)")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=40, help="interleaved runs per cell (default 40)"
    )
    parser.add_argument("--json", help="also write the results (with every sample) to this file")
    parser.add_argument(
        "--tweaked",
        action="store_true",
        help="add an experimental row: NeuroLake without ipykernel's 0.5 ms reply sleep and "
        "its flushes of empty streams (not a product setting)",
    )
    parser.add_argument(
        "--compare-tree",
        help="also run NeuroLake from this source tree (e.g. a git worktree of main) in the same run",
    )
    args = parser.parse_args()
    if args.repeat < 2:
        parser.error("--repeat must be at least 2")

    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:  # the kernels' own stderr, shown if one fails
        try:
            variants = run(args.repeat, log, args.tweaked, args.compare_tree)
        except (CellFailed, RuntimeError, subprocess.SubprocessError, OSError) as exc:
            log.seek(0)
            tail = "".join(
                line for line in log.readlines()[-30:] if "without encryption" not in line
            )
            print(f"benchmark failed: {exc}", file=sys.stderr)
            if "No module named 'sql'" in str(exc):
                print("JupySQL is missing: pip install -e '.[bench]'", file=sys.stderr)
            if tail.strip():
                print(f"kernel output:\n{tail}", file=sys.stderr)
            return 1
    results = report(variants, args.repeat, time.perf_counter() - started)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
