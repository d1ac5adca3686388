"""DataEngineerAgent.build_pipeline: analyse, design, compliance, generate, dry run, deploy, monitor."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.agents import pipeline_builder
from neurolake_lab.session import Session

STEPS = ["analyse", "design", "compliance", "generate", "dry run", "deploy", "monitor"]


@pytest.fixture
def lake(session: Session) -> Session:
    session.sql("CREATE TABLE shop.orders AS SELECT range AS order_id, range * 2 AS amount, "
                "'c' || (range % 3) AS customer FROM range(9)")  # fmt: skip
    session.sql(
        "CREATE TABLE crm.people AS SELECT * FROM (VALUES (1, 'Ann Smith', 'ann@example.com', "
        "'FR'), (2, 'Bob Jones', 'bob@example.org', 'DE')) t(id, full_name, email, country)"
    )
    return session


def scratch_tables(session: Session) -> list[str]:
    session.lakehouse.refresh(session.engine.con)
    return [n for _, n in session.lakehouse.pointers if n.startswith("__nl_dryrun")]


def test_the_doctests_hold() -> None:
    assert doctest.testmod(pipeline_builder).failed == 0


def test_a_question_becomes_a_merge_pipeline_step_by_step(lake: Session) -> None:
    build = lake.pipelines.build("number of orders per customer", "mart.per_customer",
                                 schedule="every 1h")  # fmt: skip
    assert [s.name for s in build.steps] == STEPS and build.ok, str(build)
    assert all(s.status == "ok" for s in build.steps)
    assert "planner" in build.steps[0].detail and build.steps[0].data["sources"] == ["shop.orders"]
    assert build.steps[1].data["mode"] == "merge" and build.steps[1].data["key"] == ["customer"]
    dry = build.steps[4].data
    assert (dry["sample_rows"], dry["written"], dry["rerun_written"]) == (3, 3, 0)
    p = build.pipeline
    assert p is not None and p.question == "number of orders per customer"
    assert p.mode == "merge" and p.key == ["customer"] and p.schedule == "every 1h"
    assert build.run is not None and build.run.trigger == "build" and build.run.rows_written == 3
    assert "count(*)" in p.sql.lower() and "<table>" in build._repr_html_()
    assert scratch_tables(lake) == []


def test_personal_data_is_masked_in_what_it_writes_unless_kept(lake: Session) -> None:
    build = lake.pipelines.build("SELECT id, email, country FROM crm.people", "mart.contacts")
    compliance = build.steps[2]
    assert compliance.status == "fixed" and compliance.data["masked"] == ["crm.people.email"]
    assert build.pipeline is not None and build.pipeline.no_pii == "mask"
    emails = lake.sql("SELECT email FROM mart.contacts").arrow().column(0).to_pylist()
    assert emails and not any("@" in e for e in emails)
    kept = lake.pipelines.build("SELECT id, email FROM crm.people", "mart.clear", keep_pii=True)
    assert kept.steps[2].status == "ok" and "keep_pii" in kept.steps[2].detail
    assert "ann@example.com" in lake.sql("SELECT email FROM mart.clear").arrow()[0].to_pylist()


def test_a_sources_unique_key_becomes_the_merge_key(lake: Session) -> None:
    lake.set_quality("crm.people", unique=["id"])
    build = lake.pipelines.build("SELECT id AS person, country FROM crm.people", "mart.people")
    assert build.steps[1].data["key"] == ["person"] and build.pipeline is not None
    assert build.pipeline.mode == "merge"


def test_the_dry_run_catches_a_key_that_is_not_one_and_nothing_is_deployed(lake: Session) -> None:
    build = lake.pipelines.build("SELECT customer, amount FROM shop.orders", "mart.bad",
                                 mode="merge", key="customer")  # fmt: skip
    assert [s.name for s in build.steps][-1] == "dry run" and not build.ok
    assert build.steps[-1].status == "failed" and "more than one row" in build.steps[-1].detail
    assert lake.pipelines.list() == [] and scratch_tables(lake) == []


def test_a_question_the_planner_cannot_map_stops_at_analyse(lake: Session) -> None:
    build = lake.pipelines.build("which employees got a raise last spring", "mart.x")
    assert [s.status for s in build.steps] == ["failed"] and build.pipeline is None


def test_a_policy_refusal_stops_the_build(lake: Session, workspace: Path) -> None:
    (workspace / "policies.yaml").write_text(
        "rules:\n  - name: no-email\n    users: [bob]\n    columns: [crm.people.email]\n"
        "    action: deny\n"
    )
    with neurolake_lab.connect(workspace, user="bob") as bob:
        build = bob.pipelines.build("SELECT id, email FROM crm.people", "bob.contacts")
        assert build.steps[-1].status == "failed" and build.pipeline is None
        assert "email" in build.steps[-1].detail
        assert bob.pipelines.list() == []
