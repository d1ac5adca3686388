"""The ``%%nl`` evaluation: four schemas, their question sets, and how an answer is judged.

Each set (``tests/nl/data/eval/<schema>.jsonl``) holds answerable questions with reference SQL
and unanswerable ones (``"answerable": false``), each in the ``dev`` or the ``test`` split (a
quarter of each kind, chosen by a hash of the id when the set was written, before any tuning).
Two more files per schema hold whole sets: ``<schema>.later.jsonl`` (dev questions written after
the first tuning round) and ``<schema>.test2.jsonl``, a second held-out set written after the
planner was tuned by someone who never read the planner or the other sets; every question in it
is in the test split, and its failures are never printed (:data:`SEALED_SETS`).
An answer to an answerable question is *correct* when its result set matches the reference's (or
an ``alt_sql``'s) as :func:`tests.support.nl_accuracy.result_match` compares them, *wrong* when it
runs but does not match, *refused* when the planner declines with a
:class:`~neurolake_lab.exceptions.NeuroLakeError` (a refusal or a question back). For an
unanswerable question the right outcome is a refusal; anything it answers is wrong.

Relative time windows in the reference SQL of the schemas whose data ends in the past (TPC-H,
``klinik``, ``flt``) are anchored to the latest date of the column they filter, as the product
says it reads them; the retail demo's data runs up to today, so its windows use ``current_date``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.nl_accuracy import load_items, result_match

DATA = Path(__file__).resolve().parents[1] / "nl" / "data" / "eval"


def _retail(session: Any) -> None:
    from neurolake_lab.demo import load_retail

    load_retail(session, seed=7)


def _tpch(session: Any) -> None:
    from tests.support.tpch_data import load_tpch_commented

    load_tpch_commented(session)


def _klinik(session: Any) -> None:
    from tests.support.klinik_data import load_klinik

    load_klinik(session)


def _flights(session: Any) -> None:
    from tests.support.flights_data import load_flights

    load_flights(session)


#: schema name -> loader (into an open session)
SCHEMAS: dict[str, Callable[[Any], None]] = {
    "retail": _retail,
    "tpch": _tpch,
    "klinik": _klinik,
    "flights": _flights,
}


#: the question sets of each schema, in the order they are run
SETS = ("dev", "later", "dev2", "dev3", "dev4", "dev5", "dev6", "test", "test2")
#: sets tuned on (every set that is not held out)
TUNING = ("dev", "later", "dev2", "dev3", "dev4", "dev5", "dev6")
#: sets that measure and are never tuned on: the script lists no failures of them by default
HELD_OUT = ("test", "test2")
#: held-out sets whose failures are never printed at all, not even with ``--show-test``; their
#: per-question outcomes go to a JSON file under ``test-artifacts/`` only
SEALED_SETS = ("test2",)
#: sets kept in a file of their own (``<schema>.<set>.jsonl``) rather than split per question
_OWN_FILE = ("later", "dev2", "dev3", "dev4", "dev5", "dev6", "test2")


def questions(schema: str, split: str | None = None) -> list[dict[str, Any]]:
    """The questions of one schema's set (of one split, or all of ``<schema>.jsonl``).

    ``split`` is ``dev`` or ``test`` (the two splits of ``<schema>.jsonl``), ``later``, ``dev2``,
    ``dev3``, ``dev4``, ``dev5`` or ``dev6`` (dev questions written after each tuning round, to find new
    failure modes without touching the test split) or ``test2`` (the second held-out set).
    ``dev`` does not include the later ones. A ``test2`` file holding a question outside the test split is refused: a held-out file
    must stay held out as a whole.
    """
    if split in _OWN_FILE:
        path = DATA / f"{schema}.{split}.jsonl"
        items = load_items(path)
        stray = [str(i.get("id")) for i in items if split in HELD_OUT and i.get("split") != "test"]
        if stray:
            raise ValueError(
                f"{path.name} is a held-out set: every question must be in the test split, "
                f"and {', '.join(stray)} is not"
            )
        return items
    if split not in (None, "dev", "test"):
        raise ValueError(f"unknown question set {split!r}: use one of {', '.join(SETS)}")
    items = load_items(DATA / f"{schema}.jsonl")
    return [i for i in items if split is None or i["split"] == split]


@dataclass
class Outcome:
    """How one question went: ``correct``, ``wrong``, ``refused`` or ``error`` (a failure that
    is neither an answer nor a refusal: an LLM that never wrote valid SQL, a bad setting)."""

    item: dict[str, Any]
    verdict: str
    detail: str = ""
    sql: str = ""
    explanation: str = ""
    ms: float = 0.0

    @property
    def answerable(self) -> bool:
        """Whether the question has a reference answer."""
        return bool(self.item.get("answerable", True))


def judge(session: Any, item: dict[str, Any], mode: str | None = "offline") -> Outcome:
    """Ask ``item``'s question standing alone and judge the answer."""
    from neurolake_lab.exceptions import NeuroLakeError, PlanningError

    t0 = time.perf_counter()
    try:
        answer = session.ask(item["question"], mode=mode, learn=False)
    except PlanningError as exc:  # a refusal, or a question back
        ms = (time.perf_counter() - t0) * 1000
        return Outcome(item, "refused", f"{type(exc).__name__}: {str(exc)[:200]}", ms=ms)
    except NeuroLakeError as exc:  # anything else failed: neither an answer nor a refusal
        ms = (time.perf_counter() - t0) * 1000
        return Outcome(item, "error", f"{type(exc).__name__}: {str(exc)[:200]}", ms=ms)
    ms = (time.perf_counter() - t0) * 1000
    sql = " ".join(answer.sql.split())
    if not item.get("answerable", True):
        return Outcome(item, "wrong", "answered an unanswerable question", sql,
                       answer.explanation, ms)  # fmt: skip
    pred = answer.result.arrow()
    golds = [session.sql(s).arrow() for s in [item["sql"], *item.get("alt_sql", [])]]
    good = any(result_match(g, pred, item) for g in golds)
    detail = "" if good else f"{pred.num_rows} rows, columns {pred.column_names}"
    return Outcome(item, "correct" if good else "wrong", detail, sql, answer.explanation, ms)


@dataclass
class Summary:
    """Counts for one schema and split."""

    answerable: int = 0
    correct: int = 0
    wrong: int = 0
    refused: int = 0
    unanswerable: int = 0
    refused_right: int = 0
    errors: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        """Count one outcome."""
        self.outcomes.append(o)
        self.errors += o.verdict == "error"
        if o.answerable:
            self.answerable += 1
            self.correct += o.verdict == "correct"
            self.wrong += o.verdict == "wrong"
            self.refused += o.verdict == "refused"
        else:
            self.unanswerable += 1
            self.refused_right += o.verdict == "refused"

    @property
    def accuracy(self) -> float:
        """Correct answers among answerable questions."""
        return self.correct / self.answerable if self.answerable else 0.0

    @property
    def wrong_rate(self) -> float:
        """Answered but wrong, among answerable questions."""
        return self.wrong / self.answerable if self.answerable else 0.0

    @property
    def refusal_rate(self) -> float:
        """Refused, among unanswerable questions."""
        return self.refused_right / self.unanswerable if self.unanswerable else 0.0

    def line(self) -> str:
        """One line of figures."""
        return (
            f"accuracy {self.correct}/{self.answerable} ({100 * self.accuracy:.0f}%), "
            f"answered-but-wrong {self.wrong}/{self.answerable} ({100 * self.wrong_rate:.0f}%), "
            f"refused {self.refused}; correct refusals {self.refused_right}/{self.unanswerable} "
            f"({100 * self.refusal_rate:.0f}%)" + (f"; errors {self.errors}" if self.errors else "")
        )

    def to_json(self) -> dict[str, Any]:
        """Figures and per-question outcomes."""
        return {
            "answerable": self.answerable, "correct": self.correct, "wrong": self.wrong,
            "refused": self.refused, "unanswerable": self.unanswerable,
            "refused_right": self.refused_right, "errors": self.errors,
            "outcomes": [{"id": o.item["id"], "verdict": o.verdict, "detail": o.detail,
                          "sql": o.sql, "ms": round(o.ms, 1)} for o in self.outcomes],
        }  # fmt: skip


def evaluate(session: Any, items: list[dict[str, Any]], mode: str | None = "offline") -> Summary:
    """Judge every question of ``items``."""
    summary = Summary()
    for item in items:
        summary.add(judge(session, item, mode))
    return summary


def check_gold(session: Any, items: list[dict[str, Any]]) -> list[str]:
    """Problems with reference SQL: failing queries, empty results, ties at a LIMIT's edge."""
    import sqlglot
    from sqlglot import exp

    problems = []
    for item in items:
        for sql in [item.get("sql"), *item.get("alt_sql", [])]:
            if not sql:
                continue
            try:
                table = session.sql(sql).arrow()
            except Exception as exc:  # report every broken reference, not just the first
                problems.append(f"{item['id']}: {type(exc).__name__}: {exc}")
                continue
            if table.num_rows == 0 or all(v is None for v in table.column(0).to_pylist()):
                problems.append(f"{item['id']}: empty result")
            tree = sqlglot.parse_one(sql, read="duckdb")
            limit = tree.args.get("limit")
            if limit is not None and tree.args.get("order") is not None:
                n = int(limit.expression.name)
                tree.set("limit", None)
                rows = session.sql(tree.sql(dialect="duckdb")).arrow()
                order = tree.args["order"].expressions[0].this
                key = order.alias_or_name if isinstance(order, exp.Column) else None
                col = key if key in rows.column_names else rows.column_names[-1]
                values = rows.column(col).to_pylist()
                if len(values) > n and values[n - 1] == values[n]:
                    problems.append(f"{item['id']}: tie at the LIMIT {n} edge ({values[n]})")
    return problems
