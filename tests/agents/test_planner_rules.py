"""Reading rules of the offline planner added for the dev6 batch, each on the real data.

Each test names one general rule (no schema's words are in the planner) and checks it on a
schema where it matters: the object of a negated verb with a value in between, a list that must
show what it lists, an age at an event, a plural that is not a name's modifier, half-years.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import neurolake_lab
from neurolake_lab.agents import orchestrator_for
from neurolake_lab.agents.planner.timewindow import find_windows
from neurolake_lab.agents.planner.tokens import tokenize
from neurolake_lab.exceptions import PlanningError
from neurolake_lab.session import Session

pytestmark = pytest.mark.slow


def _session(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Session]:
    from tests.support import nl_eval

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEUROLAKE_LLM", "offline")
        with neurolake_lab.connect(tmp_path_factory.mktemp(name), result_cache=False) as s:
            nl_eval.SCHEMAS[name](s)
            yield s


@pytest.fixture(scope="module")
def tpch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    yield from _session(tmp_path_factory, "tpch")


@pytest.fixture(scope="module")
def klinik(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    yield from _session(tmp_path_factory, "klinik")


@pytest.fixture(scope="module")
def flights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    yield from _session(tmp_path_factory, "flights")


def _same(session: Session, question: str, gold: str) -> str:
    answer = session.ask(question, mode="offline", learn=False)
    got = answer.result.arrow().column(0).to_pylist()
    want = session.sql(gold).arrow().column(0).to_pylist()
    assert got == pytest.approx(want), answer.sql
    return " ".join(answer.sql.split())


def test_a_value_between_a_negated_verb_and_its_object_describes_the_object(
    tpch: Session,
) -> None:
    # one order that is urgent, not "some order" and "no urgent order"
    sql = _same(
        tpch,
        "How many customers have never placed a 1-URGENT order?",
        "SELECT count(*) FROM tpch.customer c WHERE NOT EXISTS (SELECT 1 FROM tpch.orders o "
        "WHERE o.o_custkey = c.c_custkey AND o.o_orderpriority = '1-URGENT')",
    )
    assert sql.count("EXISTS") == 1


def test_a_listed_table_must_be_shown_even_with_a_count_in_the_sentence(tpch: Session) -> None:
    with pytest.raises(PlanningError, match="'nations' was asked for"):
        tpch.ask("list the nations in AFRICA with their number of suppliers", mode="offline")
    # a count that starts its own sentence replaces the list ("... Count them.")
    answer = tpch.ask("Which nations are in EUROPE? Count them.", mode="offline", learn=False)
    assert answer.result.arrow().column(0).to_pylist() == [5]


def test_an_age_at_an_event_is_measured_at_the_events_date(klinik: Session) -> None:
    gold = (
        "SELECT avg(date_part('year', age(f.aufn_ts, p.geb_dt::TIMESTAMP))) FROM klinik.fall f "
        "JOIN klinik.patient p ON f.pat_id = p.pat_id"
    )
    sql = _same(klinik, "Average age at admission", gold)
    assert "current_date" not in sql.lower()
    _same(klinik, "average age of patients at admission", gold)
    # no date of death: refused, never today's age
    with pytest.raises(PlanningError, match="'age at death': no date of that event"):
        klinik.ask("Average age at death", mode="offline")
    # without an event the age is still today's
    assert "CURRENT_DATE" in klinik.ask("average age of female patients", mode="offline").sql


def test_a_plural_is_not_the_modifier_of_a_columns_name(retail: Session, flights: Session) -> None:
    view = orchestrator_for(retail).context().planner_view()
    best = max(view.phrases.lookup(tokenize("units")), key=lambda c: c.score)
    assert best.target == "retail.order_items.quantity"  # not the "unit" of unit_price
    # a count's name: "seats" names seat_cnt ("Number of seats")
    view = orchestrator_for(flights).context().planner_view()
    best = max(view.phrases.lookup(tokenize("seats")), key=lambda c: c.score)
    assert best.target == "flt.acft.seat_cnt"
    sql = retail.ask("Top 3 products by units sold", mode="offline", learn=False).sql
    assert "quantity" in sql and "unit_price" not in sql


@pytest.mark.parametrize(
    "text,bounds",
    [
        ("in the first half of 2025", ("DATE '2025-01-01'", "DATE '2025-01-01' + INTERVAL 6 MONTH")),
        ("during the second half of 2024",
         ("DATE '2024-07-01'", "DATE '2024-07-01' + INTERVAL 6 MONTH")),
        ("in H2 2024", ("DATE '2024-07-01'", "DATE '2024-07-01' + INTERVAL 6 MONTH")),
    ],
)  # fmt: skip
def test_half_years_are_windows(text: str, bounds: tuple[str, str]) -> None:
    assert [(w.lower, w.upper) for w in find_windows(tokenize(text), set())] == [bounds]


def test_durations_compared_in_words(retail: Session, klinik: Session) -> None:
    # "took more than 3 days to resolve": a condition on the time to the event, not a measure
    _same(
        retail,
        "How many tickets took more than 3 days to resolve?",
        "SELECT count(*) FROM retail.support_tickets WHERE epoch(resolved_at - opened_at) > 259200",
    )
    # "within 24 hours": at most that long after the row started
    _same(
        retail,
        "How many tickets were resolved within 24 hours?",
        "SELECT count(*) FROM retail.support_tickets WHERE epoch(resolved_at - opened_at) <= 86400",
    )
    # "longer than a week" is one week; a time window may sit between the rows and the verb
    _same(
        klinik,
        "How many emergency stays in Q1 2025 lasted longer than a week?",
        "SELECT count(*) FROM klinik.fall WHERE aufn_art_cd = 'N' AND aufn_ts >= DATE '2025-01-01' "
        "AND aufn_ts < DATE '2025-04-01' AND epoch(entl_ts - aufn_ts) > 7 * 86400",
    )


def test_one_date_of_a_row_after_another(tpch: Session) -> None:
    _same(
        tpch,
        "How many line items were received after the commit date?",
        "SELECT count(*) FROM tpch.lineitem WHERE l_receiptdate > l_commitdate",
    )
    # two dates (no time of day) subtract to days
    _same(
        tpch,
        "How many line items were received more than 20 days after they shipped?",
        "SELECT count(*) FROM tpch.lineitem WHERE l_receiptdate - l_shipdate > 20",
    )
    # dates of two tables are not compared (refused, not guessed)
    with pytest.raises(PlanningError):
        tpch.ask("How many line items were shipped more than 100 days after the order date?",
                 mode="offline")  # fmt: skip
