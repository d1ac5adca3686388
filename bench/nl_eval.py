"""``%%nl`` evaluation on four schemas: execution accuracy, answered-but-wrong, correct refusals.

Usage:
    .venv/bin/python bench/nl_eval.py [--schemas retail,tpch,klinik,flights] [--mode offline|llm]
                                      [--show-test] [--check-gold] [--json OUT] [--strict]

Loads each schema (``tests/support/nl_eval.py``: the retail demo at seed 7, TPC-H sf 0.01 with
``COMMENT ON``, the ``klinik`` and ``flt`` schemas with messy names) into its own temporary
workspace, asks every question of its set standing alone, and reports per schema and split
(``dev``, ``test``): correct answers among answerable questions, answered-but-wrong among them,
and correct refusals among unanswerable ones. Failures are listed for the dev split only: the test
split is for measuring, never for tuning (``--show-test`` lists them anyway, after a release).

``--mode llm`` sends the questions to the OpenAI-compatible endpoint configured by
``NEUROLAKE_LLM_BASE_URL`` (and ``NEUROLAKE_LLM_MODEL``, ``OPENAI_API_KEY``) instead of the offline
planner. ``--check-gold`` only runs the reference SQL (fails, empty results, ties at a LIMIT).
``--strict`` exits 1 when a test split misses the targets (accuracy >= 85%, answered-but-wrong
<= 3%, correct refusals >= 90%).
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", default=",".join(nl_eval.SCHEMAS))
    parser.add_argument("--mode", choices=["offline", "llm"], default="offline")
    parser.add_argument("--show-test", action="store_true")
    parser.add_argument("--dev-only", action="store_true", help="skip the test split (tuning)")
    parser.add_argument("--check-gold", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    print(provenance())
    print("result cache: off (every query runs; a hit stops the benchmark)")
    if args.mode == "offline":
        os.environ["NEUROLAKE_LLM"] = "offline"
    elif not os.environ.get("NEUROLAKE_LLM_BASE_URL") and not os.environ.get("OPENAI_API_KEY"):
        print("--mode llm needs NEUROLAKE_LLM_BASE_URL (see docs/nl.md)")
        return 2
    results: dict[str, Any] = {}
    missed = False
    for schema in args.schemas.split(","):
        root = Path(tempfile.mkdtemp(prefix=f"nl-eval-{schema}-"))
        with neurolake_lab.connect(root, result_cache=False) as session:
            t = time.perf_counter()
            nl_eval.SCHEMAS[schema](session)
            print(f"{schema}: loaded in {time.perf_counter() - t:.1f} s")
            if args.check_gold:
                items = nl_eval.questions(schema) + nl_eval.questions(schema, "later")
                problems = nl_eval.check_gold(session, items)
                print("\n".join(f"    {p}" for p in problems) or "    reference SQL ok")
                continue
            results[schema] = {}
            for split in ("dev", "later") if args.dev_only else ("dev", "later", "test"):
                summary = nl_eval.evaluate(session, nl_eval.questions(schema, split), args.mode)
                data = summary.to_json()
                if split == "test" and not args.show_test:
                    del data["outcomes"]  # measured, never looked at while tuning
                results[schema][split] = data
                no_hits(session, f"a question of {schema} {split}")
                print(f"  {split:5s} {summary.line()}")
                if split != "test" or args.show_test:
                    _print_failures(summary)
                if split == "test":
                    missed |= (
                        summary.accuracy < TARGETS["accuracy"]
                        or summary.wrong_rate > TARGETS["wrong_rate"]
                        or summary.refusal_rate < TARGETS["refusal_rate"]
                    )
    if args.json:
        Path(args.json).write_text(json.dumps({"mode": args.mode, "schemas": results}, indent=1))
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
