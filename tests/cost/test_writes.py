"""Predicted writes: what a CTAS or INSERT stores, and the PII classification it runs (issue 18)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap

import pytest

from neurolake_lab.compliance.tagging import read_tags
from neurolake_lab.cost import CostModel
from neurolake_lab.cost.estimate import StatementEstimate
from neurolake_lab.cost.features import (
    CLASSIFY_COLUMN_UNITS,
    CLASSIFY_ROW_UNITS,
    PII_MODEL_LOAD_UNITS,
    analytic_units,
    classify_units,
)
from neurolake_lab.lakehouse.metadata_files import read_properties
from neurolake_lab.session import Session


def estimate(session: Session, sql: str) -> StatementEstimate:
    model = CostModel(session.settings.workspace)
    prediction = model.predict(session.query, sql)
    assert prediction.predicted_ms is not None
    return prediction.statements[-1]


def without_classification(est: StatementEstimate) -> float:
    """The same estimate's milliseconds had the write classified nothing."""
    fig = dataclasses.replace(est.figures, classified_columns=0, loads_pii_model=False)
    return analytic_units(fig) * fig.probe_ms


def stored_sources(session: Session, table: tuple[str, str]) -> dict[str, str]:
    """Where each column's stored PII tag came from (``carried``: copied from a PII column)."""
    location = session.lakehouse.pointers[table]
    return {c: t.source for c, t in read_tags(read_properties(location)).items()}


def test_a_ctas_prediction_includes_the_classification_its_write_runs(own_copy: Session) -> None:
    """A CTAS classifies every text column of its new table (a 200-row sample each): that time is
    in its prediction. An INSERT into the table, now tagged, classifies nothing and predicts
    none of it."""
    s = own_copy
    s.sql("CREATE SCHEMA IF NOT EXISTS scratch")
    ctas = estimate(s, "CREATE TABLE scratch.li AS SELECT * FROM tpch.lineitem")
    fig = ctas.figures
    # l_returnflag, l_linestatus, l_shipinstruct, l_shipmode, l_comment
    assert fig.classified_columns == 5 and fig.classify_rows == 200
    assert fig.write_cells == fig.rows_out * 16 and fig.write_text_cells == fig.rows_out * 5
    per_column = CLASSIFY_COLUMN_UNITS + CLASSIFY_ROW_UNITS * 200
    term = classify_units(fig) - (PII_MODEL_LOAD_UNITS if fig.loads_pii_model else 0.0)
    assert term == pytest.approx(5 * per_column)
    assert ctas.analytic_ms - without_classification(ctas) == pytest.approx(
        classify_units(fig) * fig.probe_ms
    )
    s.sql("CREATE TABLE scratch.li AS SELECT * FROM tpch.lineitem")
    assert set(stored_sources(s, ("scratch", "li"))) >= {"l_comment", "l_shipmode"}
    insert = estimate(s, "INSERT INTO scratch.li SELECT * FROM tpch.lineitem LIMIT 100")
    assert insert.figures.classified_columns == 0 and classify_units(insert.figures) == 0
    assert insert.analytic_ms == pytest.approx(without_classification(insert))
    assert insert.figures.write_text_cells == insert.figures.rows_out * 5


def test_columns_that_carry_a_pii_tag_are_not_classified(own_copy: Session) -> None:
    """A column copied from a PII column takes its tag instead of being classified: the
    prediction counts only the text columns the write really classifies."""
    s = own_copy
    s.sql("CREATE SCHEMA IF NOT EXISTS scratch")
    sql = "CREATE TABLE scratch.people AS SELECT * FROM retail.customers"
    predicted = estimate(s, sql).figures.classified_columns
    s.sql(sql)
    sources = stored_sources(s, ("scratch", "people"))
    text = {
        r["column_name"]
        for r in s.sql("DESCRIBE retail.customers").arrow().to_pylist()
        if r["column_type"] == "VARCHAR"
    }
    carried = {c for c in text if sources.get(c) == "carried"}
    assert carried and "email" in carried  # the demo's PII: carried, not classified again
    assert predicted == len(text - carried) > 0


def test_an_insert_into_a_table_created_empty_classifies(own_copy: Session) -> None:
    """A table created with columns and no rows has no tags: its first INSERT classifies the
    text columns it fills, and integers named like phone numbers (patterns); the next INSERT
    classifies nothing."""
    s = own_copy
    s.sql("CREATE SCHEMA IF NOT EXISTS scratch")
    s.sql("CREATE TABLE scratch.calls (id BIGINT, note VARCHAR, phone BIGINT, later VARCHAR)")
    sql = (
        "INSERT INTO scratch.calls (id, note, phone) "
        "SELECT o_orderkey, o_comment, o_custkey + 4915112345678 FROM tpch.orders LIMIT 500"
    )
    first = estimate(s, sql).figures
    assert first.classified_columns == 2  # note, phone; 'later' stays NULL
    assert first.classify_rows == 200 and classify_units(first) > 0
    s.sql(sql)
    assert {"note", "phone"} <= set(stored_sources(s, ("scratch", "calls")))
    again = estimate(s, sql).figures
    assert again.classified_columns == 0 and classify_units(again) == 0


def test_the_first_classification_of_a_process_includes_loading_presidio(
    own_copy: Session,
) -> None:
    """A kernel that has not classified anything yet loads Presidio and the spaCy model on its
    first write: that write's prediction has the load in it, the next one does not."""
    ws = own_copy.settings.workspace
    script = textwrap.dedent(
        f"""
        import json
        import neurolake_lab
        from neurolake_lab.cost import CostModel
        from neurolake_lab.cost.features import classify_units
        from neurolake_lab.cost.writes import pii_model_loaded

        out = {{}}
        with neurolake_lab.connect({str(ws)!r}, learn_costs=False) as s:
            model = CostModel(s.settings.workspace)
            s.sql("CREATE SCHEMA IF NOT EXISTS fresh")
            sql = "CREATE TABLE fresh.nation AS SELECT * FROM tpch.nation"
            fig = model.predict(s.query, sql).statements[-1].figures
            out["before"] = [pii_model_loaded(), fig.loads_pii_model, classify_units(fig)]
            s.sql(sql)
            sql = "CREATE TABLE fresh.region AS SELECT * FROM tpch.region"
            fig = model.predict(s.query, sql).statements[-1].figures
            out["after"] = [pii_model_loaded(), fig.loads_pii_model, classify_units(fig)]
        print(json.dumps(out))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["before"][:2] == [False, True] and out["after"][:2] == [True, False]
    assert out["before"][2] - PII_MODEL_LOAD_UNITS == pytest.approx(
        2 * (CLASSIFY_COLUMN_UNITS + CLASSIFY_ROW_UNITS * 25)  # n_name, n_comment: 25 rows
    )
    assert out["after"][2] == pytest.approx(2 * (CLASSIFY_COLUMN_UNITS + CLASSIFY_ROW_UNITS * 5))
