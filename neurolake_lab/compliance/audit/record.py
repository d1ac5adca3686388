"""One audit record: its fields, its canonical JSON line, and how it is hashed and authenticated.

A record is stored as one line of canonical JSON (sorted keys, no whitespace, ASCII only), so the
same record always has the same bytes and any edit, even of whitespace, changes them. ``hash`` is
the SHA-256 of the record's *body* (every field but ``hash`` and ``mac``), ``prev`` the ``hash`` of
the record before it, and ``mac`` the HMAC-SHA256 of the body under the workspace's audit key.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import hashlib
import hmac
import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from neurolake_lab.exceptions import AuditError

#: The kinds of record the rest of the system writes.
KINDS = frozenset(
    {
        "query",
        "nl",
        "write",
        "policy_decision",
        "policy_change",
        "refusal",
        "erasure",
        "maintenance",
        "nl_feedback",  # Accept/Reject of a %%nl answer
        # data pipelines: definitions and their changes, runs, the Monitor's incidents and fixes
        "pipeline",
        "pipeline_run",
        "pipeline_incident",
    }
)

#: ``prev`` of the first record: there is no record before it.
GENESIS = "0" * 64

FIELDS = ("seq", "id", "ts", "user", "kind", "data", "prev", "hash", "mac")
_FIELD_SET = frozenset(FIELDS)
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_STR_FIELDS = ("id", "ts", "user", "kind", "prev", "hash", "mac")


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the audit log: who did what, when, chained to the entry before it."""

    seq: int
    id: str
    ts: str
    user: str
    kind: str
    data: dict[str, Any]
    prev: str
    hash: str
    mac: str

    def body(self) -> dict[str, Any]:
        """The fields that ``hash`` and ``mac`` cover (all but those two)."""
        return {
            "seq": self.seq,
            "id": self.id,
            "ts": self.ts,
            "user": self.user,
            "kind": self.kind,
            "data": self.data,
            "prev": self.prev,
        }

    def line(self) -> bytes:
        """The record as stored: one canonical JSON line, newline included."""
        return canonical({**self.body(), "hash": self.hash, "mac": self.mac}) + b"\n"


def canonical(value: Any) -> bytes:
    r"""``value`` as canonical JSON bytes: sorted keys, no whitespace, ASCII, no NaN.

    Examples:
        >>> canonical({"b": 1, "a": [1.5, "é"]})
        b'{"a":[1.5,"\\u00e9"],"b":1}'
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def json_safe(value: Any, *, where: str = "data") -> Any:
    """``value`` with every part turned into plain JSON: what the log can store and hash.

    Dates and times become ISO-8601 strings, ``Decimal`` and ``UUID`` strings, sets sorted lists,
    tuples lists, bytes base64, enums their value, dataclasses dicts, NaN and infinities ``None``,
    and mapping keys strings. Anything else is refused, so no object's ``repr`` (which could hold
    anything, personal data included) slips into the log unnoticed.

    Examples:
        >>> from datetime import date
        >>> from decimal import Decimal
        >>> json_safe({"d": date(2026, 10, 1), "n": Decimal("1.50"), "s": {"b", "a"}, 1: (2,)})
        {'d': '2026-10-01', 'n': '1.50', 's': ['a', 'b'], '1': [2]}

    Raises:
        AuditError: a value of a type the log cannot store, named with where it was found.
    """
    # Hand-written rather than a json.dumps ``default`` hook: keys must become strings *before*
    # sorting (int keys 9 and 10 sort differently as strings), and NaN must become null.
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return json_safe(value.value, where=where)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {_key(k, where): json_safe(v, where=f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v, where=f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, set | frozenset):
        items = [json_safe(v, where=f"{where}[]") for v in value]
        return sorted(items, key=canonical)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal | uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_safe(dataclasses.asdict(value), where=where)
    raise AuditError(
        f"cannot record a value of type {type(value).__name__} in the audit log (at {where})"
    )


def _key(key: Any, where: str) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, enum.Enum):
        key = key.value
    if key is None or isinstance(key, bool):
        return json.dumps(key)  # null, true, false: as JSON itself turns them into keys
    if isinstance(key, int | float | Decimal | uuid.UUID):
        return str(key)
    raise AuditError(f"cannot record a key of type {type(key).__name__} in the audit log ({where})")


def body_digest(body: Mapping[str, Any]) -> tuple[bytes, str]:
    """The canonical bytes of a record body and their SHA-256 (hex)."""
    raw = canonical(body)
    return raw, hashlib.sha256(raw).hexdigest()


def mac_of(key: bytes, raw_body: bytes) -> str:
    """HMAC-SHA256 (hex) of a record body under the workspace's audit key."""
    return hmac.digest(key, raw_body, "sha256").hex()


def seal(key: bytes, body: Mapping[str, Any]) -> AuditRecord:
    """A complete record from its body: hashed and authenticated with ``key``."""
    raw, digest = body_digest(body)
    return AuditRecord(
        seq=body["seq"],
        id=body["id"],
        ts=body["ts"],
        user=body["user"],
        kind=body["kind"],
        data=body["data"],
        prev=body["prev"],
        hash=digest,
        mac=mac_of(key, raw),
    )


def parse_line(line: bytes) -> AuditRecord:
    """The record on one stored line (without its newline), checked for shape.

    Raises:
        AuditError: the line is not JSON, lacks or adds fields, or has fields of the wrong type.
    """
    return read_line(line)[0]


def read_line(line: bytes) -> tuple[AuditRecord, bytes]:
    """The record on one stored line and the stored bytes of its body (what ``hash`` covers).

    The body's bytes are cut out of the line itself rather than serialised again: in canonical
    form a line is its body with the ``"hash"`` and ``"mac"`` members spliced in, so cutting them
    out gives the canonical body, and any other edit of the line's bytes (whitespace included)
    changes what is hashed. This halves the cost of ``verify`` against re-serialising.

    Raises:
        AuditError: the line is not JSON, lacks or adds fields, has fields of the wrong type, or
            its ``hash``/``mac`` members are not where canonical form puts them.
    """
    try:
        obj = json.loads(line)
    except ValueError:
        raise AuditError("is not valid JSON") from None
    if not isinstance(obj, dict) or obj.keys() != _FIELD_SET:
        raise AuditError("does not have the fields of an audit record")
    seq = obj["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise AuditError("has a seq that is not an integer")
    if not all(isinstance(obj[name], str) for name in _STR_FIELDS):
        raise AuditError("has a field of the wrong type")
    if not isinstance(obj["data"], dict):
        raise AuditError("has data that is not an object")
    if not all(_HEX64.match(obj[name]) for name in ("prev", "hash", "mac")):
        raise AuditError("has a prev, hash or mac that is not 64 hex digits")
    record = AuditRecord(**obj)
    # the last occurrence is the top-level member: after it come only scalar fields, whose
    # strings cannot hold an unescaped quote
    hash_member = b'"hash":"' + record.hash.encode() + b'",'
    mac_member = b'"mac":"' + record.mac.encode() + b'",'
    h = line.rfind(b"," + hash_member + b'"id":')
    m = line.rfind(b"," + mac_member + b'"prev":')
    if h < 0 or m < h:
        raise AuditError("is not in canonical form (its bytes were edited)")
    body = line[: h + 1] + line[h + 1 + len(hash_member) : m + 1] + line[m + 1 + len(mac_member) :]
    return record, body


def check_seal(key: bytes, record: AuditRecord, raw_body: bytes) -> str | None:
    """Why ``record``'s hash or MAC is wrong, or ``None`` when both are right.

    Args:
        key: the workspace's audit key.
        record: the record as read.
        raw_body: the stored bytes of its body (from :func:`read_line`).
    """
    if not hmac.compare_digest(hashlib.sha256(raw_body).hexdigest(), record.hash):
        return "its hash does not match its contents (the record was edited)"
    if not hmac.compare_digest(mac_of(key, raw_body), record.mac):
        return "its MAC is not valid (forged, or written without this workspace's audit key)"
    return None
