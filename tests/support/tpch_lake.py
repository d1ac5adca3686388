"""TPC-H as Iceberg tables for comparing engines, with Daft-friendly money columns.

dbgen (DuckDB's ``tpch`` extension, a PyPI package) generates the data; money and quantity
columns are written as DOUBLE instead of DECIMAL(15,2), because Daft 0.7 cannot plan arithmetic
on DECIMAL products (``l_extendedprice * (1 - l_discount)``): on DECIMAL tables those queries are
refused by the Daft engine with Daft's own reason. The 22 queries are DuckDB's ``tpch_queries()``.
"""

from __future__ import annotations

import math

import duckdb

from neurolake_lab.engine.extensions import load_extension
from neurolake_lab.session import Session

TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")


def load_tpch(session: Session, scale: float, namespace: str = "tpch") -> dict[int, str]:
    """Write the eight tables to ``namespace``; returns the 22 queries over them."""
    con = duckdb.connect()
    load_extension(con, "tpch")
    con.execute(f"CALL dbgen(sf={scale})")
    for name in TABLES:
        cols = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?", [name]
        ).fetchall()
        select = ", ".join(
            f"CAST({c} AS DOUBLE) AS {c}" if t.startswith("DECIMAL") else c for c, t in cols
        )
        session.write(
            f"{namespace}.{name}", con.execute(f"SELECT {select} FROM {name}").to_arrow_table()
        )
    queries = dict(con.execute("SELECT query_nr, query FROM tpch_queries()").fetchall())
    con.close()
    return {int(n): _qualified(q, namespace) for n, q in queries.items()}


def _qualified(query: str, namespace: str) -> str:
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(query, read="duckdb")
    for table in tree.find_all(exp.Table):
        if table.name in TABLES and not table.db:
            table.set("db", exp.to_identifier(namespace))
    return tree.sql(dialect="duckdb")


def rows(table) -> list[tuple]:
    """Rows as tuples, DECIMAL as float (two engines may differ in numeric types)."""
    return [
        tuple(float(v) if type(v).__name__ == "Decimal" else v for v in row.values())
        for row in table.to_pylist()
    ]


def same_rows(got: list[tuple], expected: list[tuple]) -> bool:
    """Equal rows, floats equal to 1e-9 relative (two engines sum in different orders)."""
    if len(got) != len(expected):
        return False
    for a, b in zip(got, expected, strict=True):
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            if isinstance(x, float) or isinstance(y, float):
                if x is None or y is None or not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                    return False
            elif x != y:
                return False
    return True
