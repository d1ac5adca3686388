"""How long the cost part of a preflight takes on the retail demo (the budget is 50 ms in all).

Usage: python bench/cost_preflight.py [--repeat 20] [--scale 1] [--workspace DIR] [--json OUT]

``CostModel.predict`` is timed for the retail demo queries in four situations, interleaved so
machine noise hits each alike:

* ``first``: the first prediction in a fresh process (imports pyiceberg, reads every table's
  file list; once per kernel, measured once per query in a fresh process each);
* ``new text``: a query text not predicted before (what each keystroke that changes the SQL
  costs), with and without the optimizer's suggestions;
* ``same text``: the prediction cached for the same text, snapshots and model.

Each is split into DuckDB's EXPLAIN, the metadata estimate (sqlglot parse, filter translation,
pruning), and the suggestions (rules plus the planning of each rewrite). ``EXPLAIN`` alone is the
baseline measured in the same run. It reports medians and p90s and never asserts; a "new text"
prediction the prediction cache answered, or a "same text" one it did not, stops it (checked
outside the timing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from runs import Hits, provenance

import neurolake_lab
from neurolake_lab.cost import CostModel
from neurolake_lab.cost.workload import RETAIL_QUERIES
from neurolake_lab.demo import load_retail

FIRST = """
import sys, time, json
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
import neurolake_lab
from neurolake_lab.cost import CostModel
s = neurolake_lab.connect({ws!r})
s.lakehouse.refresh(s.engine.con)
t1 = time.perf_counter()
p = CostModel({ws!r}).predict(s.query, {sql!r})
t2 = time.perf_counter()
print(json.dumps({{"connect_ms": (t1 - t0) * 1000, "first_ms": (t2 - t1) * 1000, **p.timings}}))
"""


def stats(values: list[float]) -> str:
    return f"median {statistics.median(values):7.2f} ms  p90 {np.percentile(values, 90):7.2f} ms"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--workspace")
    ap.add_argument("--json")
    args = ap.parse_args()
    ws = Path(args.workspace) if args.workspace else Path(tempfile.mkdtemp(prefix="nl-pre-"))
    session = neurolake_lab.connect(ws)
    print(provenance())
    print(f"result cache: {'on' if session.settings.result_cache else 'off'} (preflight runs "
          "no query, so the cache is never asked)")  # fmt: skip
    session.lakehouse.refresh(session.engine.con)
    if ("retail", "orders") not in session.lakehouse.pointers:
        load_retail(session, scale=args.scale)
    root = str(Path(__file__).resolve().parents[1])
    first: list[dict[str, float]] = []
    for sql in RETAIL_QUERIES[:6]:
        code = FIRST.format(root=root, ws=str(ws), sql=sql)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        first.append(json.loads(out.stdout))
    model = CostModel(ws)
    kept = session.services.cost_model.predictions  # the session's prediction cache
    con = session.engine.con
    samples: dict[str, list[float]] = {k: [] for k in (
        "explain only", "new text, no suggestions", "new text, with suggestions", "same text",
        "· explain", "· metadata", "· suggestions")}  # fmt: skip
    for r in range(args.repeat):
        for i, sql in enumerate(RETAIL_QUERIES):
            text = f"{sql} -- {r}.{i}"  # a text never seen: no cached prediction
            t0 = time.perf_counter()
            con.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchall()
            samples["explain only"].append((time.perf_counter() - t0) * 1000)
            with Hits(model.predictions, cold=True, what=text):
                t0 = time.perf_counter()
                model.predict(session.query, text)
                samples["new text, no suggestions"].append((time.perf_counter() - t0) * 1000)
            with Hits(kept, cold=True, what=text):
                t0 = time.perf_counter()
                pred = session.predict(text + " ")
                samples["new text, with suggestions"].append((time.perf_counter() - t0) * 1000)
            samples["· explain"].append(pred.timings.get("explain_ms", 0.0))
            samples["· metadata"].append(pred.timings.get("metadata_ms", 0.0))
            samples["· suggestions"].append(pred.timings.get("suggest_ms", 0.0))
            with Hits(kept, cold=False, what=text):
                t0 = time.perf_counter()
                session.predict(text + " ")
                samples["same text"].append((time.perf_counter() - t0) * 1000)
    print(
        f"retail demo at scale {args.scale}; {len(RETAIL_QUERIES)} queries x {args.repeat} rounds"
    )
    print(f"{'first in a process (6 queries)':<34} "
          f"{stats([f['first_ms'] for f in first])}  (after connect: "
          f"{statistics.median([f['connect_ms'] for f in first]):.0f} ms)")  # fmt: skip
    for name, values in samples.items():
        print(f"{name:<34} {stats(values)}")
    with_s = samples["new text, with suggestions"]
    n = len(RETAIL_QUERIES)
    print(f"slowest new-text prediction with suggestions: {max(with_s):.1f} ms in the first "
          f"round (file lists, summaries' metadata read once), {max(with_s[n:], default=float('nan')):.1f} ms after")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps({"first": first, "samples": samples}, indent=1))
    session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
