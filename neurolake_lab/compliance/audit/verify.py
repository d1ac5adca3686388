"""Check a whole audit log: every record's place, chain link, hash and MAC, then the chain's head.

Streams the lines once and stops at the first bad record, so memory stays flat and the cost grows
with the log's length only (see ``bench/audit_append.py`` for the time per 100k records).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from neurolake_lab.compliance.audit.head import TABLE, ChainHead
from neurolake_lab.compliance.audit.record import GENESIS, check_seal, read_line
from neurolake_lab.exceptions import AuditError


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify`` found.

    Attributes:
        ok: the log is intact (its whole records, and its head).
        records: how many records, from the first, were found intact.
        first_bad: the ``seq`` of the first bad (or missing) record, ``None`` when the problem is
            not one record (the head or the key) or when there is none.
        reason: why the log is not intact; when ``ok``, a note on what was tolerated (an
            incomplete last line, a head one record behind after a crash), else ``None``.
        incomplete_tail: the file ends in a partial line, left by a crash mid-append.
    """

    ok: bool
    records: int
    first_bad: int | None
    reason: str | None
    incomplete_tail: bool


def verify_lines(
    lines: Iterator[bytes],
    *,
    key: bytes | None,
    head: ChainHead | None,
    incomplete_tail: bool,
    key_hint: str,
) -> VerifyResult:
    """Verify the whole records ``lines`` (oldest first) against ``key`` and the stored ``head``.

    Args:
        lines: the log's whole lines, without newlines, in file order.
        key: the audit key, ``None`` when the workspace has none.
        head: the chain head read from ``catalog.db`` when the lines were snapshotted.
        incomplete_tail: whether a partial line followed the whole ones.
        key_hint: where the key was looked for, for the message when it is missing.
    """

    def bad(count: int, first_bad: int | None, reason: str) -> VerifyResult:
        return VerifyResult(False, count, first_bad, reason, incomplete_tail)

    count = 0
    prev = GENESIS
    at_head = GENESIS if head is not None and head.count == 0 else None
    for line in lines:
        expected = count + 1
        if key is None:
            return bad(0, None, f"the audit key is missing ({key_hint}): no record can be checked")
        try:
            record, body = read_line(line)
        except AuditError as exc:
            return bad(count, expected, f"record {expected} {exc}")
        if record.seq != expected:
            return bad(count, expected, _misplaced(record.seq, expected, lines))
        if record.prev != prev:
            before = f"record {expected - 1}'s hash" if expected > 1 else "the start of the chain"
            return bad(
                count,
                expected,
                f"record {expected} is not linked to the record before it (its prev is not "
                f"{before}): a record was replaced or inserted",
            )
        problem = check_seal(key, record, body)
        if problem is not None:
            return bad(count, expected, f"record {expected}: {problem}")
        count = expected
        prev = record.hash
        if head is not None and head.count == count:
            at_head = record.hash

    if head is None:
        if count == 0:
            return VerifyResult(True, 0, None, _note(incomplete_tail, False), incomplete_tail)
        return bad(
            count,
            None,
            f"the chain head is missing from catalog.db (table {TABLE}): it was deleted, or "
            "catalog.db was replaced",
        )
    if key is None:
        return bad(0, None, f"the audit key is missing ({key_hint}): the head cannot be checked")
    if not head.authentic(key):
        return bad(count, None, "the chain head in catalog.db was modified (its MAC is not valid)")
    if head.count > count:
        return bad(
            count,
            count + 1,
            f"the log ends after record {count} but its head in catalog.db says {head.count} "
            "records: the tail was cut off",
        )
    if at_head != head.last_hash:
        return bad(
            count,
            head.count,
            f"record {head.count} is not the record the chain head in catalog.db names: "
            "the chain was rebuilt or replaced",
        )
    if count - head.count > 1:
        return bad(
            count,
            None,
            f"the head in catalog.db says {head.count} records but the log holds {count} "
            "authentic ones: the head was rolled back",
        )
    behind = head.count == count - 1  # a crash between writing a record and the head
    return VerifyResult(True, count, None, _note(incomplete_tail, behind), incomplete_tail)


def _note(incomplete_tail: bool, behind: bool) -> str | None:
    notes = []
    if incomplete_tail:
        notes.append(
            "the last line is an incomplete record left by a crash mid-append (the next append "
            "removes it)"
        )
    if behind:
        notes.append(
            "the chain head is one record behind, after a crash between writing a record and "
            "updating the head (the next append repairs it)"
        )
    return "; ".join(notes) or None


def _misplaced(found: int, expected: int, rest: Iterator[bytes]) -> str:
    """Why record ``found`` stands where ``expected`` should: deleted, reordered or inserted."""
    if found > expected:
        for line in rest:
            try:
                seq = json.loads(line).get("seq")
            except (ValueError, AttributeError):
                continue
            if seq == expected:
                return (
                    f"records are out of order: record {expected} comes after record {found} "
                    "(reordered or inserted)"
                )
        missing = (
            f"record {expected} is missing"
            if found == expected + 1
            else f"records {expected} to {found - 1} are missing"
        )
        after = f"record {expected - 1}" if expected > 1 else "the start of the log"
        return f"{missing}: record {found} follows {after} (deleted)"
    return (
        f"record {found} appears where record {expected} should be (inserted, duplicated or "
        "reordered)"
    )
