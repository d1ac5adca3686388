"""The ipywidgets of ``%%nl``: the ``--confirm`` panel and the Accept button.

* :class:`ConfirmPanel` — the generated SQL in an editable text area with Run and Cancel buttons;
  nothing runs until Run is pressed, and then the (possibly edited) SQL goes through the same
  governed path as any question (validation, compliance, optimizer, audit).
* :class:`AcceptButton` — keeps the answer as an accepted question→SQL pair, so the next similar
  question uses it.

ipywidgets is imported when a panel or button is made, never at kernel start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.display import display

from neurolake_lab.exceptions import NeuroLakeError

if TYPE_CHECKING:
    from IPython.display import DisplayHandle

    from neurolake_lab.agents.answer import NLResult


class ConfirmPanel:
    """SQL to check before it runs: an editor, Run and Cancel, and a place for the result.

    The panel is a widget, which a saved notebook cannot show, so it is displayed with two plain
    outputs' ids: on Run, Cancel or an error the panel's output is replaced (``update_display``)
    by a record of what was decided (no buttons left to press), and a placeholder under it by the
    result's own display — the cell report with its HTML and text fallbacks, built and governed
    like any other result's (personal data a reader's policy masks is ``[withheld]``). Both are
    ordinary outputs, so the saved ``.ipynb``, its exports and GitHub keep what the user saw.

    Args:
        sql: The generated SQL, shown for editing.
        run: Called with the (edited) SQL when Run is pressed; returns the answer to show.
        on_answer: Called with the answer after it is shown (stores ``-o``).
        reason: Why the panel asks (a sentence shown above the editor), e.g. a predicted cost.
    """

    def __init__(
        self,
        sql: str,
        run: Callable[[str], Any],
        on_answer: Callable[[Any], None] | None = None,
        reason: str | None = None,
    ) -> None:
        import html

        import ipywidgets as w  # type: ignore[import-untyped]

        from neurolake_lab.cell_lock import serialised

        self._run = run
        self._on_answer = on_answer
        self.sql = sql
        self.reason = reason
        lines = max(4, min(20, sql.count("\n") + 2))
        self.editor = w.Textarea(
            value=sql, layout=w.Layout(width="100%", height=f"{lines * 1.5}em")
        )
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.cancel_button = w.Button(description="Cancel", icon="times")
        self.status = w.Label("")
        #: what the run prints or shows while it runs (progress bars); replaced with the panel
        self.output = w.Output()
        self.state = "waiting"
        self.answer: Any = None
        self.error: NeuroLakeError | None = None
        # a click is a comm message, maybe handled on a kernel subshell beside a running cell:
        # it waits for the cell (the session serves one thread at a time; cell_lock.py)
        self.run_button.on_click(lambda _: serialised(self.confirm))
        self.cancel_button.on_click(lambda _: serialised(self.cancel))
        ask = (
            f"{reason} Run it, edit it, or cancel."
            if reason
            else ("Check the SQL before it runs: run it, edit it, or cancel.")
        )
        header = w.HTML(f"<b>{html.escape(ask)}</b>")
        self.widget = w.VBox([header, self.editor,
                              w.HBox([self.run_button, self.cancel_button, self.status]),
                              self.output])  # fmt: skip
        self._panel: DisplayHandle | None = None
        self._result: DisplayHandle | None = None

    def _close(self) -> None:
        """No second decision: the buttons and editor off, the state beside them."""
        self.run_button.disabled = True
        self.cancel_button.disabled = True
        self.editor.disabled = True
        self.status.value = _DECIDED.get(self.state, "Running…")

    def confirm(self) -> Any:
        """Run the SQL in the editor (what the Run button does); returns the answer."""
        if self.state != "waiting":
            return self.answer
        self.state = "running"
        self._close()
        sql = self.editor.value
        failure: Exception | None = None
        with self.output:
            try:
                self.answer = self._run(sql)
            except Exception as exc:  # shown where the result would be (a bug is raised after)
                failure = exc
        # shown outside the capture above: these are the cell's own outputs, not the widget's
        if failure is None:
            self.state = "done"
            self._decide(sql, _bundle_of(self.answer))
            if self._on_answer is not None:
                self._on_answer(self.answer)
            return self.answer
        from neurolake_lab.display import error_bundle

        self.state = "failed"
        self.error = failure if isinstance(failure, NeuroLakeError) else None
        self._decide(sql, error_bundle(failure))
        if self.error is None:
            raise failure
        return None

    def cancel(self) -> None:
        """Close the panel without running anything (what the Cancel button does)."""
        if self.state != "waiting":
            return
        self.state = "cancelled"
        # the record above says so; the placeholder is left empty rather than say it twice
        self._decide(self.editor.value, {"text/plain": ""})

    def _decide(self, sql: str, shown: dict[str, Any]) -> None:
        """Replace the panel by what was decided and the placeholder by ``shown``."""
        self._close()
        record = decision_bundle(self.state, sql, self.reason, edited=sql != self.sql)
        if self._panel is None or self._result is None:  # never displayed (a script)
            display(record, raw=True)  # type: ignore[no-untyped-call]
            display(shown, raw=True)  # type: ignore[no-untyped-call]
            return
        self._panel.update(record, raw=True)  # type: ignore[no-untyped-call]
        self._result.update(shown, raw=True)  # type: ignore[no-untyped-call]

    def _ipython_display_(self) -> None:
        if self._panel is not None:  # shown once: a second display would not be updated
            display(self.widget)  # type: ignore[no-untyped-call]
            return
        bundle = dict(self.widget._repr_mimebundle_())
        # front ends without widgets (a saved notebook left waiting) say what the cell waits for
        waiting = decision_bundle("waiting", self.sql, self.reason)
        bundle.update({"text/plain": waiting["text/plain"], "text/html": waiting["text/html"]})
        self._panel = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        placeholder = "Not run yet: press Run or Cancel above."
        self._result = display(  # type: ignore[no-untyped-call]
            {"text/plain": placeholder, "text/html": f"<p><i>{placeholder}</i></p>"},
            raw=True,
            display_id=True,
        )


def _bundle_of(value: Any) -> dict[str, Any]:
    """The MIME bundle IPython would display for ``value`` (the cell report, for a result)."""
    from IPython.core.formatters import format_display_data

    data, _ = format_display_data(value)  # type: ignore[no-untyped-call]
    return dict(data)


_DECIDED = {
    "waiting": "Waiting for Run or Cancel: nothing has run.",
    "done": "Ran after confirmation.",
    "failed": "Ran after confirmation and failed: the error is below.",
    "cancelled": "Cancelled: nothing ran.",
}


def decision_bundle(
    state: str, sql: str, reason: str | None = None, *, edited: bool = False
) -> dict[str, Any]:
    """What a ``--confirm`` panel decided, as plain output: the decision, why it asked, the SQL."""
    import html

    said = _DECIDED[state] + (" The SQL was edited before it ran." if edited else "")
    why = f"Asked first: {reason}" if reason else ""
    sql = sql.strip()
    code = sql_bundle(sql)
    lines = [said, *([why] if why else [])]
    small = f" <small>{html.escape(why)}</small>" if why else ""
    return {
        "text/html": f'<div class="neurolake-confirm"><p><b>{html.escape(said)}</b>{small}</p>'
        f"{code['text/html']}</div>",
        "text/markdown": "\n\n".join([f"**{said}** {why}".rstrip(), code["text/markdown"]]),
        "text/plain": "\n".join([*lines, sql]),
    }


class AcceptButton:
    """The Accept button: keeps the question and its SQL for the next similar question."""

    def __init__(self, accept: Callable[[], str]) -> None:
        import ipywidgets as w

        from neurolake_lab.cell_lock import serialised

        self._accept = accept
        self.button = w.Button(description="Accept answer", icon="check",
                               tooltip="Keep this SQL for similar questions")  # fmt: skip
        self.status = w.Label("")
        self.accepted_id: str | None = None
        self.button.on_click(lambda _: serialised(self.click))  # after a running cell
        self.widget = w.HBox([self.button, self.status])

    def click(self) -> str | None:
        """Accept (what the button does)."""
        if self.accepted_id is not None:
            return self.accepted_id
        try:
            self.accepted_id = self._accept()
        except NeuroLakeError as exc:
            self.status.value = f"Not kept: {exc.message}"
            return None
        self.button.disabled = True
        self.status.value = "Kept: similar questions will use this SQL."
        return self.accepted_id

    def _ipython_display_(self) -> None:
        display(self.widget)  # type: ignore[no-untyped-call]


def sql_bundle(sql: str) -> dict[str, Any]:
    """SQL for display: highlighted HTML (pygments, inline styles), a sql fence, plain text."""
    from pygments import highlight  # type: ignore[import-untyped]
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
    from pygments.lexers.sql import SqlLexer  # type: ignore[import-untyped]

    html = highlight(sql, SqlLexer(), HtmlFormatter(noclasses=True, nobackground=True))
    return {
        "text/html": f'<div class="neurolake-nl-sql">{html}</div>',
        "text/markdown": f"```sql\n{sql}\n```",
        "text/plain": sql,
    }


NL_MIME = "application/vnd.neurolake.nl+json"


def sql_tokens(sql: str) -> list[list[str]]:
    """``sql`` as ``[token class, text]`` pairs (pygments' SQL lexer) for the extension to color.

    Classes are pygments' short names' first letter: ``k`` keyword, ``n`` name, ``s`` string,
    ``m`` number, ``o`` operator, ``c`` comment, ``p`` punctuation, ``t`` whitespace and text.
    """
    from pygments.lexers.sql import SqlLexer

    out: list[list[str]] = []
    for token, text in SqlLexer(ensurenl=False).get_tokens(sql):
        kind = str(token).split(".")[1:2]
        cls = {"Keyword": "k", "Name": "n", "Literal": "s", "Operator": "o", "Comment": "c",
               "Punctuation": "p"}.get(kind[0] if kind else "", "t")  # fmt: skip
        if cls == "s" and "Number" in str(token):
            cls = "m"
        if out and out[-1][0] == cls:
            out[-1][1] += text
        else:
            out.append([cls, text])
    return out


def answer_bundle(answer: NLResult, how: str, answer_id: str | None) -> dict[str, Any]:
    """A ``%%nl`` answer for the extension: intent, SQL (as tokens), explanation, buttons' id.

    ``text/html``, ``text/markdown`` and ``text/plain`` carry what the separate displays carry
    for front ends without the extension.
    """
    understood = understood_bundle(answer, how)
    sql = sql_bundle(answer.sql)
    data = {
        "version": 1,
        "question": answer.question,
        "explanation": answer.explanation,
        "how": how,
        "source": answer.source,
        "intent": answer.intent.to_dict(),
        "sql": answer.sql,
        "sql_tokens": sql_tokens(answer.sql),
        "answer_id": answer_id,
        "executed": answer.result is not None,
    }
    return {
        NL_MIME: data,
        "text/html": understood["text/html"] + sql["text/html"],
        "text/markdown": f"{understood['text/markdown']}\n\n{sql['text/markdown']}",
        "text/plain": f"{understood['text/plain']}\n{answer.sql}",
    }


def understood_bundle(answer: NLResult, how: str) -> dict[str, Any]:
    """The question as understood: the explanation and where the SQL came from."""
    import html as html_mod

    text = f"Understood: {answer.explanation} ({how})"
    return {
        "text/markdown": f"**Understood:** {answer.explanation} _({how})_",
        "text/html": f"<p><b>Understood:</b> {html_mod.escape(answer.explanation)} "
        f"<i>({html_mod.escape(how)})</i></p>",
        "text/plain": text,
    }
