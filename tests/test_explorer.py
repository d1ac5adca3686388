"""The result explorer: paging, sorting, filtering and statistics over a real query's result."""

from __future__ import annotations

import doctest
import re
from html import unescape
from typing import Any

import pyarrow as pa
import pytest

from neurolake_lab import explorer
from neurolake_lab.exceptions import UsageError
from neurolake_lab.explorer import Explorer, ResultPager
from neurolake_lab.session import Session

BIG = """
SELECT range AS id, ['DE', 'FR', 'JP', NULL][range % 4 + 1] AS country,
       (range * 7919 % 1000) / 10.0 AS amount, DATE '2026-01-01' + (range % 365)::INT AS day
FROM range(200000)
"""


def body_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1]
    return [re.findall(r"<td>(.*?)</td>", row) for row in body.split("</tr>") if "<td>" in row]


def widget_strings(widget: Any) -> list[str]:
    """Every string value held by the explorer's widgets (what the browser receives)."""
    out = []
    stack = [widget]
    while stack:
        w = stack.pop()
        stack.extend(getattr(w, "children", ()))
        value = getattr(w, "value", None)
        if isinstance(value, str):
            out.append(value)
    return out


def test_doctests() -> None:
    assert doctest.testmod(explorer).failed == 0


def test_explorer_pages_a_big_result_and_ships_one_page(session: Session) -> None:
    result = session.sql(BIG)
    ex = result.explore(page_size=25)
    assert isinstance(ex, Explorer)
    rows = body_rows(ex.table.value)
    assert len(rows) == 25 and [r[0] for r in rows[:3]] == ["0", "1", "2"]
    assert "rows 1 to 25 of 200,000" in ex.position.value and "page 1 of 8,000" in ex.position.value
    # nothing the widgets hold comes near the whole result: one page plus the statistics
    shipped = sum(len(s) for s in widget_strings(ex.widget))
    assert shipped < 20_000
    assert ex.buttons["previous"].disabled and not ex.buttons["next"].disabled
    ex.next()
    assert body_rows(ex.table.value)[0][0] == "25"
    ex.last()
    assert body_rows(ex.table.value)[-1][0] == "199999" and ex.buttons["next"].disabled
    ex.page_size.value = 200
    assert len(body_rows(ex.table.value)) == 200 and "page 1,000 of 1,000" in ex.position.value


def test_sort_filter_and_stats_follow_the_controls(session: Session) -> None:
    ex = session.sql(BIG).explore(page_size=50)
    ex.sort("amount", descending=True)
    rows = body_rows(ex.table.value)
    assert rows[0][2] == "99.9" and "sorted by amount ↓" in ex.header.value
    ex.filter("country", "=", "JP")
    assert "50,000 where country = 'JP'" in unescape(ex.header.value)
    rows = body_rows(ex.table.value)
    best_jp = max((i * 7919 % 1000) / 10 for i in range(200000) if i % 4 == 2)
    assert {r[1] for r in rows} == {"JP"} and rows[0][2] == str(best_jp)  # still sorted
    ex.show_stats("amount")
    assert "<th style='text-align:left'>rows</th><td>50,000</td>" in ex.stats.value
    ex.filter("country", "is null")
    assert {r[1] for r in body_rows(ex.table.value)} == {"NULL"}
    ex.filter("day", "≥", "2026-12-30")
    assert ex.pager.view_rows == sum(1 for i in range(200000) if i % 365 >= 363)
    ex.clear_filter()
    assert ex.pager.view_rows == 200000 and "where" not in ex.header.value


def test_bad_filter_is_named_and_changes_nothing(session: Session) -> None:
    ex = session.sql(BIG).explore()
    ex.filter("country", "=", "FR")
    before = ex.table.value
    ex.filter("amount", ">", "lots")
    assert "'lots' is not a value of column 'amount' (double)" in unescape(ex.status.value)
    assert ex.table.value == before and ex.pager.filter_desc == "country = 'FR'"


def test_pager_statistics_and_errors() -> None:
    table = pa.table({"s": ["a", "b", "a", None], "n": [1, 2, 3, None], "l": [[1], [2], [], None]})
    pager = ResultPager(table, page_size=3)
    stats = pager.stats("s")
    assert stats["nulls"] == 1 and stats["distinct"] == 2 and stats["top"][0] == ("a", 2)
    stats = pager.stats("n")
    assert (stats["min"], stats["max"], stats["mean"]) == (1, 3, 2.0)
    assert pager.stats("l")["rows"] == 4  # nested: counts only, no error
    with pytest.raises(UsageError, match="cannot be sorted"):
        pager.sort("l")
    with pytest.raises(UsageError, match="no column 'x'"):
        pager.filter("x", "=", "1")
    with pytest.raises(UsageError, match="page size"):
        pager.set_page_size(10_000)
    pager.filter("s", "contains", "A")  # case-insensitive
    assert pager.page(5).rows.column("n").to_pylist() == [1, 3]  # clamped to the last page


def test_sql_explore_magic_keeps_the_result(ip: Any) -> None:
    ex = ip.run_cell("%%sql --explore -o big\n" + BIG).result
    assert isinstance(ex, Explorer) and len(ex.result) == 200000
    assert ip.user_ns["big"] is ex.result
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "showing 20 of 200,000 rows" in bundle["text/plain"]
    error = ip.run_cell("%%sql --explore --chart\nSELECT 1").error_in_exec
    assert isinstance(error, UsageError) and "choose one" in str(error)
