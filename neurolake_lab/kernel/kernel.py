"""``NeuroLakeKernel``: an ``IPythonKernel`` whose ``%%sql`` cells complete and inspect as SQL.

Everything else (execution, history, comms, interrupt) is IPython's: Python cells work exactly as
in a plain IPython kernel, and the magics do the SQL.
"""

from __future__ import annotations

from typing import Any

from ipykernel.ipkernel import IPythonKernel

from neurolake_lab import __version__
from neurolake_lab.completion import complete_sql, inspect_sql
from neurolake_lab.extension import load
from neurolake_lab.magics import NeuroLakeMagics, get_magics


class NeuroLakeKernel(IPythonKernel):
    """IPython plus NeuroLake: the magics are loaded at start, SQL cells complete as SQL."""

    implementation = "neurolake"
    implementation_version = __version__
    banner = f"NeuroLake {__version__}: Python with %%sql on DuckDB (and the lakehouse)."
    help_links = [  # noqa: RUF012 - a traitlets List trait on the base class
        {"text": "NeuroLake magics", "url": "https://github.com/neurolake/neurolake-lab#tour"},
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        assert self.shell is not None
        load(self.shell)
        from neurolake_lab import feedback
        from neurolake_lab.kernel import preflight, results
        from neurolake_lab.kernel.comms import serve

        preflight.register(lambda: self.magics.session)
        results.register()
        serve(feedback.TARGET, feedback.answer)
        feedback.enable()

    @property
    def magics(self) -> NeuroLakeMagics:
        """The NeuroLake magics of this kernel's shell."""
        assert self.shell is not None
        magics = get_magics(self.shell)
        assert magics is not None
        return magics

    async def do_execute(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """IPython's, holding the session against comm handlers on other threads (comms.py)."""
        from neurolake_lab.cell_lock import cell

        with cell():  # waits only for a comm handler already under way (milliseconds)
            reply: dict[str, Any] = await super().do_execute(*args, **kwargs)
        return reply

    def do_complete(self, code: str, cursor_pos: int | None) -> dict[str, Any]:  # type: ignore[override]
        """SQL completion inside ``%%sql`` cells and ``%sql`` lines; IPython's elsewhere."""
        pos = len(code) if cursor_pos is None else cursor_pos
        try:
            found = complete_sql(self.magics.session, code, pos)
        except Exception:  # completion must never break the kernel; fall back to IPython's
            self.log.exception("NeuroLake SQL completion failed")
            found = None
        if found is None:
            reply: dict[str, Any] = super().do_complete(code, cursor_pos)
            return reply
        return {
            "matches": found.matches,
            "cursor_start": found.cursor_start,
            "cursor_end": found.cursor_end,
            "metadata": {},
            "status": "ok",
        }

    def do_inspect(  # type: ignore[override]
        self,
        code: str,
        cursor_pos: int,
        detail_level: int = 0,
        omit_sections: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """A table's schema for a table name in SQL; IPython's inspection elsewhere."""
        try:
            data = inspect_sql(self.magics.session, code, cursor_pos)
        except Exception:
            self.log.exception("NeuroLake SQL inspection failed")
            data = None
        if data is None:
            reply: dict[str, Any] = super().do_inspect(
                code, cursor_pos, detail_level, omit_sections
            )
            return reply
        return {"status": "ok", "found": True, "data": data, "metadata": {}}

    def do_shutdown(self, restart: bool) -> dict[str, Any]:  # type: ignore[override]
        """Close the session (its DuckDB and spill folder) before the process exits."""
        magics = get_magics(self.shell) if self.shell is not None else None
        if magics is not None and magics.has_session:
            magics.session.close()
        reply: dict[str, Any] = super().do_shutdown(restart)
        return reply
