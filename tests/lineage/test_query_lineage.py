"""query_lineage: inputs (SQL, parsed and qualified trees), writes, stars, set operations,
unknown tables, the cache and its errors."""

from __future__ import annotations

import doctest

import duckdb
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify

from neurolake_lab.exceptions import NeuroLakeError
from neurolake_lab.lineage import (
    LineageError,
    LineageGraph,
    clear_cache,
    columns,
    graph,
    query_lineage,
)
from neurolake_lab.lineage.scopes import ANONYMOUS_AGGREGATES

SCHEMA = {
    "retail.customers": {"id": "INTEGER", "name": "VARCHAR", "email": "VARCHAR"},
    "retail.orders": {
        "id": "INTEGER",
        "customer_id": "INTEGER",
        "amount": "DOUBLE",
        "status": "VARCHAR",
    },
    "mart.totals": {"customer_id": "INTEGER", "total": "DOUBLE"},
}
JOIN_SQL = (
    "SELECT c.name, sum(o.amount) AS total FROM retail.customers c "
    "JOIN retail.orders o ON o.customer_id = c.id WHERE o.status = 'paid' GROUP BY c.name"
)


def edges(g: LineageGraph) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.kind) for e in g.edges}


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_cache()


# ------------------------------------------------------------------------------ inputs


def test_parsed_and_qualified_trees_give_the_same_graph_as_sql() -> None:
    from_sql = query_lineage(JOIN_SQL, SCHEMA)
    parsed = sqlglot.parse_one(JOIN_SQL, dialect="duckdb")
    nested = {
        "retail": {"customers": SCHEMA["retail.customers"], "orders": SCHEMA["retail.orders"]}
    }
    qualified = qualify(
        sqlglot.parse_one(JOIN_SQL, dialect="duckdb"), schema=nested, dialect="duckdb"
    )
    assert columns._looks_qualified(qualified)
    assert not columns._looks_qualified(parsed)
    for tree in (parsed, qualified):
        clear_cache()
        g = query_lineage(tree, SCHEMA)
        assert g.edges == from_sql.edges
        assert g.nodes == from_sql.nodes
        assert g.outputs == ["output.name", "output.total"]


def test_a_tree_passed_in_is_not_modified() -> None:
    tree = sqlglot.parse_one("SELECT * FROM retail.customers c JOIN retail.orders o USING (id)")
    before = tree.sql()
    g = query_lineage(tree, SCHEMA)
    assert tree.sql() == before
    assert "output.amount" in g.outputs


def test_a_qualified_tree_is_walked_as_is() -> None:
    # qualify() made this tree; a second qualify would not change it, so lineage skips it
    nested = {"retail": {"orders": SCHEMA["retail.orders"]}}
    tree = qualify(
        sqlglot.parse_one("SELECT amount AS a FROM retail.orders WHERE status = 'x'"),
        schema=nested,
        dialect="duckdb",
    )
    assert edges(query_lineage(tree, SCHEMA)) == {
        ("retail.orders.amount", "output.a", "IDENTITY"),
        ("retail.orders.status", "output.a", "FILTER"),
    }


def test_unqualified_columns_of_a_tree_that_looks_qualified_still_resolve() -> None:
    # Aliased projections and tables but bare column names: the walk finds the one source.
    tree = sqlglot.parse_one(
        "SELECT name AS name, amount AS amount FROM retail.customers AS c "
        "JOIN retail.orders AS o ON customer_id = c.id"
    )
    assert columns._looks_qualified(tree)
    assert edges(query_lineage(tree, SCHEMA)) >= {
        ("retail.customers.name", "output.name", "IDENTITY"),
        ("retail.orders.amount", "output.amount", "IDENTITY"),
        ("retail.orders.customer_id", "output.name", "JOIN"),
    }


def test_trees_with_what_qualify_rewrites_are_qualified_on_a_copy() -> None:
    for sql in (
        "SELECT id AS id FROM retail.customers AS c NATURAL JOIN retail.orders AS o",
        "SELECT name AS name FROM retail.customers AS c GROUP BY 1",
        "SELECT * FROM retail.customers AS c",
        "SELECT id AS id FROM retail.customers",
    ):
        tree = sqlglot.parse_one(sql, dialect="duckdb")
        assert not columns._looks_qualified(tree), sql
        assert query_lineage(tree, SCHEMA).edges == query_lineage(sql, SCHEMA).edges


def test_unparseable_sql_and_several_statements_are_lineage_errors() -> None:
    with pytest.raises(LineageError, match="Cannot parse the SQL") as info:
        query_lineage("SELECT FROM WHERE (", SCHEMA)
    assert isinstance(info.value, NeuroLakeError)
    with pytest.raises(LineageError, match="one SQL statement at a time; got 2"):
        query_lineage("SELECT 1; SELECT 2", SCHEMA)


def test_a_query_sqlglot_cannot_scope_is_a_lineage_error() -> None:
    with pytest.raises(LineageError, match="Alias already used: a"):
        query_lineage("SELECT * FROM retail.orders a, retail.orders a", SCHEMA)


def test_a_query_sqlglot_cannot_qualify_gives_partial_lineage_with_a_warning() -> None:
    g = query_lineage("SELECT q.*, o.id FROM retail.orders o", SCHEMA)
    assert g.warnings and "could not qualify" in g.warnings[0]
    assert ("retail.orders.id", "output.id", "IDENTITY") in edges(g)


def test_statements_without_a_query_have_empty_lineage() -> None:
    for sql in ("UPDATE retail.orders SET amount = 0", "SET threads = 1", "DROP TABLE mart.totals"):
        g = query_lineage(sql, SCHEMA)
        assert g.nodes == [] and g.edges == [] and g.outputs == []


# ------------------------------------------------------------------------------ writes


def test_ctas_targets_are_the_new_table() -> None:
    g = query_lineage(
        "CREATE TABLE Mart.Big AS SELECT id, amount * 2 AS a2 FROM retail.orders", SCHEMA
    )
    assert g.target_table == "mart.big"
    assert g.outputs == ["mart.big.id", "mart.big.a2"]
    assert edges(g) == {
        ("retail.orders.id", "mart.big.id", "IDENTITY"),
        ("retail.orders.amount", "mart.big.a2", "TRANSFORMATION"),
    }
    assert [n["id"] for n in g.nodes][:2] == ["mart.big.id", "mart.big.a2"]


def test_output_table_overrides_the_statement_and_names_query_targets() -> None:
    ctas = query_lineage(
        "CREATE TABLE x AS SELECT id FROM retail.orders", SCHEMA, output_table="mart.y"
    )
    assert ctas.outputs == ["mart.y.id"]
    query = query_lineage("SELECT id FROM retail.orders", SCHEMA, output_table="mart.y")
    assert query.target_table == "mart.y"
    assert edges(query) == {("retail.orders.id", "mart.y.id", "IDENTITY")}
    # cached separately from the plain query
    assert query_lineage("SELECT id FROM retail.orders", SCHEMA).outputs == ["output.id"]


def test_insert_positional_into_a_known_table_and_with_column_list() -> None:
    positional = query_lineage(
        "INSERT INTO mart.totals SELECT o.customer_id, o.amount FROM retail.orders o", SCHEMA
    )
    assert edges(positional) == {
        ("retail.orders.customer_id", "mart.totals.customer_id", "IDENTITY"),
        ("retail.orders.amount", "mart.totals.total", "IDENTITY"),
    }
    listed = query_lineage(
        "INSERT INTO mart.totals (total) SELECT sum(amount) FROM retail.orders", SCHEMA
    )
    assert edges(listed) == {("retail.orders.amount", "mart.totals.total", "AGGREGATION")}
    assert listed.outputs == ["mart.totals.total"]


def test_insert_with_more_query_columns_than_listed_targets_drops_the_rest() -> None:
    g = query_lineage(
        "INSERT INTO mart.totals (total) SELECT amount, id FROM retail.orders", SCHEMA
    )
    assert g.outputs == ["mart.totals.total"]
    assert edges(g) == {("retail.orders.amount", "mart.totals.total", "IDENTITY")}


def test_insert_into_an_unknown_table_uses_the_query_names() -> None:
    g = query_lineage("INSERT INTO ns.t SELECT id AS k FROM retail.orders", SCHEMA)
    assert g.outputs == ["ns.t.k"]
    assert g.unresolved == []


# ------------------------------------------------------------------------------ stars


def test_star_expansion_follows_the_schema_and_its_changes() -> None:
    g = query_lineage("SELECT * FROM retail.customers", SCHEMA)
    assert g.outputs == ["output.id", "output.name", "output.email"]
    wider = {**SCHEMA, "retail.customers": {**SCHEMA["retail.customers"], "phone": "VARCHAR"}}
    g2 = query_lineage("SELECT * FROM retail.customers", wider)
    assert g2.outputs == ["output.id", "output.name", "output.email", "output.phone"]
    assert ("retail.customers.phone", "output.phone", "IDENTITY") in edges(g2)


def test_star_exclude_over_an_unknown_table_stays_opaque() -> None:
    g = query_lineage("SELECT * EXCLUDE (secret) FROM vault.items", SCHEMA)
    assert edges(g) == {("vault.items.*", "output.*", "IDENTITY")}
    assert g.unresolved == ["vault.items"]
    assert g.inputs == {"vault.items": {}}


def test_star_of_a_table_function_has_no_source() -> None:
    g = query_lineage("SELECT * FROM read_parquet('data/*.parquet')", SCHEMA)
    assert g.outputs == ["output.*"]
    assert g.edges == [] and g.inputs == {} and g.unresolved == []


def test_inputs_list_every_table_read_with_its_schema() -> None:
    g = query_lineage(
        "SELECT count(*) AS n FROM retail.customers c SEMI JOIN retail.orders o "
        "ON o.customer_id = c.id",
        SCHEMA,
    )
    assert g.inputs == {
        "retail.customers": SCHEMA["retail.customers"],
        "retail.orders": SCHEMA["retail.orders"],
    }


# ------------------------------------------------------------------------------ set operations


def test_set_operation_columns_match_by_position_not_name() -> None:
    g = query_lineage(
        "SELECT name, email FROM retail.customers UNION ALL SELECT status, CAST(id AS VARCHAR) "
        "FROM retail.orders",
        SCHEMA,
    )
    assert g.outputs == ["output.name", "output.email"]
    assert edges(g) == {
        ("retail.customers.name", "output.name", "IDENTITY"),
        ("retail.orders.status", "output.name", "IDENTITY"),
        ("retail.customers.email", "output.email", "IDENTITY"),
        ("retail.orders.id", "output.email", "TRANSFORMATION"),
    }


def test_except_keeps_values_from_the_left_only() -> None:
    g = query_lineage(
        "SELECT id FROM retail.customers EXCEPT SELECT customer_id FROM retail.orders", SCHEMA
    )
    assert edges(g) == {
        ("retail.customers.id", "output.id", "IDENTITY"),
        ("retail.orders.customer_id", "output.id", "FILTER"),
    }


# ------------------------------------------------------------------------------ unknown tables


def test_unknown_tables_are_opaque_not_errors() -> None:
    g = query_lineage(
        "SELECT x.a, x.b + 1 AS b1, y.c FROM foo.x JOIN foo.y ON x.k = y.k WHERE y.d > 0", SCHEMA
    )
    assert g.unresolved == ["foo.x", "foo.y"]
    assert edges(g) >= {
        ("foo.x.a", "output.a", "IDENTITY"),
        ("foo.x.b", "output.b1", "TRANSFORMATION"),
        ("foo.y.c", "output.c", "IDENTITY"),
        ("foo.x.k", "output.a", "JOIN"),
        ("foo.y.d", "output.c", "FILTER"),
    }
    assert g.inputs["foo.x"] == {"a": "UNKNOWN", "b": "UNKNOWN", "k": "UNKNOWN"}
    report = g.to_report()
    assert {n["id"] for n in report["nodes"]} >= {"foo.x.a", "output.b1"}


def test_unqualified_column_with_two_unknown_tables_names_both() -> None:
    g = query_lineage("SELECT v FROM foo.x, foo.y", SCHEMA)
    assert edges(g) == {("foo.x.v", "output.v", "IDENTITY"), ("foo.y.v", "output.v", "IDENTITY")}


def test_a_schema_with_bare_and_namespaced_tables() -> None:
    schema = {"t": {"a": "INTEGER"}, "ns.u": {"a": "INTEGER", "b": "INTEGER"}}
    g = query_lineage("SELECT * FROM t JOIN ns.u USING (a)", schema)
    assert edges(g) >= {
        ("t.a", "output.a", "IDENTITY"),
        ("ns.u.a", "output.a", "IDENTITY"),
        ("ns.u.b", "output.b", "IDENTITY"),
        ("t.a", "output.b", "JOIN"),
    }
    assert g.unresolved == []


def test_a_table_named_without_its_namespace_finds_the_one_schema_table() -> None:
    g = query_lineage("SELECT * FROM orders", {"retail.orders": {"id": "INTEGER"}})
    assert edges(g) == {("retail.orders.id", "output.id", "IDENTITY")}


# ------------------------------------------------------------------------------ cache


def test_cache_returns_equal_graphs_that_do_not_share_state() -> None:
    first = query_lineage(JOIN_SQL, SCHEMA)
    first.nodes.append({"id": "junk"})
    first.edges.clear()
    # the same statement written with other whitespace and a trailing semicolon is a hit
    again = query_lineage(JOIN_SQL.replace(" ", "\n  ") + ";", SCHEMA)
    assert again.edges and {"id": "junk"} not in again.nodes
    assert len(columns._graphs._data) == 1


def test_cache_is_keyed_by_the_tree_structure() -> None:
    a = sqlglot.parse_one("SELECT id FROM retail.orders")
    b = sqlglot.parse_one("select   ID from RETAIL.ORDERS")
    query_lineage(a, SCHEMA)
    query_lineage(b, SCHEMA)
    assert len(columns._graphs._data) == 2  # identifiers differ in case: another tree
    a.set("where", exp.Where(this=exp.column("status").eq("x")))  # changed in place: a miss
    g = query_lineage(a, SCHEMA)
    assert ("retail.orders.status", "output.id", "FILTER") in edges(g)


def test_cache_is_bounded() -> None:
    for i in range(columns._CACHE_SIZE + 10):
        query_lineage(f"SELECT id + {i} AS x FROM retail.orders", SCHEMA)
    assert len(columns._graphs._data) == columns._CACHE_SIZE


# ------------------------------------------------------------------------------ misc


def test_anonymous_aggregates_cover_duckdb() -> None:
    """Every DuckDB aggregate that sqlglot parses as an unknown function is in our list."""
    con = duckdb.connect()
    names = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() "
            "WHERE function_type = 'aggregate' AND NOT starts_with(function_name, '__')"
        ).fetchall()
    ]
    con.close()
    missing = []
    for name in names:
        try:
            node = sqlglot.parse_one(f"SELECT {name}(x) FROM t", dialect="duckdb").selects[0]
        except sqlglot.errors.ParseError:
            continue  # needs other arguments; sqlglot knows it by name anyway
        if isinstance(node, exp.Anonymous) and node.name.lower() not in ANONYMOUS_AGGREGATES:
            missing.append(name)
    # window-only functions that DuckDB lists as aggregates but that aggregate nothing
    assert sorted(set(missing) - {"fill", "rank_dense"}) == []


def test_docstring_examples_run() -> None:
    for module in (columns, graph):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
