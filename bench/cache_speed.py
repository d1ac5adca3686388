"""Result cache speed: cached vs uncached TPC-H queries.

Usage: python bench/cache_speed.py [--sfs 0.1,1] [--repeat 5] [--workspace DIR] [--json OUT]

For each TPC-H query at each scale factor (Iceberg tables written with ``Session.write``), it
times, interleaved per query so noise hits every variant alike:

* ``uncached``: ``Session.sql`` (DuckDB over the Iceberg tables, result fetched as Arrow) in a
  session whose result cache is off — every run executes, and one the cache answered would stop
  the benchmark (before the cache could be turned off, these runs were cache hits);
* ``key``: ``ResultCache.key`` alone (split, parse, inputs' snapshots, hash);
* ``memory hit``: ``key`` + ``get`` from memory (what a re-run cell costs);
* ``disk hit``: ``key`` + ``get`` by a second cache whose memory holds nothing, so the result is
  read from its Arrow IPC file (what another kernel, or a result spilled from memory, costs);
* ``cell hit``: ``Session.sql`` in a second session whose result cache is on, answered by it
  (the whole cell pipeline a re-run cell goes through: policy, lineage, report; a computed
  answer stops the benchmark). The uncached runs are not recorded in the cost history, so a cell
  hit's prediction comes from the prediction cache, as when a cell is re-run with nothing run in
  between; a hit after other cells ran pays a new prediction too. A query showing personal data in clear (TPC-H's phone numbers
  and addresses, tagged PII when written) is never kept by the cache: it is named and left out
  of the cell-hit figures.

It reports medians per query, the ratios uncached / cached, and the slowest cached answer
against the 100 ms target; it asserts only that every cached result equals the uncached one
(a lookup that misses stops the benchmark).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runs import cache_line, cached, clear_pii, cold, connect_cold, invalid, provenance

import neurolake_lab
from neurolake_lab.cache import CacheKey, ResultCache
from neurolake_lab.cost.workload import load_tpch, tpch_namespace, tpch_queries


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start) * 1000, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sfs", default="0.1,1")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workspace")
    ap.add_argument("--json")
    args = ap.parse_args()
    sfs = [float(s) for s in args.sfs.split(",")]
    ws = Path(args.workspace) if args.workspace else Path(tempfile.mkdtemp(prefix="nl-cache-"))
    # "uncached" runs execute: this session's result cache is off; they are not recorded in the
    # cost history, which would make every cell hit below predict the cell again (a new model)
    session = connect_cold(ws, learn_costs=False)
    print(provenance())
    warm = neurolake_lab.connect(ws)  # cell hits: the same tables with the cache on
    print(f"uncached: {cache_line(session)}; cell hits: {cache_line(warm)}; "
          "memory and disk hits: the ResultCache API")  # fmt: skip
    session.lakehouse.refresh(session.engine.con)
    have = {ns for ns, _ in session.lakehouse.pointers}
    for sf in sfs:
        if tpch_namespace(sf) not in have:
            load_tpch(session, sf)
    memory = ResultCache(ws)
    memory.clear()
    disk = ResultCache(ws, memory_bytes=1)  # never keeps anything in memory: reads the files
    rows: list[dict[str, Any]] = []
    bad = 0
    for sf in sfs:
        for i, sql in enumerate(tpch_queries(tpch_namespace(sf))):
            k = memory.key(session.query, sql, policy_context="bench")
            assert isinstance(k, CacheKey), k
            result = cold(session, sql).arrow()
            memory.put(k, result)
            disk.put(k, result)  # spilled to its file at once
            clear = clear_pii(warm.sql(sql, namespace={}))  # the cell's own entry, if allowed
            t: dict[str, list[float]] = {
                "uncached": [], "key": [], "memory": [], "disk": [], "cell": []
            }  # fmt: skip

            def uncached(q: str = sql) -> Any:
                return cold(session, q).arrow()

            def key_only(q: str = sql) -> Any:
                return memory.key(session.query, q, policy_context="bench")

            def memory_hit(q: str = sql) -> Any:
                k = memory.key(session.query, q, policy_context="bench")
                return memory.get(k) if isinstance(k, CacheKey) else None

            def disk_hit(q: str = sql) -> Any:
                k = disk.key(session.query, q, policy_context="bench")
                return disk.get(k) if isinstance(k, CacheKey) else None

            def cell_hit(q: str = sql) -> Any:
                return cached(warm, q).arrow()

            for _ in range(args.repeat):
                t["uncached"].append(timed(uncached)[0])
                t["key"].append(timed(key_only)[0])
                ms, hit = timed(memory_hit)
                t["memory"].append(ms)
                ms, from_disk = timed(disk_hit)
                t["disk"].append(ms)
                if not clear:
                    ms, from_cell = timed(cell_hit)
                    t["cell"].append(ms)
                    bad += not from_cell.equals(result)
                if hit is None or from_disk is None:
                    raise invalid(f"a cached lookup missed: sf {sf:g} q{i + 1:02d}")
                if not (hit.equals(result) and from_disk.equals(result)):
                    bad += 1
            med = {name: statistics.median(v) if v else math.nan for name, v in t.items()}
            rows.append({"sf": sf, "query": i + 1, "rows": result.num_rows,
                         "bytes": result.nbytes, **med})  # fmt: skip
            print(f"sf {sf:<4g} q{i + 1:02d}  uncached {med['uncached']:8.1f} ms  key "
                  f"{med['key']:5.2f}  memory hit {med['memory']:5.2f}  disk hit {med['disk']:5.2f}  "
                  f"cell hit {med['cell']:5.2f}  ratio {med['uncached'] / med['memory']:7.1f}x / "
                  f"{med['uncached'] / med['disk']:6.1f}x / {med['uncached'] / med['cell']:6.1f}x"
                  f"{'  (not cached: ' + ', '.join(clear) + ' in clear)' if clear else ''}")  # fmt: skip
    print()
    for sf in sfs:
        part = [r for r in rows if r["sf"] == sf]
        kinds = ("uncached", "key", "memory", "disk", "cell")
        total = {n: sum(r[n] for r in part) for n in kinds[:-1]}
        kept = [r for r in part if not math.isnan(r["cell"])]  # the cell hits: cacheable only
        cell_cold, cell = sum(r["uncached"] for r in kept), sum(r["cell"] for r in kept)
        ratios = {n: statistics.median(r["uncached"] / r[n] for r in part) for n in kinds[2:4]}
        cell_ratio = statistics.median(r["uncached"] / r["cell"] for r in kept)
        print(f"sf {sf:g}: 22 queries uncached {total['uncached']:.0f} ms, memory hits "
              f"{total['memory']:.1f} ms, disk hits {total['disk']:.1f} ms; ratio of totals "
              f"{total['uncached'] / total['memory']:.0f}x (memory) {total['uncached'] / total['disk']:.0f}x (disk); "
              f"median per-query ratio {ratios['memory']:.0f}x / {ratios['disk']:.0f}x; slowest hit "
              f"{max(r['memory'] for r in part):.1f} / {max(r['disk'] for r in part):.1f} ms")  # fmt: skip
        print(f"sf {sf:g}: cell hits, the {len(kept)} cacheable queries: uncached {cell_cold:.0f} ms, "
              f"hits {cell:.1f} ms, ratio of totals {cell_cold / cell:.0f}x, median per-query "
              f"{cell_ratio:.0f}x, slowest {max(r['cell'] for r in kept):.1f} ms; "
              f"{len(part) - len(kept)} not cached (personal data in clear)")  # fmt: skip
    print(f"cache stats: {memory.stats}")
    if args.json:
        Path(args.json).write_text(json.dumps({"uncached_result_cache": "off", "rows": rows},
                                              indent=1))  # fmt: skip
    warm.close()
    session.close()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
