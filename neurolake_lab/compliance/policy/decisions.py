"""What the policy decided for the columns a statement reads, as an enforcement reports it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neurolake_lab.compliance.policy.plans import TablePlan


def decide(
    plans: Mapping[str, TablePlan], read: Mapping[str, set[str]], warnings: list[str]
) -> dict[str, list[Any]]:
    """The decisions on the columns a statement reads (``read``: table → columns).

    PII columns, masks, denials, row filters and remediations, as the enforcement reports them;
    ``warnings`` gets the owner's clear PII and what remediate mode did.
    """
    pii: list[dict[str, str]] = []
    masked: list[dict[str, str]] = []
    denied: list[dict[str, str]] = []
    filters: list[dict[str, str]] = []
    remediations: list[str] = []
    clear: list[str] = []
    for table in sorted(plans):
        plan = plans[table]
        for col in sorted(read.get(table, ()), key=list(plan.columns).index):
            decision = plan.decisions.get(col)
            if decision is None:
                continue
            column = f"{table}.{decision.column}"
            if decision.tag is not None and decision.tag.is_pii:
                pii.append(decision.tag.to_report(column))
            if decision.action == "mask" and decision.method is not None:
                masked.append(
                    {"column": column, "method": decision.method, "policy": decision.policy}
                )
                if decision.remediated:
                    remediations.append(
                        f'{column} is denied by policy "{decision.policy}"; in remediate mode '
                        f"it was masked ({decision.method}) instead"
                    )
            elif decision.action == "deny":
                denied.append({"column": column, "policy": decision.policy})
            elif decision.tag is not None and decision.tag.is_pii and decision.policy == "owner":
                entity = decision.tag.entity or decision.tag.entities[0]
                clear.append(f"{column} ({entity})")
        for applied in plan.filters:
            filters.append(
                {"table": table, "predicate": applied.predicate, "policy": applied.policy}
            )
    if clear:
        warnings.append(
            "personal data shown in clear because you own the workspace: " + ", ".join(clear)
        )
    warnings.extend(remediations)
    return {
        "pii_columns": pii,
        "masked": masked,
        "row_filters": filters,
        "denied": denied,
        "remediations": remediations,
        "tables": sorted(plans),
    }
