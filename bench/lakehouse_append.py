"""Append throughput: 1M rows through Session.write vs pyarrow.parquet.write_table of the same rows.

Usage: python bench/lakehouse_append.py [--rows 1000000] [--repeat 5] [--json out.json]

``Session.write`` appends to an existing Iceberg table: it conforms the data to the table's schema,
runs the (empty) write path, writes Parquet with pyiceberg (zstd, Iceberg's default codec), writes
the manifest, manifest list and metadata file, and commits in the SQLite catalog. The baselines
write the same Arrow table once to a Parquet file with pyarrow: with pyarrow's default codec
(snappy) and with zstd (the same codec as the Iceberg table). Best of ``--repeat`` each, in
rotating order; the issue's goal is Session.write / write_table <= 1.5.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from runs import provenance

import neurolake_lab


def make_rows(n: int) -> pa.Table:
    rng = np.random.default_rng(7)
    return pa.table(
        {
            "id": pa.array(np.arange(n, dtype=np.int64)),
            "customer_id": pa.array(rng.integers(1, 50_000, n), pa.int64()),
            "amount": pa.array(np.round(rng.random(n) * 500, 2)),
            "quantity": pa.array(rng.integers(1, 10, n).astype(np.int32)),
            "status": pa.array(rng.choice(["placed", "shipped", "delivered", "returned"], n)),
            "day": pa.array(
                (np.datetime64("2025-01-01") + rng.integers(0, 700, n)).astype("datetime64[D]")
            ),
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    data = make_rows(args.rows)
    with tempfile.TemporaryDirectory() as ws:
        session = neurolake_lab.connect(ws, result_cache=False)
        print(provenance())
        print("result cache: off (appends are timed; the one count(*) runs)")
        session.write("bench.append", data.slice(0, 10))  # the table exists before timing
        out = os.path.join(ws, "plain")
        os.makedirs(out)
        counter = [0]

        def neurolake() -> None:
            session.write("bench.append", data)

        def write_table(codec: str):
            def run() -> None:
                counter[0] += 1
                pq.write_table(data, os.path.join(out, f"{counter[0]}.parquet"), compression=codec)

            return run

        runners = {
            "Session.write": neurolake,
            "write_table (snappy)": write_table("snappy"),
            "write_table (zstd)": write_table("zstd"),
        }
        names = list(runners)
        samples: dict[str, list[float]] = {n: [] for n in names}
        for rnd in range(args.repeat + 1):
            for name in names[rnd % 3 :] + names[: rnd % 3]:
                start = time.perf_counter()
                runners[name]()
                if rnd:  # round 0 warms up imports and caches
                    samples[name].append(time.perf_counter() - start)
        total = session.sql("SELECT count(*) FROM bench.append").arrow().column(0)[0].as_py()
        expected = 10 + (args.repeat + 1) * args.rows
        session.close()
    best = {n: min(v) for n, v in samples.items()}
    print(f"{args.rows:,} rows, best of {args.repeat}:")
    for name in names:
        rate = args.rows / best[name] / 1e6
        print(f"  {name:<22} {best[name] * 1000:8.1f} ms  {rate:5.2f} M rows/s")
    for base in names[1:]:
        print(f"Session.write / {base}: {best['Session.write'] / best[base]:.2f}")
    print("goal: Session.write / write_table <= 1.5")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": args.rows, "samples": samples, "best": best}, fh, indent=1)
    if total != expected:
        print(f"row count wrong: {total} != {expected}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
