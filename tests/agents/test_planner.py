"""The offline planner: what SQL it writes, what it refuses to guess, and the definitions it reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import neurolake_lab
from neurolake_lab.agents import orchestrator_for
from neurolake_lab.agents.planner import plan
from neurolake_lab.agents.planner.semantics import load_semantics
from neurolake_lab.exceptions import PlanningError
from neurolake_lab.session import Session
from tests.support.nl_accuracy import load_items, score

DATA = Path(__file__).resolve().parents[1] / "nl" / "data"


def planned(session: Session, question: str) -> str:
    orch = orchestrator_for(session)
    context = orch.context()
    _, sql, _ = plan(question, context.planner_view(), context.index.pii_columns)
    return " ".join(sql.split())


def test_revenue_follows_the_semantic_definitions(retail: Session) -> None:
    total = planned(retail, "Total revenue")
    assert "SUM(o.total_amount)" in total and "NOT o.status IN ('cancelled', 'returned')" in total
    # per category the order total cannot be split: the items' definition, joined to orders
    per_category = planned(retail, "Revenue per category last month")
    assert "SUM(oi.quantity * oi.unit_price * (1 - oi.discount))" in per_category
    assert "JOIN retail.orders AS o" in per_category and "o.order_date >=" in per_category


def test_joins_only_along_foreign_keys_and_never_fan_out(retail: Session) -> None:
    sql = planned(retail, "Number of orders per customer segment")
    assert (
        "FROM retail.orders AS o JOIN retail.customers AS c ON o.customer_id = c.customer_id" in sql
    )
    anti = planned(retail, "Which products have never been ordered?")
    # products to orders goes through order lines, as a NOT EXISTS (no join multiplying rows)
    assert (
        "NOT EXISTS (SELECT 1 FROM retail.order_items AS oi WHERE oi.product_id = p.product_id)"
        in anti
    )
    count = planned(retail, "Customers with more than 20 orders")
    assert (
        "(SELECT count(*) FROM retail.orders AS o WHERE o.customer_id = c.customer_id) > 20"
        in count
    )


def test_remove_pii_drops_every_pii_column(retail: Session) -> None:
    sql = planned(retail, "Show me customers who churned last month, remove PII")
    for column in ("full_name", "email", "phone", "street_address", "date_of_birth",
                   "credit_card_number", "last_login_ip"):  # fmt: skip
        assert column not in sql
    assert "c.customer_id, c.city, c.country, c.segment" in sql


def test_remove_pii_uses_the_tags_of_a_classified_table(hr: Session) -> None:
    sql = planned(hr, "List senior employees without PII")
    assert "full_name" not in sql and "work_email" not in sql and "birth_date" not in sql
    assert "base_salary" in sql  # tagged as not PII: kept (the name guess would have hidden it)


@pytest.mark.parametrize(
    "question,words",
    [
        ("How many wombats are there?", ["wombats"]),
        ("Average customer happiness per country", ["happiness"]),
        ("Orders shipped to Atlantis", ["Atlantis"]),
    ],
)
def test_what_it_cannot_map_it_says_and_never_guesses(
    retail: Session, question: str, words: list[str]
) -> None:
    with pytest.raises(PlanningError) as info:
        retail.ask(question)
    err = info.value
    for word in words:
        assert word in err.message
    assert err.suggestions, "the closest tables and columns are offered"
    assert all(s.startswith("retail.") for s in err.suggestions)
    assert "Closest tables and columns" in (err.hint or "")


def test_quoted_values_are_looked_up_in_the_data(retail: Session) -> None:
    city = retail.sql("SELECT city FROM retail.customers GROUP BY city ORDER BY count(*) LIMIT 1")
    name = city.arrow().column(0)[0].as_py()
    answer = retail.ask(f"How many customers live in '{name}'?")
    expected = retail.sql(f"SELECT count(*) FROM retail.customers WHERE city = '{name}'")
    assert answer.arrow().column(0)[0].as_py() == expected.arrow().column(0)[0].as_py()


def test_workspace_definitions_win_and_bad_ones_are_reported(tmp_path: Path) -> None:
    from neurolake_lab.demo import load_retail

    with neurolake_lab.connect(tmp_path) as s:
        load_retail(s, scale=0.05, seed=3)
        (tmp_path / "semantics.yaml").write_text(
            "metrics:\n"
            "  - name: revenue\n"
            "    synonyms: [sales]\n"
            "    definitions:\n"
            "      - table: retail.orders\n"
            "        expression: sum(total_amount)\n"
            "        filter: status = 'delivered'\n"
            "  - name: broken\n"
            "    definitions:\n"
            "      - table: retail.orders\n"
            "        expression: sum(\n"
            "filters:\n"
            "  - name: vip\n"
            "    table: retail.customers\n"
            "    condition: segment = 'enterprise'\n"
        )
        context = orchestrator_for(s).context()
        sem = load_semantics(context.snapshot, tmp_path)
        assert [d.filter for d in sem.metric("revenue").definitions] == ["status = 'delivered'"]
        assert any("broken" in p for p in sem.problems)
        answer = s.ask("How many vip customers?")
        assert "segment = 'enterprise'" in answer.sql
        sales = s.ask("Total sales")
        assert "status = 'delivered'" in sales.sql


def test_the_hr_schema_it_has_never_seen(hr: Session) -> None:
    result = score(hr, load_items(DATA / "hr_questions.jsonl"))
    assert result.accuracy >= 0.85, result.failures
    paraphrases = score(hr, load_items(DATA / "hr_questions_paraphrase.jsonl"))
    assert paraphrases.accuracy >= 0.85, paraphrases.failures


def test_hr_headcount_uses_the_workspace_semantics(hr: Session) -> None:
    sql = " ".join(hr.ask("Headcount per region").sql.split())
    assert "e.left_on IS NULL" in sql and "GROUP BY d.region" in sql


def test_intent_is_structured(retail: Session) -> None:
    answer = retail.ask("Top 5 products by revenue", execute=False)
    intent = answer.intent
    assert intent.action == "aggregate"
    assert intent.entity == "retail.products"
    assert [m.metric for m in intent.measures] == ["revenue"]
    assert intent.limit == 5 and intent.order[0].descending
    data = intent.to_dict()
    json.dumps(data)  # JSON as the report carries it
    assert data["measures"][0]["metric"] == "revenue"
    churned = retail.ask("Show me customers who churned last month, remove PII", execute=False)
    assert churned.intent.transformations == ["remove_pii"]
    assert churned.intent.window is not None
    assert churned.intent.window.column == "retail.customers.churned_at"
    assert "last month" in churned.explanation and "PII" in churned.explanation
