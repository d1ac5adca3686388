"""The outcome of enforcing the policy on one statement: what to run and every decision taken."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from neurolake_lab.compliance.policy.errors import PolicyViolation
from neurolake_lab.compliance.policy.guard import Refusal


@dataclass(frozen=True)
class Enforcement:
    """What the policy did to one statement.

    Attributes:
        sql: The statement to run (DuckDB dialect): rewritten, or the original text unchanged.
        rewritten: Whether ``sql`` differs from what was asked.
        user: Who asked.
        purpose: The declared purpose, if any.
        policy_version: The version of the policy that decided (audit it with the query).
        pii_columns: ``{column, entity, category?}`` for each PII column the statement reads.
        masked: ``{column, method, policy}`` for each column it reads masked.
        row_filters: ``{table, predicate, policy}`` for each row filter applied.
        denied: ``{column, policy}`` for each denied column it needs (it must not run).
        warnings: What the user should know (PII shown in clear to the owner, remediations, an
            invalid policy file, ...).
        refusals: Ways around the catalog it tried (it must not run).
        remediations: What ``mode: remediate`` changed (also among ``warnings``).
        dropped: Result columns removed by ``no_pii="drop"``.
        tables: The governed tables the statement reads.
    """

    sql: str
    rewritten: bool
    user: str
    purpose: str | None
    policy_version: str
    pii_columns: tuple[dict[str, str], ...] = ()
    masked: tuple[dict[str, str], ...] = ()
    row_filters: tuple[dict[str, str], ...] = ()
    denied: tuple[dict[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    remediations: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    tables: tuple[str, ...] = field(default=())

    @property
    def blocked(self) -> bool:
        """Whether the statement must not run (a denied column or a refusal)."""
        return bool(self.denied or self.refusals)

    def to_report(self) -> dict[str, Any]:
        """The cell report's ``compliance`` part, exactly as ``report.schema.json`` fixes it."""
        warnings = list(self.warnings)
        warnings.extend(f'refused by rule "{r.rule}": {r.message}' for r in self.refusals)
        return {
            "pii_columns": [dict(c) for c in self.pii_columns],
            "masked": [dict(m) for m in self.masked],
            "row_filters": [dict(f) for f in self.row_filters],
            "denied": [dict(d) for d in self.denied],
            "warnings": warnings,
        }

    def to_audit(self) -> dict[str, Any]:
        """Every decision, as the audit log records a policy decision."""
        return {
            **self.to_report(),
            "warnings": list(self.warnings),
            "refusals": [r.to_dict() for r in self.refusals],
            "remediations": list(self.remediations),
            "dropped": list(self.dropped),
            "tables": list(self.tables),
            "policy_version": self.policy_version,
            "purpose": self.purpose,
            "rewritten": self.rewritten,
            "executed_sql": self.sql,
            "blocked": self.blocked,
        }

    def error(self) -> PolicyViolation | None:
        """The error to raise when the statement is blocked (``None`` when it may run)."""
        if self.refusals:
            first = self.refusals[0]
            more = f" (and {len(self.refusals) - 1} more)" if len(self.refusals) > 1 else ""
            return PolicyViolation(
                f'Refused by policy rule "{first.rule}": {first.message}{more}',
                kind="refused",
                enforcement=self,
                hint="Only the workspace owner may reach around the catalog; query the tables "
                "by name.",
            )
        if self.denied:
            names = ", ".join(f'{d["column"]} (policy "{d["policy"]}")' for d in self.denied)
            columns = ", ".join(d["column"].rsplit(".", 1)[-1] for d in self.denied)
            return PolicyViolation(
                f"Denied: the query needs {names}, which you may not read",
                kind="denied",
                enforcement=self,
                hint=f"Leave it out (e.g. SELECT * EXCLUDE ({columns}) ...), or ask for a role "
                "that may read it.",
            )
        return None

    def raise_if_blocked(self) -> None:
        """Raise ``PolicyViolation`` when the statement must not run."""
        err = self.error()
        if err is not None:
            raise err
