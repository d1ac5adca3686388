"""An evaluation schema with messy names: an airline operations mart (``flt``).

Written for the ``%%nl`` evaluation (``bench/nl_eval.py``), before the planner was tuned on it.
Abbreviated names with ``_cd``/``_dt``/``_ts``/``_flg``/``_min``/``_cnt`` suffixes, two columns
that both reference airports (origin and destination), coded values (carrier codes, cancellation
reason codes ``A``-``D``) explained only in comments, no declared keys. Loaded as an analyst
would: data, then ``COMMENT ON``. The data ends on :data:`DATA_END`, in the past.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa

from tests.support.klinik_data import comment_statements

NAMESPACE = "flt"
DATA_END = dt.date(2025, 3, 31)
#: (code, name, city, state, hub)
AIRPORTS = [
    ("JFK", "John F. Kennedy International", "New York", "NY", True),
    ("LGA", "LaGuardia", "New York", "NY", False),
    ("ATL", "Hartsfield-Jackson Atlanta International", "Atlanta", "GA", True),
    ("ORD", "O'Hare International", "Chicago", "IL", True),
    ("DFW", "Dallas/Fort Worth International", "Dallas", "TX", True),
    ("DEN", "Denver International", "Denver", "CO", True),
    ("LAX", "Los Angeles International", "Los Angeles", "CA", True),
    ("SFO", "San Francisco International", "San Francisco", "CA", False),
    ("SEA", "Seattle-Tacoma International", "Seattle", "WA", False),
    ("BOS", "Logan International", "Boston", "MA", False),
    ("MIA", "Miami International", "Miami", "FL", False),
    ("PHX", "Phoenix Sky Harbor International", "Phoenix", "AZ", False),
]
#: (code, name, low-cost)
CARRIERS = [("AA", "American Airlines", False), ("DL", "Delta Air Lines", False),
            ("UA", "United Airlines", False), ("WN", "Southwest Airlines", True),
            ("B6", "JetBlue Airways", True), ("AS", "Alaska Airlines", False)]  # fmt: skip
#: (manufacturer, model code, seats)
MODELS = [("Boeing", "B738", 172), ("Boeing", "B739", 189), ("Airbus", "A320", 150),
          ("Airbus", "A321", 190), ("Embraer", "E175", 76), ("Boeing", "B77W", 350)]  # fmt: skip

COMMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "arpt": (
        "Airports served.",
        {
            "arpt_cd": "IATA airport code.",
            "arpt_nm": "Airport name.",
            "city_nm": "City the airport serves.",
            "st_cd": "US state code.",
            "hub_flg": "Whether the airport is a hub.",
        },
    ),
    "carr": (
        "Airlines (marketing carriers).",
        {
            "carr_cd": "IATA airline code.",
            "carr_nm": "Airline name.",
            "lcc_flg": "Whether the airline is a low-cost carrier.",
        },
    ),
    "acft": (
        "Aircraft in the fleet, one row per airframe.",
        {
            "tail_no": "Tail number (registration) of the aircraft.",
            "carr_cd": "Airline operating the aircraft.",
            "mfr_nm": "Aircraft manufacturer.",
            "mdl_cd": "Aircraft model (ICAO type code).",
            "seat_cnt": "Number of seats.",
            "mfg_yr": "Year the aircraft was built.",
        },
    ),
    "flt_leg": (
        "Flight legs: one row per scheduled departure of one flight.",
        {
            "leg_id": "Flight leg identifier.",
            "flt_dt": "Scheduled date of the flight.",
            "flt_no": "Flight number, e.g. DL1204.",
            "carr_cd": "Airline operating the flight.",
            "tail_no": "Aircraft that flew the leg.",
            "orig_arpt_cd": "Origin airport (where the flight departs from).",
            "dest_arpt_cd": "Destination airport (where the flight arrives).",
            "sched_dep_ts": "Scheduled departure date and time.",
            "act_dep_ts": "Actual departure date and time; NULL when the flight was cancelled.",
            "dep_delay_min": "Departure delay in minutes (negative when early).",
            "arr_delay_min": "Arrival delay in minutes (negative when early).",
            "dist_mi": "Distance flown in miles.",
            "pax_cnt": "Passengers on board.",
            "cncl_flg": "Whether the flight was cancelled.",
            "cncl_rsn_cd": "Cancellation reason: A = carrier, B = weather, C = national air "
            "system, D = security.",
            "div_flg": "Whether the flight was diverted to another airport.",
        },
    ),
}


def generate(seed: int = 5) -> dict[str, pa.Table]:
    """The four tables, deterministic for ``seed``."""
    rng = np.random.default_rng(seed)
    arpt = pa.table({
        "arpt_cd": [a[0] for a in AIRPORTS], "arpt_nm": [a[1] for a in AIRPORTS],
        "city_nm": [a[2] for a in AIRPORTS], "st_cd": [a[3] for a in AIRPORTS],
        "hub_flg": pa.array([a[4] for a in AIRPORTS]),
    })  # fmt: skip
    carr = pa.table({
        "carr_cd": [c[0] for c in CARRIERS], "carr_nm": [c[1] for c in CARRIERS],
        "lcc_flg": pa.array([c[2] for c in CARRIERS]),
    })  # fmt: skip
    n_ac = 120
    ac_carr = rng.integers(0, len(CARRIERS), n_ac)
    ac_model = rng.integers(0, len(MODELS), n_ac)
    tails = [f"N{rng.integers(100, 999)}{chr(65 + i % 26)}{chr(65 + (i // 26) % 26)}"
             for i in range(n_ac)]  # fmt: skip
    acft = pa.table({
        "tail_no": tails,
        "carr_cd": [CARRIERS[c][0] for c in ac_carr],
        "mfr_nm": [MODELS[m][0] for m in ac_model],
        "mdl_cd": [MODELS[m][1] for m in ac_model],
        "seat_cnt": pa.array([MODELS[m][2] for m in ac_model], pa.int32()),
        "mfg_yr": pa.array(rng.integers(1998, 2024, n_ac), pa.int32()),
    })  # fmt: skip
    n = 24000
    plane = rng.integers(0, n_ac, n)
    orig = rng.integers(0, len(AIRPORTS), n)
    dest = (orig + rng.integers(1, len(AIRPORTS), n)) % len(AIRPORTS)
    days = rng.integers(0, 365, n)
    flt_dt = np.datetime64(DATA_END) - days.astype("timedelta64[D]")
    dep_minute = rng.integers(6 * 60, 22 * 60, n)
    sched = flt_dt.astype("datetime64[m]") + dep_minute.astype("timedelta64[m]")
    cancelled = rng.random(n) < 0.02
    reason = rng.choice(["A", "B", "C", "D"], n, p=[0.45, 0.35, 0.17, 0.03])
    delay = np.round(rng.gamma(1.2, 18.0, n) - 12).astype(int)
    arr_delay = delay + rng.integers(-15, 16, n)
    actual = sched + delay.astype("timedelta64[m]")
    dist = np.round(rng.uniform(200, 2600, n)).astype(int)
    seats = np.array([MODELS[ac_model[p]][2] for p in plane])
    pax = np.round(seats * rng.uniform(0.55, 1.0, n)).astype(int)
    flt_leg = pa.table({
        "leg_id": pa.array(range(1, n + 1), pa.int64()),
        "flt_dt": pa.array(flt_dt.astype(object), pa.date32()),
        "flt_no": [f"{CARRIERS[ac_carr[p]][0]}{rng.integers(100, 2999)}" for p in plane],
        "carr_cd": [CARRIERS[ac_carr[p]][0] for p in plane],
        "tail_no": [tails[p] for p in plane],
        "orig_arpt_cd": [AIRPORTS[o][0] for o in orig],
        "dest_arpt_cd": [AIRPORTS[d][0] for d in dest],
        "sched_dep_ts": pa.array(sched.astype("datetime64[us]"), pa.timestamp("us")),
        "act_dep_ts": pa.array(np.where(cancelled, np.datetime64("NaT"), actual)
                               .astype("datetime64[us]"), pa.timestamp("us")),
        "dep_delay_min": pa.array(np.where(cancelled, None, delay).tolist(), pa.int32()),
        "arr_delay_min": pa.array(np.where(cancelled, None, arr_delay).tolist(), pa.int32()),
        "dist_mi": pa.array(dist, pa.int32()),
        "pax_cnt": pa.array(np.where(cancelled, 0, pax), pa.int32()),
        "cncl_flg": pa.array(cancelled),
        "cncl_rsn_cd": pa.array(np.where(cancelled, reason, None).tolist(), pa.string()),
        "div_flg": pa.array(~cancelled & (rng.random(n) < 0.004)),
    })  # fmt: skip
    return {"arpt": arpt, "carr": carr, "acft": acft, "flt_leg": flt_leg}


def load_flights(session: Any, seed: int = 5) -> None:
    """Write the tables, then comment them with SQL, as an analyst would (no keys declared)."""
    for name, data in generate(seed).items():
        session.write(f"{NAMESPACE}.{name}", data, mode="overwrite")
    for statement in comment_statements(NAMESPACE, COMMENTS):
        session.sql(statement)
