"""Read the planned SQL back against the question before answering: a refusal beats a wrong table.

The parser decides what every word is for; this module checks the outcome from the other side,
on the SQL itself (parsed with sqlglot), so that a misreading anywhere in the parser or the
generator is caught by one independent test rather than by each pass remembering to look:

* every table, column, value or event the question named is in the SQL (a word recognised and
  then dropped means the answer is to another question);
* every number the question states is in the SQL (as a literal, a limit, an interval, a date, a
  converted unit or a fraction of a percentage);
* a superlative ("most", "top 3", "cheapest") orders and cuts, or takes a min/max;
* a group word ("per", "each", "by") groups, and a result is grouped only when the question
  asks for groups; a condition on an aggregate (HAVING) needs groups to compare;
* a negation ("never", "not", "without") negates something in the SQL;
* an average or sum is never taken of an identifier or a code.

Each failure is a sentence naming the part of the question it concerns; the planner refuses
with them instead of answering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from neurolake_lab.agents.planner import vocab

if TYPE_CHECKING:
    from sqlglot import exp

    from neurolake_lab.agents.intent import Intent
    from neurolake_lab.agents.planner.parse import ParseResult
    from neurolake_lab.agents.planner.view import PlannerView

#: Superlative words: the answer must rank (ORDER BY with LIMIT, QUALIFY) or take a min/max.
SUPERLATIVES = frozenset(
    {"most", "least", "fewest", "top", "bottom", "highest", "lowest", "largest", "smallest",
     "biggest", "greatest", "cheapest", "priciest", "best", "worst", "busiest", "longest",
     "shortest", "newest", "latest", "oldest", "earliest", "maximum", "minimum", "max", "min"}
)  # fmt: skip
_NEGATIVE_SQL = re.compile(
    r"\bNOT\b|!=|<>|\bIS NULL\b|\bIS FALSE\b|\bNOT IN\b|\bNOT EXISTS\b", re.IGNORECASE
)
_ID_WORDS = frozenset({"id", "key", "nr", "no", "num", "cd", "code", "zip", "plz"})


@dataclass
class SqlFacts:
    """What a SELECT refers to: tables, (table, column) pairs, literals, and its clauses."""

    tables: set[str] = field(default_factory=set)
    columns: set[tuple[str, str]] = field(default_factory=set)
    text: str = ""
    grouped: bool = False  # the result is (its outermost SELECT groups)
    counts_only: bool = False  # the result is one number of rows
    ranked: bool = False
    extreme: bool = False
    having_without_groups: bool = False
    aggregated: list[tuple[str, str, str]] = field(default_factory=list)  # (func, table, column)
    outputs: set[str] = field(default_factory=set)  # column names the result shows
    output_columns: set[tuple[str, str]] = field(default_factory=set)  # and their tables


def sql_facts(sql: str) -> SqlFacts:
    """The tables, columns and clauses of ``sql`` (every SELECT in it, subqueries included)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    facts = SqlFacts(text=sql)
    if isinstance(tree, exp.Select):
        facts.grouped = tree.args.get("group") is not None
        items = [e.unalias() for e in tree.expressions]
        facts.counts_only = (
            not facts.grouped and len(items) == 1 and isinstance(items[0], exp.Count)
        )
        top = _aliases(tree)
        for item in tree.expressions:
            for col in item.find_all(exp.Column):
                facts.outputs.add(col.name)
                table = top.get(col.table) if col.table else next(iter(top.values()), None)
                if table:
                    facts.output_columns.add((table, col.name))
    for select in tree.find_all(exp.Select):
        aliases = _aliases(select)
        facts.tables.update(aliases.values())
        for col in select.find_all(exp.Column):
            table = aliases.get(col.table) if col.table else None
            if table is None and len(aliases) == 1:
                table = next(iter(aliases.values()))
            if table is not None:
                facts.columns.add((table, col.name))
        groups = select.args.get("group")
        if select.args.get("having") is not None and groups is None:
            facts.having_without_groups = True
        order, limit = select.args.get("order"), select.args.get("limit")
        facts.ranked |= order is not None and limit is not None and not _orders_by_groups(select)
        facts.ranked |= select.args.get("qualify") is not None
        for agg in select.find_all(exp.Max, exp.Min):
            facts.extreme |= agg.find_ancestor(exp.Select) is select
        for func in select.find_all(exp.Sum, exp.Avg):
            arg = func.this
            if isinstance(arg, exp.Column):
                table = aliases.get(arg.table) if arg.table else next(iter(aliases.values()), "")
                facts.aggregated.append((func.key, table or "", arg.name))
    return facts


def _orders_by_groups(select: exp.Select) -> bool:
    """Whether a grouped SELECT orders only by its group keys (a superlative that ranks nothing).

    "Which ship mode is used most often" ordered by the ship mode's name, cut to one row, names
    the first mode in the alphabet, not the most used.
    """
    from sqlglot import exp

    groups = select.args.get("group")
    order = select.args.get("order")
    if groups is None or order is None:
        return False
    keys = {g.sql() for g in groups.expressions}
    names = {e.alias_or_name for e in select.expressions if e.unalias().sql() in keys}
    for o in order.expressions:
        term = o.this
        if term.sql() in keys:
            continue
        if isinstance(term, exp.Column) and not term.table and term.name in names:
            continue
        return False
    return True


def _aliases(select: exp.Select) -> dict[str, str]:
    """Alias -> ``namespace.table`` for the tables this SELECT reads (not its subqueries')."""
    from sqlglot import exp

    out: dict[str, str] = {}
    sources = [
        select.args.get("from_") or select.args.get("from"),
        *(select.args.get("joins") or []),
    ]
    for source in sources:
        if source is None:
            continue
        table = source.this if isinstance(source, exp.From | exp.Join) else source
        if isinstance(table, exp.Table):
            name = f"{table.db}.{table.name}" if table.db else table.name
            out[table.alias_or_name] = name
    return out


def check(
    result: ParseResult, intent: Intent, sql: str, view: PlannerView, refines: bool = False
) -> list[str]:
    """What in ``sql`` does not answer the question ``result`` read (empty when it does).

    ``refines``: the question refines an earlier one ("in France"), whose grouping and ranking
    the SQL keeps without the new words saying so.
    """
    facts = sql_facts(sql)
    problems: list[str] = []
    problems += _mentions_used(result, facts, view)
    problems += _numbers_used(result, facts)
    if not refines:
        problems += _superlatives(result, facts)
        problems += _grouping(result, intent, facts)
    problems += _negations(result, facts)
    problems += _types(facts, view)
    problems += _aggregates(result, facts)
    if not refines:
        problems += _asked_for(result, facts, view)
        counted = result.structure.cues_of("count") or any(
            t.low in ("headcount", "tally") for t in result.tokens
        )  # a count by another name
        if facts.counts_only and not counted:
            problems.append("the answer is a number of rows, and the question asks for no count")
        problems += _one_time(intent)
    problems += _contradictions(intent)
    return problems


def _contradictions(intent: Intent) -> list[str]:
    """Two different values required of one column ("in Germany in France"): no row has both."""
    seen: dict[tuple[str, str | None], object] = {}
    for f in intent.filters:
        if f.op != "=" or f.column is None:
            continue
        key = (f.column, f.via)
        if key in seen and seen[key] != f.value:
            return [f"{f.column} cannot be both {seen[key]!r} and {f.value!r}: 'or'?"]
        seen[key] = f.value
    return []


#: Aggregate words and the SQL functions that must carry them.
_AGGREGATE_SQL = {"median": ("median(", "quantile"), "average": ("avg(",), "avg": ("avg(",),
                  "mean": ("avg(",)}  # fmt: skip


def _aggregates(result: ParseResult, facts: SqlFacts) -> list[str]:
    """An average or a median asked for is computed ("median length of stay" is no avg)."""
    text = facts.text.lower()
    for tok in result.tokens:
        wanted = _AGGREGATE_SQL.get(tok.low)
        if wanted and not any(w in text for w in wanted):
            return [f"{tok.text!r}: the answer computes no {tok.low}"]
    return []


def _asked_for(result: ParseResult, facts: SqlFacts, view: PlannerView) -> list[str]:
    """Show what "which department ..." asks for: the rows or values named are output.

    "List the nations ... with their number of suppliers" asks for the nations as much as
    "which nations": a count inside the sentence does not replace them (a count that starts a
    sentence does: "Which customers in Japan churned? Count them.").
    """
    toks = result.tokens
    counts = result.structure.cues_of("count")
    counted = any(c.i == 0 or toks[c.i - 1].kind == "punct" for c in counts)
    for cue in result.structure.cues_of("list"):
        word = toks[cue.i].low
        if (word in ("which", "what") and counts) or counted:
            continue
        if word not in ("which", "what", "list", "show", "display"):
            continue
        m = next((x for x in result.mentions if x.start >= cue.end and x.role != "qualifier"),
                 None)  # fmt: skip
        if m is None or m.chosen is None or m.start > cue.end + 2:
            continue
        cand = m.chosen
        if cand.kind == "table":
            table = cand.target
            shown = any(t == table for t, _ in facts.output_columns) or any(
                (e.child, c) in facts.output_columns
                for e in view.graph.children(table) for c in e.columns)  # fmt: skip
        elif cand.kind == "column" and not view.column(cand.target).is_numeric:
            shown = cand.target.rpartition(".")[2] in facts.outputs
        else:
            continue
        if not shown:
            return [f"{m.text!r} was asked for, and the answer does not show it"]
    return []


def _one_time(intent: Intent) -> list[str]:
    """Refuse groups by the month of one date with a window on another date.

    "discharges per month in 2025" grouped by discharge month and filtered on admission answers
    no single question.
    """
    window = intent.window
    if window is None or window.column is None:
        return []
    for key in intent.grouping:
        if key.grain and key.column and key.column != window.column \
                and key.column.rpartition(".")[0] == window.column.rpartition(".")[0]:  # fmt: skip
            return [
                f"grouped by the {key.grain} of {key.column} but {window.text!r} read on "
                f"{window.column}: which date?"
            ]
    return []


def _represented(table: str, role: str, facts: SqlFacts, view: PlannerView) -> bool:
    """Whether the SQL reads ``table``.

    Itself, a column referencing its key (a group "per department" is the cases' department
    code), or, for a table that only says whose rows these are ("supply cost of parts",
    "products never ordered"), a table that belongs to it.
    """
    if table in facts.tables:
        return True
    for edge in view.graph.children(table):
        if any((edge.child, c) in facts.columns for c in edge.columns):
            return True
    if role in ("context", "qualifier", "relation", "verb", "entity"):
        return any(view.graph.path_up(t, table) is not None for t in facts.tables)
    return False


def _mentions_used(result: ParseResult, facts: SqlFacts, view: PlannerView) -> list[str]:
    """Every table, column, value or event the question named is read by the SQL."""
    missing = []
    for m in result.mentions:
        cand = m.chosen
        if cand is None or cand.kind in ("metric", "filter") or cand.table is None:
            continue
        if not _represented(cand.table, m.role, facts, view):
            missing.append(f"{m.text!r} ({cand.target})")
            continue
        if cand.kind != "table" and m.role in ("measure", "group", "order", "comparison",
                                                "projection", "filter", "anchor"):  # fmt: skip
            column = cand.target.rpartition(".")[2]
            if (cand.table, column) not in facts.columns and m.role != "projection":
                missing.append(f"{m.text!r} ({cand.target})")
    if not missing:
        return []
    return ["the answer would leave out what the question names: " + ", ".join(missing)]


def _number_forms(value: float) -> set[str]:
    """How a number of the question may be written in the SQL (units, percentages converted)."""
    forms = set()
    for v in (value, value / 100, value * 60, value * 1440, value * 3600, value * 86400,
              value / 60, value * 7, value + 1, value - 1):  # fmt: skip
        if v == int(v):
            forms.add(str(int(v)))
        forms.add(repr(float(v)))
        forms.add(f"{v:g}")
    return forms


def _numbers_used(result: ParseResult, facts: SqlFacts) -> list[str]:
    """Every number written in digits appears in the SQL."""
    unused = []
    for tok in result.tokens:
        if tok.kind != "number" or tok.value is None:
            continue
        found = any(
            re.search(rf"(?<![\d.]){re.escape(form)}(?![\d])", facts.text)
            for form in _number_forms(tok.value)
        )
        if not found:
            unused.append(tok.text)
    if not unused:
        return []
    return ["the answer does not use " + ", ".join(repr(u) for u in unused) + " from the question"]


def _superlatives(result: ParseResult, facts: SqlFacts) -> list[str]:
    compared = {i for c in result.structure.comparisons for i in range(c.start, c.end)}
    words = [t.low for t in result.tokens if t.low in SUPERLATIVES and t.i not in compared]
    if not words or facts.ranked or facts.extreme:
        return []
    return [f"{words[0]!r}: the answer neither ranks nor takes a maximum or minimum"]


def _grouping(result: ParseResult, intent: Intent, facts: SqlFacts) -> list[str]:
    problems = []
    if facts.having_without_groups:
        problems.append("a condition on a total of all rows (HAVING without groups): "
                        "the question was misread")  # fmt: skip
    st = result.structure
    asked = bool(st.cues_of("group") or st.cues_of("rank") or st.cues_of("rankadj"))
    asked |= bool(st.grains) or st.limit is not None or intent.per_group is not None
    asked |= any(g.grain for g in intent.grouping)
    asked |= any(c.data in ("max", "min") for c in st.cues_of("agg"))  # "the highest ..."
    for cue in st.cues_of("list"):  # "which country ...": one row per country
        if result.tokens[cue.i].low not in ("which", "what"):
            continue
        m = next((x for x in result.mentions if x.start >= cue.end and x.role != "qualifier"),
                 None)  # fmt: skip
        asked |= m is not None and m.role in ("group", "entity")
    for key in intent.grouping:
        last = key.text.split()[-1:] if key.text else []
        if key.column and not key.grain and last and last[0].endswith("ed") and " " not in key.text:
            problems.append(f"grouped by {key.column} for the verb {key.text!r}")
    if facts.grouped and not asked:
        groups = ", ".join(g.text or (g.column or g.table or "") for g in intent.grouping)
        problems.append(f"the answer is grouped by {groups}, which the question does not ask for")
    for cue in st.cues_of("group"):
        word = result.tokens[cue.i].low
        m = next((x for x in result.mentions if x.start >= cue.end), None)
        if word not in ("per", "each", "every", "across") or m is None:
            continue
        unit = result.tokens[cue.end].low if cue.end < len(result.tokens) else ""
        if word == "per" and unit in vocab.RATE_UNITS:
            problems.append(f"'per {unit}' asks for a rate (one quantity divided by another), "
                            "which the planner does not compute")  # fmt: skip
            continue
        grouped_by = any(g.table == (m.chosen.table if m.chosen else None) for g in intent.grouping)
        if m.role == "filter" and not grouped_by:
            problems.append(f"{word!r} {m.text!r}: read as a condition, not as groups")
        elif not facts.grouped and m.role not in ("context", "measure", "qualifier"):
            problems.append(f"{word!r} {m.text!r}: the answer is not split by {m.text}")
    return problems


def _negations(result: ParseResult, facts: SqlFacts) -> list[str]:
    negs = [c for c in result.structure.cues_of("neg")]
    if not negs or _NEGATIVE_SQL.search(facts.text):
        return []
    word = " ".join(t.text for t in result.tokens[negs[0].i : negs[0].end])
    return [f"{word!r}: the answer negates nothing"]


def _types(facts: SqlFacts, view: PlannerView) -> list[str]:
    """No sum or average of an identifier or a code."""
    problems = []
    for func, table, column in facts.aggregated:
        info = view.snapshot.column(f"{table}.{column}")
        if info is None:
            continue
        words = view.column_words(info)
        if column in view.key(table) or (words and words[-1] in _ID_WORDS):
            problems.append(f"{func} of {table}.{column}, an identifier or code, means nothing")
    return problems
