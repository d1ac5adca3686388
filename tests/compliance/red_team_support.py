"""The retail demo as the red team of issue 17 attacks it: an owner, an analyst, clear values.

The demo (``load_retail``) is loaded once per test module into its own workspace, with a policy
(masks, a row filter) and a ``notebooks`` folder: kernels started by ``neurolake lab`` work there.
The clear values are what the red team is after; a test asserts none of them reaches the analyst.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import neurolake_lab

#: The PII columns of the demo's customers.
PII = ("full_name", "email", "phone", "street_address", "credit_card_number", "last_login_ip")


@contextmanager
def retail_demo(root: Path, policy: str) -> Iterator[dict[str, Any]]:
    """The demo under ``root``: ``{"ws", "owner", "clear"}`` (clear: the customers' rows)."""
    from neurolake_lab.demo import load_retail

    ws = root / "workspace"
    owner = neurolake_lab.connect(ws)
    load_retail(owner, scale=0.05, seed=42)
    (ws / "policies.yaml").write_text(policy)
    (ws / "notebooks").mkdir()
    clear = owner.sql("SELECT * FROM retail.customers ORDER BY customer_id").arrow().to_pylist()
    try:
        yield {"ws": ws, "owner": owner, "clear": clear}
    finally:
        owner.close()


def clear_values(demo: dict[str, Any]) -> set[str]:
    """Every clear PII value of the demo's customers, as text."""
    return {str(row[c]) for row in demo["clear"] for c in PII if row[c] is not None}


def assert_no_clear_value(text: str, demo: dict[str, Any]) -> None:
    """``text`` holds none of the clear values."""
    leaked = [v for v in clear_values(demo) if v in text]
    assert not leaked, f"clear values leaked: {leaked[:3]}"
