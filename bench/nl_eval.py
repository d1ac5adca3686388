"""``%%nl`` evaluation on four schemas: execution accuracy, answered-but-wrong, correct refusals.

Usage:
    .venv/bin/python bench/nl_eval.py [--schemas retail,tpch,klinik,flights] [--mode offline|llm]
                                      [--sets dev,later,dev2,...,dev6,test,test2] [--show-test]
                                      [--check-gold]
                                      [--json OUT] [--strict]

Loads each schema (``tests/support/nl_eval.py``: the retail demo at seed 7, TPC-H sf 0.01 with
``COMMENT ON``, the ``klinik`` and ``flt`` schemas with messy names) into its own temporary
workspace, asks every question of each chosen set standing alone, and reports per schema and set
(``dev``, ``later``, ``dev2`` ... ``dev6``, ``test``, ``test2``): correct answers among answerable questions,
answered-but-wrong among them, and correct refusals among unanswerable ones. Failures are listed
for the dev sets only: the held-out sets are for measuring, never for tuning (``--show-test``
lists the ``test`` split's failures anyway, after a release). The second held-out set,
``test2``, is sealed: its failures are never printed, and its per-question outcomes are written
only to ``test-artifacts/nl_eval_test2_<mode>.json`` (git-ignored; ``--artifacts`` moves it).

``--mode llm`` sends the questions to the OpenAI-compatible endpoint configured by
``NEUROLAKE_LLM_BASE_URL`` (and ``NEUROLAKE_LLM_MODEL``, ``OPENAI_API_KEY``) instead of the offline
planner. ``--check-gold`` only runs the reference SQL of the chosen sets (fails, empty results,
ties at a LIMIT). ``--strict`` exits 1 when a held-out set misses the targets (accuracy >= 85%,
answered-but-wrong <= 3%, correct refusals >= 90%).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runs import no_hits, provenance  # noqa: E402

import neurolake_lab  # noqa: E402
from tests.support import nl_eval  # noqa: E402

TARGETS = {"accuracy": 0.85, "wrong_rate": 0.03, "refusal_rate": 0.90}


def _print_failures(summary: nl_eval.Summary) -> None:
    for o in summary.outcomes:
        if (o.verdict == "correct") or (not o.answerable and o.verdict == "refused"):
            continue
        detail = o.detail.splitlines()[0] if o.detail else ""
        print(f"    [{o.verdict}] {o.item['id']} {o.item['question']!r}: {detail}")
        if o.sql:
            print(f"        {o.sql[:300]}")


def _sets(args: argparse.Namespace) -> list[str]:
    sets = list(nl_eval.TUNING) if args.dev_only else args.sets.split(",")
    unknown = [s for s in sets if s not in nl_eval.SETS]
    if unknown:
        raise SystemExit(f"unknown --sets {', '.join(unknown)}: use {', '.join(nl_eval.SETS)}")
    return sets


def _missed(summary: nl_eval.Summary) -> bool:
    return (
        summary.accuracy < TARGETS["accuracy"]
        or summary.wrong_rate > TARGETS["wrong_rate"]
        or summary.refusal_rate < TARGETS["refusal_rate"]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", default=",".join(nl_eval.SCHEMAS))
    parser.add_argument("--mode", choices=["offline", "llm"], default="offline")
    parser.add_argument("--sets", default=",".join(nl_eval.SETS), help="question sets to run")
    parser.add_argument("--show-test", action="store_true")
    parser.add_argument("--dev-only", action="store_true", help="only the tuning sets")
    parser.add_argument("--check-gold", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--json", default=None)
    parser.add_argument("--artifacts", default=str(ROOT / "test-artifacts"),
                        help="folder for the sealed sets' per-question outcomes")  # fmt: skip
    args = parser.parse_args()
    sets = _sets(args)
    print(provenance())
    print("result cache: off (every query runs; a hit stops the benchmark)")
    if args.mode == "offline":
        os.environ["NEUROLAKE_LLM"] = "offline"
    elif not os.environ.get("NEUROLAKE_LLM_BASE_URL") and not os.environ.get("OPENAI_API_KEY"):
        print("--mode llm needs NEUROLAKE_LLM_BASE_URL (see docs/nl.md)")
        return 2
    results: dict[str, Any] = {}
    sealed: dict[str, Any] = {}
    missed = False
    for schema in args.schemas.split(","):
        root = Path(tempfile.mkdtemp(prefix=f"nl-eval-{schema}-"))
        with neurolake_lab.connect(root, result_cache=False) as session:
            t = time.perf_counter()
            nl_eval.SCHEMAS[schema](session)
            print(f"{schema}: loaded in {time.perf_counter() - t:.1f} s")
            if args.check_gold:
                items = [i for split in sets for i in nl_eval.questions(schema, split)]
                problems = nl_eval.check_gold(session, items)
                print("\n".join(f"    {p}" for p in problems) or "    reference SQL ok")
                continue
            results[schema] = {}
            for split in sets:
                summary = nl_eval.evaluate(session, nl_eval.questions(schema, split), args.mode)
                data = summary.to_json()
                if split in nl_eval.SEALED_SETS:
                    sealed.setdefault(split, {})[schema] = dict(data)
                # held-out sets are measured, never looked at while tuning
                shown = split not in nl_eval.HELD_OUT or (
                    args.show_test and split not in nl_eval.SEALED_SETS
                )
                if not shown:
                    del data["outcomes"]
                results[schema][split] = data
                no_hits(session, f"a question of {schema} {split}")
                print(f"  {split:5s} {summary.line()}")
                if shown:
                    _print_failures(summary)
                missed |= split in nl_eval.HELD_OUT and _missed(summary)
    for split, by_schema in sealed.items():
        out = Path(args.artifacts) / f"nl_eval_{split}_{args.mode}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps({"mode": args.mode, "set": split, "schemas": by_schema}, indent=1)
        )
        print(f"{split}: per-question outcomes are not printed (a sealed held-out set): {out}")
    if args.json:
        Path(args.json).write_text(json.dumps({"mode": args.mode, "schemas": results}, indent=1))
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
