"""First passes over the mentions of a question.

Values the index did not sample, compound nouns, the entity (which table the question is
about) and mentions that only qualify others.
"""

from __future__ import annotations

from neurolake_lab.agents.intent import GroupKey
from neurolake_lab.agents.planner import vocab
from neurolake_lab.agents.planner.graph import Edge
from neurolake_lab.agents.planner.linker import Candidate, Mention
from neurolake_lab.agents.planner.parse.base import VERB_GAP, ParserBase, demonym, participle
from neurolake_lab.llm import lexicon

#: Words after a noun that narrow which rows it means ("customers in", "aircraft with").
_NARROWING = frozenset({"in", "from", "with", "without", "that", "who", "which", "whose", "of",
                        "on", "at", "based", "located"})  # fmt: skip


class MentionsMixin(ParserBase):
    """Values, compounds, the entity, qualifiers."""

    def _values_from_words(self) -> None:
        """Quoted words, and capitalised words nothing matched, looked up in the data.

        Lower-case words nothing matched are looked up too ("a pneumonia diagnosis"), as a
        whole value only.
        """
        tables = tuple(sorted(self.view.snapshot.tables))
        for m in self.mentions:
            if m.role == "quoted" and not m.candidates:
                from neurolake_lab.index.index import normalize_value

                found = [
                    (c.id, v)
                    for c in self.view.snapshot.columns()
                    for v in c.samples
                    if normalize_value(v) == normalize_value(m.text)
                ] or self.view.probe_value(m.text, tables)
                m.candidates = [Candidate("value", c, 0.95, v) for c, v in found]
                m.role = ""
                if not found:
                    self.problems.append(f"no column holds the value {m.text!r}")
        fuzzy = [m for m in self.mentions if m.fields.get("fuzzy") and m.start > 0
                 and self.toks[m.start].text[:1].isupper()]  # fmt: skip
        covered = {i for m in self.mentions if m not in fuzzy for i in range(m.start, m.end)}
        i = 0
        while i < len(self.toks):
            tok = self.toks[i]
            if (
                i in covered
                or i in self.st.taken
                or not tok.is_word
                or not tok.text[:1].isupper()
                or i == 0
                or (tok.low in vocab.FILLER and not self._capital_run(i))  # "New York"
            ):
                i += 1
                continue
            j = i
            while (
                j + 1 < len(self.toks)
                and self.toks[j + 1].is_word
                and self.toks[j + 1].text[:1].isupper()
                and j + 1 not in covered
            ):
                j += 1
            text = " ".join(t.text for t in self.toks[i : j + 1])
            found = self._value_root(text) or self.view.probe_value(text, tables)
            if found:
                # a capitalised word the data holds is that value, not a column it resembles
                self.mentions = [m for m in self.mentions if not (i <= m.start <= j and m in fuzzy)]
                self.mentions.append(
                    Mention(i, j + 1, text, [Candidate("value", c, 0.95, v) for c, v in found])
                )
            i = j + 1
        self.mentions.sort(key=lambda m: m.start)
        self._lower_values(tables)

    def _capital_run(self, i: int) -> bool:
        nxt = self.toks[i + 1] if i + 1 < len(self.toks) else None
        return nxt is not None and nxt.is_word and nxt.text[:1].isupper()

    def _lower_values(self, tables: tuple[str, ...]) -> None:
        """Runs of lower-case words nothing matched, looked up as whole stored values."""
        covered = {i for m in self.mentions for i in range(m.start, m.end)}

        def free(i: int) -> bool:
            tok = self.toks[i]
            return (i not in covered and i not in self.st.taken and tok.is_word
                    and tok.low not in vocab.FILLER and tok.low not in lexicon.STOPWORDS
                    and tok.value is None)  # fmt: skip

        i = 0
        while i < len(self.toks):
            if not free(i):
                i += 1
                continue
            end = i
            while end < len(self.toks) and end - i < 3 and free(end):
                end += 1
            for j in range(end, i, -1):  # longest first: "heart failure"
                text = " ".join(t.text for t in self.toks[i:j])
                if len(text) < 4:
                    continue
                found = [(c, v) for c, v in self.view.probe_value(text, tables)
                         if v.casefold() == text.casefold()]  # fmt: skip
                if found:
                    cands = [Candidate("value", c, 0.9, v) for c, v in found]
                    self.mentions.append(Mention(i, j, text, cands))
                    i = j - 1
                    break
            i += 1
        self.mentions.sort(key=lambda m: m.start)

    def _noun_totals(self) -> None:
        """An aggregate word used as a noun after a table's name: "the order total"."""
        for cue in list(self.st.cues_of("agg")):
            prev = next((m for m in self.mentions if m.end == cue.i), None)
            if prev is None or not self._is_table(prev) or self._mention_at(cue.end) is not None:
                continue
            word = self.toks[cue.i].low
            table = (prev.best(("table",)) or Candidate("table", "", 0)).target
            col = self._concept_column(table, word) or (
                self._concept_column(table, "amount") if word == "total" else None
            )
            if col is None:
                continue
            self.st.cues.remove(cue)
            prev.role = "qualifier"
            found = Mention(cue.i, cue.end, word, [Candidate("column", col.id, 0.9)])
            self.mentions.append(found)
            self.mentions.sort(key=lambda x: x.start)

    def _noun_values(self) -> None:
        """The table's money column for "order value", "value of orders" (amount, price)."""
        for i, tok in enumerate(self.toks):
            if tok.low not in ("value", "worth") or i in self.st.taken or self._mention_at(i):
                continue
            prev = next((m for m in self.mentions if m.end == i), None)
            after = self._next_mention(i + 1, frozenset({"of", "the", "all", "our"}))
            owner = prev if prev is not None and self._is_table(prev) else None
            if owner is None and self._low(i + 1) == "of" and after and self._is_table(after):
                owner = after
            if owner is None:
                continue
            table = (owner.best(("table",)) or Candidate("table", "", 0)).target
            col = self._default_numeric(table, None)
            if col is None:
                continue
            if owner is prev:
                prev.role = "qualifier"
            self.mentions.append(Mention(i, i + 1, tok.text, [Candidate("column", col.id, 0.9)]))
            self.mentions.sort(key=lambda x: x.start)
            self.intent.readings.append((f"{tok.text}", f"{col.id}"))

    def _value_root(self, text: str) -> list[tuple[str, str]]:
        """Sampled values a capitalised word is an adjective of ("German" ~ 'Germany')."""
        word = text.lower()
        if " " in text or len(word) < 5:
            return []
        return [
            (c.id, v)
            for c in self.view.snapshot.columns()
            for v in c.samples
            if " " not in v and demonym(v.lower(), word)
        ]

    def _agents(self) -> None:
        """Read "by" after a participle as who did it, not as a grouping.

        "orders placed *by customers in* the AUTOMOBILE segment", "flights operated *by aircraft
        built* after 2015". It is the agent when the rows after it are plural or narrowed by what
        follows (a value, a comparison, "in", "from", "with", a participle); "orders placed by
        country" still groups (a column), and so does a bare singular table ("flights operated
        by carrier").
        """
        for cue in list(self.st.cues_of("group")):
            if (
                self._low(cue.i) != "by"
                or cue.end != cue.i + 1
                or not participle(self.toks[cue.i - 1] if cue.i > 0 else None)
            ):
                continue
            m = self._next_mention(cue.end, frozenset({"the", "a", "an", "our", "their"}))
            adjective = m is not None and m.best(("value", "state")) is not None
            if adjective and m is not None:
                # "flown by Airbus aircraft", "operated by low-cost carriers": who did it
                nxt = self._mention_at(m.end)
                heads = self.view.phrases.lookup(self.toks[m.end - 1 : m.end])
                if (nxt is not None and self._is_table(nxt)) or any(c.kind == "table"
                                                                     for c in heads):  # fmt: skip
                    cue.kind = "agent"
                continue
            if m is None or not self._is_table(m):
                continue
            after = self._mention_at(m.end)
            free = m.end not in self.st.taken
            narrowed = (free and self._low(m.end) in _NARROWING) or participle(
                self.toks[m.end] if m.end < len(self.toks) else None
            ) or (after is not None and after.best(("value", "state")) is not None) or any(
                c.start == m.end for c in self.st.comparisons)  # fmt: skip
            if self._plural(m) or narrowed:
                cue.kind = "agent"

    def _entity(self) -> None:
        tables = [m for m in self.mentions if self._is_table(m) and m.role != "qualifier"]
        entity: Mention | None = None
        grouped = [m for m in tables if self._after_group_word(m)]
        if len(grouped) < len(tables):
            tables = [m for m in tables if m not in grouped] + grouped
        for kind in ("count", "share", "agg"):
            for cue in self.st.cues_of(kind):
                if self._low(cue.i - 1) in ("by", "on"):
                    continue  # "top 5 employees by number of requests": a ranking measure
                after = [m for m in tables if m.start >= cue.end]
                gate = [
                    m
                    for m in self.mentions
                    if m.start >= cue.end
                    and not self._is_table(m)
                    and m.best(("value", "state")) is None
                ]
                if after and (kind != "agg" or not gate or after[0].start < gate[0].start):
                    entity = after[0]
                    break
            if entity is not None:
                break
        if entity is None and not tables:
            votes: dict[str, float] = {}
            for m in self.mentions:
                best = m.best(("value", "state"))
                if best is not None and best.table:
                    votes[best.table] = votes.get(best.table, 0.0) + best.score
            if votes and not self._has_kind("metric"):
                self.entity = max(votes, key=lambda t: votes[t])
        if (
            entity is None
            and tables
            and not (self._after_group_word(tables[0]) and self._has_kind("metric"))
        ):
            entity = tables[0]
        if entity is not None:
            entity.chosen = entity.best(("table",))
            entity.role = "entity"
            self.entity = entity.chosen.target if entity.chosen else None
        elif self.previous is not None and self.previous.entity:
            self.entity = self.previous.entity
        self.context = {c.target for m in tables if (c := m.best(("table",))) is not None}
        if self.entity:
            self.context.add(self.entity)

    def _absorb(self) -> None:
        for k, m in enumerate(self.mentions):
            if m.role or m.chosen is None:
                continue
            nxt = self.mentions[k + 1] if k + 1 < len(self.mentions) else None
            kind = m.chosen.kind
            adjacent = nxt is not None and nxt.start == m.end and nxt.chosen is not None
            # "placed an order", "placed the most orders": a verb before its object
            verbish = kind in ("value", "event", "state") or (kind == "column" and m.has("event"))
            if verbish and nxt is not None and self._is_table(nxt):
                gap = self.toks[m.end : nxt.start]
                ranks = {i for c in self.st.cues if c.kind in ("rank", "rankadj")
                         for i in range(c.i, c.end)}  # fmt: skip
                if gap and all(t.low in VERB_GAP or t.i in ranks for t in gap):
                    m.role = "verb"  # "placed an order", "delivered the most shipments"
                    self._happened(m)
                    continue
            # "sales channel": a metric word used as an adjective
            if kind == "metric" and adjacent and nxt and nxt.chosen and nxt.chosen.kind == "column":
                m.role = "qualifier"
                continue
            # "the Books category": the column word next to a value of that column; "pneumonia
            # as the main diagnosis": a reference column next to a value of the table it
            # references (it says which reference)
            if kind == "column":
                for near in self.mentions:
                    apart = max(near.start - m.end, m.start - near.end)
                    if near.chosen is None or near.chosen.kind not in ("value", "state"):
                        continue
                    same = next((c for c in m.candidates if c.kind == "column"
                                 and c.target == near.chosen.target), None)  # fmt: skip
                    if same is not None and apart <= 2:
                        m.role, m.chosen = "qualifier", same  # "sick leave" (a leave type)
                    elif apart <= 3 and self._edge_of(m.chosen.target, near.chosen.table):
                        m.role = "qualifier"
                        edge = self._edge_of(m.chosen.target, near.chosen.table)
                        if edge is not None and len(self.view.graph.between(
                                    edge.child, edge.parent)) > 1:  # fmt: skip
                            self.intent.via[f"{edge.child}>{edge.parent}"] = edge.columns[0]
                if m.role:
                    continue
            # "line items": a column word of a table right before the table's name
            adjective = m.best(("state",)) is not None
            if kind == "column" and nxt and self._is_table(nxt) and adjacent and not adjective:
                target = nxt.best(("table",))
                if target is not None and m.chosen.table == target.target:
                    m.role = "qualifier"
                    continue
            if kind == "table" and adjacent and nxt and nxt.chosen and nxt.chosen.kind == "column":
                owner = nxt.chosen.table or ""
                # "customer segment": the table's own column
                if owner == m.chosen.target:
                    m.role = "qualifier"
                    continue

    def _edge_of(self, column_id: str, table: str | None) -> Edge | None:
        """The edge by which ``column_id`` references ``table`` (directly), if it does."""
        child, _, name = column_id.rpartition(".")
        return next((e for e in self.view.graph.between(child, table or "")
                     if name in e.columns), None)  # fmt: skip

    def _compounds(self) -> None:
        """A table's name before a column of its child table names the child: "order line"."""
        for k, m in enumerate(self.mentions[:-1]):
            nxt = self.mentions[k + 1]
            table, col = m.best(), nxt.best()
            if self._owner_compound(m, nxt):
                continue
            if table is None or col is None or table.kind != "table" or col.kind != "column":
                continue
            if nxt.has("event") or nxt.has("state") or self.view.column(col.target).is_temporal:
                continue  # "employees completed": a verb, not a compound noun
            if participle(self.toks[nxt.start]) or self._verb_after_subject(m, nxt):
                continue  # "flights arrived": a verb, whatever column its root resembles
            own = next(
                (c for c in nxt.candidates if c.kind == "column" and c.table == table.target), None
            )
            if own is not None and nxt.start == m.end and not self._is_table(nxt):
                m.role = "qualifier"  # "aircraft model", "procedure amount": the table's own
                m.chosen = table
                nxt.candidates = [c for c in nxt.candidates if c.table == table.target]
                continue
            name = col.target.rpartition(".")[2]
            owner = col.table or ""
            if col.score < 0.9 or nxt.start != m.end:
                continue
            if owner == table.target:
                m.role = "qualifier"  # "carrier mode": the carriers' own column
                m.chosen = table
                continue
            if self.view.table(table.target).column(name) is not None:
                continue  # "products priced": the table's own price, not its lines
            if nxt.start == m.end and self.view.graph.child_edge(table.target, owner) is not None:
                m.role = "qualifier"
                m.chosen = table
                nxt.chosen = Candidate("table", owner, 0.9)
                nxt.candidates = [nxt.chosen]
                nxt.text = f"{m.text} {nxt.text}"

    def _owner_compound(self, m: Mention, nxt: Mention) -> bool:
        """Two tables, the first referencing the second: "supplier nation" (a path)."""
        first, second = m.best(("table",)), nxt.best(("table",))
        if first is None or second is None or nxt.start != m.end or m.best() is not first:
            return False
        if first.target == second.target or nxt.best() is not second:
            return False
        if self.view.graph.path_up(first.target, second.target) is None:
            return False
        m.role = "qualifier"
        m.chosen = first
        self.intent.via["@" + second.target] = first.target
        self.intent.readings.append((f"{m.text} {nxt.text}",
                                     f"{second.target} of the {first.target} row"))  # fmt: skip
        return True

    def _events_by_windows(self) -> None:
        """A word that is both a value and a date's event ("placed") read as the event.

        It is the event when it stands next to a time window or right after its table's name
        ("orders placed via web").
        """
        for k, m in enumerate(self.mentions):
            if m.chosen is None or m.chosen.kind != "value":
                continue
            prev = self.mentions[k - 1] if k else None
            participle = (
                prev is not None
                and prev.end == m.start
                and self._is_table(prev)
                and ((prev.best(("table",)) or m.chosen).target == m.chosen.table)
            )
            # "orders were placed on the web": the passive of the event, not the status value
            passive = self._low(m.start - 1) in ("was", "were", "been", "got", "get", "be")
            if self._window_next_to(m) is None and not participle and not passive:
                continue
            event = next(
                (c for c in m.candidates if c.kind == "event" and c.table == m.chosen.table), None
            )
            if event is not None:
                m.chosen = event
                if (participle or passive) and self._window_next_to(m) is None:
                    m.role = "verb"

    def _limit_subject(self) -> None:
        """The column right after a limit is what the rows are: "top 3 categories"."""
        limit = self.st.limit
        if limit is None:
            return
        m = self._next_mention(limit.end, frozenset({"the", "most", "least"}))
        if m is None or m.role or m.chosen is None or m.chosen.kind != "column":
            return
        col = self.view.column(m.chosen.target)
        if not col.is_numeric and not col.is_temporal:
            m.role = "group"
            key = GroupKey(column=col.id, text=m.text)
            self.intent.grouping.append(key)
            self.group_by_mention[self.mentions.index(m)] = key
