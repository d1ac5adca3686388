"""Pages of results kept in the kernel, for the extension's paged result table.

A report shows at most one page of its result. When the kernel can answer page requests (the
NeuroLake kernel registers the ``neurolake.results`` comm target, see ``kernel/results.py``), a
truncated result is remembered here under an id the report carries as ``result.result_id``; the
table asks for other pages, sorted by any column, and only that page crosses to the browser.
Results are already governed (masked, filtered) when they are remembered, so a page can show
nothing the cell could not. The newest ``KEEP`` results are kept.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from neurolake_lab.lru import LRU

if TYPE_CHECKING:
    import pyarrow as pa

KEEP = 32
#: the largest page a request may ask for
MAX_PAGE = 500

_enabled = False
_ids = itertools.count(1)
_results: LRU[pa.Table] = LRU(KEEP)
_sorted: LRU[pa.Table] = LRU(4)  # (result id, sort) -> the result sorted


def enable() -> None:
    """Keep truncated results from now on (the kernel calls this when it can serve pages)."""
    global _enabled
    _enabled = True


def remember(table: pa.Table) -> str | None:
    """An id for ``table`` to page through later; None when no one can ask for pages."""
    if not _enabled:
        return None
    key = f"r{next(_ids)}"  # itertools.count is atomic under the GIL
    _results.put(key, table)
    return key


def page(
    result_id: str, offset: int, limit: int, sort: list[tuple[str, bool]] | None = None
) -> dict[str, Any]:
    """Rows ``offset`` to ``offset + limit`` of a remembered result, sorted by ``sort``.

    ``sort`` is ``[(column, descending), ...]``. Raises ``KeyError`` for a result that is no
    longer kept and ``ValueError`` for a bad request (both become the reply's ``error``).
    """
    from neurolake_lab.report import preview_rows

    table = _results.get(result_id)
    if table is None:
        raise KeyError("this result is no longer kept in the kernel: run the cell again")
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"offset must be >= 0 and limit between 1 and {MAX_PAGE}")
    order = tuple(sort or ())
    for column, _ in order:
        if column not in table.column_names:
            raise ValueError(f"no column {column!r} in this result")
    if order:
        key = (result_id, order)
        ordered = _sorted.get(key)
        if ordered is None:
            ordered = table.sort_by([(c, "descending" if d else "ascending") for c, d in order])
            _sorted.put(key, ordered)
        table = ordered
    return {
        "offset": offset,
        "rows": preview_rows(table.slice(offset, limit), limit),
        "row_count": table.num_rows,
    }


def with_pages(report: dict[str, Any], table: pa.Table) -> dict[str, Any]:
    """``report`` with a ``result_id`` the extension pages through, when the browser needs one.

    That is when the preview is truncated, or withholds columns (the live view asks for their
    values; the saved notebook keeps ``[withheld]``). Only a kernel that answers page requests
    keeps results (this module); elsewhere the report is returned as it is.
    """
    if not report["result"]["truncated"] and not report["result"].get("withheld"):
        return report
    result_id = remember(table)
    if result_id is None:
        return report
    return {**report, "result": {**report["result"], "result_id": result_id}}
