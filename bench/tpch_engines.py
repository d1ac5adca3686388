"""TPC-H on the two engines over the same Iceberg tables: DuckDB in the kernel vs Daft on Ray.

    .venv/bin/python bench/tpch_engines.py [--scale 1] [--workers 2] [--repeat 3] [--local]

Loads TPC-H (dbgen, money columns as DOUBLE: see tests/support/tpch_lake.py) into Iceberg tables
of a fresh workspace, starts a Ray cluster of a head and ``--workers`` workers, each in a network
namespace of its own (tests/support/ray_cluster.py; needs root), and times every query the Daft
engine supports (best of ``--repeat``) on both engines with the same governed SQL, checking the
answers agree. ``--local`` uses Daft's local runner instead of Ray. Reports per-query times and
the ratio of the totals (Daft / DuckDB) measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runs import cache_line, cold, connect_cold, provenance

from neurolake_lab.cell.engines import backend_for
from neurolake_lab.cell.plan import CellPlan
from neurolake_lab.session import Session
from tests.support.tpch_lake import load_tpch, rows, same_rows

#: Q21 uses a correlated EXISTS that Daft 0.7 cannot plan (refused by the engine, by name).
SUPPORTED = [n for n in range(1, 23) if n != 21]


def best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--local", action="store_true", help="Daft's local runner, no Ray")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    ws = Path(tempfile.mkdtemp(prefix="tpch-engines-"))
    cluster = None
    with ThreadPoolExecutor(1) as pool:
        if not args.local:
            from tests.support.ray_cluster import RayCluster

            cluster = RayCluster(workers=args.workers, object_store_mb=3072)
            starting = pool.submit(cluster.__enter__)  # Ray starts while TPC-H loads
        try:
            print(provenance())
            with connect_cold(ws) as session:  # the owner: it writes the tables
                print(f"{cache_line(session)}; the timed runs call the engines directly")
                t0 = time.perf_counter()
                queries = load_tpch(session, args.scale)
                print(f"loaded TPC-H SF{args.scale:g} into Iceberg in "
                      f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
                if cluster is not None:
                    starting.result()
                    print(f"Ray: head and {args.workers} workers up, seconds and attempts per "
                          f"node {cluster.started}; restarts: {cluster.retries or 'none'}")  # fmt: skip
                    os.environ.update(cluster.env)
                    os.environ["RAY_ADDRESS"] = cluster.address
                report = run(session, queries, args)
        finally:
            if cluster is not None:
                if "ray" in sys.modules:  # disconnect this driver before its cluster goes
                    sys.modules["ray"].shutdown()
                wait([starting])
                cluster.__exit__()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


def run(session: Session, queries: dict[int, str], args: argparse.Namespace) -> dict[str, Any]:
    """Time every supported query on both engines (answers checked equal); the report."""
    engine = "daft" if args.local else "daft-ray"
    daft = backend_for(CellPlan("", engine=engine), session.services)
    duck = session.services.engine
    results = []
    for n in SUPPORTED:
        sql = queries[n]
        cold(session, sql)  # governed once, views and extensions warm
        expected = rows(duck.run(sql).table)
        t0 = time.perf_counter()
        got = rows(daft.run(sql).table)
        first = time.perf_counter() - t0
        assert same_rows(got, expected), f"Q{n}: the engines disagree"
        d = best(lambda sql=sql: duck.run(sql), args.repeat)
        f = best(lambda sql=sql: daft.run(sql), args.repeat)
        results.append({"query": n, "duckdb_s": d, "daft_s": f, "daft_first_s": first})
        print(f"Q{n:<3} duckdb {d:8.3f} s   {engine} {f:8.3f} s (first {first:7.3f} s)   "
              f"ratio {f / d:7.1f}x", flush=True)  # fmt: skip
    total_d = sum(r["duckdb_s"] for r in results)
    total_f = sum(r["daft_s"] for r in results)
    print(f"total ({len(results)} queries): duckdb {total_d:.2f} s, {engine} "
          f"{total_f:.2f} s, ratio {total_f / total_d:.1f}x")  # fmt: skip
    return {
        "scale": args.scale, "engine": engine, "workers": args.workers, "repeat": args.repeat,
        "load_average": os.getloadavg(), "queries": results, "ratio": total_f / total_d,
    }  # fmt: skip


if __name__ == "__main__":
    main()
