"""What an audit record costs: ``AuditLog.append`` against plain writes of the same bytes.

Usage: python bench/audit_append.py [--appends N] [--records N] [--dir DIR] [--json OUT]

Per append (median and p90 of ``--appends`` calls, interleaved in rounds so noise hits all alike):

* ``write`` — ``os.write`` of the same line to an ``O_APPEND`` file (the floor, no durability);
* ``write+fdatasync`` — the same plus ``fdatasync`` (the baseline: one durable line);
* ``append`` — ``AuditLog.append`` with a typical query record: JSON-safe data, canonical JSON,
  SHA-256, HMAC, ``flock``, tip check, head check, write, ``fdatasync``, and the head update in
  ``catalog.db`` (SQLite, WAL, ``synchronous=FULL``, so a second sync);
* its parts: sealing the record (CPU only), reading the head, writing the head.

Then two processes appending at once (throughput and latency under contention), and ``verify``,
``records`` and ``tail(20)`` on a log of ``--records`` records, against a baseline that only reads
and ``json.loads`` every line. Reports; never asserts.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runs import provenance

from neurolake_lab.compliance.audit import AuditLog
from neurolake_lab.compliance.audit.head import ChainHead, HeadStore
from neurolake_lab.compliance.audit.keys import load_key
from neurolake_lab.compliance.audit.record import GENESIS, json_safe, seal

DATA: dict[str, Any] = {
    "sql": "SELECT country, count(*) AS churned FROM retail.customers "
    "WHERE churned_at >= date '2026-10-01' GROUP BY ALL",
    "executed_sql": "SELECT country, count(*) AS churned FROM retail.customers "
    "WHERE churned_at >= CAST('2026-10-01' AS DATE) GROUP BY ALL",
    "tables": ["retail.customers"],
    "snapshots": {"retail.customers": 4312298811102341},
    "masked": [],
    "denied": [],
    "row_filters": [],
    "rows": 17,
    "elapsed_ms": 2.31,
}


def ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": statistics.median(ordered) * 1e3,
        "p90": ordered[int(len(ordered) * 0.9)] * 1e3,
    }


def per_append(folder: Path, n: int) -> dict[str, dict[str, float]]:
    ws = folder / "append"
    log = AuditLog(ws)
    t = time.perf_counter()
    log.append("query", user="bench", **DATA)  # opens files, creates the key and the head table
    cold = time.perf_counter() - t
    line = log.tail(1)[0].line()
    key = load_key(ws, create=False) or b""
    # the head parts run on a catalog of their own: moving the real head would (rightly) make
    # the next append refuse to extend the log
    heads = HeadStore(folder / "parts.db")
    heads.write(ChainHead.sealed(key, 0, GENESIS))  # connection open, WAL, table created

    plain = os.open(folder / "plain.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    synced = os.open(folder / "synced.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    body = {"seq": 1, "id": "a-000001-000000", "ts": "2026-10-01T00:00:00.000000Z",
            "user": "bench", "kind": "query", "prev": GENESIS}  # fmt: skip

    def write() -> None:
        os.write(plain, line)

    def write_sync() -> None:
        os.write(synced, line)
        os.fdatasync(synced)

    def append() -> None:
        log.append("query", user="bench", **DATA)

    def seal_only() -> None:
        seal(key, {**body, "data": json_safe(DATA)}).line()

    def head_read() -> None:
        heads.read()

    def head_write() -> None:
        heads.write(ChainHead.sealed(key, 1, GENESIS))

    variants = {
        "write": write,
        "write+fdatasync": write_sync,
        "append": append,
        "part: json_safe + seal + line": seal_only,
        "part: head read": head_read,
        "part: head write (SQLite FULL)": head_write,
    }
    samples: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(n // 10):
        for name, fn in variants.items():  # rounds of 10 of each, so noise hits every variant
            for _ in range(10):
                t = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - t)
    os.close(plain)
    os.close(synced)
    heads.close()
    assert log.verify().ok, log.verify()
    log.close()
    out = {k: ms(v) for k, v in samples.items()}
    out["append (first, cold)"] = {"median": cold * 1e3, "p90": cold * 1e3}
    out["_line_bytes"] = {"median": float(len(line)), "p90": float(len(line))}
    return out


def _worker(ws: str, n: int, start: float, queue: Any) -> None:
    log = AuditLog(Path(ws))
    while time.time() < start:
        time.sleep(0.0005)
    lat = []
    t0 = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        log.append("query", user=f"p{os.getpid()}", **DATA)
        lat.append(time.perf_counter() - t)
    queue.put((time.perf_counter() - t0, lat))


def contended(folder: Path, n: int) -> dict[str, float]:
    ws = folder / "contended"
    AuditLog(ws).append("maintenance", user="bench", action="setup")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start = time.time() + 1.0
    procs = [ctx.Process(target=_worker, args=(str(ws), n, start, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join()
    result = AuditLog(ws).verify()
    assert result.ok and result.records == 2 * n + 1, result
    wall = max(r[0] for r in results)
    lat = [x for r in results for x in r[1]]
    return {
        "appends": 2 * n,
        "wall_s": wall,
        "appends_per_s": 2 * n / wall,
        **{f"latency_{k}_ms": v for k, v in ms(lat).items()},
    }


def big_log(folder: Path, count: int) -> dict[str, float]:
    """A log of ``count`` records built like ``append`` builds them, without a sync per record."""
    ws = folder / "big"
    log = AuditLog(ws)
    log.append("maintenance", user="bench", action="setup")
    key = load_key(ws, create=False) or b""
    first = log.tail(1)[0]
    prev, t0 = first.hash, time.perf_counter()
    with (ws / "audit" / "audit.jsonl").open("ab") as fh:
        for seq in range(2, count + 1):
            record = seal(
                key,
                {"seq": seq, "id": f"a-{seq:06d}-000000", "ts": first.ts, "user": "bench",
                 "kind": "query", "data": json_safe({**DATA, "rows": seq}), "prev": prev},
            )  # fmt: skip
            fh.write(record.line())
            prev = record.hash
    HeadStore(ws / "catalog.db").write(ChainHead.sealed(key, count, prev))
    build = time.perf_counter() - t0
    size = (ws / "audit" / "audit.jsonl").stat().st_size

    def timed(fn: Any) -> float:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t)
        return best

    def baseline() -> None:
        with (ws / "audit" / "audit.jsonl").open("rb") as fh:
            for line in fh:
                json.loads(line)

    result = log.verify()
    assert result.ok and result.records == count, result
    base = timed(baseline)
    verify = timed(log.verify)
    records = timed(lambda: sum(1 for _ in log.records()))
    tail = timed(lambda: log.tail(20))
    return {
        "records": count,
        "bytes": size,
        "build_s": build,
        "baseline_read_json_loads_s": base,
        "verify_s": verify,
        "verify_us_per_record": verify / count * 1e6,
        "verify_over_baseline": verify / base,
        "records_s": records,
        "tail20_ms": tail * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--dir", help="where to write (default: a temporary folder)")
    parser.add_argument("--json", help="write all figures to this file")
    args = parser.parse_args()
    print(provenance())
    print("result cache: not used (no session: the audit log and plain file writes)")
    os.environ.pop("NEUROLAKE_AUDIT_KEY", None)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        single = per_append(folder, args.appends)
        print(
            f"per call, ms ({args.appends} each, {single['_line_bytes']['median']:.0f}-byte line)"
        )
        base = single["write+fdatasync"]["median"]
        for name, v in single.items():
            if name.startswith("_"):
                continue
            ratio = f"{v['median'] / base:5.2f}x" if not name.startswith("append (first") else ""
            print(f"  {name:34s} median {v['median']:7.3f}  p90 {v['p90']:7.3f}  {ratio}")
        cont = contended(folder, args.appends // 2)
        print(
            f"two processes, {cont['appends']} appends: {cont['appends_per_s']:.0f}/s, latency "
            f"median {cont['latency_median_ms']:.3f} ms p90 {cont['latency_p90_ms']:.3f} ms"
        )
        big = big_log(folder, args.records)
        print(
            f"{big['records']} records ({big['bytes'] / 1e6:.1f} MB): verify {big['verify_s']:.2f} s "
            f"({big['verify_us_per_record']:.1f} us/record, {big['verify_over_baseline']:.2f}x "
            f"read+json.loads {big['baseline_read_json_loads_s']:.2f} s); records() "
            f"{big['records_s']:.2f} s; tail(20) {big['tail20_ms']:.2f} ms"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"per_append_ms": single, "contended": cont, "big_log": big}, indent=2)
        )


if __name__ == "__main__":
    main()
