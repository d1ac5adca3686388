"""A second schema for the planner's tests: a small HR namespace the planner has never seen.

Four tables with their own descriptions, keys, PII tags (``neurolake.pii``) and a workspace
``semantics.yaml`` ("headcount", "payroll"). Deterministic for a seed; dates relative to today.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

NAMESPACE = "hr"
DEPARTMENTS = [
    ("Engineering", "EMEA", 4_500_000), ("Sales", "Americas", 2_800_000),
    ("Marketing", "EMEA", 1_200_000), ("Finance", "Americas", 900_000),
    ("Support", "APAC", 1_100_000), ("Legal", "EMEA", 700_000),
    ("Operations", "APAC", 1_600_000), ("Research", "Americas", 3_100_000),
    ("Procurement", "APAC", 500_000),
]  # fmt: skip
LEVELS = ["junior", "mid", "senior", "lead", "director"]
LEAVE_TYPES = ["vacation", "sick", "parental", "unpaid"]
STATUSES = ["approved", "pending", "rejected"]
COURSES = ["Security", "Leadership", "Python", "Compliance", "First Aid"]
FIRST = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kemal", "Lea"]
LAST = ["Novak", "Okafor", "Park", "Quinn", "Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Weber"]

SEMANTICS_YAML = """\
metrics:
  - name: headcount
    synonyms: [staff count, head count]
    description: Employees currently employed.
    definitions:
      - table: hr.employees
        expression: count(*)
        filter: left_on IS NULL
  - name: payroll
    synonyms: [salary cost, salary costs, wage bill]
    description: Yearly base salaries of current employees.
    definitions:
      - table: hr.employees
        expression: sum(base_salary)
        filter: left_on IS NULL
"""


def _tag(entity: str | None) -> dict[str, Any]:
    category = None if entity is None else ("quasi-identifier" if entity == "DATE_OF_BIRTH"
                                            else "identifier")  # fmt: skip
    return {"entity": entity, "entities": [entity] if entity else [], "score": 0.9,
            "category": category, "free_text": False, "source": "detected"}  # fmt: skip


def generate(seed: int = 1, today: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """The four tables: ``{name: {"data", "docs", "description", "properties"}}``."""
    rng = np.random.default_rng(seed)
    today = today or dt.datetime.now(dt.UTC).date()
    day = np.timedelta64(1, "D")
    t0 = np.datetime64(today)

    departments = pa.table({
        "department_id": pa.array(range(1, len(DEPARTMENTS) + 1), pa.int64()),
        "department_name": [d[0] for d in DEPARTMENTS],
        "region": [d[1] for d in DEPARTMENTS],
        "annual_budget": pa.array([float(d[2]) for d in DEPARTMENTS]).cast(pa.decimal128(12, 2)),
    })  # fmt: skip

    n_emp = 600
    hire = t0 - rng.integers(1, 8 * 365, n_emp) * day
    tenure = (t0 - hire) // day
    left_offset = (rng.random(n_emp) * tenure).astype(int)
    left = np.where(rng.random(n_emp) < 0.2, t0 - left_offset * day, np.datetime64("NaT"))
    left = np.where(left > hire, left, np.datetime64("NaT"))
    levels = rng.choice(LEVELS, n_emp, p=[0.3, 0.3, 0.2, 0.12, 0.08])
    base = {"junior": 45_000, "mid": 62_000, "senior": 85_000, "lead": 105_000, "director": 140_000}
    salary = np.array([base[str(lv)] for lv in levels]) + rng.integers(0, 20_000, n_emp)
    names = [f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}" for i in range(n_emp)]
    employees = pa.table({
        "employee_id": pa.array(range(1, n_emp + 1), pa.int64()),
        "full_name": names,
        "work_email": [f"{n.lower().replace(' ', '.')}{i}@corp.example" for i, n in
                       enumerate(names)],
        "birth_date": pa.array(t0 - rng.integers(22 * 365, 63 * 365, n_emp) * day, pa.date32()),
        "department_id": pa.array(rng.integers(1, len(DEPARTMENTS), n_emp), pa.int64()),
        "job_level": levels.tolist(),
        "hire_date": pa.array(hire, pa.date32()),
        "left_on": pa.array(left, pa.date32()),
        "base_salary": pa.array(salary.astype(float)).cast(pa.decimal128(10, 2)),
        "remote": pa.array(rng.random(n_emp) < 0.35),
    })  # fmt: skip

    n_req = 2500
    emp = rng.integers(1, n_emp - 40, n_req)  # the last 40 employees never ask for leave
    requested = (np.datetime64(f"{today.isoformat()}T00:00:00") -
                 rng.integers(60, 3 * 365 * 86400, n_req) * np.timedelta64(1, "s"))  # fmt: skip
    start = requested.astype("datetime64[D]") + rng.integers(3, 60, n_req) * day
    leave = pa.table({
        "request_id": pa.array(range(1, n_req + 1), pa.int64()),
        "employee_id": pa.array(emp, pa.int64()),
        "leave_type": rng.choice(LEAVE_TYPES, n_req, p=[0.6, 0.25, 0.05, 0.1]).tolist(),
        "start_date": pa.array(start, pa.date32()),
        "days": pa.array(rng.integers(1, 15, n_req), pa.int32()),
        "status": rng.choice(STATUSES, n_req, p=[0.75, 0.1, 0.15]).tolist(),
        "requested_at": pa.array(requested, pa.timestamp("us")),
    })  # fmt: skip

    n_tr = 1200
    enrolled = t0 - rng.integers(0, 2 * 365, n_tr) * day
    done = rng.random(n_tr) < 0.7
    completed = np.where(done, enrolled + rng.integers(1, 60, n_tr) * day, np.datetime64("NaT"))
    completed = np.where(completed <= t0, completed, np.datetime64("NaT"))
    score = np.where(~np.isnat(completed), rng.integers(40, 101, n_tr), -1)
    trainings = pa.table({
        "training_id": pa.array(range(1, n_tr + 1), pa.int64()),
        "employee_id": pa.array(rng.integers(1, n_emp + 1, n_tr), pa.int64()),
        "course": rng.choice(COURSES, n_tr).tolist(),
        "enrolled_on": pa.array(enrolled, pa.date32()),
        "completed_on": pa.array(completed, pa.date32()),
        "score": pa.array([None if s < 0 else int(s) for s in score], pa.int32()),
    })  # fmt: skip

    fk = lambda cols, ref: {"columns": cols, "references": f"{NAMESPACE}.{ref}",  # noqa: E731
                            "ref_columns": cols}  # fmt: skip
    return {
        "departments": {
            "data": departments,
            "description": "Departments of the company with their region and yearly budget.",
            "docs": {
                "department_id": "Unique identifier of the department (primary key).",
                "department_name": "Name of the department, e.g. Engineering or Sales.",
                "region": "Region the department belongs to: EMEA, Americas or APAC.",
                "annual_budget": "Yearly budget of the department in EUR.",
            },
            "properties": {"neurolake.primary_key": "department_id",
                           "neurolake.foreign_keys": "[]"},
            "pii": {c: None for c in departments.column_names},
        },
        "employees": {
            "data": employees,
            "description": "One row per employee, past and present: job, pay and dates.",
            "docs": {
                "employee_id": "Unique identifier of the employee (primary key).",
                "full_name": "Employee's full name.",
                "work_email": "Employee's work email address.",
                "birth_date": "Employee's date of birth.",
                "department_id": "Department the employee works in (references departments).",
                "job_level": "Seniority: junior, mid, senior, lead or director.",
                "hire_date": "Date the employee was hired.",
                "left_on": "Date the employee left the company; NULL while the employee is "
                           "employed.",
                "base_salary": "Yearly base salary in EUR.",
                "remote": "Whether the employee works remotely.",
            },
            "properties": {"neurolake.primary_key": "employee_id",
                           "neurolake.foreign_keys": json.dumps([fk(["department_id"],
                                                                    "departments")])},
            "pii": {**{c: None for c in employees.column_names}, "full_name": "PERSON",
                    "work_email": "EMAIL_ADDRESS", "birth_date": "DATE_OF_BIRTH"},
        },
        "leave_requests": {
            "data": leave,
            "description": "Requests for leave (holiday, sickness, parental, unpaid) by employees.",
            "docs": {
                "request_id": "Unique identifier of the request (primary key).",
                "employee_id": "Employee who asked for leave (references employees).",
                "leave_type": "Kind of leave: vacation, sick, parental or unpaid.",
                "start_date": "First day of the leave.",
                "days": "Number of working days requested.",
                "status": "Decision on the request: approved, pending or rejected.",
                "requested_at": "Date and time the request was submitted.",
            },
            "properties": {"neurolake.primary_key": "request_id",
                           "neurolake.foreign_keys": json.dumps([fk(["employee_id"],
                                                                    "employees")])},
            "pii": {c: None for c in leave.column_names},
        },
        "trainings": {
            "data": trainings,
            "description": "Training courses employees enrolled in, with completion and score.",
            "docs": {
                "training_id": "Unique identifier of the enrolment (primary key).",
                "employee_id": "Employee enrolled (references employees).",
                "course": "Course name: Security, Leadership, Python, Compliance or First Aid.",
                "enrolled_on": "Date the employee enrolled in the course.",
                "completed_on": "Date the training was completed; NULL while the training is "
                                "ongoing.",
                "score": "Final score from 0 to 100; NULL until the training is completed.",
            },
            "properties": {"neurolake.primary_key": "training_id",
                           "neurolake.foreign_keys": json.dumps([fk(["employee_id"],
                                                                    "employees")])},
            "pii": {c: None for c in trainings.column_names},
        },
    }  # fmt: skip


def load_hr(session: Any, seed: int = 1, *, tags: bool = True, semantics: bool = True) -> None:
    """Write the HR tables into ``session``'s workspace (and ``semantics.yaml`` beside them).

    Args:
        tags: Store PII tags (``neurolake.pii``) as the compliance layer would.
        semantics: Write the workspace's ``semantics.yaml`` with "headcount" and "payroll".
    """
    for name, spec in generate(seed).items():
        props = dict(spec["properties"])
        if tags:
            props["neurolake.pii"] = json.dumps({c: _tag(e) for c, e in spec["pii"].items()})
        session.write(f"{NAMESPACE}.{name}", spec["data"], mode="overwrite",
                      docs=spec["docs"], description=spec["description"], properties=props)  # fmt: skip
    if semantics:
        Path(session.workspace.root, "semantics.yaml").write_text(SEMANTICS_YAML)
