"""Where the time of a ``%%sql`` cell goes, stage by stage, inside real kernels.

Usage: python bench/where_time_goes.py [--repeat N] [--variants K,..] [--cprofile [K,..]] [--json OUT]

Starts the same kernels as ``kernel_roundtrip.py`` (the ``1+1`` floor, plain Python on DuckDB,
JupySQL, NeuroLake), installs ``time.perf_counter`` timers around the stages of a cell inside each
kernel process (a setup cell wraps IPython's, ipykernel's and NeuroLake's functions; no product
code is changed), runs the ``select 42`` and the group-by cell ``--repeat`` times in the same round-robin order, and
prints the median of every stage per cell next to the client's round-trip and the kernel's
busy→idle span (from the message headers). Rows marked "(rest)" are differences: the parent minus
its measured children. With ``--cprofile`` the cells also run under cProfile inside the kernels.

The timers add a few microseconds per wrapped call, so this script's round-trips are slightly
higher than ``kernel_roundtrip.py``'s; use that one for the headline numbers.
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kernel_roundtrip import (
    GROUPBY,
    QUERIES,
    TABLE,
    CellFailed,
    Variant,
    check_cold,
    execute,
    make_variants,
    schedule,
    start_kernel,
)
from runs import no_hits, provenance

import neurolake_lab.cell.pipeline as pipeline

# Installed in each kernel by a setup cell. Every timer adds into the bucket of the execute
# request being handled (its msg_id), so the client can match the stages to its own samples.
INSTRUMENT = r"""
def _nlbench_install():
    import collections, functools, inspect, json, time
    ip = get_ipython()
    kernel = ip.kernel
    buckets = collections.defaultdict(lambda: collections.defaultdict(float))
    state = {"msg_id": None}

    def record(label, value):
        if state["msg_id"] is not None:
            buckets[state["msg_id"]][label] += value

    def timed(obj, attr, label):
        orig = getattr(obj, attr)
        if inspect.iscoroutinefunction(orig):
            @functools.wraps(orig)
            async def wrapper(*args, **kwargs):
                t0 = time.perf_counter()
                try:
                    return await orig(*args, **kwargs)
                finally:
                    record(label, (time.perf_counter() - t0) * 1000)
        else:
            @functools.wraps(orig)
            def wrapper(*args, **kwargs):
                t0 = time.perf_counter()
                try:
                    return orig(*args, **kwargs)
                finally:
                    record(label, (time.perf_counter() - t0) * 1000)
        setattr(obj, attr, wrapper)

    orig_do_execute = kernel.do_execute

    async def do_execute(*args, **kwargs):
        state["msg_id"] = kernel.get_parent("shell")["header"]["msg_id"]
        t0 = time.perf_counter()
        try:
            return await orig_do_execute(*args, **kwargs)
        finally:
            record("do_execute", (time.perf_counter() - t0) * 1000)

    kernel.do_execute = do_execute
    timed(ip, "transform_cell", "transform_cell")
    timed(ip, "run_cell_async", "run_cell_async")
    timed(ip, "run_cell_magic", "magic")
    hook = type(ip.displayhook)
    timed(hook, "__call__", "displayhook")
    timed(hook, "compute_format_data", "displayhook.format")
    timed(hook, "write_format_data", "displayhook.write")
    timed(hook, "update_user_ns", "displayhook.user_ns")
    timed(hook, "finish_displayhook", "displayhook.finish")

    orig_serialize = kernel.session.serialize

    def serialize(msg, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return orig_serialize(msg, *args, **kwargs)
        finally:
            kind = msg["header"]["msg_type"]
            record(f"serialize:{kind}", (time.perf_counter() - t0) * 1000)
            if kind == "execute_result":
                record("bytes:execute_result", len(json.dumps(msg["content"]["data"])))

    kernel.session.serialize = serialize

    if type(kernel).__name__ == "NeuroLakeKernel":
        import neurolake_lab.cell.pipeline as p
        import neurolake_lab.engine.duckdb_engine as e
        import neurolake_lab.report as d
        import neurolake_lab.result as r
        import neurolake_lab.session as s

        timed(s, "run_cell", "run_cell")

        def staged(fn):
            def stage(*args):
                t0 = time.perf_counter()
                try:
                    return fn(*args)
                finally:
                    record("stage." + fn.__name__, (time.perf_counter() - t0) * 1000)

            return stage

        p.BEFORE = tuple(staged(f) for f in p.BEFORE)
        p.EACH = tuple(staged(f) for f in p.EACH)
        p.AFTER = tuple(staged(f) for f in p.AFTER)
        timed(e.DuckDBEngine, "split", "split")
        timed(e.DuckDBEngine, "run", "engine.run")
        timed(r.QueryResult, "__init__", "QueryResult")
        timed(r.QueryResult, "_repr_mimebundle_", "_repr_mimebundle_")
        timed(d, "build_report", "build_report")
        timed(d, "report_html", "report_html")
        timed(d, "report_text", "report_text")

    def stats(ids):
        return {i: dict(buckets.get(i, {})) for i in ids}

    return stats

_nlbench_stats = _nlbench_install()
del _nlbench_install
"""


def _rest(parent: str, *children: str) -> Any:
    return lambda s: (
        s.get(parent, 0.0) - sum(s.get(c, 0.0) for c in children) if parent in s else None
    )


# (label, key or a function of the sample's stages). Indentation shows what contains what.
ROWS: list[tuple[str, Any]] = [
    ("round-trip (client: send → reply and idle received)", "roundtrip"),
    ("  outside busy→idle (client, zmq, IOPub thread)", "outside"),
    ("  kernel busy→idle (message header timestamps)", "busy_idle"),
    (
        "    (rest) execute_input, 4 stream flushes, 0.5 ms sleep, reply",
        _rest("busy_idle", "do_execute"),
    ),
    ("    do_execute", "do_execute"),
    ("      transform_cell (IPython input transformers)", "transform_cell"),
    ("      run_cell_async", "run_cell_async"),
    (
        "        (rest) compile, history, events, user code",
        _rest("run_cell_async", "magic", "displayhook"),
    ),
    ("        %%sql magic (run_cell_magic)", "magic"),
    ("          run_cell (the cell pipeline, docs/architecture.md)", "run_cell"),
    *[
        (f"            {f.__name__}", f"stage.{f.__name__}")
        for f in (*pipeline.BEFORE, *pipeline.EACH, *pipeline.AFTER)
    ],
    ("              of which DuckDB split (extract_statements)", "split"),
    ("              of which DuckDB execute + fetch as Arrow", "engine.run"),
    ("              of which QueryResult()", "QueryResult"),
    ("        displayhook", "displayhook"),
    ("          compute_format_data (MIME bundle)", "displayhook.format"),
    ("            _repr_mimebundle_", "_repr_mimebundle_"),
    ("              build_report (JSON report)", "build_report"),
    ("              report_html", "report_html"),
    ("              report_text", "report_text"),
    (
        "          write_format_data + update_user_ns",
        lambda s: (
            s.get("displayhook.write", 0) + s.get("displayhook.user_ns", 0)
            if "displayhook" in s
            else None
        ),
    ),
    ("          finish_displayhook (2 flushes + send)", "displayhook.finish"),
    ("            serialize execute_result (JSON + HMAC)", "serialize:execute_result"),
    ("    serialize execute_reply", "serialize:execute_reply"),
    ("execute_result data (bytes of JSON)", "bytes:execute_result"),
]


def run_cell(kc: Any, code: str) -> dict[str, Any]:
    """Execute ``code``: round-trip, busy→idle, the part outside it, and the request's msg_id."""
    statuses: dict[str, Any] = {}
    errors: list[str] = []

    def hook(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "status":
            statuses[msg["content"]["execution_state"]] = msg["header"]["date"]
        elif msg["msg_type"] == "error":
            errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

    start = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=60, output_hook=hook)
    elapsed = (time.perf_counter() - start) * 1000
    if reply["content"]["status"] != "ok" or errors:
        raise CellFailed(f"cell failed: {code[:80]!r}: {errors or reply['content']}")
    busy_idle = (statuses["idle"] - statuses["busy"]).total_seconds() * 1000
    return {
        "msg_id": reply["parent_header"]["msg_id"],
        "roundtrip": elapsed,
        "busy_idle": busy_idle,
        "outside": elapsed - busy_idle,
    }


def fetch_stats(kc: Any, ids: list[str]) -> dict[str, dict[str, float]]:
    """The kernel's timer buckets of the requests ``ids``."""
    expr = f"__import__('json').dumps(_nlbench_stats({ids!r}))"
    reply = kc.execute("", silent=True, user_expressions={"s": expr}, reply=True, timeout=60)
    result = reply["content"]["user_expressions"]["s"]
    if result["status"] != "ok":
        raise CellFailed(f"could not read the kernel's timers: {result}")
    stats: dict[str, dict[str, float]] = json.loads(ast.literal_eval(result["data"]["text/plain"]))
    return stats


def cprofile(kc: Any, code: str, repeat: int, top: int) -> str:
    """cProfile ``code`` run ``repeat`` times in the kernel's main thread; the top functions."""
    execute(
        kc,
        "import cProfile as _cp, pstats as _ps, io as _io\n_prof = _cp.Profile()\n_prof.enable()",
    )
    for _ in range(repeat):
        execute(kc, code)
    out: list[str] = []
    kc.execute_interactive(
        "_prof.disable()\n_s = _io.StringIO()\n"
        f"_ps.Stats(_prof, stream=_s).sort_stats('cumulative').print_stats({top})\n"
        "print(_s.getvalue())",
        timeout=60,
        output_hook=lambda msg: out.append(msg["content"].get("text", "")),
    )
    return "".join(out)


def in_process(repeat: int) -> None:
    """NeuroLake's own stages in this process, back to back and with a 5 ms pause before each.

    The pause stands in for the kernel's idle time between cells: short stages run several times
    slower when caches are cold, which is why the in-kernel table above is the one to trust.
    """

    from neurolake_lab import connect
    from neurolake_lab import report as display
    from neurolake_lab.cell import CellPlan, run_cell

    workspace = tempfile.TemporaryDirectory(prefix="nl-bench-", ignore_cleanup_errors=True)
    session = connect(workspace.name, result_cache=False)
    print("result cache: off (every cell runs)")
    session.sql(TABLE, namespace={})
    for name, sql in (("select 42", "select 42"), ("group-by", GROUPBY)):
        result = session.sql(sql, namespace={})
        report = display.build_report(result)
        bundle = display.report_bundle(report)
        stages: dict[str, Callable[[], object]] = {
            "run_cell": lambda sql=sql: run_cell(
                CellPlan(sql, user=session.user), session.services
            ),
            "build_report": functools.partial(display.build_report, result),
            "report_html": functools.partial(display.report_html, report),
            "report_text": functools.partial(display.report_text, report),
            "json.dumps(bundle)": functools.partial(json.dumps, bundle),
        }
        print(f"\nin-process, {name}: median ms of {repeat}   back to back   after a 5 ms pause")
        for stage, fn in stages.items():
            row = []
            for pause in (0.0, 0.005):
                times = []
                for _ in range(repeat + 5):
                    if pause:
                        time.sleep(pause)
                    t0 = time.perf_counter()
                    fn()
                    times.append((time.perf_counter() - t0) * 1000)
                row.append(statistics.median(times[5:]))
            print(f"  {stage:<38}{row[0]:>14.3f}{row[1]:>21.3f}")
    no_hits(session, "a cell timed in process")
    session.close()
    workspace.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="cells per variant and query (40)")
    parser.add_argument(
        "--cprofile",
        nargs="?",
        const="neurolake",
        metavar="VARIANTS",
        help="also cProfile these variants' cells inside their kernels (comma-separated: floor, "
        "python, jupysql, neurolake; without a value: neurolake)",
    )
    parser.add_argument(
        "--variants",
        default="floor,python,jupysql,neurolake",
        help="comma-separated variant keys (default floor,python,jupysql,neurolake; "
        "jupysql_rs: JupySQL's default ResultSet display; neurolake_tweaked: see kernel_roundtrip --tweaked)",
    )
    parser.add_argument("--top", type=int, default=40, help="functions shown per profile (40)")
    parser.add_argument("--json", help="write the per-stage medians to this file")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="also time NeuroLake's stages in this process (back to back and after a pause)",
    )
    args = parser.parse_args()

    print(provenance())
    print("result cache: off in the NeuroLake kernels (every cell runs; checked in each kernel)")
    workspace = tempfile.TemporaryDirectory(prefix="nl-bench-", ignore_cleanup_errors=True)
    wanted = [k.strip() for k in args.variants.split(",")]
    variants: list[Variant] = [v for v in make_variants(tweaked=True) if v.key in wanted]
    if len(variants) != len(wanted):
        parser.error(f"unknown variant in {args.variants!r}")
    keys = [v.key for v in variants]
    kernels = []
    samples: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    profiles: dict[str, str] = {}
    try:
        for v in variants:
            km, kc = start_kernel(v, workspace.name)
            kernels.append((km, kc))
            run_cell(kc, INSTRUMENT)
            for _ in range(5):
                for query in QUERIES:
                    run_cell(kc, getattr(v, query))
        raw: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for i, query in schedule(len(variants), args.repeat):
            v, kc = variants[i], kernels[i][1]
            raw[v.key, query].append(run_cell(kc, getattr(v, query)))
        for v, (_, kc) in zip(variants, kernels, strict=True):
            for query in QUERIES:
                inside = fetch_stats(kc, [r["msg_id"] for r in raw[v.key, query]])
                for r in raw[v.key, query]:
                    samples[v.key, query].append(
                        {
                            **inside[r["msg_id"]],
                            **{k: r[k] for k in ("roundtrip", "busy_idle", "outside")},
                        }
                    )
        check_cold(variants, [kc for _, kc in kernels], before=False)
        for key in args.cprofile.split(",") if args.cprofile else []:
            index = keys.index(key.strip())
            for query in QUERIES:
                code = getattr(variants[index], query)
                profiles[f"{key} {query}"] = cprofile(
                    kernels[index][1], code, args.repeat, args.top
                )
    except CellFailed as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1
    finally:
        for km, kc in kernels:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        workspace.cleanup()

    columns = [(v, q) for q in QUERIES for v in variants]
    table: dict[str, dict[str, float | None]] = {}
    print(f"medians of {args.repeat} cells per column, ms; blank: the variant has no such stage\n")
    print(
        f"{'stage':<66}"
        + "".join(f"{v.short + (' 42' if q == 'trivial' else ' gb'):>14}" for v, q in columns)
    )
    for label, key in ROWS:
        line = f"{label:<66}"
        for v, q in columns:
            values = [key(s) if callable(key) else s.get(key) for s in samples[v.key, q]]
            present = [x for x in values if x is not None]
            # a stage that ran in only some cells counts as 0 in the others
            value = (
                statistics.median([x if x is not None else 0.0 for x in values])
                if present
                else None
            )
            table.setdefault(label.strip(), {})[f"{v.key} {q}"] = value
            if value is None:
                line += f"{'':>14}"
            elif label.startswith("execute_result data"):
                line += f"{value:>14,.0f}"
            else:
                line += f"{value:>14.3f}"
        print(line)
    for name, text in profiles.items():
        print(
            f"\ncProfile of the {name} cell inside its kernel ({args.repeat} cells, cumulative):\n"
        )
        print(text.rstrip())
    if args.in_process:
        in_process(args.repeat)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"repeat": args.repeat, "medians_ms": table}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
