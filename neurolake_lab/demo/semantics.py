"""The retail demo's business vocabulary, as semantic definitions the planner reads.

These are the conventions of ``demo-retail.md`` written down as data (``neurolake.semantics`` on
``retail.orders``): "revenue", "sales" and "spent" are order totals without cancelled and returned
orders, and per product or category (where an order's total cannot be split) the items' price
after discount, with the same exclusions. "Active" and "churned" customers need no definition
here: the planner reads them from the ``churned_at`` column's doc ("NULL while the customer is
active").
"""

from __future__ import annotations

import json
from typing import Any

_EXCLUDED = "status NOT IN ('cancelled', 'returned')"

RETAIL_SEMANTICS: dict[str, Any] = {
    "metrics": [
        {
            "name": "revenue",
            "synonyms": ["sales", "turnover", "spent", "spend", "spending", "earned", "income"],
            "description": "Money taken: order totals, excluding cancelled and returned orders.",
            "definitions": [
                {"table": "orders", "expression": "sum(total_amount)", "filter": _EXCLUDED},
                {
                    "table": "order_items",
                    "expression": "sum(quantity * unit_price * (1 - discount))",
                    "filter": f"orders.{_EXCLUDED}",
                },
            ],
        }
    ]
}

#: Which demo table carries the definitions.
HOME_TABLE = "orders"


def semantics_property(table_name: str) -> dict[str, str]:
    """The ``neurolake.semantics`` property for a demo table ({} for tables without one)."""
    if table_name != HOME_TABLE:
        return {}
    return {"neurolake.semantics": json.dumps(RETAIL_SEMANTICS)}
