"""The Monitor's fixes: a repaired SQL (tested on a sample first), or columns added to a target.

A repair is only kept when the repaired SQL runs on a sample — as the pipeline's owner, governed
like every run — and gives columns the target has; otherwise the Monitor pauses the pipeline
instead of writing something else than before.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from neurolake_lab.exceptions import QueryError
from neurolake_lab.pipelines.model import Action, Pipeline
from neurolake_lab.pipelines.repair import rename_column, rename_table
from neurolake_lab.pipelines.runner import body, target_sql
from neurolake_lab.pipelines.sources import source_state, table_metadata

if TYPE_CHECKING:
    from neurolake_lab.pipelines.diagnose import Diagnosis
    from neurolake_lab.pipelines.runner import OwnerSession

#: Rows the repaired SQL is tried on before it replaces the old one.
SAMPLE_ROWS = 100


def repair_sql(
    pipeline: Pipeline, session: OwnerSession, found: Diagnosis
) -> tuple[Pipeline, Action]:
    """The pipeline with its SQL repaired for a renamed column or table, and what was done."""
    ev = found.evidence
    sources = list(pipeline.sources)
    if found.cause == "column_renamed":
        state = source_state(session.lakehouse, pipeline.sources)
        others = {t: {c[0].lower() for c in s["columns"].values()} for t, s in state.items()}
        new_sql = rename_column(pipeline.sql, ev["table"], ev["old"], ev["new"], others)
        what = f"{ev['table']}.{ev['old']} -> {ev['new']}"
    elif found.cause == "table_renamed":
        new_sql = rename_table(pipeline.sql, ev["table"], ev["new_name"])
        sources = [ev["new_name"] if s == ev["table"] else s for s in sources]
        what = f"{ev['table']} -> {ev['new_name']}"
    else:
        raise QueryError(f"no SQL repair for {found.cause}")
    sample = session.sql(
        f"SELECT * FROM ({body(new_sql)}) AS __nl_sample LIMIT {SAMPLE_ROWS}", namespace={}
    )
    meta = table_metadata(session.lakehouse, pipeline.target)
    if meta is not None:
        known = {f.name.lower() for f in meta.schema().fields}
        extra = [c for c in sample.columns if c.lower() not in known]
        if extra:
            raise QueryError(
                f"the repaired SQL gives column(s) {', '.join(extra)} that {pipeline.target} "
                "does not have; not applied"
            )
    repaired = dataclasses.replace(
        pipeline, sql=new_sql, version=pipeline.version + 1, sources=sorted(set(sources))
    )
    detail = (
        f"repaired the SQL for {what} (version {pipeline.version} -> {repaired.version}); "
        f"tried on a sample first: {len(sample)} rows, columns {', '.join(sample.columns)}"
    )
    return repaired, Action("repair_sql", detail, old_sql=pipeline.sql, new_sql=new_sql)


def add_columns(pipeline: Pipeline, session: OwnerSession, added: list[str]) -> Action:
    """Add columns a source gained to the target (earlier rows read NULL), then the run retries."""
    probe = session.sql(f"SELECT * FROM ({body(pipeline.sql)}) AS __nl_src LIMIT 0", namespace={})
    types = dict(zip(probe.columns, probe.column_types, strict=True))
    lower = {c.lower(): c for c in types}
    parts = []
    for column in added:
        name = lower.get(column.lower())
        if name is None:
            raise QueryError(f"the pipeline's SQL does not give column {column}")
        parts.append(f'ADD COLUMN "{name}" {types[name]}')
    for part in parts:
        session.sql(f"ALTER TABLE {target_sql(pipeline.target)} {part}", namespace={})
    return Action("add_column", f"added {', '.join(added)} to {pipeline.target} (schema evolution: "
                  "earlier rows read NULL)")  # fmt: skip
