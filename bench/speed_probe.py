"""Speed probe stability: one reading alone (before) against the median of recent readings (now).

Usage: python bench/speed_probe.py [--seconds 120] [--every 2] [--json OUT]

Takes a probe reading every ``--every`` seconds for ``--seconds`` on one DuckDB connection and
reports, over the readings, how far each value the cost model would use lies from the median of
all of them (max(v/median, median/v)): the single reading of ``cost/speed.py`` before issue 18's
change (median of 3 probe runs), the single reading now (median of 5), and the value used now
(the median of the last ``WINDOW_READINGS`` readings kept in the workspace store). The real probe
is read at most once a minute; this takes them closer together so a run fits in minutes, which
makes the window span less time than it does in a kernel. Reports, never asserts. No query
of a table runs, so there is no result cache to state: it times DuckDB alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb
from runs import provenance

from neurolake_lab.cost import speed
from neurolake_lab.cost.speed import PROBE_SQL, SpeedReadings, probe_ms


def one(con: duckdb.DuckDBPyConnection, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        con.execute(PROBE_SQL).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def spread(values: list[float]) -> dict[str, float]:
    mid = statistics.median(values)
    errs = sorted(max(v / mid, mid / v) for v in values)
    return {
        "min_ms": min(values), "median_ms": mid, "max_ms": max(values),
        "max_over_min": max(values) / min(values),
        "p90_off_median": errs[int(0.9 * (len(errs) - 1))], "max_off_median": errs[-1],
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--every", type=float, default=2.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    print(provenance())
    print("result cache: none involved (the probe is a query of no table on a bare connection)")
    con = duckdb.connect()
    store = SpeedReadings(Path(tempfile.mkdtemp(prefix="nl-speed-")) / "catalog.db")
    before, single, used = [], [], []
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        before.append(one(con, 3))
        speed.forget()
        used.append(probe_ms(con, refresh=True, readings=store) or 0.0)
        single.append(
            store.recent(int(con.execute("SELECT current_setting('threads')").fetchone()[0]))[0]
        )  # type: ignore[index]
        time.sleep(args.every)
    out = {
        "load": os.getloadavg(), "readings": len(before),
        "before_single_reading": spread(before), "now_single_reading": spread(single),
        "now_used_median_of_recent": spread(used[min(len(used) - 1, 5):]),
    }  # fmt: skip
    for k, v in out.items():
        print(k, v if not isinstance(v, dict) else {a: round(b, 2) for a, b in v.items()})
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
