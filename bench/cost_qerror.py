"""Cost model accuracy: q-error of predicted duration, bytes and rows on TPC-H and the retail demo.

Usage: python bench/cost_qerror.py [--sfs 0.1,1] [--retail-scale 1] [--runs 3] [--seed 7]
                                   [--workspace DIR] [--json OUT] [--calibrate]

Builds a workspace with TPC-H at each scale factor (generated offline by DuckDB's tpch extension
and stored as Iceberg tables with ``Session.write``) and the retail demo, then runs a workload of
the 22 TPC-H queries at each scale plus the retail queries, in an order shuffled with ``--seed``.
Through the real API (``CostModel.predict`` / ``record``) the first half is the history: each
query is predicted, run, and recorded. The second half is the test: predicted with the model
trained on the first half, run, and not recorded. The actual duration is DuckDB's execute + fetch
time of ``Session.sql``, the median of ``--runs`` runs after one warm-up, with the result cache
off (a run it answered would be no run: the benchmark stops if one is); actual bytes are
the bytes the process read while it ran (``count_reads``: Linux ``rchar``); actual rows the result's row count.

q-error = max(pred/actual, actual/pred). Reported for the analytic estimate (no history), the
learned model, and two harder splits computed offline with the same fitting code: train on the
smallest scale factor + retail and test on the largest (extrapolation), and leave-one-scale-out.
``random_halves_x30`` repeats the half/half protocol offline over 30 other shuffles. It reports, never asserts (exit status 1 only if a query fails). ``--calibrate`` prints the
least-squares rates of the analytic estimate on this workload (how features.py's were chosen).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from runs import cache_line, cold, connect_cold, provenance

from neurolake_lab.cost import CostModel
from neurolake_lab.cost import model as ridge
from neurolake_lab.cost.features import FEATURE_VERSION
from neurolake_lab.cost.measure import count_reads
from neurolake_lab.cost.workload import RETAIL_QUERIES, load_tpch, tpch_namespace, tpch_queries
from neurolake_lab.demo import load_retail


def qerror(pred: float, actual: float) -> float:
    pred, actual = max(pred, 1e-3), max(actual, 1e-3)
    return max(pred / actual, actual / pred)


def summary(errors: list[float]) -> dict[str, float]:
    if not errors:
        return {}
    s = sorted(errors)
    return {
        "n": len(s),
        "median": statistics.median(s),
        "p90": float(np.percentile(s, 90)),
        "max": s[-1],
        "within_2x": sum(e < 2 for e in s) / len(s),
    }


def fmt(stats: dict[str, float]) -> str:
    if not stats:
        return "(none)"
    return (
        f"median {stats['median']:.2f}  p90 {stats['p90']:.2f}  max {stats['max']:.1f}  "
        f"within 2x {stats['within_2x']:.0%}  (n={stats['n']})"
    )


def prepare(session: Any, sfs: list[float], retail_scale: float) -> None:
    session.lakehouse.refresh(session.engine.con)
    have = {ns for ns, _ in session.lakehouse.pointers}
    if "retail" not in have:
        t = time.perf_counter()
        load_retail(session, scale=retail_scale)
        print(f"retail demo (scale {retail_scale}) loaded in {time.perf_counter() - t:.1f} s")
    for sf in sfs:
        if tpch_namespace(sf) not in have:
            t = time.perf_counter()
            load_tpch(session, sf)
            print(f"TPC-H sf {sf} stored as Iceberg in {time.perf_counter() - t:.1f} s")


def measure(session: Any, sql: str, runs: int) -> dict[str, Any]:
    """Actual cost of ``sql``: every run executes (the result cache is off; a hit stops it)."""
    cold(session, sql)  # warm-up (DuckDB's and the OS's caches, not NeuroLake's result cache)
    times = []
    rows = 0
    for _ in range(runs):
        res = cold(session, sql)
        times.append(res.timings["execute_ms"] + res.timings["fetch_ms"])
        rows = len(res)
    with count_reads() as reads:
        cold(session, sql)
    return {"ms": statistics.median(times), "runs_ms": times, "rows": rows,
            "bytes": reads.bytes_read}  # fmt: skip


def offline_split(
    records: list[dict[str, Any]], train_idx: list[int], test_idx: list[int]
) -> dict[str, float]:
    x = [records[i]["features"] for i in train_idx]
    y = ridge.targets(
        [records[i]["actual_ms"] for i in train_idx], [records[i]["analytic_ms"] for i in train_idx]
    )
    fit = ridge.fit(x, y)
    errs = []
    for i in test_idx:
        r = records[i]
        pred = r["analytic_ms"] * math.exp(max(-5, min(5, fit.predict_log(r["features"]))))
        errs.append(qerror(pred, r["actual_ms"]))
    return summary(errs)


def calibrate(records: list[dict[str, Any]]) -> None:
    """Non-negative least squares (by clipping) of actual ms on the analytic estimate's terms."""
    cols = ["scans", "rows_scanned", "bytes_scanned", "work_rows", "join_rows"]

    def val(r: dict[str, Any], c: str) -> float:
        f = r["figures"]
        if c == "work_rows":
            return min(f[c], 10 * f["rows_scanned"])
        if c == "join_rows":
            return min(f[c], 4 * f["rows_scanned"])
        return float(f[c])

    a = np.array([[1.0] + [val(r, c) for c in cols] for r in records])
    b = np.array([r["actual_ms"] for r in records])
    w = 1.0 / np.maximum(b, 1.0)  # relative error: weight by 1/actual
    coef, *_ = np.linalg.lstsq(a * w[:, None], b * w, rcond=None)
    print("calibration (ms = c0 + c1*scans + rows/r + bytes/b + work/w + join/j):")
    print(
        f"  c0={coef[0]:.3f} c1={coef[1]:.3f} "
        + " ".join(
            f"{c}_per_ms={1 / v:,.0f}" if v > 0 else f"{c}=(≤0)"
            for c, v in zip(cols[1:], coef[2:], strict=True)
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sfs", default="0.1,1")
    ap.add_argument("--retail-scale", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workspace")
    ap.add_argument("--json")
    ap.add_argument("--calibrate", action="store_true")
    args = ap.parse_args()
    sfs = [float(s) for s in args.sfs.split(",")]
    ws = Path(args.workspace) if args.workspace else Path(tempfile.mkdtemp(prefix="nl-cost-"))
    # the script records the history itself; every measured run executes (no result cache)
    session = connect_cold(ws, learn_costs=False)
    print(provenance())
    print(cache_line(session))
    prepare(session, sfs, args.retail_scale)
    # a fresh history for every run of the benchmark
    import sqlite3

    con = sqlite3.connect(ws / "catalog.db")
    con.execute("DROP TABLE IF EXISTS neurolake_cost_history")
    con.execute("DROP TABLE IF EXISTS neurolake_cost_updates")
    con.commit()
    con.close()

    workload = [
        (f"tpch sf{sf} q{i + 1:02d}", q, f"sf{sf}")
        for sf in sfs
        for i, q in enumerate(tpch_queries(tpch_namespace(sf)))
    ]
    workload += [(f"retail r{i + 1:02d}", q, "retail") for i, q in enumerate(RETAIL_QUERIES)]
    random.Random(args.seed).shuffle(workload)
    half = len(workload) // 2
    model = CostModel(ws)
    records: list[dict[str, Any]] = []
    failures = 0
    print(
        f"workload: {len(workload)} queries, train {half}, test {len(workload) - half}; runs={args.runs}"
    )
    for i, (label, sql, group) in enumerate(workload):
        try:
            pred = model.predict(session.query, sql)
            act = measure(session, sql, args.runs)
        except Exception as exc:  # report and go on: one broken query must not hide the rest
            print(f"FAILED {label}: {exc}")
            failures += 1
            continue
        est = pred.statements[0]
        train = i < half
        if train:
            model.record(pred, act["ms"], act["rows"], act["bytes"])
        rec = {
            "label": label, "group": group, "train": train, "basis": pred.basis,
            "predicted_ms": pred.predicted_ms, "analytic_ms": est.analytic_ms,
            "confidence": pred.confidence, "actual_ms": act["ms"], "runs_ms": act["runs_ms"],
            "estimated_bytes": pred.estimated_bytes, "actual_bytes": act["bytes"],
            "estimated_rows": pred.estimated_rows, "actual_rows": act["rows"],
            "raw_rows": est.figures.rows_out,
            "features": est.features, "figures": est.figures.__dict__,
            "timings": pred.timings,
        }  # fmt: skip
        records.append(rec)
        print(
            f"{'train' if train else 'TEST '} {label:<18} pred {pred.predicted_ms:9.1f} ms  actual "
            f"{act['ms']:9.1f} ms  q={qerror(pred.predicted_ms or 0, act['ms']):5.2f}  "
            f"analytic {est.analytic_ms:8.1f}  bytes {pred.estimated_bytes or 0:>11,} / "
            f"{act['bytes'] or 0:>11,}  conf {pred.confidence:.2f}"
        )
    test = [r for r in records if not r["train"]]
    results: dict[str, Any] = {
        "duration_model_test": summary([qerror(r["predicted_ms"], r["actual_ms"]) for r in test]),
        "duration_analytic_test": summary([qerror(r["analytic_ms"], r["actual_ms"]) for r in test]),
        "duration_analytic_all": summary([qerror(r["analytic_ms"], r["actual_ms"]) for r in records]),
        "bytes_all": summary([qerror(r["estimated_bytes"], r["actual_bytes"]) for r in records
                              if r["actual_bytes"]]),
        "rows_duckdb_all": summary([qerror(max(r["raw_rows"], 1), max(r["actual_rows"], 1)) for r in records]),
        "rows_duckdb_test": summary([qerror(max(r["raw_rows"], 1), max(r["actual_rows"], 1)) for r in test]),
        "rows_model_test": summary([qerror(max(r["estimated_rows"], 1), max(r["actual_rows"], 1)) for r in test]),
    }  # fmt: skip
    conf = [r["confidence"] for r in test]
    within = [qerror(r["predicted_ms"], r["actual_ms"]) < 2 for r in test]
    results["confidence_test"] = {
        "mean_confidence": statistics.mean(conf) if conf else None,
        "fraction_within_2x": sum(within) / len(within) if within else None,
    }
    groups = sorted({r["group"] for r in records})
    smallest, largest = f"sf{min(sfs)}", f"sf{max(sfs)}"
    if len(sfs) > 1:
        tr = [i for i, r in enumerate(records) if r["group"] != largest]
        te = [i for i, r in enumerate(records) if r["group"] == largest]
        results["extrapolate_to_largest_sf"] = offline_split(records, tr, te)
    for g in groups:
        tr = [i for i, r in enumerate(records) if r["group"] != g]
        te = [i for i, r in enumerate(records) if r["group"] == g]
        results[f"leave_out_{g}"] = offline_split(records, tr, te)
    # the same half/half protocol over 30 other orders of the workload (offline, same fitting)
    meds, p90s = [], []
    for seed in range(30):
        idx = list(range(len(records)))
        random.Random(1000 + seed).shuffle(idx)
        stats = offline_split(records, idx[: len(idx) // 2], idx[len(idx) // 2 :])
        meds.append(stats["median"])
        p90s.append(stats["p90"])
    results["random_halves_x30"] = {
        "median_of_medians": statistics.median(meds), "worst_median": max(meds),
        "median_of_p90s": statistics.median(p90s), "worst_p90": max(p90s),
    }  # fmt: skip
    for g in groups:
        results[f"model_test_{g}"] = summary(
            [qerror(r["predicted_ms"], r["actual_ms"]) for r in test if r["group"] == g]
        )
    # noise floor: how far single runs of the same query are from their own median
    noise = [qerror(t, r["actual_ms"]) for r in records for t in r["runs_ms"]]
    results["run_to_run_noise"] = summary(noise)
    print()
    print(f"FEATURE_VERSION {FEATURE_VERSION}; scale factors {sfs}; smallest {smallest}")
    for k, v in results.items():
        if isinstance(v, dict) and "median" in v:
            print(f"{k:<32} {fmt(v)}")
        else:
            print(f"{k:<32} {v}")
    live = model.live_model()
    print(
        f"model: {live.local_samples} observations, lambda {live.fit.lam}, sigma {live.sigma:.3f}"
    )
    if args.calibrate:
        calibrate(records)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"result_cache": "off", "results": results, "records": records},
                indent=1,
                default=str,
            )
        )
    session.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
