"""``<table>__quarantine``: where rows that broke a table's quality checks are kept, with why.

A write whose table (or pipeline run) says ``"on_failure": "quarantine"`` commits the rows that
pass and keeps the others here — each with ``_violations`` (the checks it broke) and
``_quarantined_at`` — so that no row of a write is ever lost: the table and its quarantine hold
every row the write brought (an UPDATE's rejected new versions are here, the rows they would
have replaced stay in the table). The quarantine table belongs to the table's owner, not to
whoever wrote, and takes the table's PII tags (``compliance.tagging``), so what the policy hides
in the table it hides here too.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pyarrow as pa

from neurolake_lab.lakehouse.naming import display_name
from neurolake_lab.lakehouse.write_context import OWNER_PROPERTY, WriteContext

if TYPE_CHECKING:
    from neurolake_lab.lakehouse.statements import TableId
    from neurolake_lab.lakehouse.tables import TableWriter

SUFFIX = "__quarantine"


def quarantine_of(tid: TableId) -> TableId:
    """The quarantine table of ``tid``."""
    return (tid[0], tid[1] + SUFFIX)


def parent_of(tid: TableId) -> TableId | None:
    """The table whose quarantine ``tid`` is, if it is one."""
    if tid[1].endswith(SUFFIX) and len(tid[1]) > len(SUFFIX):
        return (tid[0], tid[1][: -len(SUFFIX)])
    return None


def keep(writer: TableWriter, tid: TableId, bad: pa.Table, ctx: WriteContext) -> None:
    """Append ``bad`` (rows with ``_violations``) to the quarantine of ``tid``, creating it."""
    if not bad.num_rows:
        return
    qid = quarantine_of(tid)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = bad.append_column("_quarantined_at", pa.array([now] * bad.num_rows, pa.timestamp("us")))
    qctx = WriteContext(user=ctx.user, sql=ctx.sql, cell=ctx.cell)
    if writer.exists(qid):
        writer.append(qid, rows, qctx, by_name=True, operation="quarantine")
        return
    owner = writer.load(tid).properties.get(OWNER_PROPERTY)
    comment = f"rows refused by the quality checks of {display_name(tid)}"
    writer.create(qid, rows, qctx, operation="quarantine", properties={"comment": comment},
                  owner=owner)  # fmt: skip
