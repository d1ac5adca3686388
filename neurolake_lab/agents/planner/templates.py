"""Accepted answers as templates: a question shaped like an accepted one gets its SQL.

When a person accepts an answer (``%nl_accept``, the Accept button), the question and its SQL go
into the index. A later question is answered from that pair when, once values and numbers are
set aside, it reads the same: "enterprise customers in Germany" after an accepted "enterprise
customers in France" reuses the accepted SQL with ``'France'`` replaced by ``'Germany'``. Values
are swapped only as SQL literals (through sqlglot's tree, never by text search), only between
values of the same column, and only when every one of them is found; otherwise the template does
not apply and the planner answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from neurolake_lab.agents.planner.linker import link
from neurolake_lab.agents.planner.tokens import tokenize
from neurolake_lab.agents.planner.view import PlannerView
from neurolake_lab.index.index import PairHit, normalize_question
from neurolake_lab.llm import lexicon

#: How similar (cosine of the embeddings) an accepted question must be to be tried at all.
MIN_SCORE = 0.6


@dataclass(frozen=True)
class Slot:
    """A value or number in a question: what it is and, for values, which column holds it."""

    kind: str  # "value" or "number"
    column: str | None
    text: str
    value: str | float


@dataclass(frozen=True)
class TemplateMatch:
    """SQL made from an accepted pair."""

    sql: str
    pair: PairHit
    substitutions: tuple[tuple[str, str], ...]


def shape(question: str, view: PlannerView) -> tuple[tuple[str, ...], list[Slot]]:
    """The question's words with its values and numbers replaced by slots, and the slots."""
    tokens = tokenize(question)
    mentions = link(tokens, view.phrases, set())
    values = {}
    for m in mentions:
        best = m.best()
        if best is not None and best.kind == "value" and best.value is not None:
            values[m.start] = (m, best)
    out: list[str] = []
    slots: list[Slot] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i in values:
            m, best = values[i]
            out.append(f"<{best.target}>")
            slots.append(Slot("value", best.target, m.text, best.value or ""))
            i = m.end
            continue
        if tok.kind == "number" and tok.value is not None:
            out.append("<number>")
            slots.append(Slot("number", None, tok.text, tok.value))
        elif tok.is_word and tok.low not in lexicon.STOPWORDS:
            out.append(tok.stem)
        i += 1
    return tuple(out), slots


def apply_template(question: str, pair: PairHit, view: PlannerView) -> TemplateMatch | None:
    """The pair's SQL adapted to ``question``, or None when the pair does not fit it."""
    if normalize_question(question) == normalize_question(pair.question):
        return TemplateMatch(pair.sql, pair, ())
    new_shape, new_slots = shape(question, view)
    old_shape, old_slots = shape(pair.question, view)
    if new_shape != old_shape or not new_slots:
        return None
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        tree = sqlglot.parse_one(pair.sql, read="duckdb")
    except SqlglotError:
        return None
    swaps: list[tuple[str, str]] = []
    for old, new in zip(old_slots, new_slots, strict=True):
        if old.kind != new.kind or old.column != new.column:
            return None
        if old.value == new.value:
            continue
        if old.kind == "value":
            targets = [
                lit for lit in tree.find_all(exp.Literal) if lit.is_string and lit.this == old.value
            ]
            replacement: exp.Expression = exp.Literal.string(str(new.value))
        else:
            targets = [
                lit
                for lit in tree.find_all(exp.Literal)
                if not lit.is_string and _number(lit.this) == old.value
            ]
            value = new.value if isinstance(new.value, float) else float(new.value)
            text = str(int(value)) if value.is_integer() else repr(value)
            replacement = exp.Literal.number(text)
        if not targets:
            return None  # the accepted SQL does not use this value: no safe way to adapt it
        for lit in targets:
            lit.replace(replacement.copy())
        swaps.append((str(old.value), str(new.value)))
    return TemplateMatch(tree.sql(dialect="duckdb"), pair, tuple(swaps))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def best_template(question: str, pairs: list[PairHit], view: PlannerView) -> TemplateMatch | None:
    """The first accepted pair (most similar first) that fits ``question``."""
    for pair in pairs:
        if pair.score < MIN_SCORE:
            continue
        found = apply_template(question, pair, view)
        if found is not None:
            return found
    return None
