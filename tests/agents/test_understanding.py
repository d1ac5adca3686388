"""Reading questions: tokens, structure words, time windows, schema linking (retail and HR)."""

from __future__ import annotations

import pytest

from neurolake_lab.agents import orchestrator_for
from neurolake_lab.agents.planner.cues import find_structure
from neurolake_lab.agents.planner.linker import link
from neurolake_lab.agents.planner.timewindow import find_windows
from neurolake_lab.agents.planner.tokens import tokenize
from neurolake_lab.agents.planner.view import PlannerView
from neurolake_lab.session import Session


def view_of(session: Session) -> PlannerView:
    return orchestrator_for(session).context().planner_view()


def windows(text: str) -> list[tuple[str | None, str | None]]:
    return [(w.lower, w.upper) for w in find_windows(tokenize(text), set())]


@pytest.mark.parametrize(
    "text,bounds",
    [
        (
            "churned last month",
            [
                (
                    "date_trunc('month', current_date) - INTERVAL 1 MONTH",
                    "date_trunc('month', current_date)",
                )
            ],
        ),
        (
            "in the previous month",
            [
                (
                    "date_trunc('month', current_date) - INTERVAL 1 MONTH",
                    "date_trunc('month', current_date)",
                )
            ],
        ),
        ("over the last 12 months", [("current_date - INTERVAL 12 MONTH", None)]),
        ("in the last 7 days", [("current_date - INTERVAL 7 DAY", None)]),
        ("over the last year", [("current_date - INTERVAL 1 YEAR", None)]),
        (
            "last year",
            [
                (
                    "date_trunc('year', current_date) - INTERVAL 1 YEAR",
                    "date_trunc('year', current_date)",
                )
            ],
        ),
        (
            "this month",
            [
                (
                    "date_trunc('month', current_date)",
                    "date_trunc('month', current_date) + INTERVAL 1 MONTH",
                )
            ],
        ),
        ("in 2025", [("DATE '2025-01-01'", "DATE '2026-01-01'")]),
        ("in March 2025", [("DATE '2025-03-01'", "DATE '2025-03-01' + INTERVAL 1 MONTH")]),
        ("since 2024-03-01", [("DATE '2024-03-01'", None)]),
        ("today", [("current_date", "current_date + INTERVAL 1 DAY")]),
        ("top 5 products", []),
    ],
)
def test_time_windows_follow_the_conventions(text: str, bounds: list[tuple[str, str]]) -> None:
    assert windows(text) == bounds


def test_tokens() -> None:
    toks = tokenize("Which customers haven't spent $1,200.50 in 'New York'?")
    assert [t.low for t in toks][:4] == ["which", "customers", "have", "not"]
    assert next(t for t in toks if t.kind == "number").value == 1200.5
    assert next(t for t in toks if t.kind == "quoted").low == "new york"
    assert tokenize("top five")[1].value == 5


def test_structure_words() -> None:
    s = find_structure(tokenize("Top 3 products under 20 by revenue, remove PII"))
    assert s.limit is not None and (s.limit.n, s.limit.descending) == (3, True)
    assert [(c.op, c.value) for c in s.comparisons] == [("<", 20)]
    assert s.remove_pii
    assert [c.kind for c in s.cues] == ["group"]
    assert find_structure(tokenize("customers, anonymised")).remove_pii
    assert find_structure(tokenize("list them without personal data")).remove_pii
    assert not find_structure(tokenize("customers without orders")).remove_pii
    grains = find_structure(tokenize("monthly signups and revenue per week")).grains
    assert [g for _, g in grains] == ["month", "week"]


def best(view: PlannerView, text: str) -> list[tuple[str, str, str | None]]:
    out = []
    for m in link(tokenize(text), view.phrases, set()):
        c = m.best()
        if c is not None:
            out.append((c.kind, c.target, c.value))
    return out


def test_linking_reads_the_schema_and_its_docs(retail: Session) -> None:
    view = view_of(retail)
    assert ("table", "retail.support_tickets", None) in best(view, "tickets")
    assert best(view, "clients") == [("table", "retail.customers", None)]  # a synonym
    assert best(view, "Germany") == [("value", "retail.customers.country", "Germany")]
    assert best(view, "small business") == [("value", "retail.customers.segment", "small_business")]
    # "NULL while the ticket is open" in resolved_at's doc: open means resolved_at IS NULL
    assert best(view, "open") == [("state", "retail.support_tickets.resolved_at", "is null")]
    # "Date the order was placed": placed names order_date's event (and a status value)
    kinds = {(c.kind, c.target) for m in link(tokenize("placed"), view.phrases, set())
             for c in m.candidates}  # fmt: skip
    assert ("event", "retail.orders.order_date") in kinds
    assert ("value", "retail.orders.status") in kinds
    # a word that shares a root: "resolution" ~ resolved_at
    assert best(view, "resolution")[0][1] == "retail.support_tickets.resolved_at"
    # values are matched as written: "live" is not Liverpool
    assert all(k != "value" for k, _, _ in best(view, "live"))


def test_linking_an_unseen_schema(hr: Session) -> None:
    view = view_of(hr)
    assert best(view, "employed") == [("state", "hr.employees.left_on", "is null")]
    assert best(view, "former") == [("state", "hr.employees.left_on", "is not null")]
    assert best(view, "ongoing") == [("state", "hr.trainings.completed_on", "is null")]
    assert ("event", "hr.leave_requests.requested_at", None) in best(view, "submitted")
    remote = {(c.kind, c.value) for m in link(tokenize("remote"), view.phrases, set())
              for c in m.candidates}  # fmt: skip
    assert ("state", "is true") in remote  # a boolean column reads as a condition
    assert best(view, "headcount") == [("metric", "headcount", None)]
    # a table whose rows are people (it has a PERSON column)
    assert best(view, "people") == [("table", "hr.employees", None)]
