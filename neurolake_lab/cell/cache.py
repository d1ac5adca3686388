"""Stages: serve a query from the result cache, and keep what ran for the next time.

Only queries over lakehouse tables are cached, keyed by the normalized SQL, the snapshot of every
input, the bound values and the policy context (policy version, user, ``--no-pii``, the rewritten
SQL), so two users or two policies never share an entry. A result that shows PII in clear is never
cached: the cache spills to files. ``result_cache = false`` (``NEUROLAKE_RESULT_CACHE=off``) turns
it off: every query runs (what benchmarks of cold runs use).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from neurolake_lab.engine import Execution

if TYPE_CHECKING:
    from neurolake_lab.cell.plan import CellPlan, StatementPlan
    from neurolake_lab.compliance.policy import NoPii
    from neurolake_lab.services import Services


def answered(plan: CellPlan, services: Services, *, count: bool = True) -> bool:
    """Whether the result cache answers the cell, looked up before its cost is predicted.

    A cell of one query whose result is cached costs nothing to run, so it is neither predicted
    nor asked about (a prediction at SF 1 costs 120-215 ms, more than the cached answer). The
    statement's own stages up to the lookup run here (parameters, policy, route); they run again
    as the statement runs, and the lookup is not repeated. Anything they refuse is left for that
    run to report and audit. ``count=False``: a look ahead for another plan, not a cache hit.
    """
    from neurolake_lab.cell.govern import govern
    from neurolake_lab.cell.route import bind_parameters, route
    from neurolake_lab.exceptions import NeuroLakeError

    if len(plan.statements) != 1 or not services.settings.result_cache:
        return False
    step = plan.statements[0]
    if step.writes or step.kind != "SELECT":
        return False
    try:
        for stage in (bind_parameters, govern, route):
            stage(plan, step, services)
        lookup(plan, step, services, count=count)
    except NeuroLakeError:
        return False
    return step.cached


def text_answered(
    services: Services,
    text: str,
    namespace: Mapping[str, Any],
    *,
    no_pii: NoPii,
    user: str,
    engine: str | None = None,
) -> bool:
    """Whether the result cache would answer the cell ``text`` now (nothing is audited).

    What ``%%sql`` checks before it predicts the cost to decide whether to ask: a cached result
    is neither predicted nor asked about. Anything wrong with the cell is left to its run.
    """
    from neurolake_lab.cell.plan import CellPlan
    from neurolake_lab.cell.prepare import prepare
    from neurolake_lab.exceptions import NeuroLakeError

    if not services.settings.result_cache:
        return False
    plan = CellPlan(text, None, namespace, no_pii=no_pii, user=user, engine=engine, audit=False)
    try:
        prepare(plan, services)
    except NeuroLakeError:
        return False
    return answered(plan, services, count=False)  # the cell's own run counts its hit


def lookup(plan: CellPlan, step: StatementPlan, services: Services, *, count: bool = True) -> None:
    """Key the query and take its result from the cache when the cache has it."""
    from neurolake_lab.cache import CacheKey

    if step.cached:
        return  # ``answered`` found it before the prediction
    if step.writes or step.kind != "SELECT" or not services.settings.result_cache:
        return
    if not services.lakehouse.access.tables_in(step.sql):
        return
    enforcement = step.enforcement
    if enforcement is not None:
        masked = {m["column"] for m in enforcement.masked}
        if any(c["column"] not in masked for c in enforcement.pii_columns):
            return  # personal data in clear never goes into cache files
    version = enforcement.policy_version if enforcement is not None else "none"
    digest = hashlib.sha256(step.run_sql.encode()).hexdigest()[:16]
    # a cell run on another engine (--engine) runs there: its results are kept apart
    context = f"{version}|{plan.user}|{plan.no_pii}|{plan.engine or ''}|{digest}"
    cache = services.result_cache
    key = cache.key(
        services.query, step.sql, policy_context=context, params=step.bound,
        namespace=plan.namespace,
    )  # fmt: skip
    if not isinstance(key, CacheKey):
        return
    step.cache_key = key
    table = cache.get(key, count=count)
    if table is None:
        return
    types = [str(t) for t in services.engine.con.from_arrow(table.schema.empty_table()).types]
    step.execution = Execution(table, types, step.kind, step.run_sql, 0.0, 0.0)
    step.cached = True
    plan.notices.append("from the result cache: the tables are at the same snapshots")


def keep(plan: CellPlan, step: StatementPlan, services: Services) -> None:
    """Put a query's fresh result into the cache under the key ``lookup`` made."""
    execution = step.execution
    if step.cache_key is None or step.cached or execution is None or execution.table is None:
        return
    services.result_cache.put(step.cache_key, execution.table)
