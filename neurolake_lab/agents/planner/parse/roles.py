"""The role of every mention no structure word claimed.

Values and states filter, related tables become relations (EXISTS), columns are projected.
"""

from __future__ import annotations

from neurolake_lab.agents.intent import Filter, Relation
from neurolake_lab.agents.planner import vocab
from neurolake_lab.agents.planner.cues import Cue
from neurolake_lab.agents.planner.linker import Candidate, Mention
from neurolake_lab.agents.planner.parse.base import BRIDGE, NEG_GAP, VERB_GAP, ParserBase, negate
from neurolake_lab.index.model import ColumnInfo
from neurolake_lab.llm import lexicon


class RolesMixin(ParserBase):
    """Default roles of unclaimed mentions."""

    def _verb_conditions(self) -> None:
        for m in self.mentions:
            column = m.fields.get("happened")
            if m.role == "verb" and isinstance(column, str) and not self._anchors(column):
                table = column.rpartition(".")[0]
                self._add_filter(Filter(column, "is not null", table=table, text=m.text), m)

    def _default_roles(self) -> None:
        order = sorted(
            range(len(self.mentions)),
            key=lambda k: (
                getattr(self.mentions[k].chosen, "kind", "") != "table",
                k,
            ),
        )
        for k in order:
            m = self.mentions[k]
            if m.role or m.chosen is None:
                continue
            cand = m.chosen
            negated = bool(m.fields.get("negated"))
            if cand.kind == "table":
                self._table_role(k, m, negated)
            elif cand.kind == "metric":
                m.role = "measure"
                self._metric_measure(cand.target)
            elif cand.kind == "value":
                m.role = "filter"
                self._value_filter(m, cand, negated)
            elif cand.kind == "state":
                m.role = "filter"
                op = negate(cand.value or "") if negated else cand.value or ""
                col = self.view.column(cand.target)
                self._add_filter(Filter(col.id, op, table=col.table, text=m.text), m)
            elif cand.kind == "filter":
                m.role = "filter"
                named = next(f for f in self.view.semantics.filters if f.name == cand.target)
                cond = f"NOT ({named.condition})" if negated else named.condition
                self._add_filter(Filter(None, "sql", sql=cond, table=named.table, text=m.text), m)
            elif cand.kind in ("column", "event"):
                self._column_role(m, cand, negated)

    def _table_role(self, k: int, m: Mention, negated: bool) -> None:
        target = m.chosen.target if m.chosen else ""
        if target == self.entity:
            m.role = "entity"
            return
        if self.entity is None:
            self.entity = target
            m.role = "entity"
            return
        graph = self.view.graph
        related = graph.child_edge(self.entity, target) is not None or (
            graph.path_up(target, self.entity) is not None and negated
        )
        through = target
        if not related and target not in self._up(self.entity):
            # "products never ordered": order lines reference both products and orders
            bridge = [
                e.child
                for e in graph.children(self.entity)
                if graph.path_up(e.child, target) is not None
            ]
            verb_table = m.fields.get("through")
            if verb_table in bridge:
                bridge = [str(verb_table)]  # the verb names the rows that link them
            if len(bridge) == 1:
                through, related = bridge[0], True
        if related:
            if self._measure_table() in (target, through):
                m.role = "context"
                return
            m.role = "relation"
            rel = Relation(through, negated=negated, text=m.text)
            self.intent.relations.append(rel)
            self.relation_of[k] = rel
            return
        m.role = "context"
        self.context.add(target)

    def _listed_with(self, m: Mention, column: str) -> bool:
        """Whether ``m`` continues a list of values of ``column`` ("high or urgent", "A, B")."""
        prev = [x for x in self.mentions if x.end <= m.start and x.chosen is not None
                and x.chosen.kind == "value" and x.chosen.target == column]  # fmt: skip
        if not prev:
            return False
        gap = self.toks[prev[-1].end : m.start]
        return all(t.low in ("or", "and", ",", "either", "nor", "/", "&") for t in gap)

    def _value_filter(self, m: Mention, cand: Candidate, negated: bool) -> None:
        col = self.view.column(cand.target)
        for f in self.intent.filters:
            if (
                self._listed_with(m, col.id)
                and f.column == col.id
                and f.op in ("=", "in", "!=", "not in")
                and ((f.op in ("!=", "not in")) == negated)
            ):
                values = f.value if isinstance(f.value, list) else [f.value]
                if cand.value not in values:
                    values.append(cand.value)
                f.value = values
                f.op = ("not in" if negated else "in") if len(values) > 1 else f.op
                f.text += f" {m.text}"
                return
        self._add_filter(
            Filter(col.id, "!=" if negated else "=", cand.value, table=col.table, text=m.text), m
        )

    def _column_role(self, m: Mention, cand: Candidate, negated: bool) -> None:
        col = self.view.column(cand.target)
        if col.is_temporal and self._window_next_to(m) is not None:
            m.role = "anchor"
            return
        state = m.best(("state",))
        if col.is_temporal and state is not None and state.target == col.id:
            # "customers who churned", "resolved tickets": the event happened
            m.role = "filter"
            op = negate(state.value or "") if negated else state.value or ""
            self._add_filter(Filter(col.id, op, table=col.table, text=m.text), m)
            return
        if col.is_temporal and cand.kind == "event":
            m.role = "verb"
            return
        if self._verb_of_rows(m, col):
            m.role = "verb"  # "flights departed from JFK", "miles flown": the rows' own verb
            self.intent.readings.append((m.text, f"a verb of {col.table} rows (no condition)"))
            return
        if col.is_boolean:
            m.role = "filter"
            self._add_filter(
                Filter(col.id, "is false" if negated else "is true", table=col.table, text=m.text),
                m,
            )
            return
        m.role = "projection"
        self.intent.projections.append(col.id)

    def _verb_of_rows(self, m: Mention, col: ColumnInfo) -> bool:
        """Whether ``m`` is a verb that only says the counted rows happened ("flights departed").

        A participle or a verb after an auxiliary ("did ... operate"), naming a column of the
        rows the question counts or lists that holds no yes/no or state (nothing to filter on).
        """
        if col.is_boolean or m.has("state") or m.end - m.start != 1:
            return False
        tok = self.toks[m.start]
        aux = any(t.low in ("did", "do", "does", "was", "were") for t in self.toks[: m.start])
        subject = next((x for x in self.mentions if x.end == m.start), None)
        aux = aux or (
            subject is not None and self._is_table(subject) and self._verb_after_subject(subject, m)
        )  # "people work in Sales"
        past = tok.low.endswith(("ed", "en", "own", "ew")) or tok.low in vocab.IRREGULAR
        verbal = past or tok.low.endswith("ing") or aux
        rows = {self.entity, self._measure_table()}
        # "how many aircraft did Southwest fly": the verb of the rows that belong to them
        child = self.entity is not None and self.view.graph.child_edge(self.entity, col.table)
        used = any(x is not m and x.chosen == m.chosen and x.role for x in self.mentions)
        if not verbal or tok.low == tok.stem + "s" or (col.table not in rows and not child):
            return False
        return used or not col.is_numeric or past or aux

    def _cue_neg(self, cue: Cue, nxt: Cue | None) -> None:
        m = self._next_mention(cue.end, NEG_GAP | BRIDGE)
        while m is not None and m.role == "verb":
            m = self._next_mention(m.end, NEG_GAP | BRIDGE)
        if m is None or m.chosen is None or m.role not in ("", "entity"):
            return
        m.fields["negated"] = True
        cand = m.chosen
        verbal = self.toks[m.end - 1].low.endswith("ed")  # "never supplied a part"
        verb = cand.kind == "event" or (
            cand.kind == "column"
            and (m.has("event") or self.view.column(cand.target).is_temporal or verbal)
        )
        if verb or (cand.kind == "value" and self._table_after(m)):
            table = self._table_after(m) or cand.table
            if table and table != self.entity:
                m.role = "verb"
                follow = self._free_after(m.end, NEG_GAP | BRIDGE)
                if follow is not None and follow.chosen and follow.chosen.kind == "table":
                    follow.fields["negated"] = True
                    follow.fields["through"] = cand.table  # "never supplied a part"
                elif self.entity is not None:
                    # "employees who never requested leave": the verb names the related table
                    m.chosen = Candidate("table", table, 0.9)
                    m.role = ""
                    self._table_role(self.mentions.index(m), m, True)
                    self._object_of(m, table)

    def _object_of(self, verb: Mention, table: str) -> None:
        """The word after the verb that is part of its table's name ("requested *leave*").

        Values and states between them describe the object, not other rows: "never placed a
        *1-URGENT* order" is one order, urgent, not an order and some other order.
        """
        gap = frozenset({"a", "an", "any", "the", "single", "one"})
        obj = self._after(verb, gap)
        while (
            obj is not None
            and obj.chosen is not None
            and obj.chosen.kind in ("value", "state")
            and obj.chosen.table == table
        ):
            obj = self._after(obj, gap)
        if obj is None or obj.role or obj.end - obj.start != 1:
            return
        name = {lexicon.stem(w) for w in lexicon.words(self.view.table(table).name)}
        if self.toks[obj.start].stem in name:
            obj.role = "qualifier"
            obj.chosen = Candidate("table", table, 0.9)

    def _table_after(self, m: Mention) -> str | None:
        nxt = self._after(m, VERB_GAP | NEG_GAP)
        if nxt is not None and self._is_table(nxt):
            best = nxt.best(("table",))
            return best.target if best else None
        return None
