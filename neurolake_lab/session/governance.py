"""``GovernanceOps``: the Session's PII methods — tags classified and overridden, rows erased.

Classification runs on its own when a table is created or gains columns (a write hook classifies
a sample of the new columns, in the write's commit); ``classify_pii`` reads the tags (classifying
what is still untagged), ``set_pii`` overrides one, and ``erase`` removes rows for good.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neurolake_lab.compliance.recorder import stored_tags
from neurolake_lab.exceptions import UsageError
from neurolake_lab.session.facade import Facade

if TYPE_CHECKING:
    from neurolake_lab.compliance.pii.tags import PiiTag
    from neurolake_lab.lakehouse.erasure import ErasureReport
    from neurolake_lab.lakehouse.statements import TableId


class GovernanceOps(Facade):
    """``Session.classify_pii``, ``set_pii`` and ``erase``."""

    def classify_pii(self, table: str) -> dict[str, PiiTag]:
        """The PII tag of every column of ``table`` (classifying columns without one now).

        Tags are stored with the table (property ``neurolake.pii``), so classification runs once
        per column, not per call; overrides from :meth:`set_pii` are kept. A user who may not
        change the table's tags gets the classification without it being stored.
        """
        from neurolake_lab.compliance.pii import classify_table
        from neurolake_lab.compliance.pii.tags import PiiTag
        from neurolake_lab.lakehouse.naming import qualified

        lake = self.lakehouse
        tid, meta = lake.metadata(table)
        columns = [f.name for f in meta.schema().fields]
        tags = stored_tags(lake, tid)
        missing = [c for c in columns if c not in tags]
        if missing:
            select = ", ".join('"' + c.replace('"', '""') + '"' for c in missing)
            # read as this user may (rows filtered, denied columns refused), like any query
            sql = self.services.governed_read(f"SELECT {select} FROM {qualified(tid)}")
            sample = self.services.engine.con.execute(
                f"SELECT * FROM ({sql}) USING SAMPLE 200 ROWS"
            ).to_arrow_table()
            found = classify_table(
                sample,
                column_docs=self._column_docs(tid),
                table_name=f"{tid[0]}.{tid[1]}",
                phone_regions=self.services.tagger.phone_regions,
            )
            if self.services.authorizer.allowed("tag", tid):  # others see, but store nothing
                self.services.tagger.store(tid, found, replace_overrides=False)
                lake.refresh(self.services.engine.con)
            tags = {**found, **stored_tags(lake, tid)}
        return {c: tags.get(c, PiiTag.none()) for c in columns}

    def set_pii(self, table: str, column: str, entity: str | None) -> PiiTag:
        """Override the tag of one column (``entity=None``: not PII); overrides persist."""
        from neurolake_lab.compliance.pii.tags import PiiTag

        lake = self.lakehouse
        tid, meta = lake.metadata(table)
        names = {f.name for f in meta.schema().fields}
        if column not in names:
            raise UsageError(f"table {tid[0]}.{tid[1]} has no column {column}")
        self.require("tag", tid, "set_pii")
        tag = PiiTag.override(entity.upper() if entity else None)
        self.services.tagger.store(tid, {column: tag}, replace_overrides=True)
        lake.refresh(self.services.engine.con)
        self.services.recorder.record("policy_change", table=f"{tid[0]}.{tid[1]}", column=column,
                    action="pii override", entity=tag.entity)  # fmt: skip
        return tag

    def erase(self, table: str, predicate: str) -> ErasureReport:
        """Right to erasure: delete the rows matching ``predicate`` from ``table`` for good.

        The rows are deleted, every snapshot that still holds them is expired and the files
        only those used are deleted (and the same rows leave ``<table>__quarantine``). The audit
        log records the erasure — table, counts, snapshots — without the erased values.
        """
        from neurolake_lab.compliance.redact import redact
        from neurolake_lab.lakehouse.erasure import erase

        lake = self.lakehouse
        tid = lake.resolve(table)
        self.require("erase", tid, "erase")
        self.services.authorizer.require_clear(tid, "erase", condition=predicate)
        hidden = redact(predicate)
        ctx = self.services.write_context(f"-- erasure: rows where {hidden}")
        report = erase(lake, tid, predicate, ctx)
        self.services.result_cache.clear()  # an erasure must not survive in a cache file
        self.services.recorder.record(
            "erasure", table=report.table, predicate=hidden, rows_removed=report.rows_removed,
            snapshots_expired=report.snapshots_expired, files_deleted=report.files_deleted,
            also=report.also,
        )  # fmt: skip
        return report

    def publish_policy(self, text: str) -> int:
        """Make ``text`` the shared policy in force (PostgreSQL catalog; the owner only).

        Returns the new version's id; the change is audited like any policy change.
        """
        from neurolake_lab.compliance.policy.sql_store import SqlPolicyStore, publish_policy

        store = self.services.policies
        if not isinstance(store, SqlPolicyStore):
            raise UsageError(
                "policies are published to a PostgreSQL catalog; this workspace's policy is its "
                "policies.yaml file",
            )
        self.require("policy", None, "publish_policy")
        version = publish_policy(store.engine, text, author=self.services.user)
        store.published()
        return version

    def _column_docs(self, tid: TableId) -> dict[str, str]:
        from neurolake_lab.lakehouse.lakehouse import read_metadata

        location = self.services.lakehouse.pointers.get(tid)
        if location is None:
            return {}
        return {f.name: f.doc for f in read_metadata(location).schema().fields if f.doc}
