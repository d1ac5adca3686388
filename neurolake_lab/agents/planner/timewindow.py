"""Time expressions in questions, as SQL bounds (the conventions of ``demo-retail.md``).

* "last month" / "last week" / "last year" / "yesterday": the previous calendar period;
* "this month" / "this year" / "today" / "so far this year": the current one;
* "last N days|weeks|months|years", "the last month", "over the past year": rolling, from
  ``current_date - INTERVAL N UNIT`` (midnight N units ago) to now;
* "in 2025", "in March 2025", "in March": a calendar year or month (March of the current year);
* "in Q3 2025", "in the first half of 2025", "H2 2024": a quarter or a half-year;
* "since 2024", "since 2024-03-01", "before 2025", "after March 2025", "between A and B".

Bounds are SQL expressions; ``end`` is exclusive. Which column they apply to is the parser's
decision (the event named next to them, else the main date column).
"""

from __future__ import annotations

from dataclasses import dataclass

from neurolake_lab.agents.planner.tokens import Token

UNITS = {
    "day": "DAY", "days": "DAY", "week": "WEEK", "weeks": "WEEK", "month": "MONTH",
    "months": "MONTH", "quarter": "QUARTER", "quarters": "QUARTER", "year": "YEAR",
    "years": "YEAR",
}  # fmt: skip
MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
         ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
         ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
         ("december", "dec")]
    )
    for name in names
}  # fmt: skip
_ROLLING = {"last", "past", "previous", "recent", "preceding", "trailing"}
_LEADING = {"in", "over", "during", "within", "for", "from", "of", "on", "the"}


@dataclass(frozen=True)
class WindowMatch:
    """A time expression: tokens ``start``..``end`` (exclusive) and its SQL bounds."""

    start: int
    end: int
    lower: str | None
    upper: str | None
    text: str


def _year(tok: Token | None) -> int | None:
    if tok is None or tok.kind != "number" or tok.value is None or tok.percent:
        return None
    value = tok.value
    if value.is_integer() and 1900 <= value <= 2200 and "." not in tok.text and "," not in tok.text:
        return int(value)
    return None


def _month_start(year: int | None, month: int) -> str:
    if year is None:
        return f"make_date(year(current_date)::INTEGER, {month}, 1)"
    return f"DATE '{year:04d}-{month:02d}-01'"


class _Reader:
    def __init__(self, tokens: list[Token], taken: set[int]) -> None:
        self.toks = tokens
        self.taken = taken

    def low(self, i: int) -> str:
        if 0 <= i < len(self.toks) and i not in self.taken:
            return self.toks[i].low
        return ""

    def tok(self, i: int) -> Token | None:
        return self.toks[i] if 0 <= i < len(self.toks) and i not in self.taken else None

    def point(self, i: int) -> tuple[str, str, int] | None:
        """A point in time at token i: (start of it, start of the next period, tokens used)."""
        tok = self.tok(i)
        if tok is None:
            return None
        if tok.kind == "date":
            return f"DATE '{tok.low}'", f"DATE '{tok.low}' + INTERVAL 1 DAY", 1
        year = _year(tok)
        if year is not None:
            return f"DATE '{year:04d}-01-01'", f"DATE '{year + 1:04d}-01-01'", 1
        quarter = _quarter(self, i)
        if quarter is not None:
            q, used = quarter
            year = _year(self.tok(i + used))
            start = _month_start(year, 3 * q - 2)
            return start, f"{start} + INTERVAL 3 MONTH", used + (year is not None)
        half = _half(self, i)
        if half is not None:
            h, used = half
            year = _year(self.tok(i + used))
            start = _month_start(year, 6 * h - 5)
            return start, f"{start} + INTERVAL 6 MONTH", used + (year is not None)
        month = MONTHS.get(tok.low)
        if month is not None and (tok.low != "may" or _year(self.tok(i + 1))):
            year = _year(self.tok(i + 1))
            start = _month_start(year, month)
            return start, f"{start} + INTERVAL 1 MONTH", 2 if year is not None else 1
        return None


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3,
             "4th": 4, "last": 4}  # fmt: skip


def _quarter(r: _Reader, i: int) -> tuple[int, int] | None:
    """A quarter at token i: ("Q3" | "third quarter [of]" | "quarter 3") -> (3, tokens used)."""
    low = r.low(i)
    if len(low) == 2 and low[0] == "q" and low[1] in "1234":
        return int(low[1]), 1
    if low in _ORDINALS and r.low(i + 1) == "quarter" and low != "last":
        return _ORDINALS[low], 2 + (r.low(i + 2) == "of")
    tok = r.tok(i + 1)
    if low == "quarter" and tok is not None and tok.value in (1.0, 2.0, 3.0, 4.0):
        return int(tok.value or 0), 2 + (r.low(i + 2) == "of")
    return None


def _half(r: _Reader, i: int) -> tuple[int, int] | None:
    """A half-year at token i: ("H1" | "first half [of]" | "second half [of]") -> (1, used)."""
    low = r.low(i)
    if len(low) == 2 and low[0] == "h" and low[1] in "12" and _year(r.tok(i + 1)):
        return int(low[1]), 1
    if low in ("first", "second", "1st", "2nd") and r.low(i + 1) == "half":
        return _ORDINALS[low], 2 + (r.low(i + 2) == "of")
    return None


def find_windows(tokens: list[Token], taken: set[int]) -> list[WindowMatch]:
    """Every time expression among the tokens not ``taken``, left to right."""
    r = _Reader(tokens, taken)
    out: list[WindowMatch] = []
    i = 0
    while i < len(tokens):
        found = _match_at(r, i)
        if found is None:
            i += 1
            continue
        start, end, lower, upper = found
        while start > 0 and r.low(start - 1) in (*_LEADING, "the"):  # "in the last month"
            start -= 1
        text = " ".join(t.text for t in tokens[start:end])
        out.append(WindowMatch(start, end, lower, upper, text))
        i = end
    return out


def _match_at(r: _Reader, i: int) -> tuple[int, int, str | None, str | None] | None:
    word = r.low(i)
    nxt = r.low(i + 1)
    if word == "the" and nxt in _ROLLING and nxt != "previous" and r.low(i + 2) in UNITS:
        return i, i + 3, f"current_date - INTERVAL 1 {UNITS[r.low(i + 2)]}", None
    if word in _ROLLING:
        tok = r.tok(i + 1)
        if tok is not None and tok.value is not None and r.low(i + 2) in UNITS:
            n = int(tok.value)
            return i, i + 3, f"current_date - INTERVAL {n} {UNITS[r.low(i + 2)]}", None
        if nxt in UNITS and word != "past":
            unit = UNITS[nxt]
            this = f"date_trunc('{unit.lower()}', current_date)"
            return i, i + 2, f"{this} - INTERVAL 1 {unit}", this
        if nxt in UNITS:  # "past year": rolling
            return i, i + 2, f"current_date - INTERVAL 1 {UNITS[nxt]}", None
    if word in ("this", "current") and nxt in UNITS:
        unit = UNITS[nxt]
        this = f"date_trunc('{unit.lower()}', current_date)"
        return i, i + 2, this, f"{this} + INTERVAL 1 {unit}"
    if word in ("year", "month", "quarter", "week") and nxt == "to" and r.low(i + 2) == "date":
        this = f"date_trunc('{word}', current_date)"
        return i, i + 3, this, None
    if word in ("ytd", "mtd"):
        return i, i + 1, f"date_trunc('{'year' if word == 'ytd' else 'month'}', current_date)", None
    if word == "today":
        return i, i + 1, "current_date", "current_date + INTERVAL 1 DAY"
    if word == "yesterday":
        return i, i + 1, "current_date - INTERVAL 1 DAY", "current_date"
    if word in ("since", "after", "from") and r.point(i + 1):
        lower, upper, used = r.point(i + 1) or ("", "", 0)
        return i, i + 1 + used, lower if word != "after" else upper, None
    if word in ("before", "until", "till"):
        point = r.point(i + 1)
        if point is not None:
            return i, i + 1 + point[2], None, point[0] if word == "before" else point[1]
    if word == "between":
        first = r.point(i + 1)
        if first is not None and r.low(i + 1 + first[2]) in ("and", "to"):
            j = i + 2 + first[2]
            second = r.point(j)
            if second is not None:
                start = first[0]
                month = MONTHS.get(r.low(i + 1))
                year = _year(r.tok(j + second[2] - 1))
                if month is not None and first[2] == 1 and year is not None:
                    start = _month_start(year, month)  # "between January and March 2024"
                return i, j + second[2], start, second[1]
    leading = ("in", "during", "for", "of", "on")
    if word in leading or (r.tok(i) and (word in MONTHS or _quarter(r, i) or _half(r, i))):
        j = i + 1 if word in leading else i
        if word == "on" and (r.tok(j) is None or r.tok(j).kind != "date"):  # type: ignore[union-attr]
            return None
        point = r.point(j)
        if point is not None:
            return i, j + point[2], point[0], point[1]
    return None
