"""PII column classifier on the Faker set (tune and test halves), the hand-written set, and speed.

Usage: python bench/pii_eval.py [--rows N] [--seed S] [--big-rows N] [--repeat K] [--no-speed]
                                [--json OUT]

Quality, per split of ``pii_faker_set.py`` (and the older hand-written ``pii_labelled.py``): every
table goes through ``classify_table`` with its name. Scores:

* **strict** precision/recall/F1: a PII column is right only with the right entity; a wrong
  entity is both a false positive and a false negative (the same rule as ``pii_f1.py``);
* **detection** precision/recall/F1: PII or not, whatever the entity;
* **right entity**: of the PII columns detected as PII, the share with the right entity;
* **per-entity accuracy**: for each true entity (``None`` included), the share predicted exactly.

Mistakes are printed for the tune half only: the test half is scored, never inspected.

Speed: ``pii_f1.speed`` — a 1M-row, 16-column table classified ``--repeat`` times with the model
already loaded (warm), interleaved with baselines measured in the same run.
Timings are reported, never asserted; the exit status is 1 only if the script fails.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pii_faker_set as faker_set
import pii_labelled as hand
from pii_labelled import LabelledTable
from runs import provenance

from neurolake_lab.compliance.pii import classify_table, load_model


def score(tables: Sequence[LabelledTable]) -> dict[str, Any]:
    """Classify ``tables`` and score every column (see the module docstring)."""
    s_tp = s_fp = s_fn = d_tp = d_fp = d_fn = 0
    both = right = 0
    per_entity: dict[str, list[int]] = {}
    mistakes: list[dict[str, Any]] = []
    seconds = 0.0
    for table in tables:
        data = table.to_arrow()
        t0 = time.perf_counter()
        tags = classify_table(data, column_docs=table.docs(), table_name=table.name)
        seconds += time.perf_counter() - t0
        for col in table.columns:
            pred, label = tags[col.name].entity, col.label
            key = label or "(none)"
            counts = per_entity.setdefault(key, [0, 0])
            counts[1] += 1
            counts[0] += pred == label
            s_tp += label is not None and pred == label
            s_fp += pred is not None and pred != label
            s_fn += label is not None and pred != label
            d_tp += label is not None and pred is not None
            d_fp += label is None and pred is not None
            d_fn += label is not None and pred is None
            if label is not None and pred is not None:
                both += 1
                right += pred == label
            if pred != label:
                mistakes.append(
                    {
                        "column": f"{table.name}.{col.name}",
                        "label": label,
                        "predicted": pred,
                        "score": tags[col.name].score,
                        "note": col.note,
                        "values": [str(v) for v in col.values if v is not None][:3],
                    }
                )
    total = sum(c[1] for c in per_entity.values())
    return {
        "tables": len(tables),
        "columns": total,
        "pii_columns": sum(c[1] for k, c in per_entity.items() if k != "(none)"),
        "accuracy": sum(c[0] for c in per_entity.values()) / total if total else 1.0,
        "strict": _prf(s_tp, s_fp, s_fn),
        "detection": _prf(d_tp, d_fp, d_fn),
        "right_entity": right / both if both else 1.0,
        "per_entity": {k: {"correct": c[0], "total": c[1]} for k, c in sorted(per_entity.items())},
        "mistakes": mistakes,
        "seconds": seconds,
    }


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def report(title: str, q: dict[str, Any], *, show_mistakes: bool) -> None:
    s, d = q["strict"], q["detection"]
    print(f"\n{title}: {q['columns']} columns ({q['pii_columns']} PII) in {q['tables']} tables")
    print(
        f"  strict    P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}   "
        f"accuracy {q['accuracy']:.3f}"
    )
    print(f"  detection P {d['precision']:.3f}  R {d['recall']:.3f}  F1 {d['f1']:.3f}")
    print(f"  right entity {q['right_entity']:.3f}   ({q['seconds']:.1f} s)")
    print("  per entity: " + ", ".join(
        f"{k} {v['correct']}/{v['total']}" for k, v in q["per_entity"].items()
    ))  # fmt: skip
    if show_mistakes:
        for m in q["mistakes"]:
            print(
                f"    {m['column']}: label {m['label']}, predicted {m['predicted']} "
                f"[{m['note']}] e.g. {m['values'][:2]}"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=faker_set.ROWS, help="rows per Faker table")
    ap.add_argument("--seed", type=int, default=faker_set.SEED, help="seed of the Faker set")
    ap.add_argument("--big-rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-speed", action="store_true", help="skip the 1M-row timing")
    ap.add_argument("--tune-only", action="store_true", help="score the tune half only (tuning)")
    ap.add_argument(
        "--extra-seed",
        type=int,
        help="also score every table of the set drawn with this seed, as more tuning data",
    )
    ap.add_argument("--json", type=Path, help="write every number to this file")
    args = ap.parse_args()
    print(provenance())
    print("result cache: not used (no session: classify_table on Arrow tables)")

    out: dict[str, Any] = {"python": platform.python_version()}
    if args.no_speed:
        t0 = time.perf_counter()
        load_model()
        out["model_load_seconds"] = time.perf_counter() - t0
    else:
        import pii_f1

        out["speed"] = pii_f1.speed(args.big_rows, args.repeat)  # first: it times the load

    splits = faker_set.split_tables(args.rows, args.seed)
    out["tune"] = score(splits["tune"])
    if not args.tune_only:
        out["test"] = score(splits["test"])
    out["hand"] = score(hand.labelled_tables(hand.ROWS, hand.SEED))
    if args.extra_seed is not None:
        out["extra"] = score(faker_set.faker_tables(args.rows, args.extra_seed))

    print(f"PII column classifier — Faker set seed {args.seed}, {args.rows} rows per table")
    report("tune half", out["tune"], show_mistakes=True)
    if "test" in out:
        report("TEST half (scored, not inspected)", out["test"], show_mistakes=False)
    report("hand-written set (pii_labelled.py)", out["hand"], show_mistakes=True)
    if "extra" in out:
        report(
            f"seed {args.extra_seed}, all tables (tuning data)", out["extra"], show_mistakes=True
        )
    if "speed" in out:
        sp = out["speed"]
        print(
            f"\nmodel load {sp['model_load_seconds']:.2f} s; {sp['rows']:,} rows x "
            f"{sp['columns']} columns, median of {args.repeat} (warm):"
        )
        for key, sec in sp["median_seconds"].items():
            print(f"  {key:<52} {sec * 1000:9.1f} ms")
    if args.json:
        if "test" in out:
            out["test"] = {k: v for k, v in out["test"].items() if k != "mistakes"}
        args.json.write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
