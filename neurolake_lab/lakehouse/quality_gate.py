"""Step 1 of the write path: which quality rules a write runs, for who writes it, and their verdict.

The rules run on the values as stored, whoever writes, and their verdict reaches the writer (a
refusal with counts, rows quarantined). For a writer the policy hides some of the table's
columns from (``WriteContext.hidden``), a verdict on a hidden value would be an oracle on it: an
UPDATE of one column brings the row's hidden email along, and a ``unique`` rule on email answers
"does someone have this address?". So for such a writer a rule runs only where its verdict
depends on values the writer supplied:

* a rule that reads no hidden column runs;
* one whose hidden columns the write supplies (all of an INSERT's columns, the SET columns of an
  UPDATE) runs on those values — except ``unique``, which compares them with the hidden values
  of other rows: a write that brings a value for such a key is refused before any check runs;
* one that reads hidden columns the write leaves alone is skipped when it reads nothing the write
  changes (its verdict on the row is the one it had), and refused before it runs otherwise.

Each refusal says what it is about and depends only on what the writer wrote. A check that fails
to evaluate is one ``QualityError`` naming the check (audited with the statement), never a raw
DuckDB error.
"""

from __future__ import annotations

from collections.abc import Collection

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from neurolake_lab.exceptions import QualityError
from neurolake_lab.lakehouse.quality import QualityOutcome, QualityRules, run_checks
from neurolake_lab.lakehouse.quality_sql import check_columns, check_sql


def rules_for_writer(
    rules: QualityRules,
    data: pa.Table,
    *,
    hidden: Collection[str],
    supplied: Collection[str] | None,
    table: str,
) -> QualityRules:
    """The part of ``rules`` whose verdict a writer who cannot see ``hidden`` may learn.

    Args:
        rules: The table's rules.
        data: The rows the write brings (their values are the writer's own where supplied).
        hidden: Lower-cased columns the policy masks or denies for the writer.
        supplied: Lower-cased columns whose values the write sets (``None``: all of them).
        table: ``ns.t``, for messages.

    Raises:
        QualityError: A rule would compare the writer's values with hidden ones, or judge a row
            by hidden values together with values the write changes.
    """
    hide = {c.lower() for c in hidden}
    if not hide:
        return rules
    given = None if supplied is None else {c.lower() for c in supplied}

    def runs(name: str, columns: set[str]) -> bool:
        secret = columns & hide
        if not secret:
            return True
        if given is None or secret <= given:
            return True
        if columns & given:
            raise _refused(table, name, secret, "judges the row by them together with values "
                           "this write changes")  # fmt: skip
        return False

    kept = QualityRules(
        not_null=[c for c in rules.not_null if runs(f"not_null({c})", {c.lower()})],
        accepted_values={
            c: v
            for c, v in rules.accepted_values.items()
            if runs(f"accepted_values({c})", {c.lower()})
        },
        ranges={c: v for c, v in rules.ranges.items() if runs(f"range({c})", {c.lower()})},
        checks=[p for p in rules.checks if runs(f"check({p})", check_columns(p))],
        rows_per_write=rules.rows_per_write,
        on_failure=rules.on_failure,
    )
    for key in rules.unique:
        columns = {c.lower() for c in key}
        if not runs(f"unique({', '.join(key)})", columns):
            continue
        secret = columns & hide
        if secret and _any_full_key(data, key):
            why = "compares the values this write brings with theirs in other rows"
            raise _refused(table, f"unique({', '.join(key)})", secret, why)
        if not secret:
            kept.unique.append(list(key))
    return kept


def evaluate(
    con: duckdb.DuckDBPyConnection,
    rules: QualityRules,
    data: pa.Table,
    *,
    columns: Collection[str],
    table: str,
    existing_sql: str | None,
) -> QualityOutcome:
    """Run ``rules`` (checks as :func:`check_sql` allows them) on ``data``; errors named."""
    name = table.rsplit(".", 1)[-1]
    compiled = {p: check_sql(p, columns, name) for p in rules.checks}
    try:
        return run_checks(con, data, rules, existing_sql, compiled)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise QualityError(
            f"write to {table} refused: its quality checks could not be evaluated ({first}); "
            "nothing was written",
            violations={},
        ) from None


def _any_full_key(data: pa.Table, key: list[str]) -> bool:
    """Whether some row of ``data`` has a value in every column of ``key`` (a comparable key)."""
    lower = {c.lower(): c for c in data.column_names}
    mask = None
    for column in key:
        name = lower.get(column.lower())
        if name is None:
            return False
        valid = pc.is_valid(data.column(name))
        mask = valid if mask is None else pc.and_(mask, valid)
    return bool(mask is not None and pc.any(mask).as_py())


def _refused(table: str, rule: str, secret: set[str], why: str) -> QualityError:
    columns = ", ".join(sorted(secret))
    error = QualityError(
        f"write to {table} refused before its checks ran: the rule {rule} reads {columns}, "
        f"which the policy hides from you, and {why}; nothing was written",
        violations={},
    )
    error.hint = "Leave those columns out of the write, or ask the workspace owner to make it"
    return error
