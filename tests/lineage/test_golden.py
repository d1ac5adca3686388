"""Golden lineage fixtures: ``fixtures/*.yaml`` hold SQL, a schema and the expected edges.

Each edge is written ``source -> target KIND`` (plus `` masked``). The expected edges were
written by hand from OpenLineage's definitions, not generated. Every fixture query also runs in
a real DuckDB over tables made from its schema (so the SQL is real DuckDB SQL), and where the
outputs are named in the SQL, DuckDB's result column names must be the lineage's output names.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from neurolake_lab.lineage import LineageGraph, query_lineage

FIXTURES = Path(__file__).parent / "fixtures"
CASE_KEYS = {"name", "sql", "edges", "outputs", "unresolved", "target_table", "snapshots", "duckdb"}


def _cases() -> list[Any]:
    params = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for case in doc["cases"]:
            params.append(pytest.param(doc["schema"], case, id=f"{path.stem}: {case['name']}"))
    return params


CASES = _cases()


def _edge_text(graph: LineageGraph) -> list[str]:
    return [
        f"{e.source} -> {e.target} {e.kind}" + (" masked" if e.masked else "") for e in graph.edges
    ]


def test_fixtures_are_well_formed() -> None:
    assert len(CASES) >= 60
    names = Counter(p.id for p in CASES)
    assert [n for n, c in names.items() if c > 1] == []
    for param in CASES:
        _, case = param.values
        assert set(case) <= CASE_KEYS, param.id
        assert {"name", "sql", "edges"} <= set(case), param.id
        for edge in case["edges"]:
            parts = edge.split()
            assert len(parts) in (4, 5) and parts[1] == "->", edge
            assert len(parts) == 4 or parts[4] == "masked", edge


@pytest.mark.parametrize(("schema", "case"), CASES)
def test_golden_lineage(schema: dict[str, dict[str, str]], case: dict[str, Any]) -> None:
    graph = query_lineage(case["sql"], schema)
    got = _edge_text(graph)
    assert len(got) == len(set(got)), "duplicate edges"
    assert sorted(got) == sorted(case["edges"])
    if "outputs" in case:
        assert graph.outputs == case["outputs"]
    assert graph.unresolved == case.get("unresolved", [])
    assert graph.warnings == []
    if "target_table" in case:
        assert graph.target_table == case["target_table"]
    snapshots = {n["id"]: n["snapshot_id"] for n in graph.nodes if "snapshot_id" in n}
    assert snapshots == case.get("snapshots", {})
    # every edge's ends are nodes, every node id once
    ids = [n["id"] for n in graph.nodes]
    assert len(ids) == len(set(ids))
    assert {e.source for e in graph.edges} | {e.target for e in graph.edges} <= set(ids)
    assert set(graph.outputs) <= set(ids)


def _create_tables(con: duckdb.DuckDBPyConnection, schema: dict[str, dict[str, str]]) -> None:
    for table, columns in schema.items():
        if "." in table:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}")
        cols = ", ".join(f"{name} {typ}" for name, typ in columns.items())
        con.execute(f"CREATE TABLE {table} ({cols})")


@pytest.mark.parametrize(("schema", "case"), [c for c in CASES if c.values[1].get("duckdb", True)])
def test_golden_sql_runs_in_duckdb(schema: dict[str, dict[str, str]], case: dict[str, Any]) -> None:
    con = duckdb.connect()
    try:
        _create_tables(con, schema)
        for target in {o.rsplit(".", 2)[0] for o in case.get("outputs", []) if o.count(".") == 2}:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {target}")
        con.execute(case["sql"])
        graph = query_lineage(case["sql"], schema)
        if graph.target_table is None and con.description is not None:
            names = [d[0] for d in con.description]
            written = [o.split(".", 1)[1] for o in graph.outputs]
            if not any(n.startswith("_col_") or n == "*" for n in written):
                assert names == written
    finally:
        con.close()
