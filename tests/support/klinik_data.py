"""An evaluation schema with messy names: a hospital's admissions, named in German abbreviations.

Written for the ``%%nl`` evaluation (``bench/nl_eval.py``), before the planner was tuned on it.
Names are German and abbreviated with ``_dt``/``_ts``/``_cd``/``_flg``/``_amt`` suffixes;
categorical values are codes (``F``/``M``/``D``, ``N``/``E``/``V``, ICD-10 codes) explained only
in the column comments. The tables are loaded the way an analyst would: data, then ``COMMENT ON``
statements, and no declared keys. Deterministic for a seed; the data ends on :data:`DATA_END`,
in the past, so "last month" must be read against the data, not today.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa

NAMESPACE = "klinik"
DATA_END = dt.date(2025, 6, 30)
#: (code, name, beds, site)
ABTEILUNGEN = [
    ("KAR", "Kardiologie", 60, "Nord"), ("CHI", "Chirurgie", 90, "Nord"),
    ("NEU", "Neurologie", 40, "Sued"), ("ONK", "Onkologie", 45, "Sued"),
    ("PAE", "Paediatrie", 35, "Nord"), ("INN", "Innere Medizin", 110, "Sued"),
    ("ORT", "Orthopaedie", 50, "Nord"),
]  # fmt: skip
#: (ICD-10 code, text, chapter, department it is usually treated in)
DIAGNOSEN = [
    ("I21.9", "Acute myocardial infarction", "IX", "KAR"),
    ("I50.9", "Heart failure", "IX", "KAR"),
    ("I48.0", "Atrial fibrillation", "IX", "KAR"),
    ("K35.8", "Acute appendicitis", "XI", "CHI"),
    ("K80.2", "Gallstones", "XI", "CHI"),
    ("S72.0", "Fracture of femoral neck", "XIX", "ORT"),
    ("M17.1", "Knee arthrosis", "XIII", "ORT"),
    ("I63.9", "Cerebral infarction (stroke)", "IX", "NEU"),
    ("G40.9", "Epilepsy", "VI", "NEU"),
    ("C34.9", "Lung cancer", "II", "ONK"),
    ("C50.9", "Breast cancer", "II", "ONK"),
    ("J18.9", "Pneumonia", "X", "INN"),
    ("E11.9", "Type 2 diabetes", "IV", "INN"),
    ("J06.9", "Upper respiratory infection", "X", "PAE"),
    ("A09.9", "Gastroenteritis", "I", "PAE"),
]
OPS = [("8-930", 120.0), ("3-200", 85.0), ("1-632", 310.0), ("5-470", 2400.0),
       ("5-820", 7800.0), ("8-800", 450.0), ("9-401", 60.0), ("5-511", 3100.0)]  # fmt: skip
VORNAMEN = ["Anna", "Lukas", "Mia", "Jonas", "Lea", "Felix", "Emma", "Paul", "Sofia", "Ben",
            "Hannah", "Elias", "Emilia", "Noah", "Marie", "Leon"]  # fmt: skip
NACHNAMEN = ["Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
             "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf"]  # fmt: skip

COMMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "patient": (
        "Patients registered at the hospital, one row per patient.",
        {
            "pat_id": "Patient number.",
            "pat_nm": "Full name of the patient.",
            "geb_dt": "Date of birth of the patient.",
            "geschl_cd": "Sex of the patient: F = female, M = male, D = diverse.",
            "plz": "Postal code of the patient's home address.",
            "kv_typ_cd": "Health insurance type: GKV = statutory insurance, PKV = private "
            "insurance.",
            "reg_dt": "Date the patient was first registered.",
        },
    ),
    "abteilung": (
        "Hospital departments (wards).",
        {
            "abt_cd": "Department code.",
            "abt_bez": "Name of the department.",
            "betten_anz": "Number of beds in the department.",
            "standort_nm": "Site (campus) the department is on: Nord or Sued.",
        },
    ),
    "fall": (
        "Inpatient cases: one row per hospital stay (admission to discharge).",
        {
            "fall_id": "Case number.",
            "pat_id": "Patient admitted.",
            "abt_cd": "Department that treated the case.",
            "aufn_ts": "Date and time the patient was admitted.",
            "entl_ts": "Date and time the patient was discharged; NULL while the patient is "
            "still in hospital.",
            "aufn_art_cd": "Admission type: N = emergency, E = elective (planned), V = transfer "
            "from another hospital.",
            "icd_cd": "Main diagnosis of the stay (ICD-10 code).",
            "total_chg_amt": "Total charges billed for the stay, in EUR.",
            "verst_flg": "Whether the patient died during the stay.",
            "wdh_aufn_flg": "Whether the stay is a readmission within 30 days of an earlier "
            "discharge.",
        },
    ),
    "diagnose": (
        "ICD-10 diagnosis catalogue.",
        {
            "icd_cd": "ICD-10 code.",
            "icd_txt": "Description of the diagnosis.",
            "kap_nr": "ICD-10 chapter (Roman numeral).",
        },
    ),
    "leistung": (
        "Procedures and services performed during a stay, one row per procedure.",
        {
            "leist_id": "Procedure record number.",
            "fall_id": "Case (stay) the procedure belongs to.",
            "ops_cd": "OPS procedure code.",
            "leist_dt": "Date the procedure was performed.",
            "menge": "Quantity performed.",
            "betrag_eur": "Amount billed for the procedure, in EUR.",
        },
    ),
}


def generate(seed: int = 11) -> dict[str, pa.Table]:
    """The five tables, deterministic for ``seed``."""
    rng = np.random.default_rng(seed)
    end = np.datetime64(f"{DATA_END.isoformat()}T23:00:00")
    n_pat = 2500
    birth = np.datetime64("1935-01-01") + rng.integers(0, 88 * 365, n_pat).astype("timedelta64[D]")
    reg = np.datetime64("2018-01-01") + rng.integers(0, 7 * 365, n_pat).astype("timedelta64[D]")
    patient = pa.table({
        "pat_id": pa.array(range(100001, 100001 + n_pat), pa.int64()),
        "pat_nm": [f"{rng.choice(VORNAMEN)} {rng.choice(NACHNAMEN)}" for _ in range(n_pat)],
        "geb_dt": pa.array(birth.astype("datetime64[D]").astype(object), pa.date32()),
        "geschl_cd": rng.choice(["F", "M", "D"], n_pat, p=[0.51, 0.48, 0.01]).tolist(),
        "plz": [f"{rng.integers(10000, 99999)}" for _ in range(n_pat)],
        "kv_typ_cd": rng.choice(["GKV", "PKV"], n_pat, p=[0.86, 0.14]).tolist(),
        "reg_dt": pa.array(np.minimum(reg, np.datetime64(DATA_END)).astype(object), pa.date32()),
    })  # fmt: skip
    abteilung = pa.table({
        "abt_cd": [a[0] for a in ABTEILUNGEN],
        "abt_bez": [a[1] for a in ABTEILUNGEN],
        "betten_anz": pa.array([a[2] for a in ABTEILUNGEN], pa.int32()),
        "standort_nm": [a[3] for a in ABTEILUNGEN],
    })  # fmt: skip
    diagnose = pa.table({
        "icd_cd": [d[0] for d in DIAGNOSEN],
        "icd_txt": [d[1] for d in DIAGNOSEN],
        "kap_nr": [d[2] for d in DIAGNOSEN],
    })  # fmt: skip
    n = 9000
    diag = rng.integers(0, len(DIAGNOSEN), n)
    dept = np.array([DIAGNOSEN[d][3] for d in diag])
    other = rng.random(n) < 0.1  # some cases are treated elsewhere (internal medicine)
    dept = np.where(other, "INN", dept)
    admitted = end - rng.integers(0, 2 * 365 * 24 * 60, n) * np.timedelta64(1, "m")
    stay_hours = np.round(rng.gamma(2.0, 60.0, n) + 4)
    discharged = admitted + (stay_hours * 60).astype("int64") * np.timedelta64(1, "m")
    open_ = (discharged > end) | (rng.random(n) < 0.01)
    pats = rng.integers(100001, 100001 + n_pat, n)
    art = rng.choice(["N", "E", "V"], n, p=[0.45, 0.45, 0.10])
    charges = np.round(rng.gamma(2.0, 2500.0, n) * np.where(art == "N", 1.3, 1.0), 2)
    fall = pa.table({
        "fall_id": pa.array(range(5000001, 5000001 + n), pa.int64()),
        "pat_id": pa.array(pats, pa.int64()),
        "abt_cd": dept.tolist(),
        "aufn_ts": pa.array(admitted.astype("datetime64[us]"), pa.timestamp("us")),
        "entl_ts": pa.array(np.where(open_, np.datetime64("NaT"), discharged)
                            .astype("datetime64[us]"), pa.timestamp("us")),
        "aufn_art_cd": art.tolist(),
        "icd_cd": [DIAGNOSEN[d][0] for d in diag],
        "total_chg_amt": pa.array(charges).cast(pa.decimal128(12, 2)),
        "verst_flg": pa.array((rng.random(n) < 0.025) & ~open_),
        "wdh_aufn_flg": pa.array(rng.random(n) < 0.08),
    })  # fmt: skip
    m = 20000
    cases = rng.integers(0, n, m)
    ops = rng.integers(0, len(OPS), m)
    when = admitted[cases] + (rng.random(m) * stay_hours[cases] * 3600).astype("int64") * (
        np.timedelta64(1, "s")
    )
    qty = rng.integers(1, 4, m)
    leistung = pa.table({
        "leist_id": pa.array(range(1, m + 1), pa.int64()),
        "fall_id": pa.array(cases + 5000001, pa.int64()),
        "ops_cd": [OPS[o][0] for o in ops],
        "leist_dt": pa.array(np.minimum(when, end).astype("datetime64[D]").astype(object),
                             pa.date32()),
        "menge": pa.array(qty, pa.int32()),
        "betrag_eur": pa.array(np.round([OPS[o][1] * q for o, q in zip(ops, qty, strict=True)],
                                        2)).cast(pa.decimal128(12, 2)),
    })  # fmt: skip
    return {"patient": patient, "abteilung": abteilung, "fall": fall, "diagnose": diagnose,
            "leistung": leistung}  # fmt: skip


def comment_statements(
    namespace: str, comments: dict[str, tuple[str, dict[str, str]]]
) -> list[str]:
    """``COMMENT ON TABLE`` / ``COMMENT ON COLUMN`` statements for every table and column."""

    def q(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    out = []
    for table, (doc, cols) in comments.items():
        out.append(f"COMMENT ON TABLE {namespace}.{table} IS {q(doc)}")
        out += [f"COMMENT ON COLUMN {namespace}.{table}.{c} IS {q(d)}" for c, d in cols.items()]
    return out


def load_klinik(session: Any, seed: int = 11) -> None:
    """Write the tables, then comment them with SQL, as an analyst would (no keys declared)."""
    for name, data in generate(seed).items():
        session.write(f"{NAMESPACE}.{name}", data, mode="overwrite")
    for statement in comment_statements(NAMESPACE, COMMENTS):
        session.sql(statement)
