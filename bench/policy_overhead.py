"""What policy enforcement costs per statement, and what masking costs DuckDB.

Usage: python bench/policy_overhead.py [--rounds N] [--rows N] [--json OUT]

Rewrite time (median of ``--rounds``, interleaved so noise hits all alike), per query, as
``mallory`` (not the owner: PII hashed, and under the example policy also redacted, partial,
nulled, denied and row-filtered), against the baseline ``sqlglot.parse_one`` of the same text in
the same run:

* ``enforce cold`` — ``enforce(text)`` with every cache cleared first (parse, guards, table plans,
  rewrite, print);
* ``enforce plans warm`` — the statement is new but the table plans are cached (the usual case: a
  new cell over known tables);
* ``enforce cached`` — the same cell again (a dictionary lookup);
* ``enforce tree`` — the session's shared tree handed in (``sql=`` given for the cache key),
  plans warm.

Then DuckDB: each query over a ``--rows``-row ``customers`` table (13 columns, 7 PII) run as
written (the owner's plan) and as rewritten for ``mallory`` (best of 5 each), and the ratio.
The result cache is not involved (``enforce`` and a plain DuckDB connection, no session). The
enforcement caches are checked around every timed call, outside its timing: a ``cold``, ``warm``
or ``tree`` call answered by the enforcement cache (or, cold, by the plan cache) stops the
benchmark, and so does a ``cached`` call it did not answer. Reports; never asserts.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlglot
from runs import Hits, provenance

from neurolake_lab.compliance.policy import clear_cache, default_policy, enforce, parse_policy
from neurolake_lab.compliance.policy.plans import clear_plan_cache
from tests.compliance.policy_support import EXAMPLE_POLICY, TAGS, retail_db, schema_of

QUERIES = {
    "simple select": "SELECT customer_id, email FROM retail.customers WHERE city = 'Paris'",
    "star, 13 cols, 7 masked": "SELECT * EXCLUDE (ssn) FROM retail.customers",
    "3-way join": (
        "SELECT c.email, o.amount, t.body FROM retail.customers c "
        "JOIN retail.orders o ON o.customer_id = c.customer_id "
        "LEFT JOIN retail.tickets t ON t.customer_id = c.customer_id WHERE o.amount > 10"
    ),
    "CTE + window": (
        "WITH ranked AS (SELECT customer_id, email, row_number() OVER "
        "(PARTITION BY country ORDER BY signup_date) AS rn FROM retail.customers) "
        "SELECT email, rn FROM ranked WHERE rn <= 3"
    ),
    "union": "SELECT email FROM retail.customers UNION SELECT ip_address FROM retail.orders",
    "group by masked": "SELECT email, count(*) AS n FROM retail.customers GROUP BY email",
    "filter on masked": "SELECT count(*) FROM retail.customers WHERE email LIKE 'user1%'",
    "IN subquery": (
        "SELECT count(*) FROM retail.orders WHERE customer_id IN "
        "(SELECT customer_id FROM retail.customers WHERE segment = 'gold')"
    ),
    "no governed table": "SELECT 42 AS answer, current_date AS today",
    "aggregate, no PII": "SELECT country, avg(lifetime_value) FROM retail.customers GROUP BY ALL",
}


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def rewrite_times(
    rounds: int, policy_name: str, policy: Any, schema: dict[str, Any]
) -> list[dict[str, Any]]:
    def run(sql: str) -> Any:
        return enforce(sql, schema=schema, tags=TAGS, user="mallory", policy=policy)

    results = []
    for name, sql in QUERIES.items():
        parse, cold, warm, cached, tree_in = [], [], [], [], []
        for i in range(rounds):
            t0 = time.perf_counter()
            sqlglot.parse_one(sql, read="duckdb")
            parse.append(time.perf_counter() - t0)

            clear_cache()
            with Hits(enforcements, table_plans, table_indexes, cold=True, what=sql):
                t0 = time.perf_counter()
                run(sql)
                cold.append(time.perf_counter() - t0)

            with Hits(enforcements, cold=False, what=sql):
                t0 = time.perf_counter()
                run(sql)
                cached.append(time.perf_counter() - t0)

            unique = f"{sql} -- {i}"  # a new text: result cache misses, plan cache hits
            clear_cache_results_only()
            with Hits(enforcements, cold=True, what=unique):
                t0 = time.perf_counter()
                run(unique)
                warm.append(time.perf_counter() - t0)

            clear_cache_results_only()
            tree = sqlglot.parse_one(sql, read="duckdb")
            with Hits(enforcements, cold=True, what=sql):
                t0 = time.perf_counter()
                enforce(
                    tree,
                    sql=f"{sql} /* {i} */",
                    schema=schema,
                    tags=TAGS,
                    user="mallory",
                    policy=policy,
                )
                tree_in.append(time.perf_counter() - t0)
        e = run(sql)
        results.append(
            {
                "policy": policy_name,
                "query": name,
                "parse_ms": median_ms(parse),
                "cold_ms": median_ms(cold),
                "warm_ms": median_ms(warm),
                "cached_ms": median_ms(cached),
                "tree_ms": median_ms(tree_in),
                "cold_over_parse": statistics.median(cold) / statistics.median(parse),
                "warm_over_parse": statistics.median(warm) / statistics.median(parse),
                "rewritten": e.rewritten,
                "blocked": e.blocked,
            }
        )
    return results


# the enforcement caches (results by statement text, table indexes, table plans); the package
# exports the function ``enforce`` under the module's name, hence import_module
_enforce_module = importlib.import_module("neurolake_lab.compliance.policy.enforce")
enforcements, table_indexes = _enforce_module._results, _enforce_module._indexes
table_plans = importlib.import_module("neurolake_lab.compliance.policy.plans")._plans


def clear_cache_results_only() -> None:
    """Forget enforcement results but keep table plans (what a new cell sees)."""
    enforcements.clear()


def duckdb_times(rows: int, schema_rows: Any) -> list[dict[str, Any]]:
    con = retail_db(rows)
    schema = schema_of(con)
    policy = default_policy("alice")
    out = []
    for name, sql in QUERIES.items():
        e = enforce(sql, schema=schema, tags=TAGS, user="mallory", policy=policy)
        if e.blocked or not e.rewritten:
            continue
        plain, masked = [], []
        for _ in range(5):
            for target, samples in ((sql, plain), (e.sql, masked)):
                t0 = time.perf_counter()
                con.execute(target).to_arrow_table()
                samples.append(time.perf_counter() - t0)
        out.append(
            {
                "query": name,
                "plain_ms": min(plain) * 1e3,
                "masked_ms": min(masked) * 1e3,
                "ratio": min(masked) / min(plain),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    print(provenance())
    print("result cache: not used (enforce() and plain DuckDB, no session)")
    con = retail_db(10)
    schema = schema_of(con)
    rewrite = rewrite_times(args.rounds, "default", default_policy("alice"), schema)
    example = parse_policy(
        EXAMPLE_POLICY.replace("mode: enforce", "mode: remediate"), owner="alice"
    )
    rewrite += rewrite_times(args.rounds, "example (remediate)", example, schema)
    clear_plan_cache()
    engine = duckdb_times(args.rows, schema)

    print(f"sqlglot {sqlglot.__version__}; rewrite times, median of {args.rounds} (ms)")
    print(
        f"{'policy':20} {'query':24} {'parse':>6} {'cold':>6} {'warm':>6} {'tree':>6} {'cached':>7} {'cold/parse':>10} {'warm/parse':>10}"
    )
    for r in rewrite:
        print(
            f"{r['policy']:20} {r['query']:24} {r['parse_ms']:6.2f} {r['cold_ms']:6.2f} "
            f"{r['warm_ms']:6.2f} {r['tree_ms']:6.2f} {r['cached_ms']:7.3f} "
            f"{r['cold_over_parse']:10.1f} {r['warm_over_parse']:10.1f}"
        )
    print(f"\nDuckDB over {args.rows} customers (x3 orders), best of 5 (ms)")
    print(f"{'query':24} {'as written':>10} {'masked':>8} {'ratio':>6}")
    for r in engine:
        print(f"{r['query']:24} {r['plain_ms']:10.1f} {r['masked_ms']:8.1f} {r['ratio']:6.2f}")
    if args.json:
        args.json.write_text(json.dumps({"rewrite": rewrite, "duckdb": engine}, indent=2))


if __name__ == "__main__":
    main()
