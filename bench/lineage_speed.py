"""Column lineage speed: NeuroLake's one-pass scope walk vs sqlglot's ``lineage()``.

Usage: python bench/lineage_speed.py [--repeat N] [--json OUT]

For ten representative statements it times, in the same run and interleaved round-robin so
machine noise hits every variant alike:

* ``parse``: ``sqlglot.parse_one`` alone (the floor every variant pays);
* ``ours(sql)``: ``query_lineage`` from the SQL text, cache cleared (parse + qualify + walk);
* ``ours(tree)``: from a parsed tree (qualify on a copy + walk): the session parses once;
* ``ours(qualified)``: from a qualified tree (the walk only): the session qualifies once;
* ``ours(cached)``: a repeated call (the cache lookup a re-run cell costs);
* ``lineage/col``: ``sqlglot.lineage.lineage(column, sql, schema)`` once per output column,
  as the design measured it (each call parses and qualifies again);
* ``lineage(all)``: ``lineage(None, sql, schema)``: every column in one call (sqlglot 30);
* ``lineage/col+scope``: per column on one pre-qualified scope (the best use of ``lineage()``).

``lineage()`` gives direct sources only, with no kind and no indirect edges. It is checked against
ours: per output column, its leaf columns must equal our direct sources, reported as "agree".
The result cache is not involved (no session: lineage from the text alone). The cold ``ours``
variants stop the benchmark if the lineage graph cache answered them, ``ours(cached)`` if it
did not. Timings are reported, never asserted; the exit status is 1 only if a variant fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runs import Hits, provenance

from neurolake_lab.lineage import clear_cache, columns, query_lineage

Timed = Callable[[], float]

SCHEMA: dict[str, dict[str, str]] = {
    "retail.customers": {
        "id": "INTEGER",
        "name": "VARCHAR",
        "email": "VARCHAR",
        "country": "VARCHAR",
        "signup_date": "DATE",
    },
    "retail.orders": {
        "id": "INTEGER",
        "customer_id": "INTEGER",
        "product_id": "INTEGER",
        "amount": "DECIMAL(10,2)",
        "status": "VARCHAR",
        "ordered_at": "TIMESTAMP",
    },
    "retail.products": {"id": "INTEGER", "name": "VARCHAR", "category": "VARCHAR"},
    "web.events": {
        "event_id": "BIGINT",
        "user_id": "INTEGER",
        "session_id": "VARCHAR",
        "event_type": "VARCHAR",
        "page": "VARCHAR",
        "referrer": "VARCHAR",
        "device": "VARCHAR",
        "browser": "VARCHAR",
        "country": "VARCHAR",
        "city": "VARCHAR",
        "duration_ms": "INTEGER",
        "revenue": "DOUBLE",
        "ts": "TIMESTAMP",
    },
}

QUERIES: dict[str, str] = {
    "simple select": "SELECT id, name FROM retail.customers WHERE country = 'DE'",
    "star, 13 columns": "SELECT * FROM web.events",
    "3-way join + group by": (
        "SELECT c.country, p.category, count(*) AS orders, sum(o.amount) AS revenue "
        "FROM retail.orders o JOIN retail.customers c ON o.customer_id = c.id "
        "JOIN retail.products p ON o.product_id = p.id "
        "WHERE o.status = 'paid' GROUP BY c.country, p.category ORDER BY revenue DESC"
    ),
    "CTE + window": (
        "WITH ranked AS (SELECT customer_id, amount, row_number() OVER "
        "(PARTITION BY customer_id ORDER BY ordered_at DESC) AS rn FROM retail.orders) "
        "SELECT customer_id, amount AS last_amount FROM ranked WHERE rn = 1"
    ),
    "union": (
        "SELECT name, 'customer' AS kind FROM retail.customers "
        "UNION ALL SELECT name, category FROM retail.products"
    ),
    "scalar + EXISTS subqueries": (
        "SELECT c.name, (SELECT max(o.amount) FROM retail.orders o WHERE o.customer_id = c.id) "
        "AS biggest FROM retail.customers c WHERE EXISTS "
        "(SELECT 1 FROM retail.orders o2 WHERE o2.customer_id = c.id AND o2.status = 'paid')"
    ),
    "star EXCLUDE + CASE": (
        "SELECT * EXCLUDE (referrer, city), CASE WHEN duration_ms > 1000 THEN 'long' "
        "ELSE 'short' END AS visit FROM web.events"
    ),
    "nested derived tables": (
        "SELECT country, avg(total) AS avg_total FROM (SELECT c.country, o.customer_id, "
        "sum(o.amount) AS total FROM retail.orders o JOIN retail.customers c "
        "ON o.customer_id = c.id GROUP BY ALL) t GROUP BY country"
    ),
    "CTAS (select part)": (
        "CREATE TABLE retail.daily AS SELECT CAST(ordered_at AS DATE) AS day, "
        "sum(amount) AS revenue FROM retail.orders GROUP BY 1"
    ),
    "INSERT ... SELECT (select part)": (
        "INSERT INTO retail.customers (id, name, email) SELECT user_id, page, session_id "
        "FROM web.events WHERE event_type = 'signup'"
    ),
}


def _query_part(sql: str) -> exp.Expr:
    """The SELECT that ``lineage()`` can take: it rejects CTAS and INSERT themselves."""
    tree = sqlglot.parse_one(sql, dialect="duckdb")
    if isinstance(tree, exp.Create | exp.Insert):
        inner = tree.expression
        assert isinstance(inner, exp.Expr)
        return inner
    return tree


def _leaf_sources(node: Any) -> set[str]:
    out = set()
    for n in node.walk():
        if isinstance(n.source, exp.Table) and not n.downstream:
            table = n.source
            parts = [p for p in (table.catalog, table.db, table.name) if p]
            out.add(".".join([*parts, n.name.split(".")[-1]]).lower())
    return out


def _agreement(sql: str) -> tuple[int, int]:
    """How many output columns get the same direct sources from ``lineage()`` and from ours."""
    graph = query_lineage(sql, SCHEMA)
    select = _query_part(sql)
    nodes = lineage(None, select.sql("duckdb"), NESTED, dialect="duckdb")
    names = list(nodes)
    agree = 0
    for name, target in zip(names, graph.outputs, strict=False):
        # lineage() follows every column inside the projection, CASE conditions and window
        # specs included; ours calls those CONDITIONAL and WINDOW.
        ours = {
            e.source
            for e in graph.edges
            if e.target == target and (e.direct or e.kind in ("CONDITIONAL", "WINDOW"))
        }
        if ours == _leaf_sources(nodes[name]):
            agree += 1
    return agree, len(names)


def _variants(sql: str) -> dict[str, Timed]:
    select_sql = _query_part(sql).sql("duckdb")
    names = list(lineage(None, select_sql, NESTED, dialect="duckdb"))
    parsed = sqlglot.parse_one(sql, dialect="duckdb")
    qualified = qualify(
        sqlglot.parse_one(sql, dialect="duckdb"),
        dialect="duckdb",
        schema=NESTED,
        validate_qualify_columns=False,
    )
    select_tree = qualify(
        sqlglot.parse_one(select_sql, dialect="duckdb"),
        dialect="duckdb",
        schema=NESTED,
        validate_qualify_columns=False,
        identify=False,
    )
    scope = build_scope(select_tree)

    def timed(
        fn: Callable[[], object],
        before: Callable[[], object] | None = None,
        cold: bool | None = None,
    ) -> Timed:
        """``cold``: the graph cache must not answer (True), must answer (False), or is unused."""

        def run() -> float:
            if before is not None:
                before()  # not timed: empties the cache, or warms it
            guard = (
                contextlib.nullcontext()
                if cold is None
                else Hits(columns._graphs, cold=cold, what=sql)  # checked outside the timing
            )
            with guard:
                start = time.perf_counter()
                fn()
                elapsed = (time.perf_counter() - start) * 1000
            return elapsed

        return run

    def per_column() -> object:
        return [lineage(n, select_sql, NESTED, dialect="duckdb") for n in names]

    def per_column_scope() -> object:
        return [lineage(n, select_tree, NESTED, dialect="duckdb", scope=scope) for n in names]

    def warm() -> object:
        return query_lineage(sql, SCHEMA)

    return {
        "parse": timed(lambda: sqlglot.parse_one(sql, dialect="duckdb")),
        "ours(sql)": timed(lambda: query_lineage(sql, SCHEMA), clear_graphs, cold=True),
        "ours(tree)": timed(lambda: query_lineage(parsed, SCHEMA), clear_graphs, cold=True),
        "ours(qualified)": timed(lambda: query_lineage(qualified, SCHEMA), clear_graphs, cold=True),
        "ours(cached)": timed(lambda: query_lineage(sql, SCHEMA), warm, cold=False),
        "lineage/col": timed(per_column),
        "lineage(all)": timed(lambda: lineage(None, select_sql, NESTED, dialect="duckdb")),
        "lineage/col+scope": timed(per_column_scope),
    }


def clear_graphs() -> None:
    """Forget cached graphs but keep the schema index: a new cell over a known schema."""
    columns._graphs.clear()


def _nested(schema: dict[str, dict[str, str]]) -> dict[str, dict[str, dict[str, str]]]:
    nested: dict[str, dict[str, dict[str, str]]] = {}
    for key, cols in schema.items():
        db, table = key.split(".")
        nested.setdefault(db, {})[table] = cols
    return nested


NESTED = _nested(SCHEMA)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="rounds per variant and query")
    parser.add_argument("--json", type=Path, help="write every sample and the summary here")
    args = parser.parse_args()

    print(provenance())
    print("result cache: not used (no session); lineage graph cache: cleared before each cold call")
    plans = {name: _variants(sql) for name, sql in QUERIES.items()}
    keys = list(next(iter(plans.values())))
    samples: dict[str, dict[str, list[float]]] = {q: {k: [] for k in keys} for q in QUERIES}
    for _ in range(3):  # warm-up
        for variants in plans.values():
            for run in variants.values():
                run()
    for round_no in range(args.repeat):
        for name, variants in plans.items():
            order = keys[round_no % len(keys) :] + keys[: round_no % len(keys)]
            for key in order:
                samples[name][key].append(variants[key]())

    medians = {q: {k: statistics.median(v) for k, v in s.items()} for q, s in samples.items()}
    clear_cache()
    agreement = {q: _agreement(sql) for q, sql in QUERIES.items()}
    columns = {q: len(query_lineage(sql, SCHEMA).outputs) for q, sql in QUERIES.items()}

    header = f"{'query':32} {'cols':>4} " + " ".join(f"{k:>17}" for k in keys)
    print(f"Median ms per statement, {args.repeat} rounds, interleaved\n")
    print(header)
    for q in QUERIES:
        row = " ".join(f"{medians[q][k]:17.3f}" for k in keys)
        print(f"{q:32} {columns[q]:4d} {row}")
    total = {k: sum(medians[q][k] for q in QUERIES) for k in keys}
    print(f"{'total':32} {'':4} " + " ".join(f"{total[k]:17.3f}" for k in keys))

    print("\nRatios (sum of medians over the 10 statements)")
    ratios = {
        "lineage/col ÷ ours(sql)": total["lineage/col"] / total["ours(sql)"],
        "lineage(all) ÷ ours(sql)": total["lineage(all)"] / total["ours(sql)"],
        "lineage/col+scope ÷ ours(qualified)": (
            total["lineage/col+scope"] / total["ours(qualified)"]
        ),
        "ours(sql) ÷ parse": total["ours(sql)"] / total["parse"],
        "ours(tree) ÷ parse": total["ours(tree)"] / total["parse"],
        "ours(qualified) ÷ parse": total["ours(qualified)"] / total["parse"],
        "ours(cached) ÷ parse": total["ours(cached)"] / total["parse"],
    }
    for label, value in ratios.items():
        print(f"  {label:40} {value:7.2f}x")
    per_query = {q: medians[q]["lineage/col"] / medians[q]["ours(sql)"] for q in QUERIES}
    print(
        "  lineage/col ÷ ours(sql) per statement: "
        f"min {min(per_query.values()):.2f}x, max {max(per_query.values()):.2f}x"
    )
    agree = sum(a for a, _ in agreement.values())
    cols = sum(n for _, n in agreement.values())
    print(f"\nSources equal to lineage()'s leaves: {agree}/{cols} output columns")
    for q, (a, n) in agreement.items():
        if a != n:
            print(f"  differs: {q}: {a}/{n}")

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "samples_ms": samples,
                    "medians_ms": medians,
                    "ratios": ratios,
                    "agreement": agreement,
                    "versions": {
                        "python": platform.python_version(),
                        "sqlglot": metadata.version("sqlglot"),
                    },
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
