"""Follow-up questions: refine the previous intent with what the new words say.

"only for Germany" adds (or replaces) a filter on the column that holds 'Germany'; "now by
month" replaces the grouping; "last year instead" replaces the time window; "top 3" the limit;
"remove PII" adds the transformation; a new measure ("and the revenue?") replaces the measures.
Everything the follow-up does not mention is kept from the previous question.
"""

from __future__ import annotations

import copy

from neurolake_lab.agents.intent import Intent


def merge(previous: Intent, new: Intent) -> Intent:
    """The previous intent refined by the follow-up's intent."""
    out = copy.deepcopy(previous)
    out.question = new.question
    out.source = new.source
    out.notes = [f"refines: {previous.question!r}"]
    if new.entity and new.entity != previous.entity and not new.filters and not new.grouping:
        out.entity = new.entity
    asked = [m for m in new.measures if not m.implied]
    if asked:
        out.measures = asked
        out.action = new.action
        out.having = new.having
    for f in new.filters:
        out.filters = [old for old in out.filters if not (old.column and old.column == f.column)]
        out.filters.append(f)
    if new.window is not None:
        out.window = new.window
    if new.grouping:
        out.grouping = new.grouping
        if not out.measures:
            out.measures = new.measures
        if out.action == "list" or out.action == "count":
            out.action = "aggregate"
    out.relations.extend(new.relations)
    if new.order:
        out.order = new.order
    if new.limit is not None:
        out.limit = new.limit
    for t in new.transformations:
        if t not in out.transformations:
            out.transformations.append(t)
    if new.projections and out.action == "list":
        out.projections = new.projections
    return out
