"""The ``neurolake.preflight`` comm target: a cell's cost, lineage and compliance before it runs.

The JupyterLab extension opens one comm per notebook and sends ``{"id", "code"}`` as the user
types; the kernel answers ``{"id", "kind", "result"}`` (docs/architecture.md), or ``kind: "busy"``
with no result when the message reached it while a cell runs (see ``comms.py``). ``%%sql`` cells
are planned and governed without running; ``%%nl`` cells are read by the offline planner (never
the LLM); anything else is Python and gets ``kind: "python"``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neurolake_lab.session import Session

TARGET = "neurolake.preflight"


def preflight_cell(session: Session, code: str) -> dict[str, Any]:
    """What a cell would do, without running it (also what the comm answers)."""
    from neurolake_lab.exceptions import NeuroLakeError
    from neurolake_lab.magics import parse_sql_line

    stripped = code.lstrip()
    first, _, body = stripped.partition("\n")
    magic = first.split(maxsplit=1)[0] if first else ""
    if magic == "%%sql":
        try:
            opts, _ = parse_sql_line(first[len("%%sql") :])
        except NeuroLakeError as err:
            return {
                "kind": "sql",
                "result": {"error": {"title": err.title, "message": err.message}},
            }
        result = session.preflight(body, no_pii=opts.no_pii or False, engine=opts.engine)
        return {"kind": "sql", "result": result}
    if magic == "%%nl":
        return {"kind": "nl", "result": session.preflight_question(body.strip())}
    if magic == "%sql":
        return {"kind": "sql", "result": session.preflight(first[len("%sql") :].strip())}
    return {"kind": "python", "result": None}


def register(session: Callable[[], Session]) -> None:
    """Register the comm target in this kernel (``session`` opens the notebook's session)."""
    import comm

    from neurolake_lab.cell_lock import try_exclusive

    def opened(channel: Any, _open_msg: dict[str, Any]) -> None:
        def _answer(msg: dict[str, Any]) -> None:
            data = msg.get("content", {}).get("data", {}) or {}
            start = time.perf_counter()
            reply: dict[str, Any]
            with try_exclusive() as free:
                if not free:  # a cell is running (this message came on a subshell)
                    reply = {"kind": "busy", "result": None}
                else:
                    try:
                        reply = preflight_cell(session(), str(data.get("code", "")))
                    except Exception as exc:  # the kernel must answer, whatever went wrong
                        reply = {"kind": "error", "result": {"error": {"message": str(exc)}}}
            reply["id"] = data.get("id")
            reply["ms"] = round((time.perf_counter() - start) * 1000, 3)
            channel.send(reply)

        channel.on_msg(_answer)

    comm.get_comm_manager().register_target(TARGET, opened)
