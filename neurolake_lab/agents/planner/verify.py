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
    grouped: bool = False
    ranked: bool = False
    extreme: bool = False
    having_without_groups: bool = False
    aggregated: list[tuple[str, str, str]] = field(default_factory=list)  # (func, table, column)


def sql_facts(sql: str) -> SqlFacts:
    """The tables, columns and clauses of ``sql`` (every SELECT in it, subqueries included)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    facts = SqlFacts(text=sql)
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
        facts.grouped |= groups is not None
        if select.args.get("having") is not None and groups is None:
            facts.having_without_groups = True
        order, limit = select.args.get("order"), select.args.get("limit")
        facts.ranked |= order is not None and limit is not None
        facts.ranked |= select.args.get("qualify") is not None
        for agg in select.find_all(exp.Max, exp.Min):
            facts.extreme |= agg.find_ancestor(exp.Select) is select
        for func in select.find_all(exp.Sum, exp.Avg):
            arg = func.this
            if isinstance(arg, exp.Column):
                table = aliases.get(arg.table) if arg.table else next(iter(aliases.values()), "")
                facts.aggregated.append((func.key, table or "", arg.name))
    return facts


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
    return problems


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
    if facts.grouped and not asked:
        groups = ", ".join(g.text or (g.column or g.table or "") for g in intent.grouping)
        problems.append(f"the answer is grouped by {groups}, which the question does not ask for")
    for cue in st.cues_of("group"):
        word = result.tokens[cue.i].low
        m = next((x for x in result.mentions if x.start >= cue.end), None)
        if word not in ("per", "each", "every", "across") or m is None:
            continue
        if m.role == "filter":
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
