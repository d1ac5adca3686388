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


#: Queries built to make a cost model fail, over a TPC-H namespace (``{ns}``): cross joins,
#: missing join predicates, exploding self-joins, many-to-many joins, huge sorts and wide CTAS.
#: ``(family, split, sql)``; ``split`` is ``tune`` (looked at while improving the model) or
#: ``holdout`` (only reported, never tuned on). ``{scratch}`` is a namespace CTAS may write to.
BAD_QUERIES: tuple[tuple[str, str, str], ...] = (
    ("cross_join", "tune", "SELECT count(*) FROM {ns}.customer c, {ns}.orders o"),
    ("cross_join", "tune",
     "SELECT c.c_name, n.n_name FROM {ns}.customer c CROSS JOIN {ns}.nation n"),
    ("missing_predicate", "tune",
     "SELECT o.o_orderkey, c.c_name FROM {ns}.orders o, {ns}.customer c, {ns}.nation n "
     "WHERE c.c_nationkey = n.n_nationkey AND o.o_orderdate = DATE '1996-01-02'"),
    ("self_join", "tune",
     "SELECT count(*) FROM {ns}.lineitem a JOIN {ns}.lineitem b ON a.l_partkey = b.l_partkey"),
    ("self_join", "tune",
     "SELECT count(*) FROM {ns}.partsupp a JOIN {ns}.partsupp b ON a.ps_suppkey = b.ps_suppkey"),
    ("inequality_join", "tune",
     "SELECT count(*) FROM {ns}.orders a JOIN {ns}.orders b ON a.o_totalprice < b.o_totalprice "
     "WHERE a.o_orderdate = DATE '1995-03-01'"),
    ("huge_sort", "tune", "SELECT * FROM {ns}.lineitem ORDER BY l_comment"),
    ("wide_ctas", "tune", "CREATE TABLE {scratch}.lineitem_copy AS SELECT * FROM {ns}.lineitem"),
    ("cross_join", "holdout",
     "SELECT count(*) FROM {ns}.part p, {ns}.supplier s, {ns}.nation n"),
    ("missing_predicate", "holdout",
     "SELECT l.l_orderkey, p.p_name FROM {ns}.lineitem l, {ns}.part p "
     "WHERE l.l_shipdate = DATE '1997-06-01' AND p.p_size = 1"),
    ("self_join", "holdout",
     "SELECT a.o_orderkey, b.o_orderkey AS other FROM {ns}.orders a "
     "JOIN {ns}.orders b ON a.o_custkey = b.o_custkey"),
    ("many_to_many", "holdout",
     "SELECT count(*) FROM {ns}.partsupp ps JOIN {ns}.lineitem l ON ps.ps_partkey = l.l_partkey"),
    ("huge_sort", "holdout",
     "SELECT o_comment, o_orderkey FROM {ns}.orders ORDER BY o_comment DESC"),
    ("wide_ctas", "holdout",
     "CREATE TABLE {scratch}.orders_wide AS SELECT o.*, c.* FROM {ns}.orders o "
     "JOIN {ns}.customer c ON o.o_custkey = c.c_custkey"),
)  # fmt: skip

#: The same kinds of mistake over the retail demo (what a new user tries first); held out.
RETAIL_BAD_QUERIES: tuple[tuple[str, str, str], ...] = (
    ("cross_join", "holdout", "SELECT count(*) FROM retail.orders o, retail.customers c"),
    ("cross_join", "holdout",
     "SELECT o.order_id, p.product_name FROM retail.orders o CROSS JOIN retail.products p "
     "WHERE o.order_date >= DATE '2025-12-01'"),
    ("self_join", "holdout",
     "SELECT a.order_id, b.order_id AS other FROM retail.orders a "
     "JOIN retail.orders b ON a.customer_id = b.customer_id"),
    ("missing_predicate", "holdout",
     "SELECT c.full_name, t.ticket_id FROM retail.customers c, retail.support_tickets t "
     "WHERE t.priority = 'high'"),
    ("wide_ctas", "holdout",
     "CREATE TABLE {scratch}.items_wide AS SELECT oi.*, o.* EXCLUDE (order_id), "
     "p.* EXCLUDE (product_id, unit_price) FROM retail.order_items oi "
     "JOIN retail.orders o ON oi.order_id = o.order_id "
     "JOIN retail.products p ON oi.product_id = p.product_id"),
    ("wide_join", "holdout",
     "SELECT o.*, c.*, t.* FROM retail.orders o JOIN retail.customers c USING (customer_id) "
     "LEFT JOIN retail.support_tickets t ON t.customer_id = c.customer_id "
     "WHERE o.order_date >= DATE '2025-06-01'"),
)  # fmt: skip
