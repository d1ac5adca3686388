"""TPC-H as an analyst loads it, for the ``%%nl`` evaluation: dbgen's tables plus ``COMMENT ON``.

Generated offline by DuckDB's ``tpch`` extension (a PyPI package, loaded by path), written as
Iceberg tables in the namespace ``tpch``, then described with ``COMMENT ON`` statements taken
from the TPC-H specification's column definitions. No keys are declared: prefixed names
(``c_custkey``/``o_custkey``) and coded values (``o_orderstatus`` ``F``/``O``/``P``,
``o_orderpriority`` ``1-URGENT``, ``p_brand`` ``Brand#13``) are what an analyst's schema looks
like. The data ends in 1998.
"""

from __future__ import annotations

from typing import Any

from tests.support.klinik_data import comment_statements

NAMESPACE = "tpch"
SCALE = 0.01

COMMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "region": (
        "Regions of the world.",
        {"r_regionkey": "Region key.", "r_name": "Region name.", "r_comment": "Free text."},
    ),
    "nation": (
        "Nations (countries), each in one region.",
        {
            "n_nationkey": "Nation key.",
            "n_name": "Nation name.",
            "n_regionkey": "Region the nation belongs to.",
            "n_comment": "Free text.",
        },
    ),
    "customer": (
        "Customers.",
        {
            "c_custkey": "Customer key.",
            "c_name": "Customer name.",
            "c_address": "Customer address.",
            "c_nationkey": "Nation of the customer.",
            "c_phone": "Customer phone number.",
            "c_acctbal": "Customer account balance.",
            "c_mktsegment": "Market segment of the customer.",
            "c_comment": "Free text.",
        },
    ),
    "supplier": (
        "Suppliers of parts.",
        {
            "s_suppkey": "Supplier key.",
            "s_name": "Supplier name.",
            "s_address": "Supplier address.",
            "s_nationkey": "Nation of the supplier.",
            "s_phone": "Supplier phone number.",
            "s_acctbal": "Supplier account balance.",
            "s_comment": "Free text.",
        },
    ),
    "part": (
        "Parts (products) that can be ordered.",
        {
            "p_partkey": "Part key.",
            "p_name": "Part name.",
            "p_mfgr": "Manufacturer of the part.",
            "p_brand": "Brand of the part.",
            "p_type": "Type of the part.",
            "p_size": "Size of the part.",
            "p_container": "Container the part is shipped in.",
            "p_retailprice": "Retail price of the part.",
            "p_comment": "Free text.",
        },
    ),
    "partsupp": (
        "Which supplier supplies which part, at what cost and with how much stock.",
        {
            "ps_partkey": "Part supplied.",
            "ps_suppkey": "Supplier supplying it.",
            "ps_availqty": "Quantity available from the supplier.",
            "ps_supplycost": "Cost of the part from this supplier.",
            "ps_comment": "Free text.",
        },
    ),
    "orders": (
        "Customer orders.",
        {
            "o_orderkey": "Order key.",
            "o_custkey": "Customer who placed the order.",
            "o_orderstatus": "Order status: F = fulfilled (all lines shipped), O = open (no line "
            "shipped), P = partially shipped.",
            "o_totalprice": "Total price of the order.",
            "o_orderdate": "Date the order was placed.",
            "o_orderpriority": "Order priority, from 1-URGENT to 5-LOW.",
            "o_clerk": "Clerk who handled the order.",
            "o_shippriority": "Shipping priority.",
            "o_comment": "Free text.",
        },
    ),
    "lineitem": (
        "Order lines: one row per part ordered in an order.",
        {
            "l_orderkey": "Order the line belongs to.",
            "l_partkey": "Part ordered.",
            "l_suppkey": "Supplier the part comes from.",
            "l_linenumber": "Line number within the order.",
            "l_quantity": "Quantity ordered.",
            "l_extendedprice": "Extended price of the line (quantity times the part's price).",
            "l_discount": "Discount on the line, as a fraction (0.05 = 5%).",
            "l_tax": "Tax on the line, as a fraction.",
            "l_returnflag": "Return flag: R = returned, A = accepted, N = not yet known.",
            "l_linestatus": "Line status: O = open, F = fulfilled.",
            "l_shipdate": "Date the line was shipped.",
            "l_commitdate": "Date the line was committed to ship by.",
            "l_receiptdate": "Date the customer received the line.",
            "l_shipinstruct": "Shipping instructions.",
            "l_shipmode": "Shipping mode: TRUCK, MAIL, SHIP, AIR, REG AIR, RAIL or FOB.",
            "l_comment": "Free text.",
        },
    ),
}


def load_tpch_commented(session: Any, sf: float = SCALE) -> None:
    """Generate TPC-H at ``sf``, store it as Iceberg tables and describe it with COMMENT ON."""
    from neurolake_lab.cost.workload import load_tpch

    load_tpch(session, sf, NAMESPACE)
    for statement in comment_statements(NAMESPACE, COMMENTS):
        session.sql(statement)
