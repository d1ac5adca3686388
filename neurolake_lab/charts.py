"""Quick charts of a result: ``%%sql --chart`` and ``QueryResult.chart()``.

:func:`choose` picks the chart from the column types — a time and a measure make a line, a
category and a measure a bar, two measures a scatter — and :class:`ChartView` shows it with
controls to switch the kind and the columns. Charts are Vega-Lite specs made by Altair and shown
through the ``application/vnd.vegalite.v5+json`` MIME type, which JupyterLab renders itself: no
front-end build, and nothing fetched from a CDN (Altair's default HTML renderer would).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from neurolake_lab.exceptions import UsageError
from neurolake_lab.explorer import Result, error_html

VEGALITE_MIME = "application/vnd.vegalite.v5+json"
KINDS = ("bar", "line", "scatter")
#: rows drawn at most; a bigger result is cut and the chart says so (aggregate in SQL instead)
MAX_POINTS = 5000


@dataclass(frozen=True)
class ChartSpec:
    """What to draw: the mark, the x and y columns, an optional colour column."""

    kind: str
    x: str
    y: str
    color: str | None = None


def column_role(name: str, typ: pa.DataType) -> str:
    """``time``, ``measure``, ``category`` or ``other`` for one column.

    Integer columns named like keys (``id``, ``*_id``) are categories, not measures.

    >>> column_role("order_date", pa.date32()), column_role("amount", pa.decimal128(10, 2))
    ('time', 'measure')
    >>> column_role("customer_id", pa.int64()), column_role("country", pa.string())
    ('category', 'category')
    """
    if pa.types.is_temporal(typ) and not pa.types.is_duration(typ):
        return "time"
    if pa.types.is_integer(typ) and (name.lower() == "id" or name.lower().endswith("_id")):
        return "category"
    if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return "measure"
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_boolean(typ):
        return "category"
    if pa.types.is_dictionary(typ):
        return "category"
    return "other"


def choose(schema: pa.Schema, kind: str | None = None) -> ChartSpec:
    """The chart for a result with this schema (``kind`` forces the mark).

    >>> choose(pa.schema([("month", pa.date32()), ("revenue", pa.float64())]))
    ChartSpec(kind='line', x='month', y='revenue', color=None)
    >>> choose(pa.schema([("country", pa.string()), ("orders", pa.int64())]))
    ChartSpec(kind='bar', x='country', y='orders', color=None)
    >>> choose(pa.schema([("price", pa.float64()), ("quantity", pa.int32())]))
    ChartSpec(kind='scatter', x='price', y='quantity', color=None)
    """
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown chart kind {kind!r} (one of {', '.join(KINDS)})")
    roles: dict[str, list[str]] = {"time": [], "measure": [], "category": [], "other": []}
    for field in schema:
        roles[column_role(field.name, field.type)].append(field.name)
    times, measures, categories = roles["time"], roles["measure"], roles["category"]
    if not measures:
        raise UsageError(
            "a chart needs a numeric column to draw (columns: "
            f"{', '.join(schema.names) or 'none'}); aggregate in SQL, e.g. count(*)"
        )
    color = None
    if times:
        spec = ChartSpec("line", times[0], measures[0], categories[0] if categories else None)
    elif categories:
        spec = ChartSpec("bar", categories[0], measures[0])
        color = categories[1] if len(categories) > 1 else None
        spec = replace(spec, color=color)
    elif len(measures) >= 2:
        spec = ChartSpec("scatter", measures[0], measures[1])
    else:
        raise UsageError(
            f"one numeric column ({measures[0]}) is not enough for a chart: select a time, a "
            "category or a second number beside it"
        )
    if kind is not None and kind != spec.kind:
        spec = replace(spec, kind=kind)
        if kind == "scatter" and spec.x not in measures:
            others = [m for m in measures if m != spec.y]
            if not others:
                raise UsageError("a scatter chart needs two numeric columns")
            spec = replace(spec, x=others[0])
    return spec


def chart_data(table: pa.Table, spec: ChartSpec) -> tuple[pa.Table, str | None]:
    """The columns the chart draws, as numbers Vega-Lite reads; a note when rows were cut."""
    names = [n for n in dict.fromkeys([spec.x, spec.y, spec.color]) if n is not None]
    data = table.select(names)
    columns = []
    for field, column in zip(data.schema, data.columns, strict=True):
        columns.append(_plottable(field.type, column))
    data = pa.table(columns, names=names)
    note = None
    if data.num_rows > MAX_POINTS:
        note = (
            f"showing the first {MAX_POINTS:,} of {data.num_rows:,} rows: aggregate in SQL "
            "to chart them all"
        )
        data = data.slice(0, MAX_POINTS)
    return data, note


def _plottable(typ: pa.DataType, column: pa.ChunkedArray[Any]) -> pa.ChunkedArray[Any]:
    """A column as Vega-Lite reads it from JSON: decimals as floats, dates as timestamps."""
    if pa.types.is_decimal(typ):
        return column.cast(pa.float64())
    if pa.types.is_date(typ):
        return column.cast(pa.timestamp("ms"))  # pandas datetime64, which Altair writes as ISO
    if pa.types.is_time(typ):
        return column.cast(pa.string())
    return column


def vegalite(table: pa.Table, spec: ChartSpec, title: str | None = None) -> dict[str, Any]:
    """The Vega-Lite spec (data inline) of ``spec`` over ``table``, made with Altair."""
    import altair as alt

    data, note = chart_data(table, spec)
    frame = data.to_pandas()
    roles = {f.name: column_role(f.name, f.type) for f in data.schema}
    types = {"time": "temporal", "measure": "quantitative", "category": "nominal"}

    def channel(name: str) -> str:
        return f"{name}:{types.get(roles[name], 'nominal')[0].upper()}"

    mark = {"bar": "mark_bar", "line": "mark_line", "scatter": "mark_circle"}[spec.kind]
    encoding: dict[str, Any] = {
        "x": alt.X(channel(spec.x)).sort(None) if spec.kind == "bar" else channel(spec.x),
        "y": channel(spec.y),
        "tooltip": [channel(n) for n in frame.columns],
    }
    if spec.color:
        encoding["color"] = channel(spec.color)
    chart = getattr(alt.Chart(frame), mark)(**({"point": True} if spec.kind == "line" else {}))
    # a fixed width: "container" makes Vega and the output area resize each other without end
    # SVG rather than vega-embed's default canvas: crisp, searchable, and testable in a browser
    props: dict[str, Any] = {"width": 560, "height": 280,
                             "usermeta": {"embedOptions": {"renderer": "svg"}}}  # fmt: skip
    subtitle = [note] if note else []
    if title or subtitle:
        props["title"] = alt.TitleParams(title or "", subtitle=subtitle)
    spec_dict: dict[str, Any] = chart.encode(**encoding).properties(**props).to_dict()
    return spec_dict


def chart_bundle(table: pa.Table, spec: ChartSpec, title: str | None = None) -> dict[str, Any]:
    """A display bundle: the Vega-Lite spec and a text line for front ends without Vega."""
    text = f"<{spec.kind} chart of {spec.y} by {spec.x}" + (
        f" and {spec.color}>" if spec.color else ">"
    )
    return {VEGALITE_MIME: vegalite(table, spec, title), "text/plain": text}


class ChartView:
    """A chart with controls: the kind (bar / line / scatter) and the x, y and colour columns."""

    def __init__(self, result: Result, kind: str | None = None) -> None:
        import ipywidgets as w  # type: ignore[import-untyped]

        self.result = result
        self.spec = choose(result.arrow().schema, kind)
        names = result.columns
        self.kind = w.ToggleButtons(
            options=list(KINDS), value=self.spec.kind, style={"button_width": "72px"}
        )
        self.x = w.Dropdown(
            options=names, value=self.spec.x, description="x", layout=w.Layout(width="200px")
        )
        self.y = w.Dropdown(
            options=names, value=self.spec.y, description="y", layout=w.Layout(width="200px")
        )
        self.color = w.Dropdown(
            options=[("(none)", None)] + [(n, n) for n in names],
            value=self.spec.color,
            description="colour",
            layout=w.Layout(width="220px"),
        )
        self.status = w.HTML()
        self.output = w.Output()
        for control in (self.kind, self.x, self.y, self.color):
            control.observe(lambda _: self._changed(), names="value")
        self.widget = w.VBox(
            [w.HBox([self.kind, self.x, self.y, self.color]), self.status, self.output]
        )
        self._draw()

    def switch(self, kind: str) -> None:
        """Draw the same columns as another kind of chart (what the toggle does)."""
        self.kind.value = kind

    def _changed(self) -> None:
        self.spec = ChartSpec(self.kind.value, self.x.value, self.y.value, self.color.value)
        self._draw()

    def _draw(self) -> None:
        try:
            bundle = chart_bundle(self.result.arrow(), self.spec)
        except Exception as exc:  # a column pair Vega-Lite cannot draw: say so, keep the controls
            self.status.value = error_html(str(exc))
            return
        self.status.value = ""
        # set the Output's contents directly (no capture context): works in and out of a kernel
        self.output.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        # front ends without widgets still get the chart itself
        bundle.update(chart_bundle(self.result.arrow(), self.spec))
        return bundle
