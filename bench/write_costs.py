"""Where a write's time goes, and the rates the cost model predicts writes with (issue 18).

Usage: python bench/write_costs.py [--sfs 0.01,0.1,0.3] [--retail-scale 1] [--workspace DIR]
                                   [--json OUT]

Three parts, each in milliseconds and in probe units (``neurolake_lab/cost/speed.py``):

1. Loading Presidio and the spaCy model, with a first analysis, in a fresh process (three times).
2. Presidio's time per column: every column of TPC-H (the largest ``--sfs``) and of the retail
   demo classified from a seeded sample of 200 and of 20 rows (median of three), by type.
3. Writes: CTAS and INSERT into Iceberg of 100 to 1.8 million rows, with and without PII
   classification (a new table, a table already tagged, a table created empty, columns carried
   from PII columns), each predicted by ``CostModel.predict`` and run once with the result cache
   off. Reported: the actual time, the PII tagger's share of it (its write hook, timed), the
   prediction and its terms. Then the write rates fitted by least squares on the time outside
   the tagger, in probe units, less the query's own terms: a fixed part, values and text values
   written. The two wide CTAS ``cost_failures.py`` holds out (orders with customers, retail
   items) are run and shown, never fitted on.

It reports, never asserts.
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from runs import cache_line, cold, connect_cold, provenance

from neurolake_lab.compliance import tagging
from neurolake_lab.compliance.pii import classifier
from neurolake_lab.cost import CostModel
from neurolake_lab.cost import features as F
from neurolake_lab.cost.speed import probe_ms
from neurolake_lab.cost.workload import load_tpch, tpch_namespace
from neurolake_lab.demo import load_retail

#: labels of writes ``cost_failures.py`` holds out: shown, never fitted on
HELD_OUT = ("orders_wide", "items_wide")

LOAD_SCRIPT = """
import json, time, duckdb
from neurolake_lab.cost.speed import probe_ms
con = duckdb.connect()
before = probe_ms(con, refresh=True)
t0 = time.perf_counter()
from neurolake_lab.compliance.pii.engine import get_engine
get_engine()
import pyarrow as pa
from neurolake_lab.compliance.pii import classify_table
classify_table(pa.table({"note": ["Call Anna Schmidt about the order", "arrived broken"] * 10}))
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({"ms": ms, "probe": (before + probe_ms(con, refresh=True)) / 2}))
"""


def model_load() -> list[dict[str, float]]:
    """Part 1: Presidio's first load and analysis in fresh processes."""
    out = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", LOAD_SCRIPT], capture_output=True, text=True, check=True
        )
        rec = json.loads(done.stdout.strip().splitlines()[-1])
        rec["units"] = rec["ms"] / rec["probe"]
        out.append(rec)
        print(f"load + first analysis {rec['ms']:7.0f} ms, probe {rec['probe']:.2f} ms: "
              f"{rec['units']:5.0f} units (now {F.PII_MODEL_LOAD_UNITS:g})")  # fmt: skip
    return out


def per_column(session: Any, namespaces: list[str]) -> list[dict[str, Any]]:
    """Part 2: Presidio's time per column, from samples of 200 and 20 rows."""
    from neurolake_lab.compliance.pii.classifier import sample_rows

    con = session.engine.con
    out: list[dict[str, Any]] = []
    for ns in namespaces:
        for (tns, name), _ in sorted(session.lakehouse.pointers.items()):
            if tns != ns:
                continue
            data = con.execute(f'SELECT * FROM "{ns}"."{name}"').to_arrow_table()
            for n in (200, 20):
                sample = sample_rows(data, n, seed=0)
                probe = probe_ms(con, refresh=True) or 1.0
                for col, values in zip(sample.column_names, sample.columns, strict=True):
                    times = []
                    for _ in range(3):
                        t0 = time.perf_counter()
                        classifier.classify_column(col, values.to_pylist(), arrow_type=values.type,
                                                   table_name=f"{ns}.{name}")  # fmt: skip
                        times.append((time.perf_counter() - t0) * 1000)
                    ms = statistics.median(times)
                    kind = classifier._kind(values.type)
                    out.append({"table": f"{ns}.{name}", "column": col, "kind": kind, "rows": n,
                                "ms": ms, "probe": probe, "units": ms / probe})  # fmt: skip
    for n in (200, 20):
        for kind in ("text", "integer", "temporal", "other"):
            part = [r for r in out if r["kind"] == kind and r["rows"] == n]
            if part:
                units = [r["units"] for r in part]
                print(f"{n:>3} rows, {kind:<8} {len(part):3} columns: units mean "
                      f"{statistics.mean(units):6.2f}, median {statistics.median(units):6.2f}, "
                      f"max {max(units):6.2f}; ms mean {statistics.mean(r['ms'] for r in part):6.2f}")  # fmt: skip
    model = {n: F.CLASSIFY_COLUMN_UNITS + F.CLASSIFY_ROW_UNITS * n for n in (200, 20)}
    print(f"the model: {model[200]:.2f} units per text column at 200 rows, {model[20]:.2f} at 20")
    return out


def writes(sfs: list[float]) -> list[tuple[str, str]]:
    """Part 3's statements, in order (``create`` lines set up a table and are not measured)."""
    out: list[tuple[str, str]] = []
    for sf in sfs:
        ns = tpch_namespace(sf)
        k = ns.removeprefix("tpch_")
        out += [
            (f"{k} ctas lineitem", f"CREATE TABLE w.li_{k} AS SELECT * FROM {ns}.lineitem"),
            (f"{k} insert 1000 (tagged)",
             f"INSERT INTO w.li_{k} SELECT * FROM {ns}.lineitem LIMIT 1000"),
            (f"{k} insert lineitem (tagged)", f"INSERT INTO w.li_{k} SELECT * FROM {ns}.lineitem"),
            (f"{k} ctas orders_wide", f"CREATE TABLE w.ow_{k} AS SELECT o.*, c.* FROM "
             f"{ns}.orders o JOIN {ns}.customer c ON o.o_custkey = c.c_custkey"),
            (f"{k} ctas numbers", f"CREATE TABLE w.num_{k} AS SELECT l_orderkey, l_partkey, "
             f"l_quantity, l_extendedprice, l_shipdate FROM {ns}.lineitem"),
            (f"{k} ctas part", f"CREATE TABLE w.part_{k} AS SELECT * FROM {ns}.part"),
            (f"{k} create", f"CREATE TABLE w.e_{k} (l_orderkey BIGINT, l_comment VARCHAR, "
             "l_shipmode VARCHAR)"),
            (f"{k} insert into empty", f"INSERT INTO w.e_{k} SELECT l_orderkey, l_comment, "
             f"l_shipmode FROM {ns}.lineitem"),
        ]  # fmt: skip
    first = tpch_namespace(sfs[0])
    return [
        *out,
        ("ctas nation", f"CREATE TABLE w.nation AS SELECT * FROM {first}.nation"),
        ("retail ctas items_wide", "CREATE TABLE w.items_wide AS SELECT oi.*, o.* EXCLUDE "
         "(order_id), p.* EXCLUDE (product_id, unit_price) FROM retail.order_items oi JOIN "
         "retail.orders o ON oi.order_id = o.order_id JOIN retail.products p ON "
         "oi.product_id = p.product_id"),
        ("retail ctas customers (PII carried)", "CREATE TABLE w.cust AS "
         "SELECT * FROM retail.customers"),
        ("retail ctas tickets", "CREATE TABLE w.tickets AS SELECT * FROM retail.support_tickets"),
        ("retail insert tickets (tagged)", "INSERT INTO w.tickets SELECT * FROM "
         "retail.support_tickets"),
    ]  # fmt: skip


def measure_writes(session: Any, sfs: list[float]) -> list[dict[str, Any]]:
    """Part 3: each write predicted, run, and its time split into the tagger's and the rest."""
    hooks: list[float] = []
    real_hook = tagging.PiiTagger.hook

    def timed_hook(self: tagging.PiiTagger, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return real_hook(self, *args, **kwargs)
        finally:
            hooks.append((time.perf_counter() - t0) * 1000)

    session.sql("DROP SCHEMA IF EXISTS w CASCADE", namespace={})
    session.sql("CREATE SCHEMA w", namespace={})
    lake = session.lakehouse  # the tagger's hook, timed (it runs as before)
    lake.write_hooks[:] = [
        timed_hook.__get__(h.__self__) if getattr(h, "__func__", None) is real_hook else h
        for h in lake.write_hooks
    ]
    model = CostModel(session.settings.workspace)
    out: list[dict[str, Any]] = []
    for label, sql in writes(sfs):
        if label.endswith(" create"):
            session.sql(sql, namespace={})
            continue
        prediction = model.predict(session.query, sql)
        fig = prediction.statements[-1].figures
        hooks.clear()
        result = cold(session, sql)
        actual = result.timings["execute_ms"] + result.timings["fetch_ms"]
        total = F.analytic_units(fig)
        classify = F.classify_units(fig)
        write = (
            F.WRITE_UNITS + fig.write_cells / F.WRITE_CELLS_PER_UNIT
            + fig.write_text_cells / F.WRITE_TEXT_CELLS_PER_UNIT
        ) if fig.write_cells else 0.0  # fmt: skip
        rec = {
            "label": label, "actual_ms": actual, "tagger_ms": sum(hooks), "probe_ms": fig.probe_ms,
            "predicted_ms": prediction.predicted_ms, "classify_units": classify,
            "write_units": write, "query_units": total - classify - write,
            "write_cells": fig.write_cells, "write_text_cells": fig.write_text_cells,
            "classified_columns": fig.classified_columns, "loads_pii_model": fig.loads_pii_model,
        }  # fmt: skip
        out.append(rec)
        q = max(actual / prediction.predicted_ms, prediction.predicted_ms / actual)
        print(
            f"{label:<36} actual {actual:7.0f} ms (tagger {rec['tagger_ms']:5.0f})  predicted "
            f"{prediction.predicted_ms:7.0f} ms  q {q:5.2f} | probe {fig.probe_ms:5.2f}: tagger "
            f"{rec['tagger_ms'] / fig.probe_ms:5.0f} units, predicted {classify:5.0f} "
            f"({fig.classified_columns} columns{', loads Presidio' if fig.loads_pii_model else ''})",
            flush=True,
        )
    return out


def fit(records: list[dict[str, Any]]) -> dict[str, float]:
    """Least squares of the time outside the tagger (probe units, less the query's own terms)
    on a fixed part, values and text values written; weighted by 1/time, held-out CTAS left out."""
    rows = [r for r in records if not any(h in r["label"] for h in HELD_OUT)]

    def target(r: dict[str, Any]) -> float:
        return float((r["actual_ms"] - r["tagger_ms"]) / r["probe_ms"] - r["query_units"])

    y = np.array([target(r) for r in rows])
    a = np.array([[1.0, r["write_cells"], r["write_text_cells"]] for r in rows])
    w = 1.0 / np.maximum(np.abs(y), 5.0)
    sol, *_ = np.linalg.lstsq(a * w[:, None], y * w, rcond=None)
    out = {"fixed_units": float(sol[0]), "cells_per_unit": float(1 / sol[1]) if sol[1] > 0 else 0,
           "text_cells_per_unit": float(1 / sol[2]) if sol[2] > 0 else 0}  # fmt: skip
    print(
        f"fit on {len(rows)} writes: {out['fixed_units']:.1f} units per write, "
        f"{out['cells_per_unit']:,.0f} values and {out['text_cells_per_unit']:,.0f} text values "
        f"per unit (the model: {F.WRITE_UNITS:g}, {F.WRITE_CELLS_PER_UNIT:,.0f}, "
        f"{F.WRITE_TEXT_CELLS_PER_UNIT:,.0f})"
    )
    for r in records:
        if any(h in r["label"] for h in HELD_OUT):
            pred = sol[0] + sol[1] * r["write_cells"] + sol[2] * r["write_text_cells"]
            print(f"  held out {r['label']:<28} outside the tagger {target(r):6.0f} units, "
                  f"fit {pred:6.0f}")  # fmt: skip
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sfs", default="0.01,0.1,0.3")
    ap.add_argument("--retail-scale", type=float, default=1.0)
    ap.add_argument("--workspace")
    ap.add_argument("--json")
    args = ap.parse_args()
    sfs = [float(s) for s in args.sfs.split(",")]
    print(provenance())
    print("1. loading Presidio and spaCy (fresh processes)")
    loads = model_load()
    ws = Path(args.workspace) if args.workspace else Path(tempfile.mkdtemp(prefix="nl-writes-"))
    session = connect_cold(ws, learn_costs=False)
    print(cache_line(session))
    session.lakehouse.refresh(session.engine.con)
    have = {ns for ns, _ in session.lakehouse.pointers}
    if "retail" not in have:
        load_retail(session, scale=args.retail_scale)
    for sf in sfs:
        if tpch_namespace(sf) not in have:
            load_tpch(session, sf)
    print("2. Presidio's time per column")
    columns = per_column(session, [tpch_namespace(max(sfs)), "retail"])
    print("3. writes")
    records = measure_writes(session, sfs)
    rates = fit(records)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"load": loads, "columns": columns, "writes": records, "fit": rates}, indent=1
        ))  # fmt: skip
    session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
