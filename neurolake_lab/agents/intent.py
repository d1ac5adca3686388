"""``Intent``: a question as a structured request (``agents/intent_parser.py`` reads it).

An intent names what to compute (``action``, ``measures``), over which rows (``entity``,
``filters``, ``window``, ``relations``), how to group, order and cut the result, and what to do to
it afterwards (``transformations`` such as ``remove_pii``). Tables and columns are ids of the
metadata index (``namespace.table``, ``namespace.table.column``), so an intent is grounded in the
schema and can be turned into SQL without guessing. ``Intent.to_dict`` is what the cell report
carries as ``intent``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ACTIONS = ("count", "aggregate", "list", "unknown")


@dataclass
class Filter:
    """One condition on rows.

    Attributes:
        column: The column id the condition is on (None for a named condition).
        op: ``=``, ``!=``, ``in``, ``not in``, ``<``, ``<=``, ``>``, ``>=``, ``is null``,
            ``is not null``, ``is true``, ``is false`` or ``sql`` (a named condition).
        value: The value(s) compared with.
        sql: For ``op == "sql"``: the condition, with the table's columns bare.
        table: The table the condition applies to.
        text: The words of the question it comes from.
        via: The reference column (``ns.child.column``) through which ``table`` is reached,
            when the rows reference it more than once (origin or destination airport).
    """

    column: str | None
    op: str
    value: Any = None
    sql: str | None = None
    table: str | None = None
    text: str = ""
    via: str | None = None


@dataclass
class Measure:
    """One computed value.

    Attributes:
        func: ``count``, ``count_distinct``, ``sum``, ``avg``, ``median``, ``min``, ``max``,
            ``share`` (fraction of rows meeting ``condition``), ``metric`` (a semantic
            definition) or ``avg_count`` (average number of ``table`` rows per ``per``).
        column: The column aggregated (for sum/avg/...; count_distinct).
        metric: The semantic metric's name.
        table: The table counted (count, avg_count, share).
        per: For ``avg_count``: the table the counts are per.
        duration: ``(start column, end column)``: aggregate the time between them.
        unit: For durations: ``second``, ``minute``, ``hour``, ``day``; for shares: ``percent``.
        condition: For ``share``: what the counted rows meet.
        label: The output column's name.
        implied: Not asked for in words: the row count a grouping implies.
        expression: A value computed per row of ``table`` (bare column names), aggregated
            with ``func``: an age from a date of birth.
    """

    func: str
    column: str | None = None
    metric: str | None = None
    table: str | None = None
    per: str | None = None
    duration: tuple[str, str] | None = None
    unit: str | None = None
    condition: list[Filter] = field(default_factory=list)
    label: str = ""
    implied: bool = False
    expression: str | None = None


@dataclass
class TimeWindow:
    """A time range on a date/timestamp column, as SQL bounds (``end`` exclusive)."""

    column: str | None
    start: str | None
    end: str | None
    text: str
    explicit_column: bool = False


@dataclass
class GroupKey:
    """What to group by: a column, a table's rows (its key), or a time grain of a column."""

    column: str | None = None
    table: str | None = None
    grain: str | None = None
    text: str = ""


@dataclass
class Relation:
    """Rows of another table that must (or must not) exist for each row of the entity.

    ``min_count`` turns it into a count comparison: ``(op, n)`` such as ``(">", 20)``.
    """

    table: str
    negated: bool = False
    filters: list[Filter] = field(default_factory=list)
    window: TimeWindow | None = None
    min_count: tuple[str, float] | None = None
    text: str = ""


@dataclass
class Order:
    """Order by a measure (``measure`` index) or a column; descending by default."""

    measure: int | None = None
    column: str | None = None
    descending: bool = True


@dataclass
class Intent:
    """A question, read.

    Attributes:
        question: As asked.
        action: ``count``, ``aggregate``, ``list`` or ``unknown`` (the LLM path, unparsed).
        entity: The table whose rows the question is about.
        measures: What to compute (empty for a list).
        filters: Conditions on the rows (and on joined tables' rows).
        window: The time window, if any.
        grouping: Group keys.
        relations: Related rows that must or must not exist.
        having: Conditions on measures (``Filter`` with ``column`` = ``measure:<i>``).
        order: How to order.
        limit: How many rows at most.
        projections: Columns to show (lists; empty: every column).
        transformations: ``remove_pii``.
        unmatched: Words of the question that were not used.
        notes: What the reader decided that the user should know.
        source: ``planner``, ``template`` (an accepted answer reused) or ``llm``.
        via: Which reference to take where a table references another more than once:
            ``"child>parent" -> column`` ("flights arriving in Chicago": the destination).
        readings: How each part of the question was read: (words, reading), in order.
        per_group: Keep this many top rows (by ``order``) within each value of the first group
            key: "for each region, which nation has the most customers" (1).
    """

    question: str
    action: str = "unknown"
    entity: str | None = None
    measures: list[Measure] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    window: TimeWindow | None = None
    grouping: list[GroupKey] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    having: list[Filter] = field(default_factory=list)
    order: list[Order] = field(default_factory=list)
    limit: int | None = None
    projections: list[str] = field(default_factory=list)
    transformations: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str = "planner"
    via: dict[str, str] = field(default_factory=dict)
    readings: list[tuple[str, str]] = field(default_factory=list)
    per_group: int | None = None

    @property
    def remove_pii(self) -> bool:
        """Whether PII must not appear in clear text in the result."""
        return "remove_pii" in self.transformations

    def to_dict(self) -> dict[str, Any]:
        """The intent as JSON (what the cell report carries)."""
        data = asdict(self)
        return {k: v for k, v in data.items() if v not in (None, [], "")}
