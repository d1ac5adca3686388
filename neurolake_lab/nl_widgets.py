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
    from neurolake_lab.agents.answer import NLResult


class ConfirmPanel:
    """SQL to check before it runs: an editor, Run and Cancel.

    Args:
        sql: The generated SQL, shown for editing.
        run: Called with the (edited) SQL when Run is pressed; returns the answer to show.
        on_answer: Called with the answer after it is shown (stores ``-o``).
        message: Why the panel asks (shown above the editor), e.g. a predicted cost.
    """

    def __init__(
        self,
        sql: str,
        run: Callable[[str], Any],
        on_answer: Callable[[Any], None] | None = None,
        message: str | None = None,
    ) -> None:
        import html

        import ipywidgets as w  # type: ignore[import-untyped]

        self._run = run
        self._on_answer = on_answer
        lines = max(4, min(20, sql.count("\n") + 2))
        self.editor = w.Textarea(
            value=sql, layout=w.Layout(width="100%", height=f"{lines * 1.5}em")
        )
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.cancel_button = w.Button(description="Cancel", icon="times")
        self.output = w.Output()
        self.state = "waiting"
        self.answer: Any = None
        self.error: NeuroLakeError | None = None
        self.run_button.on_click(lambda _: self.confirm())
        self.cancel_button.on_click(lambda _: self.cancel())
        header = [w.HTML(f"<b>{html.escape(message)}</b>")] if message else []
        self.widget = w.VBox([*header, self.editor, w.HBox([self.run_button, self.cancel_button]),
                              self.output])  # fmt: skip

    def _close(self) -> None:
        self.run_button.disabled = True
        self.cancel_button.disabled = True
        self.editor.disabled = True

    def confirm(self) -> Any:
        """Run the SQL in the editor (what the Run button does)."""
        if self.state != "waiting":
            return self.answer
        self._close()
        self.state = "running"
        with self.output:
            try:
                self.answer = self._run(self.editor.value)
            except NeuroLakeError as exc:
                from neurolake_lab.display import error_bundle

                self.error = exc
                self.state = "failed"
                display(error_bundle(exc), raw=True)  # type: ignore[no-untyped-call]
                return None
            self.state = "done"
            display(self.answer)  # type: ignore[no-untyped-call]
            if self._on_answer is not None:
                self._on_answer(self.answer)
        return self.answer

    def cancel(self) -> None:
        """Close the panel without running anything (what the Cancel button does)."""
        if self.state != "waiting":
            return
        self._close()
        self.state = "cancelled"
        with self.output:
            print("Cancelled: nothing ran.")

    def _ipython_display_(self) -> None:
        display(self.widget)  # type: ignore[no-untyped-call]


class AcceptButton:
    """The Accept button: keeps the question and its SQL for the next similar question."""

    def __init__(self, accept: Callable[[], str]) -> None:
        import ipywidgets as w

        self._accept = accept
        self.button = w.Button(description="Accept answer", icon="check",
                               tooltip="Keep this SQL for similar questions")  # fmt: skip
        self.status = w.Label("")
        self.accepted_id: str | None = None
        self.button.on_click(lambda _: self.click())
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
