"""The last passes: the intent's action and projections, and what was not understood.

Words left over make the planner refuse rather than guess.
"""

from __future__ import annotations

from neurolake_lab.agents.intent import Measure
from neurolake_lab.agents.planner import vocab
from neurolake_lab.agents.planner.parse.base import ParserBase, cue_word
from neurolake_lab.llm import lexicon


class FinishMixin(ParserBase):
    """Action, projections and what was not understood."""

    def _finish(self) -> None:
        it = self.intent
        it.entity = self.entity
        if self.st.remove_pii:
            it.transformations.append("remove_pii")
        if it.entity is None:
            tables = {m.chosen.table for m in self.mentions if m.chosen and m.chosen.table}
            metric = next((ms for ms in it.measures if ms.metric), None)
            measured = self._measure_table()
            if measured is not None:
                it.entity = self.entity = measured
            elif len(tables) == 1:
                it.entity = tables.pop()
            elif metric is None:
                self.problems.append("could not tell which table the question is about")
                return
        if not it.measures and (it.grouping or self.st.cues_of("count")):
            it.measures.append(Measure("count", table=it.entity, label="count", implied=True))
        for ms in it.measures:
            if ms.func == "share" and not ms.condition and ms.metric is None:
                self.problems.append("a share of what? no condition found after 'share'")
            if ms.func == "count" and ms.table is None:
                ms.table = it.entity
        if it.measures:
            only_count = all(ms.func == "count" for ms in it.measures) and not it.grouping
            it.action = "count" if only_count else "aggregate"
        else:
            it.action = "list"
            keep = self._list_projection()
            it.projections = keep
            named = any(m.role in ("entity", "counted") for m in self.mentions)
            if not named and not it.projections and self.previous is None:
                # "Deaths in Kardiologie": no table was named, so listing the rows of the one a
                # value belongs to would be a guess at what to show
                self.problems.append(
                    "what should be listed or counted? name the rows "
                    "(e.g. 'how many stays ...', 'list the departments ...')"
                )

    def _accounted(self) -> None:
        """Refuse when a part of the question that was read is not in the intent.

        A column, value or table that was recognised but given no part in the answer, an
        aggregate or count word that applies to nothing, a negation that negates nothing: each
        would make the answer silently answer another question.
        """
        it = self.intent
        if self.problems:
            return
        unused = []
        for m in self.mentions:
            if m.chosen is None:
                continue
            dropped = m.role == "projection" and (
                it.action != "list" or m.chosen.target not in it.projections
            )
            if m.role == "" or dropped:
                unused.append(f"{m.text!r} ({m.chosen.target})")
        if unused:
            self.problems.append("read but not used in the answer: " + ", ".join(unused))
        for m in self.mentions:
            both = m.fields.get("ambiguous")
            if isinstance(both, list) and m.chosen is not None and m.chosen.target in both \
                    and m.role not in ("", "qualifier"):  # fmt: skip
                self.problems.append(f"{m.text!r} could be " + " or ".join(both) + ": which one?")
        if self.st.cues_of("agg") and not it.measures and not it.order:
            words = ", ".join(repr(cue_word(self.toks, c)) for c in self.st.cues_of("agg"))
            self.problems.append(f"{words}: found nothing to compute it of")
        for cue in self.st.cues_of("group"):
            word = self._low(cue.i)
            if word not in ("per", "each", "every", "for", "in"):
                continue  # "by" also says how ("shipped by truck")
            target = self._free_after(cue.end)
            if target is not None and target.role in ("entity", ""):
                self.problems.append(
                    f"{cue_word(self.toks, cue)} {target.text!r}: found nothing to compute per "
                    f"{target.text} (say what to count or add up)"
                )
        negs = self.st.cues_of("neg")
        for m in self.mentions:
            if m.fields.get("negated") and m.role in ("context", "", "qualifier"):
                self.problems.append(f"could not tell how {m.text!r} is negated")
        if negs and not any(m.fields.get("negated") for m in self.mentions):
            words = ", ".join(repr(cue_word(self.toks, c)) for c in negs)
            self.problems.append(f"{words}: could not tell what it negates")

    def _list_projection(self) -> list[str]:
        cols = [
            c for c in self.intent.projections if self.entity and c.startswith(self.entity + ".")
        ]
        if cols and self.entity:
            key = [f"{self.entity}.{k}" for k in self.view.key(self.entity)]
            return list(dict.fromkeys([*key, *cols]))
        return []

    def _unmatched(self) -> None:
        covered = set(self.st.taken)
        for m in self.mentions:
            if m.chosen is not None or m.candidates:
                covered.update(range(m.start, m.end))
        words = []
        for i, tok in enumerate(self.toks):
            if i in covered or tok.kind == "punct" or tok.low in vocab.FILLER:
                continue
            if tok.kind == "number":
                words.append(tok.text)
                continue
            if tok.low in lexicon.STOPWORDS or len(tok.low) <= 2:
                continue
            words.append(tok.text)
        if words:
            self.intent.unmatched = words
            self.problems.append("did not understand " + ", ".join(repr(w) for w in words))

    def _suggestions(self) -> list[str]:
        import difflib

        names = {}
        for t in self.view.snapshot.tables.values():
            names[t.name.lower()] = t.id
            for c in t.columns:
                names[c.name.lower()] = c.id
                for w in lexicon.words(c.name):
                    names.setdefault(w, c.id)
        out: list[str] = []
        for word in self.intent.unmatched or [t.low for t in self.toks if t.is_word]:
            for hit in difflib.get_close_matches(word.lower(), list(names), n=3, cutoff=0.6):
                if names[hit] not in out:
                    out.append(names[hit])
        return out[:6]
