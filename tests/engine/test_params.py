import pytest

from neurolake_lab.engine.params import colon_to_dollar


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT :a", "SELECT $a"),
        ("SELECT x::INT FROM t WHERE y = :y_1", "SELECT x::INT FROM t WHERE y = $y_1"),
        ("SELECT ':not_me', \":nor_me\"", "SELECT ':not_me', \":nor_me\""),
        ("SELECT l[i:j], {'k': v} FROM t", "SELECT l[i:j], {'k': v} FROM t"),
        ("SELECT {'k':v}", "SELECT {'k':v}"),
        ("SELECT $already", "SELECT $already"),
        ("SELECT 1 -- comment :x\n, :z", "SELECT 1 -- comment :x\n, $z"),
        ("SELECT : a", "SELECT : a"),
    ],
)
def test_colon_placeholders_become_dollar(sql: str, expected: str) -> None:
    assert colon_to_dollar(sql) == expected
