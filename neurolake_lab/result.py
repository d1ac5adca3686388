"""``QueryResult``: the value of a ``%%sql`` cell and of ``Session.sql``.

It keeps the Arrow table DuckDB returned and hands it out as Arrow, pandas or Polars without an
intermediate generic result set; its rich display is the cell report (``report.py``).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from neurolake_lab import report as report_contract
from neurolake_lab.pages import with_pages

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from neurolake_lab.charts import ChartView
    from neurolake_lab.explorer import Explorer


class QueryResult:
    """The result of one query (the last statement of a cell)."""

    def __init__(
        self,
        table: pa.Table | None,
        *,
        sql: str,
        executed_sql: str | None = None,
        column_types: list[str] | None = None,
        statement_type: str = "SELECT",
        timings: dict[str, float] | None = None,
        preview_limit: int = 50,
        kind: str = "sql",
        notices: list[str] | None = None,
        audit_id: str | None = None,
        lineage: dict[str, Any] | None = None,
        compliance: dict[str, Any] | None = None,
        cost: dict[str, Any] | None = None,
        cached: bool = False,
        withheld: list[dict[str, str]] | None = None,
    ) -> None:
        self._table = table if table is not None else pa.table({})
        #: whether the result came from the result cache (nothing ran); benchmarks check it
        self.cached = cached
        self.sql = sql
        self.executed_sql = executed_sql if executed_sql is not None else sql
        self.column_types = column_types or [str(t).upper() for t in self._table.schema.types]
        self.statement_type = statement_type
        self.timings = dict(timings or {})
        # the report requires a total; results built outside the cell pipeline sum their stages
        self.timings.setdefault("total_ms", sum(self.timings.values()))
        self.preview_limit = preview_limit
        self.kind = kind
        #: messages for the user about what the cell did (quarantined rows, layout advice)
        self.notices = list(notices or [])
        #: the id of the audit record of the statement that made this result
        self.audit_id = audit_id
        #: the column lineage of the query (the report's ``lineage`` part)
        self.lineage = lineage or {"nodes": [], "edges": []}
        #: the predicted and actual cost (the report's ``cost`` part)
        self.cost = cost
        #: result columns kept out of the saved outputs in clear (``cell/outcome.py``)
        self.withheld = list(withheld or [])
        #: what the policies did (the report's ``compliance`` part)
        self.compliance = compliance or {
            "pii_columns": [], "masked": [], "row_filters": [], "denied": [], "warnings": []
        }  # fmt: skip

    def arrow(self) -> pa.Table:
        """The result as a ``pyarrow.Table`` (no copy)."""
        return self._table

    def df(self) -> pd.DataFrame:
        """The result as a pandas DataFrame."""
        return self._table.to_pandas()

    def pl(self) -> pl.DataFrame:
        """The result as a Polars DataFrame (zero-copy where Arrow allows); needs ``polars``."""
        try:
            import polars
        except ImportError:
            raise ImportError(
                "QueryResult.pl() needs Polars: pip install 'neurolake_lab[polars]'"
            ) from None
        frame = polars.from_arrow(self._table)
        assert isinstance(frame, polars.DataFrame)
        return frame

    def explore(self, page_size: int = 50) -> Explorer:
        """An explorer widget: page, sort, filter and profile the whole result in the kernel.

        The browser only receives the page on screen (see :mod:`neurolake_lab.explorer`).
        """
        from neurolake_lab.explorer import Explorer

        return Explorer(self, page_size=page_size)

    def chart(self, kind: str | None = None) -> ChartView:
        """A chart of the result with a control to switch its kind and columns.

        Bar, line or scatter is picked from the column types; ``kind`` forces one (see
        :mod:`neurolake_lab.charts`).
        """
        from neurolake_lab.charts import ChartView

        return ChartView(self, kind=kind)

    @property
    def columns(self) -> list[str]:
        """Column names, in order."""
        return list(self._table.column_names)

    def __len__(self) -> int:
        return int(self._table.num_rows)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """Arrow PyCapsule stream, so DuckDB, Polars and pandas read the result directly."""
        return self._table.__arrow_c_stream__(requested_schema)  # type: ignore[no-untyped-call]

    @cached_property
    def report(self) -> dict[str, Any]:
        """The cell report (``application/vnd.neurolake.report+json``)."""
        return report_contract.build_report(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return report_contract.report_bundle(with_pages(self.report, self._table))

    def __repr__(self) -> str:
        return report_contract.report_text(self.report)
