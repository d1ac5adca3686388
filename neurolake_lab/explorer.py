"""The result explorer: page, sort, filter and profile a result too big to show.

``%%sql --explore`` and ``QueryResult.explore()`` show it. The whole result stays in the kernel as
the Arrow table the query returned; the browser only ever receives the page on screen (at most
:data:`MAX_PAGE_SIZE` rows) and the statistics of one column. :class:`ResultPager` is the logic
(pyarrow.compute: filter, sort indices, take), :class:`Explorer` the ipywidgets around it.

Nothing here runs SQL: the rows are those the governed query returned, already masked, so the
explorer cannot show more than the cell's result did.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from neurolake_lab.exceptions import UsageError
from neurolake_lab.report import format_ms, preview_rows, rows_html, to_json_value


class Result(Protocol):
    """What the explorer and the chart read of a result (``QueryResult`` has it all).

    A protocol rather than ``QueryResult`` itself: the widgets sit below the result in the
    package's layers (``QueryResult.explore()`` makes them), so they must not import it.
    """

    timings: dict[str, float]
    compliance: dict[str, Any]
    notices: list[str]

    def arrow(self) -> pa.Table: ...  # noqa: D102

    @property
    def columns(self) -> list[str]: ...  # noqa: D102

    def __len__(self) -> int: ...


PAGE_SIZES = (25, 50, 100, 200)
MAX_PAGE_SIZE = max(PAGE_SIZES)
#: filter operators and what they need: (label, needs a value)
OPERATORS: dict[str, bool] = {
    "=": True,
    "≠": True,
    "<": True,
    "≤": True,
    ">": True,
    "≥": True,
    "contains": True,
    "starts with": True,
    "is null": False,
    "is not null": False,
}
_COMPARE = {
    "=": "equal",
    "≠": "not_equal",
    "<": "less",
    "≤": "less_equal",
    ">": "greater",
    "≥": "greater_equal",
}


@dataclass(frozen=True)
class Page:
    """One page of the (filtered, sorted) result: its rows and where it sits."""

    rows: pa.Table
    number: int  # 0-based
    count: int  # pages in the view
    start: int  # 0-based index of the first row in the view
    view_rows: int  # rows after the filter


class ResultPager:
    """Filter, sort and page an Arrow table without copying more than a page out of it.

    >>> pager = ResultPager(pa.table({"n": [3, 1, 2], "s": ["c", "a", "b"]}), page_size=2)
    >>> pager.sort("n")
    >>> pager.page(0).rows.to_pydict()
    {'n': [1, 2], 's': ['a', 'b']}
    >>> pager.filter("s", "≠", "a")
    >>> pager.page(0).rows.column("n").to_pylist(), pager.view_rows
    ([2, 3], 2)
    """

    def __init__(self, table: pa.Table, page_size: int = 50) -> None:
        self.table = table
        self.page_size = _page_size(page_size)
        self.sort_column: str | None = None
        self.descending = False
        self.filter_desc: str | None = None
        self._view = table
        self._order: pa.Array[Any] | None = None  # indices into the view, when sorted

    @property
    def view_rows(self) -> int:
        """Rows left after the filter."""
        return int(self._view.num_rows)

    @property
    def page_count(self) -> int:
        """Pages in the view (at least one, even when it is empty)."""
        return max(1, math.ceil(self.view_rows / self.page_size))

    def set_page_size(self, size: int) -> None:
        """Rows per page (one of :data:`PAGE_SIZES` or anything up to :data:`MAX_PAGE_SIZE`)."""
        self.page_size = _page_size(size)

    def page(self, number: int) -> Page:
        """Page ``number`` (0-based, clamped to the pages there are)."""
        number = min(max(number, 0), self.page_count - 1)
        start = number * self.page_size
        stop = min(start + self.page_size, self.view_rows)
        if self._order is None:
            rows = self._view.slice(start, stop - start)
        else:
            rows = self._view.take(self._order.slice(start, stop - start))
        return Page(rows, number, self.page_count, start, self.view_rows)

    def sort(self, column: str | None, descending: bool = False) -> None:
        """Order the view by ``column`` (``None``: the query's own order); NULLs come last."""
        if column is not None:
            self._column(column)
            try:
                order = "descending" if descending else "ascending"
                self._order = _sort_indices(self._view, column, order)
            except pa.ArrowException:
                raise UsageError(
                    f"column {column!r} cannot be sorted (its type is "
                    f"{self.table.schema.field(column).type})"
                ) from None
        else:
            self._order = None
        self.sort_column, self.descending = column, descending

    def filter(self, column: str, op: str, value: str = "") -> None:
        """Keep the rows where ``column op value`` holds (replaces the previous filter).

        ``value`` is text as typed, converted to the column's type; a value that does not fit
        the column is a :class:`UsageError` naming both, and the view stays as it was.
        """
        mask = self._mask(column, op, value)
        self._view = self.table.filter(mask)
        self.filter_desc = f"{column} {op}" + (f" {value!r}" if OPERATORS[op] else "")
        self.sort(self.sort_column, self.descending)

    def clear_filter(self) -> None:
        """Show every row again (the sort stays)."""
        self._view = self.table
        self.filter_desc = None
        self.sort(self.sort_column, self.descending)

    def _column(self, name: str) -> pa.ChunkedArray[Any]:
        if name not in self.table.column_names:
            names = ", ".join(self.table.column_names)
            raise UsageError(f"no column {name!r} in the result ({names})")
        return self.table.column(name)

    def _mask(self, column: str, op: str, value: str) -> Any:
        col = self._column(column)
        if op not in OPERATORS:
            raise UsageError(f"unknown filter operator {op!r} (one of {', '.join(OPERATORS)})")
        if op == "is null":
            return pc.is_null(col)
        if op == "is not null":
            return pc.is_valid(col)
        if op in ("contains", "starts with"):
            try:
                text = pc.cast(col, pa.string())
            except pa.ArrowException:
                raise UsageError(
                    f"{op!r} needs a column that reads as text; {column!r} is {col.type}"
                ) from None
            match = pc.match_substring if op == "contains" else pc.starts_with
            found: Any = match(text, value, ignore_case=True)
            return pc.fill_null(found, False)
        target = col.type
        try:
            scalar = pa.scalar(value).cast(
                pa.string() if pa.types.is_large_string(target) else target
            )
        except pa.ArrowException:
            raise UsageError(f"{value!r} is not a value of column {column!r} ({target})") from None
        return pc.fill_null(getattr(pc, _COMPARE[op])(col, scalar), False)

    def stats(self, column: str) -> dict[str, Any]:
        """Statistics of ``column`` over the filtered view: nulls, distinct, range, mean, top."""
        self._column(column)
        col = self._view.column(column)
        typ = col.type
        out: dict[str, Any] = {
            "column": column,
            "type": str(typ),
            "rows": len(col),
            "nulls": col.null_count,
        }
        try:
            out["distinct"] = pc.count_distinct(col, mode="only_valid").as_py()
        except pa.ArrowException:
            return out  # nested types: counts only
        if _orderable(typ) and len(col) > col.null_count:
            bounds = pc.min_max(col)
            out["min"], out["max"] = bounds["min"].as_py(), bounds["max"].as_py()
        if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
            numbers = pc.cast(col, pa.float64())
            out["mean"] = pc.mean(numbers).as_py()
            out["stddev"] = pc.stddev(numbers, ddof=1).as_py() if len(col) > 1 else None
        if not pa.types.is_floating(typ) and out["distinct"] < len(col) - col.null_count:
            counts: list[Any] = pc.value_counts(col.drop_null()).to_pylist()  # type: ignore[misc]
            top = sorted(counts, key=lambda c: -c["counts"])[:5]
            out["top"] = [(c["values"], c["counts"]) for c in top]
        return out


def _sort_indices(table: pa.Table, column: str, order: str) -> pa.Array[Any]:
    """Indices that sort ``table`` by ``column``, NULLs last, on pyarrow before and after 25."""
    sort: Any = pc.sort_indices
    if int(pa.__version__.split(".")[0]) >= 25:  # nulls per sort key; the option is deprecated
        indices: pa.Array[Any] = sort(table, sort_keys=[(column, order, "at_end")])
    else:
        indices = sort(table, sort_keys=[(column, order)], null_placement="at_end")
    return indices


def _page_size(size: int) -> int:
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise UsageError(f"page size must be between 1 and {MAX_PAGE_SIZE}, not {size}")
    return size


def _orderable(typ: pa.DataType) -> bool:
    return not (pa.types.is_nested(typ) or pa.types.is_binary(typ) or pa.types.is_null(typ))


def stats_html(stats: dict[str, Any]) -> str:
    """The statistics of one column as a small two-column HTML table."""

    def fmt(value: Any) -> str:
        value = to_json_value(value)
        if isinstance(value, float):
            return f"{value:,.4g}"
        return f"{value:,}" if isinstance(value, int) else html.escape(str(value))

    rows = [
        ("type", html.escape(stats["type"])),
        ("rows", fmt(stats["rows"])),
        ("nulls", fmt(stats["nulls"])),
    ]
    for key in ("distinct", "min", "max", "mean", "stddev"):
        if stats.get(key) is not None:
            rows.append((key, fmt(stats[key])))
    if stats.get("top"):
        top = "<br>".join(f"{fmt(v)} <small>({n:,})</small>" for v, n in stats["top"])
        rows.append(("most frequent", top))
    body = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='neurolake-stats'><tbody>{body}</tbody></table>"


class Explorer:
    """The ipywidgets explorer of one result: pager controls, the page, column statistics.

    ``first``, ``previous``, ``next``, ``last``, ``sort``, ``filter`` and ``show_stats`` do what
    the controls do, so code (and tests) can drive it without a browser.
    """

    def __init__(self, result: Result, page_size: int = 50) -> None:
        import ipywidgets as w  # type: ignore[import-untyped]

        self.result = result
        self.pager = ResultPager(result.arrow(), page_size)
        self.number = 0
        names = result.columns
        self.header = w.HTML()
        self.status = w.HTML()
        self.table = w.HTML(layout=w.Layout(overflow_x="auto"))
        self.table.add_class("jp-RenderedHTMLCommon")  # JupyterLab's own table style
        nav = {
            key: w.Button(icon=icon, tooltip=tip, layout=w.Layout(width="36px"))
            for key, icon, tip in (
                ("first", "step-backward", "First page"),
                ("previous", "chevron-left", "Previous page"),
                ("next", "chevron-right", "Next page"),
                ("last", "step-forward", "Last page"),
            )
        }
        self.buttons = nav
        nav["first"].on_click(lambda _: self.first())
        nav["previous"].on_click(lambda _: self.previous())
        nav["next"].on_click(lambda _: self.next())
        nav["last"].on_click(lambda _: self.last())
        self.position = w.Label()
        self.page_size = w.Dropdown(
            options=list(PAGE_SIZES),
            value=self.pager.page_size if self.pager.page_size in PAGE_SIZES else PAGE_SIZES[1],
            description="rows",
            layout=w.Layout(width="130px"),
        )
        self.page_size.observe(lambda ch: self._resize(ch["new"]), names="value")
        self.sort_by = w.Dropdown(
            options=[("(query order)", None)] + [(n, n) for n in names],
            description="sort",
            layout=w.Layout(width="220px"),
        )
        self.sort_dir = w.ToggleButtons(
            options=[("↑", False), ("↓", True)], style={"button_width": "32px"}
        )
        self.sort_by.observe(lambda _: self._apply_sort(), names="value")
        self.sort_dir.observe(lambda _: self._apply_sort(), names="value")
        self.filter_column = w.Dropdown(
            options=names, description="filter", layout=w.Layout(width="220px")
        )
        self.filter_op = w.Dropdown(options=list(OPERATORS), layout=w.Layout(width="110px"))
        self.filter_value = w.Text(placeholder="value", layout=w.Layout(width="160px"))
        self.filter_value.continuous_update = False
        apply_button = w.Button(description="Apply", icon="filter")
        clear_button = w.Button(description="Clear", icon="times")
        apply_button.on_click(lambda _: self._apply_filter())
        clear_button.on_click(lambda _: self.clear_filter())
        self.stats_column = w.Dropdown(
            options=names, description="statistics", layout=w.Layout(width="260px")
        )
        self.stats = w.HTML()
        self.stats_column.observe(lambda ch: self.show_stats(ch["new"]), names="value")
        self.widget = w.VBox(
            [
                self.header,
                w.HBox([*nav.values(), self.position, self.page_size]),
                w.HBox([self.sort_by, self.sort_dir]),
                w.HBox(
                    [
                        self.filter_column,
                        self.filter_op,
                        self.filter_value,
                        apply_button,
                        clear_button,
                    ]
                ),
                self.status,
                self.table,
                w.HBox([self.stats_column]),
                self.stats,
            ]
        )
        self._render()
        if names:
            self.show_stats(names[0])

    # -- what the controls do -------------------------------------------------------------
    def first(self) -> None:
        """Go to the first page."""
        self.goto(0)

    def previous(self) -> None:
        """Go one page back."""
        self.goto(self.number - 1)

    def next(self) -> None:
        """Go one page on."""
        self.goto(self.number + 1)

    def last(self) -> None:
        """Go to the last page."""
        self.goto(self.pager.page_count - 1)

    def goto(self, number: int) -> None:
        """Show page ``number`` (0-based, clamped)."""
        self.number = min(max(number, 0), self.pager.page_count - 1)
        self._render()

    def sort(self, column: str | None, descending: bool = False) -> None:
        """Sort by ``column`` (``None``: the query's order) and go to the first page."""
        self.sort_by.value, self.sort_dir.value = column, descending  # observers apply it

    def filter(self, column: str, op: str, value: str = "") -> None:
        """Filter as the filter row does and go to the first page."""
        self.filter_column.value, self.filter_op.value = column, op
        self.filter_value.value = value
        self._apply_filter()

    def clear_filter(self) -> None:
        """Remove the filter."""
        self.pager.clear_filter()
        self.number = 0
        self.status.value = ""
        self._render()

    def show_stats(self, column: str) -> None:
        """Show the statistics of ``column`` over the filtered rows."""
        self.stats.value = stats_html(self.pager.stats(column))

    # -- internals --------------------------------------------------------------------------
    def _resize(self, size: int) -> None:
        first_row = self.number * self.pager.page_size
        self.pager.set_page_size(size)
        self.goto(first_row // size)

    def _apply_sort(self) -> None:
        self._attempt(lambda: self.pager.sort(self.sort_by.value, self.sort_dir.value))

    def _apply_filter(self) -> None:
        self._attempt(
            lambda: self.pager.filter(
                self.filter_column.value, self.filter_op.value, self.filter_value.value
            )
        )
        if self.stats_column.value:
            self.show_stats(self.stats_column.value)

    def _attempt(self, change: Any) -> None:
        """Apply a control's change; a bad one is named in the status line, nothing else moves."""
        try:
            change()
        except UsageError as exc:
            self.status.value = error_html(str(exc))
            return
        self.status.value = ""
        self.number = 0
        self._render()

    def _render(self) -> None:
        page = self.pager.page(self.number)
        self.number = page.number
        total = len(self.result)
        parts = [f"{total:,} row" + ("" if total == 1 else "s")]
        if self.pager.filter_desc:
            parts.append(f"{page.view_rows:,} where {self.pager.filter_desc}")
        if self.pager.sort_column:
            arrow = "↓" if self.pager.descending else "↑"
            parts.append(f"sorted by {self.pager.sort_column} {arrow}")
        ms = self.result.timings.get("total_ms")
        if ms:
            parts.append(format_ms(ms))
        self.header.value = (
            "<b>"
            + html.escape(" · ".join(parts))
            + "</b>"
            + "".join(f"<br><small>{html.escape(w)}</small>" for w in _warnings(self.result))
        )
        last = page.start + page.rows.num_rows
        self.position.value = (
            f"rows {page.start + 1:,} to {last:,} of {page.view_rows:,} · "
            f"page {page.number + 1:,} of {page.count:,}"
            if page.rows.num_rows
            else "no rows"
        )
        self.buttons["first"].disabled = self.buttons["previous"].disabled = page.number == 0
        self.buttons["next"].disabled = self.buttons["last"].disabled = (
            page.number >= page.count - 1
        )
        rows = preview_rows(page.rows, page.rows.num_rows)
        self.table.value = rows_html(page.rows.column_names, rows)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        # front ends without widgets (nbviewer, GitHub) still see the result's report as text
        bundle["text/plain"] = repr(self.result)
        return bundle


def error_html(message: str) -> str:
    """A one-line error for a widget's status line, in JupyterLab's error colour."""
    return f"<span style='color:var(--jp-error-color1)'>{html.escape(message)}</span>"


def _warnings(result: Result) -> list[str]:
    """What compliance said about the rows, plus the cell's notices."""
    comp = result.compliance or {}
    masked = [m.get("column", "?") for m in comp.get("masked", [])]
    lines = [f"masked: {', '.join(masked)}"] if masked else []
    lines += [str(w) for w in comp.get("warnings", [])]
    return lines + list(result.notices)
