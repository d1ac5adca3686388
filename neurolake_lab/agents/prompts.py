"""The messages sent to a language model for a question, and what they may contain.

The rule (the tests check it on what the test server receives):

* Always: the question as typed, table and column names, types, descriptions, keys, PII flags
  (so the model knows which columns to leave out), the workspace's semantic definitions and the
  date conventions, and the previous turn of the conversation for a follow-up.
* Accepted question→SQL pairs as examples: their questions as typed, their SQL with every
  string literal replaced by ``'?'`` — unless the owner allows values (below), in which case
  only literals compared with a PII column are replaced. A pair whose SQL compares a PII column
  with a literal is never used as an example (its question may hold the value).
* Only when the workspace owner allows values (``llm_share_values = true`` in neurolake.toml,
  or ``NEUROLAKE_LLM_SHARE_VALUES=1``): the sampled distinct values of low-cardinality columns
  that are not PII (at most :data:`MAX_VALUES_PER_COLUMN` per column, only for columns with at
  most that many distinct values). The index never samples PII columns, and this module checks
  again.
* Never: rows of any table, values of PII columns, or anything of tables the question does not
  need beyond the :data:`MAX_TABLES` most relevant ones (and the tables they join to).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from neurolake_lab.agents.base import AgentContext
from neurolake_lab.index.model import TableInfo
from neurolake_lab.llm.base import ChatMessage

MAX_TABLES = 12
MAX_VALUES_PER_COLUMN = 20
MAX_EXAMPLES = 3
VALUES_SETTING = "llm_share_values"
VALUES_ENV = "NEUROLAKE_LLM_SHARE_VALUES"

SYSTEM = """\
You translate questions about a lakehouse into one DuckDB SQL query.
Rules:
- Answer with exactly one read-only SELECT (WITH ... SELECT allowed) in a ```sql block, nothing \
else.
- Use only the tables and columns listed below, qualified as namespace.table.
- Join only along the foreign keys given; never invent columns.
- Dates, in the session's UTC time zone: "last month" is the previous calendar month \
(col >= date_trunc('month', current_date) - INTERVAL 1 MONTH AND col < \
date_trunc('month', current_date)); "this month"/"this year" the current one; "last N days" is \
col >= current_date - INTERVAL N DAY (likewise months, years); "in 2025" a calendar year.
- Business terms in "Definitions" below mean exactly what they define.
- If the question asks to remove PII or for anonymised data, select no column marked [PII].
- If the tables cannot answer the question (a column or fact it needs is not there), do not \
answer another question: reply with one line `-- cannot answer: <what is missing>` instead.
- When the data ends before today, relative dates ("last month", "last 30 days") count back \
from the latest date in the data, as the offline planner's reading below does.
"""
#: What a model writes instead of SQL when the tables cannot answer (see SYSTEM).
REFUSAL = "-- cannot answer:"


def values_allowed(settings_extra: Mapping[str, Any], env: Mapping[str, str] = os.environ) -> bool:
    """Whether the owner allows sample values in prompts (default: no)."""
    raw = env.get(VALUES_ENV)
    if raw is None or not raw.strip():
        raw = str(settings_extra.get(VALUES_SETTING, "")).strip()
    return raw.lower() in ("1", "true", "yes", "on")


def relevant_tables(question: str, context: AgentContext) -> list[TableInfo]:
    """The tables to describe: all of a small schema, else the most relevant and their joins."""
    tables = context.snapshot.tables
    if len(tables) <= MAX_TABLES:
        return [tables[t] for t in sorted(tables)]
    picked: list[str] = []
    for hit in context.index.relevant(question, limit=40):
        if hit.table not in picked:
            picked.append(hit.table)
        if len(picked) >= MAX_TABLES // 2:
            break
    for tid in list(picked):
        for fk in tables[tid].foreign_keys:
            if fk.references in tables and fk.references not in picked:
                picked.append(fk.references)
    return [tables[t] for t in picked[:MAX_TABLES]]


def describe_table(table: TableInfo, with_values: bool) -> str:
    """A table as prompt text: description, columns with types, docs, keys and PII flags."""
    lines = [f"TABLE {table.id} -- {table.description}".rstrip(" -")]
    for col in table.columns:
        flags = []
        if col.name in table.primary_key:
            flags.append("primary key")
        if col.is_pii:
            flags.append("PII")
        line = f"  {col.name} {col.data_type}"
        if flags:
            line += f" [{', '.join(flags)}]"
        if col.description:
            line += f" -- {col.description}"
        few = (col.distinct or len(col.samples)) <= MAX_VALUES_PER_COLUMN
        if with_values and not col.is_pii and col.samples and few:
            shown = ", ".join(repr(v) for v in col.samples[:MAX_VALUES_PER_COLUMN])
            line += f" (values: {shown})"
        lines.append(line)
    for fk in table.foreign_keys:
        cols = ", ".join(fk.columns)
        lines.append(
            f"  FOREIGN KEY ({cols}) REFERENCES {fk.references}({', '.join(fk.ref_columns)})"
        )
    return "\n".join(lines)


def touches_pii(sql: str, pii_columns: set[str]) -> bool:
    """Whether ``sql`` compares a PII column with a literal (its question may hold the value)."""
    return mask_literals(sql, pii_columns, keep_values=True) != mask_literals(
        sql, set(), keep_values=True
    )


def mask_literals(sql: str, pii_columns: set[str], keep_values: bool) -> str:
    """``sql`` with string literals replaced by ``'?'`` (all, or those compared with PII)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except SqlglotError:
        return "-- (SQL not shown: it does not parse)"

    def near_pii(lit: exp.Expression) -> bool:
        node = lit.parent
        while node is not None and not isinstance(node, exp.Select):
            if isinstance(node, exp.Predicate | exp.In | exp.Binary):
                cols = {c.name.lower() for c in node.find_all(exp.Column)}
                if cols & pii_columns:
                    return True
            node = node.parent
        return False

    for lit in list(tree.find_all(exp.Literal)):
        if lit.is_string and (not keep_values or near_pii(lit)):
            lit.replace(exp.Literal.string("?"))
    return tree.sql(dialect="duckdb")


def build_messages(question: str, context: AgentContext) -> list[ChatMessage]:
    """The conversation to send for ``question`` (before any repair turns)."""
    with_values = context.allow_values
    tables = relevant_tables(question, context)
    schema = "\n\n".join(describe_table(t, with_values) for t in tables)
    pii = {c.name.lower() for t in context.snapshot.tables.values() for c in t.columns if c.is_pii}
    parts = [SYSTEM, "Tables:\n" + schema]
    definitions = context.planner_view().semantics.to_json()
    if definitions["metrics"] or definitions["filters"]:
        import json

        parts.append("Definitions:\n" + json.dumps(definitions, indent=1))
    candidate = context.options.get("candidate")
    if candidate is not None:
        parts.append(candidate_text(candidate, pii, question, with_values))
    messages = [ChatMessage("system", "\n\n".join(parts))]
    examples = [p for p in context.options.get("examples") or [] if not touches_pii(p.sql, pii)]
    for pair in examples[:MAX_EXAMPLES]:
        messages.append(ChatMessage("user", pair.question))
        masked = mask_literals(pair.sql, pii, with_values)
        messages.append(ChatMessage("assistant", f"```sql\n{masked}\n```"))
    previous = context.previous
    if context.follow_up and previous is not None:
        messages.append(ChatMessage("user", previous.question))
        shown = mask_literals(previous.sql, pii, keep_values=True)
        messages.append(ChatMessage("assistant", f"```sql\n{shown}\n```"))
        messages.append(
            ChatMessage("user", f"Refine the previous query: {question}\nAnswer with the SQL.")
        )
    else:
        messages.append(ChatMessage("user", question))
    return messages


def candidate_text(
    candidate: tuple[str, str], pii: set[str], question: str, with_values: bool
) -> str:
    """The offline planner's reading of the question, for the model to use or correct.

    ``candidate`` is ``(sql, explanation)``, or ``("", why it could not read the question)``.
    Literals compared with PII columns are masked, and so (unless the owner allows values) are
    stored values the question does not itself contain ("female" read as ``'F'``).
    """
    sql, said = candidate
    if not sql:
        return f"The offline planner could not read this question: {said}"
    shown = mask_literals(sql, pii, keep_values=True)
    if not with_values:
        shown = _mask_unasked(shown, question)
        said = "" if shown != sql else said  # its words would repeat the masked values
    return (
        "The offline planner read the question as follows. Use its SQL if it answers the whole "
        "question; correct it if it misread a part; refuse if the tables cannot answer.\n"
        f"{said}\n```sql\n{shown}\n```"
    )


def _mask_unasked(sql: str, question: str) -> str:
    """``sql`` with string literals the question does not contain replaced by ``'?'``."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    asked = question.casefold()
    for lit in list(tree.find_all(exp.Literal)):
        if lit.is_string and lit.this.casefold() not in asked and lit.this != "?":
            lit.replace(exp.Literal.string("?"))
    return tree.sql(dialect="duckdb")


def repair_message(sql: str, error: str) -> ChatMessage:
    """The turn that sends an error back to the model."""
    return ChatMessage(
        "user",
        f"That query failed:\n{error}\nFix it. Answer with the corrected SQL only, in a ```sql "
        "block.",
    )
