"""Which of several references a question means: origin or destination, buyer or seller.

When a table references another one more than once (a flight's origin and destination airport),
a value of the referenced table ("Chicago") or a value both columns hold ("JFK") does not say
which reference is meant; the words around it do. Each reference column is described by its name
and description ("Origin airport (where the flight departs from)"); the words before the
mention ("departed from", "to", "arriving in") are compared with what tells the columns apart.
A preposition counts for the direction it usually marks. When nothing decides, the question is
refused with the choice spelled out rather than answered for one of them at random.
"""

from __future__ import annotations

from neurolake_lab.agents.intent import Filter
from neurolake_lab.agents.planner.docs import first_clause
from neurolake_lab.agents.planner.graph import Edge
from neurolake_lab.agents.planner.linker import Candidate, Mention, same_root
from neurolake_lab.agents.planner.parse.base import ParserBase
from neurolake_lab.llm import lexicon

#: Prepositions and verbs of direction -> the words a reference column's text would use.
_DIRECTION = {
    "from": ("origin", "depart", "from", "source", "sender"),
    "out": ("origin", "depart", "from"),
    "leav": ("origin", "depart", "from"),
    "left": ("origin", "depart", "from"),
    "to": ("destination", "arriv", "to", "recipient"),
    "into": ("destination", "arriv", "to"),
    "bound": ("destination", "arriv", "to"),
    "land": ("destination", "arriv", "to"),
}
_CONTEXT = 3


class ReferencesMixin(ParserBase):
    """Pick among a table's references to one parent from the words around a mention."""

    def _evidence(self, edge: Edge) -> set[str]:
        col = self.view.column(f"{edge.child}.{edge.columns[0]}")
        words = lexicon.words(col.name) + lexicon.words(col.description) + [edge.role]
        return {lexicon.stem(w) for w in words if w}

    def _context(self, m: Mention) -> list[tuple[str, float, int]]:
        """Stems of the words before ``m`` (back to the previous mention), nearest weighing most."""
        begin = max(0, m.start - _CONTEXT)
        for other in self.mentions:
            # another place or row ("from JFK to Denver") ends this one's context; a verb or an
            # adjective ("arrived in", "from hub airports") is part of it
            kind = other.best()
            if other is not m and begin < other.end <= m.start and kind is not None \
                    and kind.kind in ("value", "table"):  # fmt: skip
                begin = other.end
        out: list[tuple[str, float, int]] = []
        for i in range(begin, m.start):
            tok = self.toks[i]
            if not tok.is_word:
                continue
            weight = 1.0 / (m.start - i)
            out.append((tok.stem, weight, i))
            out.extend((w, weight, i) for w in _DIRECTION.get(tok.stem, ()))
        return out

    def _reference_for(self, m: Mention, edges: list[Edge]) -> Edge | None:
        """The edge the words before ``m`` point to (None when they do not decide)."""
        evidence = {id(e): self._evidence(e) for e in edges}
        shared = set.intersection(*evidence.values()) if evidence else set()
        context = self._context(m)
        if m.chosen is not None and m.chosen.kind == "column":
            context += [(lexicon.stem(w), 1.0, -1) for w in lexicon.words(m.text)]
        scores = []
        used: list[set[int]] = []
        for e in edges:
            own = evidence[id(e)] - shared
            hits = [(wt, i) for w, wt, i in context if any(same_root(w, x) for x in own)]
            scores.append(sum(wt for wt, _ in hits))
            used.append({i for _, i in hits if i >= 0})
        best = max(scores, default=0.0)
        if best == 0 or scores.count(best) > 1:
            return None
        # the words that chose ("arrived in", "left") are read: the direction is their meaning
        self.st.taken.update(i for i in used[scores.index(best)] if not self._mention_at(i))
        return edges[scores.index(best)]

    def _role_candidates(self, m: Mention, found: list[Candidate]) -> list[Candidate]:
        """Among tied candidates that are role columns of one table, the one the words mean."""
        if len(found) < 2:
            return found
        tables = {c.table for c in found}
        columns = {c.target.rpartition(".")[2] for c in found}
        if len(tables) != 1 or len({c.value for c in found}) != 1 or len(columns) < 2:
            return found
        child = tables.pop() or ""
        edges = [e for e in self.view.graph.parents(child) if e.columns[0] in columns]
        parents = {e.parent for e in edges}
        if len(edges) != len(columns) or len(parents) != 1:
            return found
        picked = self._reference_for(m, edges)
        if picked is None:
            return found
        return [c for c in found if c.target.rpartition(".")[2] == picked.columns[0]]

    def _choose_all(self) -> None:
        """Choose every mention's candidate; ties between role columns go by the context."""
        for m in self.mentions:
            if m.chosen is not None or not m.candidates:
                continue
            self._verb_after_auxiliary(m)
            m.chosen = self._choose(m)
            if m.chosen is None:
                continue
            best = m.chosen
            ties = [
                c
                for c in m.candidates
                if (c.kind, c.value) == (best.kind, best.value) and abs(c.score - best.score) < 1e-9
            ]
            picked = self._role_candidates(m, ties)
            if len(picked) == 1:
                m.chosen = picked[0]
        self._settle_ties()

    def _verb_after_auxiliary(self, m: Mention) -> None:
        """After "did"/"do"/"does", a word that is a state and an event is the event's verb.

        "How many tickets did enterprise customers *open*?" asks who opened them, not which
        are still open ("open tickets" before a noun is the state).
        """
        events = [c for c in m.candidates if c.kind == "event"]
        if not events or not any(c.kind == "state" for c in m.candidates):
            return
        before = {t.low for t in self.toks[: m.start]}
        after = self._mention_at(m.end)
        if before & {"did", "do", "does"} and not (after is not None and self._is_table(after)):
            m.candidates = events

    def _settle_ties(self) -> None:
        """Settle a word that names columns (or values) of two tables equally well.

        "unit price" of a product and of an order line goes to the table the rest of the
        question is about; when nothing decides, the mention remembers both and the planner
        asks which.
        """
        for m in self.mentions:
            chosen = m.chosen
            if chosen is None or chosen.kind not in ("column", "event", "state", "value"):
                continue
            ranked = self._ranked(m)
            own = next((sc for sc, c in ranked if c == chosen), None)
            if own is None:
                continue
            group = [chosen] + [c for sc, c in ranked if c.kind == chosen.kind
                                and c.target != chosen.target and abs(own - sc) < 0.02
                                and abs(c.score - chosen.score) < 0.02]  # fmt: skip
            if len(group) < 2:
                continue
            others = set()
            for x in self.mentions:
                if x is m or x.chosen is None:
                    continue
                if x.chosen.table:
                    others.add(x.chosen.table)
                metric = self.view.semantics.metric(x.chosen.target)
                if x.chosen.kind == "metric" and metric is not None:
                    others.update(d.table for d in metric.definitions)
            inside = [c for c in group if c.table in others]
            if len({c.table for c in group}) == 1 and chosen.kind == "value":
                continue  # one column per reference of a value ("JFK"): the references decide
            if len(inside) == 1 and len(others & {c.table for c in group}) > 0 and len(
                {c.table for c in group}) > 1:  # fmt: skip
                m.chosen = inside[0]
                continue
            # "average discount per channel": the channel of the orders the discounts belong to
            graph = self.view.graph
            reach = [c for c in group if any(t and graph.path_up(t, c.table or "") is not None
                                              for t in others)]  # fmt: skip
            if len(reach) == 1 and len({c.table for c in group}) > 1:
                m.chosen = reach[0]
                continue
            tables = {c.table for c in group}
            main = self.view.main_date(tables.pop() or "") if len(tables) == 1 else None
            dates = all(self.view.column(c.target).is_temporal for c in group)
            told = self._told_apart(m, group)
            if told is None and dates and main is not None and main.id in [c.target for c in group]:
                # "flights scheduled on 2025-03-15": the table's main date, as for any window
                told = next(c for c in group if c.target == main.id)
            if told is not None:
                m.chosen = told
            else:
                m.fields["ambiguous"] = [c.target for c in group]

    def _told_apart(self, m: Mention, group: list[Candidate]) -> Candidate | None:
        """The one candidate whose column the rest of the question names more words of.

        "orders per *priority*": ``o_orderpriority`` ("Order priority") over ``o_shippriority``
        ("Shipping priority"), since the question speaks of orders.
        """
        own = {t.stem for t in self.toks[m.start : m.end]}
        rest = {t.stem for t in self.toks if t.is_word and t.i not in range(m.start, m.end)}
        scores = []
        for c in group:
            col = self.view.snapshot.column(c.target)
            if col is None:
                return None
            words = self.view.column_words(col) + lexicon.words(first_clause(col.description))
            stems = {lexicon.stem(w) for w in words} - own
            scores.append(sum(1 for s in stems if any(same_root(s, r) for r in rest)))
        best = max(scores)
        if best == 0 or scores.count(best) > 1:
            return None
        return group[scores.index(best)]

    def _references(self) -> None:
        """Say which reference reaches each parent-table mention ("flights to Denver")."""
        start = self._measure_table() or self.entity
        if start is None:
            return
        graph = self.view.graph
        picks: dict[str, Edge] = {}
        for m in self.mentions:
            target = m.chosen.table if m.chosen is not None else None
            if target is None or target == start or m.role in ("qualifier", ""):
                continue
            options = graph.ambiguous(start, target, self.intent.via)
            if not options:
                continue
            qualifier = self._qualified_by(m, options)
            picked = qualifier or self._reference_for(m, options)
            if picked is None:
                ways = " or ".join(f"{e.columns[0]}" for e in options)
                self.problems.append(
                    f"{m.text!r}: through {ways}? (say 'from' or 'to', 'origin' or 'destination')"
                )
                continue
            picks[m.text] = picked
            self.intent.readings.append((m.text, f"through {picked.child}.{picked.columns[0]}"))
        self._route_filters(picks)
        for picked in picks.values():
            if all(p.columns == picked.columns for p in picks.values()):
                self.intent.via[f"{picked.child}>{picked.parent}"] = picked.columns[0]

    def _route_filters(self, picks: dict[str, Edge]) -> None:
        """Give each filter on a referenced table its reference, splitting merged IN lists."""
        out = []
        for f in self.intent.filters:
            texts = [t for t in picks if t in f.text.split(" ") or t == f.text]
            if not texts or f.op not in ("=", "in", "!=", "not in"):
                out.append(f)
                continue
            values = f.value if isinstance(f.value, list) else [f.value]
            if len(texts) == len(values) > 1:
                for text, value in zip(texts, values, strict=True):
                    edge = picks[text]
                    out.append(Filter(f.column, "!=" if f.op.startswith(("!", "not")) else "=",
                                      value, table=f.table, text=text,
                                      via=f"{edge.child}.{edge.columns[0]}"))  # fmt: skip
                continue
            edge = picks[texts[0]]
            f.via = f"{edge.child}.{edge.columns[0]}"
            out.append(f)
        self.intent.filters = out

    def _qualified_by(self, m: Mention, options: list[Edge]) -> Edge | None:
        """A reference column named right before ("destination state"), made a qualifier."""
        prev = next((x for x in self.mentions if x.end == m.start), None)
        if prev is None or prev.chosen is None or prev.chosen.kind != "column":
            return None
        name = prev.chosen.target.rpartition(".")[2]
        picked = next((e for e in options if name in e.columns), None)
        if picked is None:
            return None
        if prev.role == "group" and m.chosen is not None and m.chosen.kind == "table":
            m.role = "qualifier"  # "by destination airport": the reference column groups
            table = m.chosen.target
            self.intent.grouping = [g for g in self.intent.grouping
                                    if not (g.table == table and g.text == m.text)]  # fmt: skip
        elif prev.role in ("", "projection", "group"):
            if prev.role == "group":
                self.intent.grouping = [g for g in self.intent.grouping
                                        if g.column != prev.chosen.target]  # fmt: skip
            prev.role = "qualifier"
        return picked
