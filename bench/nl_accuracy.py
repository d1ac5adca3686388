"""Execution accuracy and speed of the offline ``%%nl`` path.

Usage:
    PYTHONPATH=. .venv/bin/python bench/nl_accuracy.py [--seed 7] [--scorer PATH] [--json OUT]

* Accuracy: the dev set (``tests/nl/data/nl-dev-questions.jsonl``) and the project's own retail
  sets on the demo loaded at
  ``--seed`` (7 by default; the planner was written against seed 42), and the HR sets on the HR
  schema of ``tests/support/hr_data.py``. Results are compared as the project's scorer does; with
  ``--scorer PATH`` (a scorer module with ``result_match`` and ``leaks_pii``) its own ``result_match`` and PII check are used.
* Speed: for every answered question, the time ``Session.ask`` takes against the time
  ``Session.sql`` takes for the very SQL it produced (the baseline, same run, same data), both
  warm; reported as medians and their ratio. A cold first question (new process, index built) is
  measured separately in a subprocess.

Exit status 1 when any set is below 85%.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runs import cold, invalid, provenance  # noqa: E402

import neurolake_lab  # noqa: E402
from neurolake_lab.demo import load_retail  # noqa: E402
from tests.support import nl_accuracy  # noqa: E402
from tests.support.hr_data import load_hr  # noqa: E402
from tests.support.logistics_data import load_logistics  # noqa: E402

SETS = {
    "dev (retail)": ("retail", ROOT / "tests/nl/data/nl-dev-questions.jsonl"),
    "own retail": ("retail", ROOT / "bench/nl_questions_retail.jsonl"),
    "retail paraphrases": ("retail", ROOT / "bench/nl_questions_paraphrase.jsonl"),
    "retail, written later": ("retail", ROOT / "bench/nl_questions_blind.jsonl"),
    "retail, round 2": ("retail", ROOT / "bench/nl_questions_blind2_retail.jsonl"),
    "own HR": ("hr", ROOT / "tests/nl/data/hr_questions.jsonl"),
    "HR paraphrases": ("hr", ROOT / "tests/nl/data/hr_questions_paraphrase.jsonl"),
    "HR, round 2": ("hr", ROOT / "tests/nl/data/hr_questions_blind2.jsonl"),
    "logistics": ("logistics", ROOT / "tests/nl/data/logistics_questions.jsonl"),
    "logistics, round 2": ("logistics", ROOT / "tests/nl/data/logistics_questions_blind2.jsonl"),
}


def load_scorer(path: str | None) -> Any:
    if not path:
        return None
    spec = importlib.util.spec_from_file_location("nl_eval", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_set(session: Any, items: list[dict[str, Any]], scorer: Any) -> dict[str, Any]:
    ok, failures, ask_ms, sql_ms = 0, [], [], []
    for item in items:
        try:
            t0 = time.perf_counter()
            answer = session.ask(item["question"])
            t1 = time.perf_counter()
            cold(session, answer.executed_sql)
            t2 = time.perf_counter()
            if answer.result is not None and answer.result.cached:
                raise invalid(f"a question was answered by the result cache: {item['question']!r}")
            ask_ms.append((t1 - t0) * 1000)
            sql_ms.append((t2 - t1) * 1000)
            pred = answer.result.arrow()
            golds = [session.sql(item["sql"]).arrow()]
            match = scorer.result_match if scorer else nl_accuracy.result_match
            good = any(match(g, pred, item) for g in golds)
            if good and item.get("no_pii"):
                good = not (scorer.leaks_pii(session, pred) if scorer else nl_accuracy.leaks(
                    session, pred, "retail.customers", nl_accuracy.RETAIL_PII))  # fmt: skip
            if good and item.get("hr_no_pii"):
                good = not nl_accuracy.leaks(session, pred, "hr.employees", nl_accuracy.HR_PII)
            why = "" if good else f"mismatch: {' '.join(answer.sql.split())}"
        except Exception as exc:
            good, why = False, f"{type(exc).__name__}: {str(exc)[:160]}"
        ok += good
        if not good:
            failures.append(f"{item['id']} {item['question']!r}: {why}")
    return {"ok": ok, "total": len(items), "failures": failures, "ask_ms": ask_ms, "sql_ms": sql_ms}


def cold_first_question(workspace: Path) -> float:
    code = (
        f"import time, neurolake_lab; s = neurolake_lab.connect({str(workspace)!r}, "
        "result_cache=False); "
        "s.sql('select 1'); t = time.perf_counter(); s.ask('Number of customers per country'); "
        "print((time.perf_counter() - t) * 1000)"
    )
    env = {"PYTHONPATH": str(ROOT), "NEUROLAKE_LLM": "offline", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--scorer", default=None, help="path of a scorer module (result_match, leaks_pii)"
    )
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    print(provenance())
    print("result cache: off (every query runs; a hit stops the benchmark)")
    import os

    os.environ["NEUROLAKE_LLM"] = "offline"
    scorer = load_scorer(args.scorer)
    sessions: dict[str, Any] = {}
    roots: dict[str, Path] = {}
    t = time.perf_counter()
    roots["retail"] = Path(tempfile.mkdtemp(prefix="nl-bench-retail-"))
    sessions["retail"] = neurolake_lab.connect(roots["retail"], result_cache=False)
    load_retail(sessions["retail"], seed=args.seed)
    roots["hr"] = Path(tempfile.mkdtemp(prefix="nl-bench-hr-"))
    sessions["hr"] = neurolake_lab.connect(roots["hr"], result_cache=False)
    load_hr(sessions["hr"], seed=args.seed)
    roots["logistics"] = Path(tempfile.mkdtemp(prefix="nl-bench-logistics-"))
    sessions["logistics"] = neurolake_lab.connect(roots["logistics"], result_cache=False)
    load_logistics(sessions["logistics"], seed=args.seed)
    print(f"loaded retail (seed {args.seed}), HR and logistics in {time.perf_counter() - t:.1f} s")
    for s in sessions.values():  # build the indexes (first use), so timings below are warm
        t = time.perf_counter()
        with contextlib.suppress(Exception):  # only the index build matters here
            s.ask("How many rows are there?", execute=False)
        print(f"index built in {time.perf_counter() - t:.2f} s")
    results: dict[str, Any] = {}
    failed = False
    all_ask: list[float] = []
    all_sql: list[float] = []
    for name, (schema, path) in SETS.items():
        items = nl_accuracy.load_items(path)
        r = run_set(sessions[schema], items, scorer if schema == "retail" else None)
        results[name] = r
        all_ask += r["ask_ms"]
        all_sql += r["sql_ms"]
        pct = 100.0 * r["ok"] / r["total"]
        failed |= pct < 85 and r["total"] >= 10  # the small round-2 sets are reported only
        print(f"{name:20s} accuracy {r['ok']}/{r['total']} ({pct:.0f}%)")
        for f in r["failures"]:
            print(f"    {f}")
    ask, sql = statistics.median(all_ask), statistics.median(all_sql)
    print(f"median Session.ask {ask:.1f} ms; the same SQL through Session.sql {sql:.1f} ms "
          f"(ratio {ask / sql:.2f}); p90 ask {statistics.quantiles(all_ask, n=10)[-1]:.1f} ms")  # fmt: skip
    cold = cold_first_question(roots["retail"])
    print(f"first question in a new process (index already built): {cold:.0f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps({"seed": args.seed, "sets": results,
                                               "median_ask_ms": ask, "median_sql_ms": sql,
                                               "cold_first_ms": cold}, indent=1))  # fmt: skip
    for s in sessions.values():
        s.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
