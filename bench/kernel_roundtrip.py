"""Kernel round-trip of a %%sql cell: NeuroLake vs JupySQL vs plain Python on DuckDB.

Usage: python bench/kernel_roundtrip.py [--repeat N] [--json OUT]

Every variant runs in its own real kernel through jupyter_client; a round-trip is the time from
sending execute_request to having the reply and every output (the kernel back to idle). Variants
are interleaved round-robin so machine noise hits all of them alike, and the report gives ratios
against baselines measured in the same run. Needs the bench extra (JupySQL): pip install '.[bench]'.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import start_new_kernel

TABLE = "CREATE TABLE t AS SELECT range AS id, range % 100 AS k, random() AS v FROM range(100000)"
GROUPBY = "SELECT k, count(*) AS n, avg(v) AS a FROM t GROUP BY k"


@dataclass
class Variant:
    name: str
    kernel: str
    setup: list[str]
    trivial: str
    groupby: str
    times: dict[str, list[float]] = field(default_factory=lambda: {"trivial": [], "groupby": []})


VARIANTS = [
    Variant("python 1+1 (floor)", "python3", [], "1+1", "1+1"),
    Variant(
        "python + duckdb",
        "python3",
        ["import duckdb; con = duckdb.connect()", f"con.execute({TABLE!r})"],
        "con.sql('select 42').fetchall()",
        f"con.sql({GROUPBY!r}).df()",
    ),
    Variant(
        "jupysql %%sql",
        "python3",
        [
            "import duckdb; con = duckdb.connect()",
            f"con.execute({TABLE!r})",
            "%load_ext sql",
            "%config SqlMagic.displaycon = False\n%config SqlMagic.feedback = 0\n%config SqlMagic.autopandas = True",
            "%sql con --alias duck",
        ],
        "%%sql\nselect 42",
        f"%%sql\n{GROUPBY}",
    ),
    Variant(
        "neurolake %%sql", "neurolake", [f"%sql {TABLE}"], "%%sql\nselect 42", f"%%sql\n{GROUPBY}"
    ),
]


def execute(kc: Any, code: str) -> float:
    """One round-trip in ms; raises if the cell failed."""
    errors: list[str] = []

    def hook(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "error":
            errors.append(msg["content"]["evalue"])

    start = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=60, output_hook=hook)
    elapsed = (time.perf_counter() - start) * 1000
    if reply["content"]["status"] != "ok" or errors:
        raise RuntimeError(f"cell failed: {code!r}: {errors or reply['content']}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()

    env = {
        **os.environ,
        "NEUROLAKE_WORKSPACE": tempfile.mkdtemp(prefix="nl-bench-"),
        "PLOOMBER_STATS_ENABLED": "false",
    }
    kernels = []
    try:
        for v in VARIANTS:
            km, kc = start_new_kernel(kernel_name=v.kernel, env=env)
            kernels.append((km, kc))
            for code in v.setup:
                execute(kc, code)
            for _ in range(5):  # warm up: imports, first-query compilation, caches
                execute(kc, v.trivial)
                execute(kc, v.groupby)
        for _ in range(args.repeat):
            for v, (_, kc) in zip(VARIANTS, kernels, strict=True):
                v.times["trivial"].append(execute(kc, v.trivial))
                v.times["groupby"].append(execute(kc, v.groupby))
    finally:
        for km, kc in kernels:
            kc.stop_channels()
            km.shutdown_kernel(now=True)

    def med(v: Variant, q: str) -> float:
        return statistics.median(v.times[q])

    def p90(v: Variant, q: str) -> float:
        return statistics.quantiles(v.times[q], n=10)[-1]

    _, py, jupysql, nl = VARIANTS
    print(f"kernel round-trips, {args.repeat} interleaved runs each (ms)")
    print(f"{'variant':<22}{'select 42 med':>15}{'p90':>8}{'group-by med':>15}{'p90':>8}")
    for v in VARIANTS:
        print(
            f"{v.name:<22}{med(v, 'trivial'):>15.2f}{p90(v, 'trivial'):>8.2f}{med(v, 'groupby'):>15.2f}{p90(v, 'groupby'):>8.2f}"
        )
    ratios = {
        f"{q}: neurolake / {base.name}": med(nl, q) / med(base, q)
        for q in ("trivial", "groupby")
        for base in (jupysql, py)
    }
    print()
    for label, ratio in ratios.items():
        print(f"{label:<45}{ratio:6.2f}x")
    print(
        f"\ngoal: neurolake / jupysql <= 1.2x  (select 42: {ratios['trivial: neurolake / jupysql %%sql']:.2f}x,"
        f" group-by: {ratios['groupby: neurolake / jupysql %%sql']:.2f}x)"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "medians_ms": {v.name: {q: med(v, q) for q in v.times} for v in VARIANTS},
                    "ratios": ratios,
                },
                fh,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
