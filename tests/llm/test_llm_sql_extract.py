"""Taking the SQL out of a model's reply."""

from __future__ import annotations

import pytest

from neurolake_lab.exceptions import LLMOutputError
from neurolake_lab.llm import extract_sql


@pytest.mark.parametrize(
    ("reply", "sql"),
    [
        ("```sql\nSELECT 1\n```", "SELECT 1"),
        (
            "Here is the query:\n\n```sql\nSELECT name\nFROM customers;\n```\n\nIt lists names.",
            "SELECT name\nFROM customers",
        ),
        ("```SQL\nselect 2;\n```", "select 2"),
        ("```duckdb\nFROM orders LIMIT 3\n```", "FROM orders LIMIT 3"),
        # untagged fence that holds SQL; a python fence before it is skipped
        (
            "```python\ncon.sql('SELECT 9')\n```\n```\n-- count\nSELECT count(*) FROM t\n```",
            "-- count\nSELECT count(*) FROM t",
        ),
        # the first SQL block wins
        ("```sql\nSELECT a FROM t\n```\nor\n```sql\nSELECT b FROM t\n```", "SELECT a FROM t"),
        # a truncated reply with an unclosed fence
        ("```sql\nSELECT a, b\nFROM t", "SELECT a, b\nFROM t"),
        # plain SQL
        (
            "SELECT country, count(*) FROM customers GROUP BY country",
            "SELECT country, count(*) FROM customers GROUP BY country",
        ),
        (
            "  WITH x AS (SELECT 1 AS a) SELECT a FROM x;  ",
            "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
        ),
        # leading prose, trailing explanation
        (
            "Sure! Here's how:\nSELECT max(total) FROM orders;\nThis finds the largest order.",
            "SELECT max(total) FROM orders",
        ),
        ("The answer is SELECT count(*) FROM t; it counts rows.", "SELECT count(*) FROM t"),
        ("Select the right table first.\nSELECT id FROM t\nThat's it.", "SELECT id FROM t"),
        ("SELECT 'it''s; fine' AS s FROM t", "SELECT 'it''s; fine' AS s FROM t"),
        ("SELECT a -- pick a; not b\nFROM t\n\nThis picks a.", "SELECT a -- pick a; not b\nFROM t"),
        ("Run `SELECT count(*) FROM t` to count.", "SELECT count(*) FROM t"),
        # reasoning models think first (and may mention SELECT while doing so)
        (
            "<think>maybe SELECT * FROM users? no, orders</think>\n```sql\nSELECT * FROM orders\n```",
            "SELECT * FROM orders",
        ),
        ("<think>I should use SELECT here</think>SELECT id FROM orders", "SELECT id FROM orders"),
    ],
)
def test_extracts_the_query(reply: str, sql: str) -> None:
    assert extract_sql(reply) == sql


def test_sql_that_does_not_parse_is_still_returned_for_validation_to_report() -> None:
    # the model meant this as SQL; validation (not extraction) should name the syntax error
    assert extract_sql("SELECT FROM WHERE orders;") == "SELECT FROM WHERE orders"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        (
            "I cannot answer that: there is no revenue column.",
            "no SQL query: 'I cannot answer that",
        ),
        ("I can't write a SELECT for that, sorry.", "no SQL query"),
        ("```python\nprint('hi')\n```", "no SQL query"),
        ("```sql\n\n```", "no SQL query"),
        ("<think>SELECT 1 would do but the question is unclear", "no SQL query"),
    ],
)
def test_no_sql_is_an_output_error_naming_the_problem(reply: str, message: str) -> None:
    with pytest.raises(LLMOutputError, match=message):
        extract_sql(reply)
