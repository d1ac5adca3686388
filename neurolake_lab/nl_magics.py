"""``%%nl``: ask in plain language; see how it was read, the SQL, the governed result.

::

    %%nl [-o NAME] [--confirm] [--sql-only] [--follow-up | --new] [--offline | --llm]
    Show me customers who churned last month, remove PII

The cell shows the question as understood, the SQL (highlighted) with an Accept button, and the
result with its report strip; the cell's value is the answer (``agents.answer.NLResult``).
``--confirm`` shows the SQL in an editor with Run / Cancel first; ``--sql-only`` writes the SQL
without running it. The kernel keeps one conversation per notebook: a question that reads as a
refinement ("only for Germany", "now by month") or carries ``--follow-up`` refines the previous
one; ``--new`` starts afresh. ``%nl_accept`` keeps the last answer for similar questions.

Thin like the other magics: parse the line, call the session's orchestrator, display. Nothing
heavy is imported until a question is asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, no_var_expand
from IPython.display import display

from neurolake_lab.exceptions import PlanningError, UsageError

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from neurolake_lab.agents.answer import NLResult
    from neurolake_lab.agents.orchestrator import Orchestrator
    from neurolake_lab.nl_widgets import ConfirmPanel
    from neurolake_lab.session import Session

NL_USAGE = (
    "usage: %%nl [-o NAME] [--confirm] [--sql-only] [--follow-up | --new] [--offline | --llm]\n"
    "  -o, --out NAME   store the answer (an NLResult) in the variable NAME\n"
    "  --confirm        show the SQL in an editor with Run / Cancel before anything runs\n"
    "  --sql-only       write the SQL without running it\n"
    "  --follow-up      refine the previous question (also automatic for 'only for ...')\n"
    "  --new            start a new conversation (never a follow-up)\n"
    "  --offline, --llm force the offline planner, or the configured LLM"
)


@dataclass
class NLOptions:
    """The options of one ``%nl``/``%%nl`` call."""

    out: str | None = None
    confirm: bool = False
    sql_only: bool = False
    follow_up: bool = False
    new: bool = False
    mode: str | None = None


def parse_nl_line(line: str) -> tuple[NLOptions, str]:
    """Options first, then (for ``%nl``) the question.

    >>> parse_nl_line("-o ans --sql-only how many customers?")
    (NLOptions(out='ans', confirm=False, sql_only=True, follow_up=False, new=False, mode=None), 'how many customers?')
    """  # noqa: E501
    tokens = list(re.finditer(r"\S+", line))
    opts = NLOptions()
    pos = 0
    i = 0
    while i < len(tokens) and tokens[i].group().startswith("-"):
        word = tokens[i].group()
        if word in ("-o", "--out"):
            if i + 1 >= len(tokens) or not tokens[i + 1].group().isidentifier():
                raise UsageError(f"{word} needs a Python identifier\n{NL_USAGE}")
            opts.out = tokens[i + 1].group()
            i += 1
        elif word.startswith("--out="):
            opts.out = word.split("=", 1)[1]
        elif word == "--confirm":
            opts.confirm = True
        elif word == "--sql-only":
            opts.sql_only = True
        elif word == "--follow-up":
            opts.follow_up = True
        elif word == "--new":
            opts.new = True
        elif word == "--offline":
            opts.mode = "offline"
        elif word == "--llm":
            opts.mode = "llm"
        else:
            raise UsageError(f"unknown option {word}\n{NL_USAGE}")
        pos = tokens[i].end()
        i += 1
    if opts.follow_up and opts.new:
        raise UsageError(f"--follow-up and --new contradict each other\n{NL_USAGE}")
    if opts.out is not None and not opts.out.isidentifier():
        raise UsageError(f"-o needs a Python identifier, not {opts.out!r}")
    return opts, line[pos:].strip()


@magics_class
class NLMagics(Magics):
    """``%%nl`` and ``%nl_accept``, on the session of the NeuroLake magics."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        #: the last --confirm panel shown (tests and notebooks can press its buttons)
        self.last_panel: ConfirmPanel | None = None

    @property
    def session(self) -> Session:
        """The session of the ``%%sql`` magics (opened on first use)."""
        from neurolake_lab.magics import magics_session

        return magics_session(self.shell)

    @property
    def orchestrator(self) -> Orchestrator:
        """The session's orchestrator (it keeps this notebook's conversation)."""
        from neurolake_lab.agents import orchestrator_for

        return orchestrator_for(self.session)

    def _store(self, name: str | None, value: Any) -> None:
        if name is not None and self.shell is not None:
            self.shell.user_ns[name] = value

    @no_var_expand
    @line_cell_magic
    def nl(self, line: str, cell: str | None = None) -> NLResult | None:
        """Answer a question in plain language (see the module docstring)."""
        from neurolake_lab.agents.conversation import reads_as_refinement
        from neurolake_lab.magics import get_magics

        opts, rest = parse_nl_line(line)
        if cell is not None and rest:
            raise UsageError(f"unexpected text after the options: {rest!r}\n{NL_USAGE}")
        question = (cell if cell is not None else rest).strip()
        if not question:
            raise UsageError(f"there is no question\n{NL_USAGE}")
        orchestrator = self.orchestrator
        assert self.shell is not None
        magics = get_magics(self.shell)
        if magics is not None:
            self.session.cell_context = magics.cell_context()
        if opts.new:
            orchestrator.reset()
        auto = (
            not opts.follow_up
            and not opts.new
            and bool(orchestrator.history)
            and (reads_as_refinement(question))
        )
        follow_up = opts.follow_up or auto
        run = not (opts.sql_only or opts.confirm)
        try:
            answer = orchestrator.ask(question, follow_up, execute=run, mode=opts.mode)
        except PlanningError:
            if not auto:
                raise
            answer = orchestrator.ask(question, False, execute=run, mode=opts.mode)
            follow_up = False
        how = _how(answer, follow_up)
        from neurolake_lab import feedback
        from neurolake_lab.nl_widgets import (
            AcceptButton,
            ConfirmPanel,
            answer_bundle,
            sql_bundle,
            understood_bundle,
        )

        # in the NeuroLake kernel the extension draws the answer with Accept/Reject buttons
        answer_id = feedback.remember(answer, orchestrator) if run else None
        if answer_id is not None or (opts.sql_only and feedback.serving()):
            display(answer_bundle(answer, how, answer_id), raw=True)  # type: ignore[no-untyped-call]
            self._store(opts.out, answer)
            return None if opts.sql_only else answer
        display(understood_bundle(answer, how), raw=True)  # type: ignore[no-untyped-call]
        if opts.confirm:
            panel = ConfirmPanel(
                answer.sql,
                lambda sql: orchestrator.ask(question, follow_up, sql=sql, mode=opts.mode),
                lambda done: self._store(opts.out, done),
            )
            self.last_panel = panel
            display(panel)  # type: ignore[no-untyped-call]
            return None
        display(sql_bundle(answer.sql), raw=True)  # type: ignore[no-untyped-call]
        self._store(opts.out, answer)
        if opts.sql_only:
            return None
        display(AcceptButton(lambda: orchestrator.accept(answer)))  # type: ignore[no-untyped-call]
        return answer

    @line_magic
    def nl_accept(self, line: str = "") -> None:
        """Keep the last ``%%nl`` answer: similar questions will use its SQL."""
        if line.strip():
            raise UsageError("usage: %nl_accept (accepts the last %%nl answer)")
        orchestrator = self.orchestrator
        answer = orchestrator.last
        key = orchestrator.accept()
        assert answer is not None
        print(f"Accepted {answer.question!r}: similar questions will use its SQL ({key}).")


def _how(answer: NLResult, follow_up: bool) -> str:
    source = {"planner": "offline planner", "template": "an accepted answer",
              "llm": "the LLM", "edited": "your SQL"}.get(answer.source, answer.source)  # fmt: skip
    return f"{source}, refining the previous question" if follow_up else source
