"""A third schema, written after the planner: a small logistics namespace with no semantic
definitions at all, so everything the planner knows comes from names, docs and keys."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pyarrow as pa

NAMESPACE = "logistics"
CARRIERS = [("DHL", "road"), ("UPS", "air"), ("FedEx", "air"), ("PostNL", "road"),
            ("Maersk", "sea"), ("DPD", "road")]  # fmt: skip
WAREHOUSES = [("AMS1", "Amsterdam", 12000), ("RTM2", "Rotterdam", 30000), ("BER1", "Berlin", 9000),
              ("MAD1", "Madrid", 7000), ("LYS1", "Lyon", 5000)]  # fmt: skip
COUNTRIES = ["Germany", "France", "Netherlands", "Spain", "Italy", "Poland", "Belgium"]


def generate(seed: int = 3, today: dt.date | None = None) -> dict[str, dict[str, Any]]:
    rng = np.random.default_rng(seed)
    today = today or dt.datetime.now(dt.UTC).date()
    t0 = np.datetime64(f"{today.isoformat()}T00:00:00")
    carriers = pa.table({
        "carrier_id": pa.array(range(1, len(CARRIERS) + 1), pa.int64()),
        "carrier_name": [c[0] for c in CARRIERS],
        "mode": [c[1] for c in CARRIERS],
    })  # fmt: skip
    warehouses = pa.table({
        "warehouse_id": pa.array(range(1, len(WAREHOUSES) + 2), pa.int64()),
        "warehouse_code": [w[0] for w in WAREHOUSES] + ["VLC9"],
        "city": [w[1] for w in WAREHOUSES] + ["Valencia"],
        "capacity_pallets": pa.array([w[2] for w in WAREHOUSES] + [2000], pa.int32()),
        "opened_on": pa.array([dt.date(2015 + i, 3, 1) for i in range(len(WAREHOUSES) + 1)]),
    })  # fmt: skip
    n = 4000
    shipped = t0 - rng.integers(0, 400 * 86400, n) * np.timedelta64(1, "s")
    hours = rng.gamma(3.0, 12.0, n)
    delivered = shipped + (hours * 3600).astype("int64") * np.timedelta64(1, "s")
    in_transit = delivered > t0
    delivered = np.where(in_transit | (rng.random(n) < 0.03), np.datetime64("NaT"), delivered)
    shipments = pa.table({
        "shipment_id": pa.array(range(1, n + 1), pa.int64()),
        "warehouse_id": pa.array(rng.integers(1, len(WAREHOUSES) + 1, n), pa.int64()),
        "carrier_id": pa.array(rng.integers(1, len(CARRIERS) + 1, n), pa.int64()),
        "shipped_at": pa.array(shipped, pa.timestamp("us")),
        "delivered_at": pa.array(delivered, pa.timestamp("us")),
        "weight_kg": pa.array(np.round(rng.gamma(2.0, 120.0, n), 1)).cast(pa.decimal128(9, 1)),
        "cost_eur": pa.array(np.round(rng.gamma(2.0, 40.0, n), 2)).cast(pa.decimal128(10, 2)),
        "destination_country": rng.choice(COUNTRIES, n).tolist(),
        "is_express": pa.array(rng.random(n) < 0.2),
    })  # fmt: skip

    def none_pii(table: pa.Table) -> str:
        tags = {c: {"entity": None, "entities": [], "score": 0.9, "category": None,
                    "free_text": False, "source": "detected"} for c in table.column_names}  # fmt: skip
        return json.dumps(tags)

    fk = lambda c, ref: {"columns": [c], "references": f"{NAMESPACE}.{ref}", "ref_columns": [c]}  # noqa: E731
    return {
        "carriers": {
            "data": carriers,
            "description": "Carriers that transport our shipments.",
            "docs": {"carrier_id": "Carrier identifier (primary key).",
                     "carrier_name": "Name of the carrier company.",
                     "mode": "Transport mode of the carrier: road, air or sea."},
            "properties": {"neurolake.primary_key": "carrier_id", "neurolake.pii": none_pii(carriers)},
        },
        "warehouses": {
            "data": warehouses,
            "description": "Warehouses shipments leave from.",
            "docs": {"warehouse_id": "Warehouse identifier (primary key).",
                     "warehouse_code": "Short code of the warehouse, e.g. AMS1.",
                     "city": "City the warehouse is in.",
                     "capacity_pallets": "How many pallets the warehouse can hold.",
                     "opened_on": "Date the warehouse opened."},
            "properties": {"neurolake.primary_key": "warehouse_id",
                           "neurolake.pii": none_pii(warehouses)},
        },
        "shipments": {
            "data": shipments,
            "description": "One row per shipment: where from, which carrier, when, weight, cost.",
            "docs": {"shipment_id": "Shipment identifier (primary key).",
                     "warehouse_id": "Warehouse the shipment left from (references warehouses).",
                     "carrier_id": "Carrier transporting the shipment (references carriers).",
                     "shipped_at": "Date and time the shipment left the warehouse.",
                     "delivered_at": "Date and time the shipment was delivered; NULL while the "
                                     "shipment is in transit.",
                     "weight_kg": "Gross weight of the shipment in kilograms.",
                     "cost_eur": "Shipping cost charged by the carrier, in EUR.",
                     "destination_country": "Country the shipment goes to.",
                     "is_express": "Whether the shipment was sent express."},
            "properties": {"neurolake.primary_key": "shipment_id",
                           "neurolake.foreign_keys": json.dumps([fk("warehouse_id", "warehouses"),
                                                                 fk("carrier_id", "carriers")]),
                           "neurolake.pii": none_pii(shipments)},
        },
    }  # fmt: skip


def load_logistics(session: Any, seed: int = 3) -> None:
    for name, spec in generate(seed).items():
        session.write(f"{NAMESPACE}.{name}", spec["data"], mode="overwrite", docs=spec["docs"],
                      description=spec["description"], properties=spec["properties"])  # fmt: skip
