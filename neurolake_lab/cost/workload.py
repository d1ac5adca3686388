"""Reference workloads to measure the cost model with: TPC-H and queries over the retail demo.

TPC-H data is generated offline by DuckDB's ``tpch`` extension (the ``duckdb-extension-tpch``
package, a test/bench dependency) and stored as Iceberg tables with ``Session.write``; its 22
queries come from the same extension, qualified with the namespace the tables were written to.
"""

from __future__ import annotations

from typing import Any, Protocol

import duckdb


class Writer(Protocol):
    """Anything that writes Arrow tables to the lakehouse (a ``Session``)."""

    def write(self, table: str, data: Any, mode: str = "append") -> Any:
        """Write ``data`` to the Iceberg table ``table``."""
        ...


TPCH_TABLES = (
    "customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier",
)  # fmt: skip


def tpch_namespace(sf: float) -> str:
    """``tpch_sf0_1`` for scale factor 0.1: where ``load_tpch`` writes that scale."""
    return "tpch_sf" + f"{sf:g}".replace(".", "_")


def load_tpch(session: Writer, sf: float, namespace: str | None = None) -> dict[str, int]:
    """Generate TPC-H at scale ``sf`` and store its eight tables as Iceberg; rows per table."""
    from neurolake_lab.engine.extensions import load_extension

    ns = namespace or tpch_namespace(sf)
    con = duckdb.connect()
    try:
        load_extension(con, "tpch")
        con.execute(f"CALL dbgen(sf={float(sf)})")
        counts = {}
        for name in TPCH_TABLES:
            table = con.execute(f"SELECT * FROM {name}").to_arrow_table()
            session.write(f"{ns}.{name}", table, mode="overwrite")
            counts[name] = table.num_rows
        return counts
    finally:
        con.close()


def tpch_queries(namespace: str) -> list[str]:
    """The 22 TPC-H queries (DuckDB's text), reading the tables in ``namespace``."""
    from neurolake_lab.engine.extensions import load_extension

    con = duckdb.connect()
    try:
        load_extension(con, "tpch")
        rows = con.execute("SELECT query FROM tpch_queries() ORDER BY query_nr").fetchall()
    finally:
        con.close()
    return [qualify_tables(q, namespace, TPCH_TABLES) for (q,) in rows]


def qualify_tables(sql: str, namespace: str, tables: tuple[str, ...]) -> str:
    """``sql`` with each bare reference to one of ``tables`` prefixed by ``namespace``.

    Only table references change (sqlglot finds them), so a column alias that happens to be a
    table name, such as TPC-H Q8's ``n_name AS nation``, stays as it is.
    """
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if not table.db and name in tables and name not in ctes:
            table.set("db", exp.to_identifier(namespace))
    return tree.sql("duckdb", pretty=True)


#: Analytical questions over the retail demo (``neurolake_lab.demo.load_retail``).
RETAIL_QUERIES = (
    "SELECT count(*) FROM retail.orders",
    "SELECT status, count(*) AS n, sum(total_amount) AS revenue FROM retail.orders GROUP BY status",
    "SELECT * FROM retail.orders WHERE order_date >= DATE '2025-01-01' AND order_date < DATE "
    "'2025-02-01'",
    "SELECT c.country, count(*) AS orders, sum(o.total_amount) AS revenue FROM retail.orders o "
    "JOIN retail.customers c ON o.customer_id = c.customer_id GROUP BY c.country ORDER BY revenue "
    "DESC",
    "SELECT p.category, sum(oi.quantity * oi.unit_price) AS sales FROM retail.order_items oi JOIN "
    "retail.products p ON oi.product_id = p.product_id GROUP BY p.category",
    "SELECT customer_id, count(*) AS n FROM retail.orders GROUP BY customer_id ORDER BY n DESC "
    "LIMIT 20",
    "SELECT date_trunc('month', order_date) AS month, sum(total_amount) FROM retail.orders GROUP "
    "BY 1 ORDER BY 1",
    "SELECT o.order_id, o.order_date, sum(oi.quantity) AS items FROM retail.orders o JOIN "
    "retail.order_items oi ON o.order_id = oi.order_id WHERE o.order_date >= DATE '2025-06-01' "
    "GROUP BY ALL",
    "SELECT * FROM retail.support_tickets WHERE priority = 'high'",
    "SELECT channel, avg(total_amount) AS avg_amount, count(DISTINCT customer_id) AS customers "
    "FROM retail.orders GROUP BY channel",
    "SELECT customer_id, order_date, total_amount, sum(total_amount) OVER (PARTITION BY "
    "customer_id ORDER BY order_date) AS running FROM retail.orders",
    "SELECT c.customer_id, c.full_name, count(t.ticket_id) AS tickets FROM retail.customers c "
    "LEFT JOIN retail.support_tickets t ON c.customer_id = t.customer_id GROUP BY ALL ORDER BY "
    "tickets DESC LIMIT 10",
    "SELECT p.product_id, p.product_name, sum(oi.quantity) AS units FROM retail.products p JOIN "
    "retail.order_items oi ON p.product_id = oi.product_id JOIN retail.orders o ON o.order_id = "
    "oi.order_id WHERE o.status = 'delivered' GROUP BY ALL ORDER BY units DESC LIMIT 25",
    "SELECT * FROM retail.customers ORDER BY signup_date DESC LIMIT 100",
    "SELECT year(order_date) AS y, count(*) FROM retail.orders GROUP BY y",
    "SELECT a.customer_id, count(*) FROM retail.orders a JOIN retail.orders b ON a.customer_id = "
    "b.customer_id AND a.order_id < b.order_id GROUP BY a.customer_id",
    "SELECT * FROM retail.order_items",
    "SELECT o.*, c.country FROM retail.orders o JOIN retail.customers c USING (customer_id) WHERE "
    "o.total_amount > 500",
)
