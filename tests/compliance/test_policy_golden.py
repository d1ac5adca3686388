"""Golden rewrites: ``policy_golden/*.yaml`` hold a statement, who runs it, and the exact SQL the
policy turns it into (reviewed by hand). Every expected statement also runs in a real DuckDB over
the retail tables, unless it needs the lakehouse (time travel, ``PARTITIONED BY``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from neurolake_lab.compliance.policy import Policy, enforce
from tests.compliance.policy_support import EXAMPLE_POLICY, TAGS, Governed, policy_from, retail_db

GOLDEN = Path(__file__).parent / "policy_golden"
CASE_KEYS = {"name", "user", "sql", "expected", "purpose", "no_pii", "runs"}
POLICIES = {
    None: None,
    "EXAMPLE": EXAMPLE_POLICY,
    "REMEDIATE": EXAMPLE_POLICY.replace("mode: enforce", "mode: remediate"),
}


def _cases() -> list[Any]:
    out = []
    for path in sorted(GOLDEN.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for case in doc["cases"]:
            out.append(pytest.param(doc["policy"], case, id=f"{path.stem}: {case['name']}"))
    return out


CASES = _cases()


def _policy(key: str | None) -> Policy:
    return policy_from(POLICIES[key])


def test_fixtures_are_well_formed() -> None:
    assert len(CASES) >= 20
    assert [n for n, c in Counter(p.id for p in CASES).items() if c > 1] == []
    for param in CASES:
        key, case = param.values
        assert key in POLICIES
        assert set(case) <= CASE_KEYS and {"name", "user", "sql", "expected"} <= set(case), param.id


@pytest.mark.parametrize(("policy", "case"), CASES)
def test_golden_rewrite(policy: str | None, case: dict[str, Any]) -> None:
    con = retail_db(12)
    governed = Governed(con, _policy(policy), case["user"])
    options = {k: case[k] for k in ("purpose", "no_pii") if k in case}
    e = enforce(
        case["sql"],
        schema=governed.schema,
        tags=TAGS,
        user=case["user"],
        policy=governed.policy,
        **options,
    )
    assert not e.blocked
    assert e.sql == case["expected"]
    assert e.rewritten == (case["expected"] != case["sql"])
    if case.get("runs", True):
        con.execute(case["expected"]).fetchall()
