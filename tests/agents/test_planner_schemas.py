"""The planner on schemas loaded the way an analyst loads them: no keys, abbreviated names,
codes explained in comments, data that ends in the past (``tests/support/klinik_data.py``,
``flights_data.py``). Each test checks one mechanism against the real data."""

from __future__ import annotations

import datetime as dt
import doctest
from collections.abc import Iterator

import pytest

import neurolake_lab
from neurolake_lab.agents import orchestrator_for
from neurolake_lab.exceptions import PlanningError, QueryError
from neurolake_lab.session import Session

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def flights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    from tests.support.flights_data import load_flights

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEUROLAKE_LLM", "offline")
        with neurolake_lab.connect(tmp_path_factory.mktemp("flt")) as s:
            load_flights(s)
            yield s


def test_keys_are_inferred_from_names_types_and_data(flights: Session) -> None:
    view = orchestrator_for(flights).context().planner_view()
    edges = {(e.child, e.columns, e.parent, e.role) for e in view.graph.edges}
    assert ("flt.flt_leg", ("orig_arpt_cd",), "flt.arpt", "orig") in edges
    assert ("flt.flt_leg", ("dest_arpt_cd",), "flt.arpt", "dest") in edges
    assert ("flt.flt_leg", ("tail_no",), "flt.acft", "") in edges
    assert view.graph.keys["flt.carr"] == ("carr_cd",)
    # a numeric column whose values are not keys of another table is no reference
    assert not any(e.columns == ("pax_cnt",) for e in view.graph.edges)


def test_the_words_around_a_value_pick_the_reference(flights: Session) -> None:
    answer = flights.ask("How many flights went from Atlanta to Dallas in 2024?")
    assert "orig_arpt_cd" in answer.sql and "dest_arpt_cd" in answer.sql
    gold = flights.sql(
        "SELECT count(*) FROM flt.flt_leg WHERE orig_arpt_cd = 'ATL' AND dest_arpt_cd = 'DFW' "
        "AND flt_dt >= DATE '2024-01-01' AND flt_dt < DATE '2025-01-01'"
    ).arrow()
    assert answer.result.arrow().column(0).to_pylist() == gold.column(0).to_pylist()


def test_an_undecided_reference_is_refused_not_guessed(flights: Session) -> None:
    with pytest.raises(PlanningError, match="orig_arpt_cd or dest_arpt_cd"):
        flights.ask("Number of flights per airport city")


def test_relative_windows_count_back_from_the_data(flights: Session) -> None:
    answer = flights.ask("How many flights were cancelled last month?")
    assert "DATE '2025-03-31'" in answer.sql  # the data ends 2025-03-31, not today
    assert "latest" in answer.explanation and "2025-03-31" in answer.explanation
    gold = flights.sql(
        "SELECT count(*) FROM flt.flt_leg WHERE cncl_flg AND flt_dt >= DATE '2025-02-01' "
        "AND flt_dt < DATE '2025-03-01'"
    ).arrow()
    assert answer.result.arrow().column(0).to_pylist() == gold.column(0).to_pylist()


def test_codes_explained_in_a_comment_are_values(flights: Session) -> None:
    answer = flights.ask("Security cancellations per airline")
    assert "cncl_rsn_cd = 'D'" in answer.sql
    assert "'Security' -> cncl_rsn_cd is 'D'" in answer.explanation


def _count(session: Session, sql: str) -> list[object]:
    return session.sql(sql).arrow().column(0).to_pylist()


def test_a_year_or_later_is_a_date_and_a_unit_names_its_column(flights: Session) -> None:
    # "2025 or later" on the flights' own date, not on a number that happens to be near it
    answer = flights.ask("How many flights were flown in 2025 or later?")
    assert "flt_dt >= '2025-01-01'" in answer.sql and "dist_mi" not in answer.sql
    assert answer.result.arrow().column(0).to_pylist() == _count(
        flights, "SELECT count(*) FROM flt.flt_leg WHERE flt_dt >= DATE '2025-01-01'"
    )
    earlier = flights.ask("How many flights in 2024 or earlier?")
    assert "flt_dt < '2025-01-01'" in earlier.sql
    # a column of years is compared as a number
    built = flights.ask("How many aircraft were built in 2010 or later?")
    assert "mfg_yr >= 2010" in built.sql
    # "miles" names the distance column, the one measured in miles; the count stays a count
    longer = flights.ask("How many flights were longer than 2000 miles?")
    assert "dist_mi > 2000" in longer.sql and "HAVING" not in longer.sql.upper()
    assert longer.result.arrow().column(0).to_pylist() == _count(
        flights, "SELECT count(*) FROM flt.flt_leg WHERE dist_mi > 2000"
    )


def test_an_irregular_past_is_a_verb_not_a_column(flights: Session) -> None:
    # "flew" matches the description of the tail number ("aircraft that flew the leg"); counting
    # distinct tail numbers would answer another question
    with pytest.raises(PlanningError):
        flights.ask("How many flights flew longer than 2000 miles?")


def test_a_part_read_but_not_used_is_a_refusal(flights: Session) -> None:
    with pytest.raises(PlanningError, match=r"not used in the answer|did not understand"):
        flights.ask("Which gates had the most departures at JFK?")


def test_set_tblproperties_declares_keys(tmp_path_factory: pytest.TempPathFactory) -> None:
    with neurolake_lab.connect(tmp_path_factory.mktemp("keys")) as s:
        s.sql("CREATE TABLE shop.kunde AS SELECT range AS knr, 'x' || range AS name FROM range(5)")
        s.sql("CREATE TABLE shop.auftrag AS SELECT range AS anr, range % 5 AS kunde_ref, "
              "10.0 * range AS betrag FROM range(20)")  # fmt: skip
        with pytest.raises(PlanningError):  # no name says auftrag.kunde_ref -> kunde.knr
            s.ask("Total betrag per kunde name", mode="offline")
        s.sql("ALTER TABLE shop.kunde SET TBLPROPERTIES ('neurolake.primary_key' = 'knr')")
        s.sql("ALTER TABLE shop.auftrag SET TBLPROPERTIES "
              "('neurolake.foreign_keys' = 'kunde_ref -> kunde(knr)')")  # fmt: skip
        answer = s.ask("Total betrag per kunde name", mode="offline")
        assert "JOIN shop.kunde" in answer.sql and len(answer.result) == 5
        with pytest.raises(QueryError, match="no column nope"):
            s.sql("ALTER TABLE shop.auftrag SET TBLPROPERTIES "
                  "('neurolake.foreign_keys' = 'nope -> kunde(knr)')")  # fmt: skip
        with pytest.raises(QueryError, match=r"no table shop\.missing"):
            s.sql("ALTER TABLE shop.auftrag SET TBLPROPERTIES "
                  "('neurolake.foreign_keys' = 'kunde_ref -> missing(knr)')")  # fmt: skip


def test_the_planners_doctests() -> None:
    from neurolake_lab.agents.planner import docs, graph, linker, tokens
    from neurolake_lab.lakehouse import keys

    for module in (docs, graph, linker, tokens, keys):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_stale_data_is_judged_by_its_namespace(flights: Session) -> None:
    view = orchestrator_for(flights).context().planner_view()
    assert view.anchor("flt.flt_leg.flt_dt") == dt.date(2025, 3, 31)
    assert view.anchor("flt.flt_leg.sched_dep_ts") == dt.date(2025, 3, 31)
