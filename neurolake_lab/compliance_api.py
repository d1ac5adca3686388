"""The compliance part of ``Session``: PII tags of columns, classified and overridden.

A mixin beside ``lakehouse_api.py``. Classification runs on its own when a table is created or
gains columns (a write hook classifies a sample of the new columns, in the write's commit);
``classify_pii`` reads the tags (classifying what is still untagged) and ``set_pii`` overrides one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neurolake_lab.exceptions import QueryError, UsageError
from neurolake_lab.session_core import SessionCore

if TYPE_CHECKING:
    from neurolake_lab.cache import ResultCache
    from neurolake_lab.compliance.audit import AuditStore
    from neurolake_lab.compliance.pii.tags import PiiTag
    from neurolake_lab.compliance.policy import PolicyStore
    from neurolake_lab.compliance.tagging import PiiTagger
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.erasure import ErasureReport
    from neurolake_lab.lakehouse.statements import TableId


class ComplianceAPI(SessionCore):
    """``Session.classify_pii``, ``set_pii`` and the write-time PII tagging."""

    if TYPE_CHECKING:  # provided by Session
        _tagger: PiiTagger | None
        _audit: AuditStore | None

        def _governance_inputs(
            self,
        ) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, Any]]]: ...

        @property
        def policies(self) -> PolicyStore: ...  # noqa: D102

        @property
        def result_cache(self) -> ResultCache: ...  # noqa: D102

    @property
    def tagger(self) -> PiiTagger:
        """Tags new columns of the tables this session writes (created with the lakehouse)."""
        if self._tagger is None:
            from neurolake_lab.compliance.tagging import PiiTagger

            self._tagger = PiiTagger(
                lambda: self.lakehouse.catalog,
                phone_regions=self.lakehouse.settings.pii_phone_regions,
            )
        return self._tagger

    @property
    def audit(self) -> AuditStore:
        """The workspace's tamper-evident audit log (``.verify()``, ``.tail(n)``)."""
        if self._audit is None:
            from neurolake_lab.compliance.audit import open_audit_log

            settings = self.lakehouse.settings
            self._audit = open_audit_log(settings.workspace, self.lakehouse.config.uri)
        return self._audit

    def record(self, kind: str, sql: str | None = None, **data: Any) -> str:
        """Append one audit record (the SQL with personal data redacted); returns its id."""
        if sql is not None:
            data["sql"] = self.redacted(sql)
        if data.get("executed_sql"):
            data["executed_sql"] = self.redacted(data["executed_sql"])
        data = {k: v for k, v in data.items() if v is not None}
        return self.audit.append(kind, user=self.user, **data)

    def carried_tags(self, sql: str, target: TableId) -> dict[str, dict[str, Any]]:
        """The PII tags a CTAS/INSERT's target columns get from the columns they copy."""
        from neurolake_lab.compliance.policy import carry_tags
        from neurolake_lab.compliance.policy.errors import PolicyError

        schema, tags = self._governance_inputs()
        if not tags:
            return {}
        try:
            if sql.lstrip()[:5].upper() == "MERGE":  # the source's columns, matched by name
                from neurolake_lab.lakehouse.merge import parse_source_query

                sql = parse_source_query(sql)
            carried = carry_tags(sql, schema=schema, tags=tags)
        except (PolicyError, ValueError, QueryError):
            return {}
        return {column: dict(c.tag) for column, c in carried.items()}

    def redacted(self, sql: str) -> str:
        """``sql`` without the literals that could hold personal data of the tables it names."""
        from neurolake_lab.compliance.redact import redact_sql

        columns: set[str] = set()
        tables: set[str] = set()
        for tid in self.lakehouse.access.tables_in(sql):
            pii = {c for c, t in self._stored_tags(tid).items() if t.entity}
            if pii:
                columns |= pii
                tables |= {tid[1], f"{tid[0]}.{tid[1]}"}
        return redact_sql(sql, columns, tables) if columns else sql

    def tables_read(self, sql: str) -> dict[str, int | None]:
        """The Iceberg tables ``sql`` names, with the snapshot each is read at (for the audit)."""
        lake = self.lakehouse
        return {f"{t[0]}.{t[1]}": lake.current_snapshot_id(t) for t in lake.access.tables_in(sql)}

    def install_compliance_hooks(self, lake: Lakehouse) -> None:
        """Register the compliance write hooks and view rules on a newly opened lakehouse.

        Order matters: PII is classified on clear values, then marked columns are encrypted.
        """
        from neurolake_lab.compliance.encryption import FieldEncryptor, decrypting_view_columns

        encryptor = FieldEncryptor(lake.settings.workspace)
        lake.write_hooks.append(self.tagger.hook)
        lake.write_hooks.append(encryptor.hook)
        encryptor.register(self.engine.con)
        lake.view_columns = lambda tid, props: decrypting_view_columns(
            tid, props, lambda column: self.may_decrypt(tid, column)
        )

    def may_decrypt(self, tid: TableId, column: str) -> bool:
        """Whether this session's user sees an encrypted column in clear.

        The policies decide: the column decrypts for a user who may read it unmasked (the
        owner, by default); for anyone it is masked or denied for, it stays ciphertext.
        """
        from neurolake_lab.compliance.policy import enforce

        policy = self.policies.current()
        if policy.error is not None:  # an invalid policy file: fail closed
            return False
        schema, tags = self._governance_inputs()
        quoted = '"' + column.replace('"', '""') + '"'
        sql = f'SELECT {quoted} FROM "{tid[0]}"."{tid[1]}"'
        try:
            result = enforce(sql, schema=schema, tags=tags, user=self.user, policy=policy)
        except Exception:  # anything unexpected: stay encrypted
            return False
        hidden = {m["column"] for m in result.masked} | {d["column"] for d in result.denied}
        return not result.blocked and f"{tid[0]}.{tid[1]}.{column}" not in hidden

    def classify_pii(self, table: str) -> dict[str, PiiTag]:
        """The PII tag of every column of ``table`` (classifying columns without one now).

        Tags are stored with the table (property ``neurolake.pii``), so classification runs once
        per column, not per call; overrides from :meth:`set_pii` are kept.
        """
        from neurolake_lab.compliance.pii import classify_table
        from neurolake_lab.compliance.pii.tags import PiiTag
        from neurolake_lab.lakehouse.naming import qualified

        lake = self.lakehouse
        lake.refresh(self.engine.con)
        tid, meta = lake.metadata(table)
        columns = [f.name for f in meta.schema().fields]
        tags = self._stored_tags(tid)
        missing = [c for c in columns if c not in tags]
        if missing:
            select = ", ".join('"' + c.replace('"', '""') + '"' for c in missing)
            sample = self.engine.con.execute(
                f"SELECT {select} FROM {qualified(tid)} USING SAMPLE 200 ROWS"
            ).to_arrow_table()
            found = classify_table(
                sample,
                column_docs=self._column_docs(tid),
                table_name=f"{tid[0]}.{tid[1]}",
                phone_regions=self.tagger.phone_regions,
            )
            self.tagger.store(tid, found, replace_overrides=False)
            lake.refresh(self.engine.con)
            tags = {**found, **self._stored_tags(tid)}
        return {c: tags.get(c, PiiTag.none()) for c in columns}

    def set_pii(self, table: str, column: str, entity: str | None) -> PiiTag:
        """Override the tag of one column (``entity=None``: not PII); overrides persist."""
        from neurolake_lab.compliance.pii.tags import PiiTag

        lake = self.lakehouse
        lake.refresh(self.engine.con)
        tid, meta = lake.metadata(table)
        names = {f.name for f in meta.schema().fields}
        if column not in names:
            raise UsageError(f"table {tid[0]}.{tid[1]} has no column {column}")
        tag = PiiTag.override(entity.upper() if entity else None)
        self.tagger.store(tid, {column: tag}, replace_overrides=True)
        lake.refresh(self.engine.con)
        self.record("policy_change", table=f"{tid[0]}.{tid[1]}", column=column,
                    action="pii override", entity=tag.entity)  # fmt: skip
        return tag

    def erase(self, table: str, predicate: str) -> ErasureReport:
        """Right to erasure: delete the rows matching ``predicate`` from ``table`` for good.

        The rows are deleted, every snapshot that still holds them is expired and the files
        only those used are deleted (and the same rows leave ``<table>__quarantine``). The audit
        log records the erasure — table, counts, snapshots — without the erased values.
        """
        from neurolake_lab.compliance.redact import redact_all
        from neurolake_lab.lakehouse.erasure import erase

        lake = self.lakehouse
        lake.refresh(self.engine.con)
        tid = lake.resolve(table)
        hidden = redact_all(predicate)
        ctx = self.write_context(f"-- erasure: rows where {hidden}")
        report = erase(lake, tid, predicate, ctx)
        self.result_cache.clear()  # an erasure must not survive in a cache file
        self.record(
            "erasure", table=report.table, predicate=hidden, rows_removed=report.rows_removed,
            snapshots_expired=report.snapshots_expired, files_deleted=report.files_deleted,
            also=report.also,
        )  # fmt: skip
        return report

    def _stored_tags(self, tid: TableId) -> dict[str, PiiTag]:
        """The PII tags stored on a table (none when the table is unknown or was dropped)."""
        from neurolake_lab.compliance.tagging import read_tags
        from neurolake_lab.lakehouse.lakehouse import read_properties

        location = self.lakehouse.pointers.get(tid)
        if location is None:
            return {}
        try:
            return read_tags(read_properties(location))
        except OSError:  # dropped by another kernel since this session last looked
            return {}

    def _column_docs(self, tid: TableId) -> dict[str, str]:
        from neurolake_lab.lakehouse.lakehouse import read_metadata

        location = self.lakehouse.pointers.get(tid)
        if location is None:
            return {}
        return {f.name: f.doc for f in read_metadata(location).schema().fields if f.doc}
