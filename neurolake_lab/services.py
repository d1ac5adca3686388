"""``Services``: everything a session works with, constructed in one place and passed down.

The engine, the lakehouse, the policies and their governor, the audit log, the cost model, the
result cache, the metadata index and the language model are each made here, on first use (kernel
start stays fast: nothing heavy is imported until a cell needs it). The cell pipeline's stages and
the agents take this object — or the one service they need — instead of the ``Session``, so the
layers below the notebook surface never depend on it (docs/architecture.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neurolake_lab.config import Settings, Workspace
from neurolake_lab.engine import DuckDBEngine

if TYPE_CHECKING:
    from neurolake_lab.cache import ResultCache
    from neurolake_lab.compliance.audit import AuditStore
    from neurolake_lab.compliance.authorize import Authorizer
    from neurolake_lab.compliance.governor import Governor
    from neurolake_lab.compliance.policy import PolicyStore
    from neurolake_lab.compliance.recorder import AuditRecorder
    from neurolake_lab.compliance.tagging import PiiTagger
    from neurolake_lab.context import QueryContext
    from neurolake_lab.cost import CostModel
    from neurolake_lab.engine.backend import EngineBackend
    from neurolake_lab.index import MetadataIndex
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.tables import WriteContext
    from neurolake_lab.lineage.tracker import LineageTracker
    from neurolake_lab.llm import ChatModel, LLMConfig


class Services:
    """The services of one session (one identity, one workspace, one DuckDB).

    Args:
        settings: The resolved settings (workspace, user, engine limits, extras).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workspace = Workspace(settings.workspace)
        #: saved queries a cell may use as tables (``--save``); the session's state
        self.snippets: dict[str, str] = {}
        #: where the code running now comes from (notebook, cell id, execution count); the
        #: kernel sets it per cell, and writes and audit records carry it
        self.cell_context: dict[str, Any] | None = None
        self._engine: DuckDBEngine | None = None
        self._lakehouse: Lakehouse | None = None
        self._query: QueryContext | None = None
        self._governor: Governor | None = None
        self._recorder: AuditRecorder | None = None
        self._authorizer: Authorizer | None = None
        self._tagger: PiiTagger | None = None
        self._audit: AuditStore | None = None
        self._policies: PolicyStore | None = None
        self._lineage: LineageTracker | None = None
        self._cost_model: CostModel | None = None
        self._result_cache: ResultCache | None = None
        self._index: MetadataIndex | None = None
        self._chat: tuple[LLMConfig, ChatModel | None] | None = None
        #: engines other than DuckDB this session used (``cell.engines``), by name
        self.backends: dict[str, EngineBackend] = {}

    @property
    def user(self) -> str:
        """Who this session acts as."""
        return self.settings.user

    # -- the engine and the tables -----------------------------------------------------------

    @property
    def engine(self) -> DuckDBEngine:
        """The session's DuckDB engine, started on first use."""
        if self._engine is None:
            self._engine = DuckDBEngine(
                spill_root=self.workspace.cache / "spill",
                memory_limit=self.settings.memory_limit,
                threads=self.settings.threads,
                timezone=self.settings.timezone,
            )
        return self._engine

    @property
    def lakehouse(self) -> Lakehouse:
        """The workspace's Iceberg tables as this session sees them, governed from the start."""
        if self._lakehouse is None:
            from neurolake_lab.compliance.governor import Governor
            from neurolake_lab.lakehouse import Lakehouse

            lake = Lakehouse(self.settings, self.engine)
            self._lakehouse = lake
            self._governor = Governor(
                self.settings.workspace, self.engine, lake, self.policies, self.recorder
            )
            self._governor.install(self.tagger)
        return self._lakehouse

    @property
    def query(self) -> QueryContext:
        """The engine, lakehouse, snippets and settings, for the layers that read queries."""
        if self._query is None:
            from neurolake_lab.context import QueryContext

            self._query = QueryContext(
                self.engine, self.lakehouse, self.settings, self.snippets, govern=self.governed_read
            )
        return self._query

    def governed_read(self, sql: str) -> str:
        """The SQL an internal read (one query) runs as for this session's user.

        The policy's masks and row filters applied, a denied column refused
        (``PolicyViolation``). Not audited: it is the session looking, not the user asking.
        """
        enforcement = self.governor.govern(sql, "SELECT", audit=False)
        return enforcement.sql if enforcement is not None else sql

    def write_context(
        self, sql: str | None = None, table: tuple[str, str] | None = None
    ) -> WriteContext:
        """Who writes and from which cell: what a write's snapshot summary records.

        The SQL is kept without its literals (they may be personal data, and a snapshot summary
        lives in every later metadata file of the table). With the ``table`` written, the
        context also says which of its columns the policy hides from the writer (the quality
        rules do not judge rows by them for this writer: ``lakehouse.quality_gate``).
        """
        from neurolake_lab.compliance.redact import redact
        from neurolake_lab.lakehouse.tables import WriteContext

        ctx = WriteContext(user=self.user, sql=redact(sql) if sql else sql, cell=self.cell_context)
        if table is not None:
            ctx.hidden = self.governor.hidden_columns(table)
        return ctx

    # -- governance --------------------------------------------------------------------------

    @property
    def policies(self) -> PolicyStore:
        """The workspace's policy store (``policies.yaml``, re-read when it changes)."""
        if self._policies is None:
            from neurolake_lab.compliance.policy import PolicyStore
            from neurolake_lab.lakehouse.catalog import catalog_config
            from neurolake_lab.lakehouse.naming import local_path

            # only the catalog reads the workspace and the warehouse (which may be elsewhere,
            # on another disk or an object store)
            protected = [str(self.settings.workspace)]
            warehouse = catalog_config(self.settings).warehouse
            if warehouse and (warehouse.startswith("file:") or "://" in warehouse):
                protected.append(local_path(warehouse) or warehouse)
            owner = self.settings.owner or None  # none under a Hub that names no owner
            uri = catalog_config(self.settings).uri
            if uri.startswith("postgresql"):  # the shared deployment: one policy for all users
                from neurolake_lab.compliance.policy.sql_store import SqlPolicyStore

                self._policies = SqlPolicyStore(
                    uri, self.settings.workspace, owner=owner, protected_paths=protected
                )
            else:
                self._policies = PolicyStore(
                    self.settings.workspace, owner=owner, protected_paths=protected
                )
        return self._policies

    @property
    def governor(self) -> Governor:
        """Applies the policies to every statement of this session."""
        self.lakehouse  # noqa: B018 - the governor is made with the lakehouse it governs
        assert self._governor is not None
        return self._governor

    @property
    def authorizer(self) -> Authorizer:
        """Decides who may change what (writes, schema, tags, quality, erasure, rollback...)."""
        if self._authorizer is None:
            from neurolake_lab.compliance.authorize import Authorizer

            self._authorizer = Authorizer(
                self.policies, self.recorder, lambda: self.lakehouse, lambda: self.governor
            )
        return self._authorizer

    @property
    def audit(self) -> AuditStore:
        """The workspace's tamper-evident audit log (in the catalog's database when shared)."""
        if self._audit is None:
            from neurolake_lab.compliance.audit import open_audit_log
            from neurolake_lab.lakehouse.catalog import catalog_config

            uri = catalog_config(self.settings).uri
            self._audit = open_audit_log(self.settings.workspace, uri)
        return self._audit

    @property
    def recorder(self) -> AuditRecorder:
        """Appends this session's audit records, redacted."""
        if self._recorder is None:
            from neurolake_lab.compliance.recorder import AuditRecorder

            self._recorder = AuditRecorder(lambda: self.audit, lambda: self.lakehouse, self.user)
        return self._recorder

    @property
    def tagger(self) -> PiiTagger:
        """Tags new columns of the tables this session writes."""
        if self._tagger is None:
            from neurolake_lab.compliance.tagging import PiiTagger

            self._tagger = PiiTagger(
                lambda: self.lakehouse.catalog, phone_regions=self.settings.pii_phone_regions
            )
        return self._tagger

    @property
    def lineage(self) -> LineageTracker:
        """Column lineage of this session's statements and of the workspace's writes."""
        if self._lineage is None:
            from neurolake_lab.lineage.tracker import LineageTracker

            self._lineage = LineageTracker(self.engine, self.lakehouse, self.settings)
        return self._lineage

    # -- cost and cache ----------------------------------------------------------------------

    @property
    def cost_model(self) -> CostModel:
        """The workspace's cost model (history in ``catalog.db``, shared by every kernel)."""
        if self._cost_model is None:
            from neurolake_lab.cost import CostModel

            self._cost_model = CostModel(self.settings.workspace)
        return self._cost_model

    @property
    def result_cache(self) -> ResultCache:
        """Results keyed by SQL, input snapshots and policy context (memory, then disk)."""
        if self._result_cache is None:
            from neurolake_lab.cache import ResultCache

            self._result_cache = ResultCache(self.settings.workspace)
        return self._result_cache

    # -- questions ---------------------------------------------------------------------------

    def llm_config(self) -> LLMConfig:
        """The language-model settings now (the environment wins over the workspace's)."""
        from neurolake_lab.llm import llm_config

        return llm_config(self.settings.extra)

    @property
    def index(self) -> MetadataIndex:
        """The workspace's metadata and vector index (LanceDB, opened on first use)."""
        if self._index is None:
            from neurolake_lab.index import MetadataIndex
            from neurolake_lab.llm import embedder

            self._index = MetadataIndex(
                self.workspace.root / "index", embedder(self.llm_config()), scope=self.governor
            )
        return self._index

    def chat_model(self) -> ChatModel | None:
        """The configured chat model, or None offline (re-made when the configuration changes)."""
        from neurolake_lab.llm import chat_model

        config = self.llm_config()
        if self._chat is None or self._chat[0] != config:
            self._chat = (config, chat_model(config))
        return self._chat[1]

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Release the engine, the catalog and the audit log; they reopen on next use."""
        lake, audit, engine = self._lakehouse, self._audit, self._engine
        policies, self._policies = self._policies, None
        self._authorizer = None
        self._lakehouse = self._audit = self._engine = None
        self._query = self._governor = self._lineage = None
        backends, self.backends = self.backends, {}
        try:
            for backend in backends.values():
                backend.close()
            if lake is not None:
                lake.close()
            if audit is not None:
                audit.close()
            if policies is not None:
                policies.close()
        finally:
            if engine is not None:
                engine.close()
