"""The Monitor: watches pipeline runs, diagnoses failures, heals what it can, alerts otherwise.

After a failure it follows one rule per diagnosed cause (``diagnose.py``):

* ``transient_io`` — retry with exponential backoff, up to ``pipeline_retries`` times;
* ``column_renamed`` / ``table_renamed`` — repair the SQL (``repair.py``), run the repair on a
  sample (it must give the same columns as before), record the old and new SQL as a new version,
  and retry;
* ``column_changed`` with a column added — add it to the target (Iceberg schema evolution:
  earlier rows read NULL) and retry; a dropped column or a changed type cannot be fixed safely;
* ``bad_rows`` — retry once with the bad rows quarantined instead of refusing the write;
* everything else (``table_dropped``, ``permission_denied``, ``unknown``), and any fix that
  failed — pause the pipeline and alert: the target stays at its last good snapshot.

After every run it checks quality (rows quarantined), row count against the pipeline's own history
(median and median absolute deviation of its last successful runs: a threshold learned per
pipeline), and schema drift of the sources; on each scheduler tick, freshness against the
schedule. Every incident and every action is stored (``%pipelines --incidents``, ``history``) and
audited.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from neurolake_lab.pipelines.diagnose import Diagnosis, diagnose
from neurolake_lab.pipelines.model import Action, Incident, Pipeline, Run, iso
from neurolake_lab.pipelines.sources import schema_changes, source_state

if TYPE_CHECKING:
    from neurolake_lab.pipelines.runner import OwnerSession
    from neurolake_lab.pipelines.store import PipelineStore

#: Row-count history needed before anomalies are flagged, and how much of it is used.
MIN_HISTORY, MAX_HISTORY = 5, 30
#: Robust z-score beyond which a row count is an anomaly (Iglewicz and Hoaglin's 3.5).
Z_LIMIT = 3.5
#: A scheduled pipeline is stale when its last good run is older than this many periods.
STALE_PERIODS = 2.0
_REPAIRABLE = ("column_renamed", "table_renamed", "column_changed", "bad_rows")


@dataclass
class Decision:
    """What the run loop does next: retry (after ``delay``), with ``pipeline`` if repaired."""

    retry: bool
    delay: float = 0.0
    pipeline: Pipeline | None = None
    quarantine: bool = False


@dataclass(frozen=True)
class RowBand:
    """The row counts a pipeline's runs normally write, learned from its own history."""

    median: float
    low: float
    high: float
    runs: int


def row_band(history: list[int]) -> RowBand | None:
    """Median ± 3.5 robust deviations of earlier counts (``None``: too little history).

    The deviation is the median absolute deviation scaled to a standard deviation (x 1.4826),
    floored at 5% of the median (and one row), so a pipeline that always writes the same count
    is not alarmed by one more row.

    >>> band = row_band([100, 104, 98, 101, 99, 103])
    >>> (band.low < 100 < band.high, band.high < 200)
    (True, True)
    """
    if len(history) < MIN_HISTORY:
        return None
    med = statistics.median(history)
    mad = statistics.median(abs(x - med) for x in history) * 1.4826
    spread = max(mad, 0.05 * abs(med), 1.0) * Z_LIMIT
    return RowBand(med, max(0.0, med - spread), med + spread, len(history))


class Monitor:
    """Diagnoses and heals failed runs, checks finished ones, and keeps every incident."""

    name = "monitor"

    def __init__(self, store: PipelineStore, *, retries: int = 3, backoff: float = 2.0) -> None:
        self.store = store
        self.retries = retries
        self.backoff = backoff

    # -- failures --------------------------------------------------------------------------------

    def handle_failure(
        self, exc: BaseException, pipeline: Pipeline, session: OwnerSession, run: Run, attempt: int
    ) -> Decision:
        """Diagnose a failed attempt and decide (and do) what heals it."""
        last_good = next((r for r in self.store.runs(pipeline.name, limit=20)
                          if r.ok and r.sources), None)  # fmt: skip
        baseline = {**run.sources, **(last_good.sources if last_good else {})}
        found = diagnose(exc, pipeline, session.lakehouse, baseline)
        incident = self._incident_for(run, pipeline, found)
        decision = self._heal(found, pipeline, session, run, attempt, incident)
        if not decision.retry:
            self._pause(pipeline, session, incident, found)
        self._save(incident, session)
        return decision

    def _incident_for(self, run: Run, pipeline: Pipeline, found: Diagnosis) -> Incident:
        """The run's open incident for the same cause (a retry adds to it), or a new one."""
        for incident_id in run.incidents:
            for incident in self.store.incidents(pipeline.name, limit=20):
                if incident.id == incident_id and incident.cause == found.cause:
                    incident.evidence.update(found.evidence)
                    return incident
        incident = Incident(
            uuid.uuid4().hex,
            pipeline.name,
            "failure",
            found.detail,
            cause=found.cause,
            run_id=run.id,
            evidence=dict(found.evidence),
        )
        run.incidents.append(incident.id)
        return incident

    def _heal(
        self,
        found: Diagnosis,
        pipeline: Pipeline,
        session: OwnerSession,
        run: Run,
        attempt: int,
        incident: Incident,
    ) -> Decision:
        if found.cause == "transient_io":
            if attempt >= self.retries:
                incident.actions.append(Action("retry", f"gave up after {attempt} retries", False))
                return Decision(False)
            delay = self.backoff * (2**attempt)
            incident.actions.append(
                Action("retry", f"retry {attempt + 1} of {self.retries} after {delay:g} s")
            )
            return Decision(True, delay=delay)
        if found.cause not in _REPAIRABLE:
            return Decision(False)
        if any(a.kind != "retry" for a in incident.actions):
            incident.actions.append(Action("none", "the fix did not help", False))
            return Decision(False)  # one repair per cause and run: never loop
        from neurolake_lab.pipelines import healing

        try:
            if found.cause == "bad_rows":
                incident.actions.append(
                    Action(
                        "quarantine",
                        "retry with the rows that break the checks quarantined "
                        f"in {pipeline.target}__quarantine",
                    )
                )
                return Decision(True, quarantine=True)
            if found.cause == "column_changed":
                added = found.evidence.get("added")
                if not added:
                    return Decision(False)
                incident.actions.append(healing.add_columns(pipeline, session, added))
                return Decision(True)
            repaired, action = healing.repair_sql(pipeline, session, found)
        except Exception as exc:  # the fix itself failed: say so, then pause
            incident.actions.append(Action("repair_sql" if "renamed" in found.cause else "none",
                                           f"could not fix: {exc}", False))  # fmt: skip
            return Decision(False)
        incident.actions.append(action)
        self.store.save(repaired, reason=action.detail, author=self.name)
        return Decision(True, pipeline=repaired)

    def _pause(
        self, pipeline: Pipeline, session: OwnerSession, incident: Incident, found: Diagnosis
    ) -> None:
        current = self.store.get(pipeline.name) or pipeline
        current.status = "paused"
        current.paused_reason = f"{found.cause}: {found.detail}"
        self.store.save(current)
        incident.actions.append(
            Action(
                "pause",
                f"paused {pipeline.name}: cannot fix {found.cause} on its own; "
                f"{pipeline.target} stays at its last good snapshot",
            )
        )
        incident.status = "alerted"
        session.record("pipeline", pipeline=pipeline.name, action="pause", by=self.name,
                       reason=current.paused_reason)  # fmt: skip

    # -- after a run -----------------------------------------------------------------------------

    def after_run(self, pipeline: Pipeline, session: OwnerSession, run: Run) -> None:
        """Close this run's failure incidents, then check quality, row count and schema drift."""
        for incident in self.store.incidents(pipeline.name, limit=50):
            if incident.id in run.incidents and incident.status == "open":
                incident.status = "fixed" if run.ok else "alerted"
                self._save(incident, session)
        if not run.ok:
            return
        if run.rows_quarantined:
            self._raise(
                run, pipeline, session, "quality", f"{run.rows_quarantined} rows broke the quality "
                f"checks of {pipeline.target} and went to {pipeline.target}__quarantine",
                cause="bad_rows", status="fixed",
                actions=[Action("quarantine", f"{run.rows_quarantined} rows quarantined")],
            )  # fmt: skip
        self._check_rows(pipeline, session, run)
        self._check_drift(pipeline, session, run)

    def _check_rows(self, pipeline: Pipeline, session: OwnerSession, run: Run) -> None:
        if run.rows_written is None:
            return
        earlier = [r.rows_written for r in self.store.runs(pipeline.name, limit=MAX_HISTORY + 1)
                   if r.ok and r.id != run.id and r.rows_written is not None]  # fmt: skip
        band = row_band(earlier[:MAX_HISTORY])
        if band is None or band.low <= run.rows_written <= band.high:
            return
        self._raise(
            run, pipeline, session, "row_count",
            f"wrote {run.rows_written} rows; its last {band.runs} runs wrote "
            f"{band.low:.0f}-{band.high:.0f} (median {band.median:g})",
            status="alerted", evidence={"rows": run.rows_written, "median": band.median,
                                        "low": band.low, "high": band.high},
        )  # fmt: skip

    def _check_drift(self, pipeline: Pipeline, session: OwnerSession, run: Run) -> None:
        last = next((r for r in self.store.runs(pipeline.name, limit=20)
                     if r.ok and r.id != run.id and r.sources), None)  # fmt: skip
        if last is None:
            return
        now_state = source_state(session.lakehouse, pipeline.sources)
        changes = schema_changes(last.sources, now_state)
        explained = {i.cause for i in self.store.incidents(pipeline.name, limit=20)
                     if i.id in run.incidents}  # fmt: skip
        if not changes or explained & {"column_renamed", "column_changed"}:
            return
        self._raise(
            run, pipeline, session, "schema_drift", "; ".join(c.describe() for c in changes),
            status="alerted", evidence={"changes": [c.__dict__ for c in changes]},
        )  # fmt: skip

    # -- on a schedule ---------------------------------------------------------------------------

    def check_freshness(self, pipeline: Pipeline, session: OwnerSession | None) -> Incident | None:
        """An incident when a scheduled pipeline's last good run is older than its schedule says."""
        from neurolake_lab.pipelines.schedule import Schedule

        if not pipeline.schedule or not pipeline.active:
            return None
        runs = self.store.runs(pipeline.name, limit=MAX_HISTORY)
        last_ok = next((r for r in runs if r.ok), None)
        since = (last_ok.ended_at or last_ok.started_at) if last_ok else pipeline.created_at
        moment = datetime.now(UTC)
        period = Schedule.parse(pipeline.schedule).period(moment)
        limit = period * STALE_PERIODS + timedelta(minutes=5)
        if moment - datetime.fromtimestamp(since, UTC) <= limit:
            return None
        for incident in self.store.incidents(pipeline.name, limit=20):
            if incident.check == "freshness" and incident.at > since:
                return None  # already raised for this stale spell
        return self._raise(
            None,
            pipeline,
            session,
            "freshness",
            f"no good run since {iso(since)}: it should run {pipeline.schedule}",
            status="alerted",
            evidence={"last_good": iso(since), "period_s": period.total_seconds()},
        )

    # -- keeping incidents -----------------------------------------------------------------------

    def _raise(
        self,
        run: Run | None,
        pipeline: Pipeline,
        session: OwnerSession | None,
        check: str,
        detail: str,
        *,
        cause: str | None = None,
        status: str = "open",
        evidence: dict[str, Any] | None = None,
        actions: list[Action] | None = None,
    ) -> Incident:
        incident = Incident(
            uuid.uuid4().hex, pipeline.name, check, detail, cause=cause,
            run_id=run.id if run else None, status=status, evidence=evidence or {},
            actions=actions or [],
        )  # fmt: skip
        if run is not None:
            run.incidents.append(incident.id)
        self._save(incident, session)
        return incident

    def _save(self, incident: Incident, session: OwnerSession | None) -> None:
        self.store.save_incident(incident)
        if session is not None:
            last = incident.actions[-1] if incident.actions else None
            session.record(
                "pipeline_incident", pipeline=incident.pipeline, incident=incident.id,
                check=incident.check, cause=incident.cause, status=incident.status,
                detail=incident.detail, run_id=incident.run_id,
                action=f"{last.kind}: {last.detail}" if last else None,
                old_sql=last.old_sql if last else None, new_sql=last.new_sql if last else None,
            )  # fmt: skip


def new_interrupted_incident(run: Run, committed: int | None) -> Incident:
    """The incident of a run whose process died: recovered if its commit is there, else redone."""
    if committed is not None:
        action = Action("recover", f"its write had committed (snapshot {committed}): nothing to "
                        "redo, nothing written twice")  # fmt: skip
        status = "fixed"
    else:
        action = Action("retry", "nothing was committed (the target is at its snapshot from "
                        "before the run); the next run writes it")  # fmt: skip
        status = "fixed"
    return Incident(
        uuid.uuid4().hex, run.pipeline, "interrupted",
        f"run {run.id[:8]} stopped mid-run (its process died without finishing)",
        cause="killed", run_id=run.id, status=status, actions=[action],
        evidence={"before_snapshot": run.before_snapshot, "committed_snapshot": committed},
    )  # fmt: skip
