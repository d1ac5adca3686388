"""Time the retail demo generator at scale 1 and 20, against writing its tables as Parquet.

generate_retail (neurolake_lab.demo) builds the Arrow tables that load_retail then stores as
Iceberg; scale 20 must load in under a minute in total. The baseline is pyarrow.parquet.write_table
of the same tables in the same run (the floor of what any Iceberg write costs). Reports only,
never asserts.

    PYTHONPATH=. .venv/bin/python bench/demo_generate.py [--scales 1,20] [--repeat 3] [--seed 42]
        [--load]   # also the whole `neurolake demo load` per scale (Iceberg, PII tags, audit)
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from runs import provenance

from neurolake_lab.demo import generate_retail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,20", help="comma-separated scale factors")
    parser.add_argument("--repeat", type=int, default=3, help="runs per scale (best and median)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--load", action="store_true", help="also time load_retail (Iceberg tables) per scale"
    )
    args = parser.parse_args()
    print(provenance())
    print("result cache: off (load_retail's queries run; generation and Parquet run none)")
    today = dt.datetime.now(dt.UTC).date()
    print(f"today={today} seed={args.seed} repeat={args.repeat}")
    print(
        f"{'scale':>6} {'rows':>10} {'generate best':>14} {'median':>8} {'rows/s':>12}"
        f" {'parquet write':>14} {'gen/parquet':>12}"
    )
    for scale in (float(s) for s in args.scales.split(",")):
        gen_times: list[float] = []
        write_times: list[float] = []
        per_table: dict[str, int] = {}
        for _ in range(args.repeat):
            start = time.perf_counter()
            tables = generate_retail(scale=scale, seed=args.seed, today=today)
            gen_times.append(time.perf_counter() - start)
            per_table = {t.name: t.data.num_rows for t in tables}
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                for t in tables:
                    pq.write_table(t.data, Path(folder) / f"{t.name}.parquet")
                write_times.append(time.perf_counter() - start)
            del tables
        rows = sum(per_table.values())
        best, best_write = min(gen_times), min(write_times)
        print(
            f"{scale:>6g} {rows:>10,} {best:>13.3f}s {statistics.median(gen_times):>7.3f}s"
            f" {rows / best:>12,.0f} {best_write:>13.3f}s {best / best_write:>11.2f}x"
        )
        print("       " + ", ".join(f"{name} {n:,}" for name, n in per_table.items()))
    if args.load:
        # the whole of `neurolake demo load`: generate, store as Iceberg, classify PII, audit
        import neurolake_lab
        from neurolake_lab.demo import load_retail

        print(f"\n{'scale':>6} {'load_retail':>12} {'goal':>10}")
        for scale in (float(s) for s in args.scales.split(",")):
            with (
                tempfile.TemporaryDirectory() as ws,
                neurolake_lab.connect(ws, result_cache=False) as session,
            ):
                start = time.perf_counter()
                load_retail(session, scale=scale, seed=args.seed, today=today)
                took = time.perf_counter() - start
            goal = "< 60 s" if scale >= 20 else "seconds"
            print(f"{scale:>6g} {took:>11.1f}s {goal:>10}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
