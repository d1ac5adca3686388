"""The phrase index: phrases of a schema (as stems) and what each may name.

Built once per schema view from what the metadata index holds: table and column names split into
words (``support_tickets`` -> "support ticket", with the head noun alone as a weaker match),
column docs (the verb of a date column, "Date the order was *placed*"; the state a NULL stands
for, "NULL while the ticket is *open*"; the sign of a number, "negative when *early*"), sample
values ("Germany", "small_business"), semantic definitions ("revenue") and generic synonyms.
:func:`~neurolake_lab.agents.planner.linker.link` matches a question's words against it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from neurolake_lab.agents.planner import docs, vocab
from neurolake_lab.agents.planner.graph import column_prefix
from neurolake_lab.agents.planner.linker import (
    GENERIC,
    STRUCTURE,
    Candidate,
    _derived,
    same_root,
    stems,
)
from neurolake_lab.agents.planner.semantics import Semantics
from neurolake_lab.agents.planner.tokens import Token
from neurolake_lab.index.index import normalize_value
from neurolake_lab.index.model import ColumnInfo, SchemaSnapshot, TableInfo
from neurolake_lab.llm import lexicon

_NULL_STATE = re.compile(
    r"\bnull\s+(?:while|when|if|as long as|until)\s+(?:the\s+|a\s+|an\s+|it\s+)?"
    r"(?:[a-z]+\s+){0,2}?(?:is|are|remains|stays|was|is still)\s+(?:still\s+)?"
    r"((?:in|on|under|at|being|not)\s+[a-z]+|[a-z]+)",
    re.IGNORECASE,
)
_EVENT_VERB = re.compile(
    r"^(?:the\s+)?(?:date|time|timestamp|day|moment|date and time|date/time)"
    r"(?:\s*\([^)]*\))?\s+(?:when\s+|on which\s+|at which\s+)?(?:the|a|an|this)\s+"
    r"[a-z]+(?:\s+[a-z]+)??\s+(?:was\s+|were\s+|got\s+|has been\s+|is\s+)?"
    r"([a-z]+)(?:\s+(up|in|out|off))?",
    re.IGNORECASE,
)


#: Last words of a column name that make it a count of what the words before it name.
_COUNT_HEADS = frozenset({"cnt", "count", "number", "num", "nbr", "qty", "quantity"})


class PhraseIndex:
    """Phrases (tuples of stems) -> candidates, for one schema and its semantic definitions."""

    def __init__(self, snapshot: SchemaSnapshot, semantics: Semantics) -> None:
        self.phrases: dict[tuple[str, ...], list[Candidate]] = {}
        #: column id -> stems of the words that modify its name's head ("unit" of unit_price)
        self.modifiers: dict[str, set[str]] = {}
        self.meanings: set[tuple[str, ...]] = set()
        self._vocabulary = _vocabulary(snapshot)
        heads = {self._head(t) for t in snapshot.tables.values()}
        for t in snapshot.tables.values():
            heads.update(lexicon.stem(w[0]) for w, s in docs.table_phrases(t.description)
                         if len(w) == 1 and s >= 0.85)  # fmt: skip
        self._table_heads = heads
        for table in snapshot.tables.values():
            self._add_table(table)
            for col in table.columns:
                self._add_column(table, col, heads)
        for metric in semantics.metrics:
            for word in metric.words:
                self._add(word.split(), Candidate("metric", metric.name, 1.0))
        for named in semantics.filters:
            for word in named.words:
                self._add(word.split(), Candidate("filter", named.name, 1.0))
        self.single = {k[0]: v for k, v in self.phrases.items() if len(k) == 1}

    @staticmethod
    def _head(table: TableInfo) -> str:
        words = lexicon.words(table.name)
        return lexicon.stem(words[-1]) if words else table.name.lower()

    def _add(self, words: Sequence[str], cand: Candidate) -> None:
        key = stems(words)
        if not key or any(not w for w in key):
            return
        if len(key) == 1 and key[0] in vocab.IRREGULAR and cand.kind != "value":
            # "Aircraft that flew the leg" is also what "did ... fly" asks about
            self._add_key((vocab.IRREGULAR[key[0]],), cand)
        self._add_key(key, cand)

    def _add_key(self, key: tuple[str, ...], cand: Candidate) -> None:
        found = self.phrases.setdefault(key, [])
        for i, old in enumerate(found):
            if (old.kind, old.target, old.value) == (cand.kind, cand.target, cand.value):
                if cand.score > old.score:
                    found[i] = cand
                return
        found.append(cand)

    def _synonyms(self, word: str) -> list[str]:
        out: list[str] = []
        group = lexicon.concept(word)
        if group is not None:
            for g in lexicon.SYNONYMS:
                if g[0] == group:
                    out.extend(w for w in g if w != word)
        base = lexicon.stem(word)
        out.extend(w for w, c in vocab.CONCEPTS.items() if lexicon.stem(c) == base and w != word)
        return out

    def name_words(self, name: str) -> list[str]:
        """A name's words, concatenations split by the schema's vocabulary (``lineitem``)."""
        return [p for w in lexicon.words(name) for p in docs.split_compound(w, self._vocabulary)]

    def _add_table(self, table: TableInfo) -> None:
        words = self.name_words(table.name)
        if not words:
            return
        for phrase, score in docs.table_phrases(table.description):
            self._add(phrase, Candidate("table", table.id, score))
        if any(c.pii_entity == "PERSON" for c in table.columns):
            # rows that are people: "how many people", "persons", "individuals"
            for word in ("people", "person", "persons", "individuals"):
                self._add([word], Candidate("table", table.id, 0.7))
        self._add(words, Candidate("table", table.id, 1.0))
        self._add(words[-1:], Candidate("table", table.id, 0.95))
        for syn in self._synonyms(words[-1]):
            self._add([syn], Candidate("table", table.id, 0.8))
            if len(words) > 1:
                self._add([*words[:-1], syn], Candidate("table", table.id, 0.85))

    def _add_column(self, table: TableInfo, col: ColumnInfo, heads: set[str]) -> None:
        prefix = column_prefix(table)
        bare = col.name[len(prefix) :] if prefix and col.name.startswith(prefix) else col.name
        words = self.name_words(bare)
        if not words:
            return
        self._add_description(col, heads)
        full = len(words)
        head = lexicon.stem(words[-1])
        counts = head in _COUNT_HEADS or re.match(
            r"\s*(?:the\s+)?(?:total\s+)?(?:number|count)\s+of\b", col.description or "", re.I
        )  # seat_cnt, "Number of seats": what it counts is its modifier, "seats" names it
        if not counts:
            self.modifiers[col.id] = {lexicon.stem(w) for w in words[:-1]} - {head}
        self._add(words, Candidate("column", col.id, 1.0))
        for n in range(full - 1, 0, -1):
            for i in range(full - n + 1):
                part = words[i : i + n]
                score = 0.6 + 0.3 * n / full
                if i + n < full:
                    score -= 0.05  # "arrival" of arrival_delay: a modifier, not what it measures
                if n == 1:
                    stem = lexicon.stem(part[0])
                    if part[0] in STRUCTURE:
                        continue
                    if part[0] in GENERIC:
                        score = 0.45
                    elif stem in heads:
                        score = 0.4  # "order" in order_date names the orders table first
                self._add(part, Candidate("column", col.id, score))
        for i, word in enumerate(words):
            if word in GENERIC or word in STRUCTURE:
                continue
            for syn in self._synonyms(word):
                score = 0.75 if full > 1 else 0.8
                self._add([syn], Candidate("column", col.id, score))
                if full > 1:
                    self._add([*words[:i], syn, *words[i + 1 :]], Candidate("column", col.id, 0.9))
        if col.is_temporal:
            self._add_events(col, words)
        if col.is_boolean:
            meaningful = [w for w in words if w not in GENERIC and w not in ("is", "has")]
            if meaningful:
                self._add(meaningful, Candidate("state", col.id, 0.9, "is true"))
        if col.is_numeric:
            self._add_signs(col)
        states = _null_states(col.description)
        for state in states:
            self._add(state.split(), Candidate("state", col.id, 1.0, "is null"))
            for opposite in vocab.ANTONYMS.get(state, ()):
                self._add([opposite], Candidate("state", col.id, 0.9, "is not null"))
        if states and col.is_temporal:
            # an end date that stays NULL while the row is under way: the row is "open" until
            # then, whatever the description calls it ("still in hospital")
            for word in vocab.UNDER_WAY:
                self._add([word], Candidate("state", col.id, 0.8, "is null"))
            for word in vocab.OVER:
                self._add([word], Candidate("state", col.id, 0.75, "is not null"))
        for value in col.samples:
            norm = normalize_value(value)
            if norm and norm not in ("true", "false", "null", "none", "n/a", "other"):
                self._add(norm.split(), Candidate("value", col.id, 0.95, value))
                words = norm.split()
                if len(words) > 1 and words[0].isdigit():  # "1-URGENT": "urgent"
                    self._add(words[1:], Candidate("value", col.id, 0.9, value))
                if re.fullmatch(r"\d+-\w+", value):  # "2-HIGH" is one word in a question
                    self._add([value.lower()], Candidate("value", col.id, 0.95, value))

    def _add_signs(self, col: ColumnInfo) -> None:
        """The word a description gives a sign: "Departure delay (negative when early)".

        "early" is ``< 0`` and its opposite ("late") ``> 0``; "departed early" prefers the
        departure delay over the arrival delay (the verb of the description's first noun).
        """
        match = _SIGN.search(col.description or "")
        if match is None:
            return
        sign = "< 0" if match.group(1).lower() == "negative" else "> 0"
        other = "> 0" if sign == "< 0" else "< 0"
        word = match.group(2).lower()
        lead = docs.words_of(docs.first_clause(col.description))[:1]
        verb = _derived(lead[0]) if lead else None
        for w, value, score in [
            (word, sign, 0.9),
            *((o, other, 0.85) for o in vocab.ANTONYMS.get(word, ())),
        ]:
            self._add([w], Candidate("state", col.id, score, value))
            if verb:
                self._add_key((verb, lexicon.stem(w)), Candidate("state", col.id, 1.0, value))

    def _add_description(self, col: ColumnInfo, heads: set[str]) -> None:
        """What the column's description says: its noun phrases, codes and the state it flags."""
        flag = docs.flag_state(col.description) if col.is_boolean else None
        for phrase, score in [] if flag else docs.column_phrases(col.description):
            head = [w for w in phrase if lexicon.stem(w) in heads]
            if len(phrase) > 1 and head:
                continue  # "Customer who placed the order": no "customer placed" column
            if len(phrase) == 1 and (head or phrase[0] in GENERIC):
                score = 0.4  # the customers table first
            if not (len(phrase) == 1 and phrase[0] in STRUCTURE):
                self._add(phrase, Candidate("column", col.id, score))
        for code, meaning in docs.coded_values(col.description):
            self._add(meaning, Candidate("value", col.id, 0.95, code))
            self.meanings.add(stems(meaning))
            if len(meaning) > 1:
                self._add(meaning[:1], Candidate("value", col.id, 0.85, code))
                self.meanings.add(stems(meaning[:1]))
        state = flag
        if state:
            self._add(state, Candidate("state", col.id, 0.95, "is true"))
            # a part says the state only when it is not a noun of the schema ("carrier" of
            # "low-cost carrier") or the verb alone ("sent" of "sent express")
            if len(state) > 1 and lexicon.stem(state[-1]) not in heads:
                self._add(state[-1:], Candidate("state", col.id, 0.8, "is true"))
            if len(state) > 2:
                self._add(state[:-1], Candidate("state", col.id, 0.85, "is true"))  # "low cost"
            elif len(state) == 2 and not state[0].endswith("ed") and state[0] not in (
                    vocab.IRREGULAR):  # fmt: skip
                self._add(state[:1], Candidate("state", col.id, 0.85, "is true"))

    def _add_events(self, col: ColumnInfo, words: list[str]) -> None:
        """A date column named for an event ("churned_at") or whose doc names one ("placed")."""
        verbs = [w for w in words if w not in GENERIC and lexicon.stem(w) not in self._table_heads]
        happened = [w for w in verbs if w.endswith("ed")]
        match = _EVENT_VERB.match(col.description or "")
        if match:
            verbs.append(match.group(1).lower())
            happened.append(match.group(1).lower())
            if match.group(2):
                self._add([match.group(1), match.group(2)], Candidate("event", col.id, 1.0))
        for verb in verbs:
            self._add([verb], Candidate("event", col.id, 0.95))
        if col.nullable:
            for verb in happened:
                # "churned customers", "resolved tickets": the event happened
                self._add([verb], Candidate("state", col.id, 0.85, "is not null"))

    # -- matching ---------------------------------------------------------------------------

    def lookup(self, toks: Sequence[Token]) -> list[Candidate]:
        """Candidates for exactly these tokens (their stems, or a generic synonym's)."""
        key = tuple(t.stem for t in toks)
        found = list(self.phrases.get(key, []))
        if len(toks) == 1:
            tok = toks[0]
            concept = vocab.CONCEPTS.get(tok.low)
            if concept is not None:
                for cand in self.phrases.get((lexicon.stem(concept),), []):
                    found.append(Candidate(cand.kind, cand.target, cand.score * 0.95, cand.value))
            if not found and tok.low.startswith(("un", "non")) and len(tok.low) > 5:
                found = self._opposite(tok)
            if tok.low != tok.stem and tok.low.endswith("s"):
                found = [self._plural_modifier(tok, c) for c in found]
        return found

    def _plural_modifier(self, tok: Token, cand: Candidate) -> Candidate:
        """A plural names things, not what a name's modifier qualifies (kept, weaker).

        "units" are counted (a quantity), not the "unit" of ``unit_price``.
        """
        if cand.kind == "column" and tok.stem in self.modifiers.get(cand.target, ()):
            return Candidate(cand.kind, cand.target, cand.score * 0.7, cand.value)
        return cand

    def _opposite(self, tok: Token) -> list[Candidate]:
        """The opposite of the state the rest of the word names ("unresolved", "nonpaying")."""
        rest = tok.low[3:] if tok.low.startswith("non") else tok.low[2:]
        inner = Token(tok.i, rest, rest, lexicon.stem(rest), "word")
        cands = self.phrases.get((inner.stem,), []) + self.fuzzy(inner)
        flip = {"is null": "is not null", "is not null": "is null", "is true": "is false",
                "is false": "is true", "< 0": ">= 0", "> 0": "<= 0"}  # fmt: skip
        return [
            Candidate("state", c.target, c.score * 0.95, flip[c.value])
            for c in cands
            if c.kind == "state" and c.value in flip
        ]

    def fuzzy(self, tok: Token) -> list[Candidate]:
        """Single-word entries sharing the word's root, scored a little lower.

        A past participle names no table, no abbreviated column name and no agent noun by its
        root ("carried" is neither the carriers, nor their code ``carr_cd``, nor a low-cost
        *carrier*; "insured" may still be the insurance type).
        """
        out: list[Candidate] = []
        verb = tok.low.endswith("ed") and tok.low != tok.stem
        for stem, cands in self.single.items():
            if verb and stem.endswith(("er", "or")):
                continue
            if stem != tok.stem and same_root(stem, tok.stem):
                # values are matched as written ("live" is not "Liverpool"), except the
                # meanings a description gives codes ("privately" ~ "private" for PKV)
                out.extend(
                    Candidate(c.kind, c.target, c.score * 0.85, c.value)
                    for c in cands
                    if (c.kind != "value" or (stem,) in self.meanings)
                    and not (verb and (c.kind == "table" or (c.kind == "column" and len(stem) < 5)))
                )
        return out


def _vocabulary(snapshot: SchemaSnapshot) -> set[str]:
    """Words (and stems) the schema's descriptions use, short name words, the lexicon's synonyms.

    Long name words are left out: they may be the very concatenations to split (``lineitem``).
    """
    out: set[str] = {w for group in lexicon.SYNONYMS for w in group}
    for table in snapshot.tables.values():
        texts = [table.description, *(c.description for c in table.columns)]
        names = [table.name, *(c.name for c in table.columns)]
        found = [w for t in texts for w in docs.words_of(t)]
        found += [w for n in names for w in lexicon.words(n) if len(w) < 7]
        for word in found:
            out.update((word, lexicon.stem(word)))
    return out


_SIGN = re.compile(r"\b(negative|positive)\s+(?:when|if|for|means)\s+(?:it\s+is\s+)?([a-z]+)", re.I)


def _null_states(doc: str) -> list[str]:
    """State words a NULL stands for, from a column doc ("NULL while the ticket is open")."""
    return [m.group(1).lower() for m in _NULL_STATE.finditer(doc or "")]
