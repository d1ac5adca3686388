"""Ways around the catalog: refused for anyone but the owner (and exempt roles), each by rule."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from neurolake_lab.compliance.policy import (
    CATALOG_FUNCTIONS,
    FILE_FUNCTIONS,
    WEAKENING_SETTINGS,
    PolicyViolation,
    default_policy,
    enforce,
    parse_policy,
)
from neurolake_lab.compliance.policy.guard import SETTING_FUNCTIONS, reaches_protected
from neurolake_lab.engine.extensions import load_extension
from tests.compliance.policy_support import EXAMPLE_POLICY, OWNER, TAGS, retail_db, schema_of

#: Table functions that only read the engine's own state or make values: no way around.
SAFE_TABLE_FUNCTIONS = {
    "checkpoint", "force_checkpoint", "disable_profiling", "generate_series", "range",
    "repeat", "repeat_row", "unnest", "json_each", "json_tree", "histogram",
    "histogram_values", "summary", "test_all_types", "test_vector_types", "which_secret",
    "icu_calendar_names", "pg_timezone_names", "dbgen", "tpch_queries", "tpch_answers",
}  # fmt: skip


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("guards")
    ws = root / "workspace"
    data = ws / "warehouse" / "retail" / "customers" / "data"
    data.mkdir(parents=True)
    outside = root / "elsewhere"
    outside.mkdir()
    con = retail_db(10)
    con.execute(f"COPY retail.customers TO '{data}/part-0.parquet' (FORMAT parquet)")
    con.execute(f"COPY retail.customers TO '{data}/part-0.csv' (FORMAT csv)")
    con.execute(f"COPY (SELECT 1 AS x) TO '{outside}/ok.csv' (FORMAT csv)")
    (ws / "policies.yaml").write_text("mode: enforce\n")
    (root / "link").symlink_to(data)
    return {"root": root, "ws": ws, "data": data, "outside": outside, "link": root / "link"}


def _run(
    sql: str, user: str, lake: dict[str, Path], *, policy_text: str | None = None, **kw: object
):  # type: ignore[no-untyped-def]
    paths = [str(lake["ws"])]
    if policy_text is None:
        policy = default_policy(OWNER, paths)
    else:
        policy = parse_policy(policy_text, owner=OWNER, protected_paths=paths)
    con = retail_db(10)
    options: dict[str, object] = {"cwd": str(lake["ws"]), **kw}
    return enforce(sql, schema=schema_of(con), tags=TAGS, user=user, policy=policy, **options)


REFUSED = [
    ("SELECT * FROM read_parquet('{data}/part-0.parquet')", "file-read"),
    ("SELECT * FROM parquet_scan('{data}/*.parquet')", "file-read"),
    ("SELECT * FROM read_parquet('{root}/**/*.parquet')", "file-read"),
    ("SELECT * FROM read_parquet('{root}/*/warehouse/*/*/data/*.parquet')", "file-read"),
    ("SELECT * FROM read_csv(['{outside}/ok.csv', '{data}/part-0.csv'])", "file-read"),
    ("SELECT * FROM read_csv_auto('warehouse/retail/customers/data/part-0.csv')", "file-read"),
    ("SELECT * FROM read_text('policies.yaml')", "file-read"),
    ("SELECT * FROM read_blob('{link}/part-0.parquet')", "file-read"),
    ("SELECT * FROM glob('{ws}/*')", "file-read"),
    ("SELECT * FROM parquet_metadata('{data}/part-0.parquet')", "file-read"),
    ("SELECT * FROM read_parquet(getvariable('p'))", "file-read"),
    ("SELECT * FROM read_csv('{outside}' || '/../workspace/warehouse/x.csv')", "file-read"),
    ("SELECT * FROM '{data}/part-0.parquet'", "file-read"),
    ("SELECT * FROM 'file://{data}/part-0.parquet'", "file-read"),
    (
        "SELECT count(*) FROM retail.customers WHERE email IN (SELECT email FROM read_csv('{data}/part-0.csv'))",
        "file-read",
    ),
    ("COPY retail.customers FROM '{data}/part-0.csv'", "file-read"),
    ("SELECT * FROM iceberg_scan('{ws}/warehouse/retail/customers')", "catalog-bypass"),
    ("SELECT * FROM iceberg_snapshots('{ws}/warehouse/retail/customers')", "catalog-bypass"),
    ("SELECT * FROM query('SELECT email FROM retail.customers')", "catalog-bypass"),
    ("SELECT * FROM query_table('retail.customers')", "catalog-bypass"),
    ("CALL query_table('retail.customers')", "catalog-bypass"),
    ("ATTACH '{ws}/catalog.db' AS cat", "attach"),
    ("COPY retail.customers TO '{outside}/dump.csv'", "copy-to"),
    (
        "COPY (SELECT email FROM retail.customers) TO '{outside}/dump.parquet' (FORMAT parquet)",
        "copy-to",
    ),
    ("EXPORT DATABASE '{outside}/dump'", "copy-to"),
    ("IMPORT DATABASE '{outside}/dump'", "import"),
    ("PRAGMA import_database('{outside}/dump')", "import"),
    ("INSTALL httpfs", "extension"),
    ("FORCE INSTALL httpfs", "extension"),
    ("LOAD httpfs", "extension"),
    ("LOAD '{outside}/evil.duckdb_extension'", "extension"),
    ("SET enable_external_access = true", "setting"),
    ("SET GLOBAL allowed_directories = ['/']", "setting"),
    ("SET file_search_path = '{data}'", "setting"),
    ("SET home_directory TO '{ws}'", "setting"),
    ("RESET allowed_directories", "setting"),
    ("RESET GLOBAL allow_unsigned_extensions", "setting"),
    ("PRAGMA enable_logging", "setting"),
    ("CALL enable_logging(storage_path='{outside}')", "setting"),
    ("SELECT nl_mask_hash('user1@example.com')", "reserved-name"),
    (
        "SELECT count(*) FROM retail.customers WHERE email = nl_mask_hash('user1@example.com')",
        "reserved-name",
    ),
    ("SELECT * FROM __nl_mask_salt", "reserved-name"),
    ("SELECT * FROM temp.main.__nl_mask_salt", "reserved-name"),
    ("SELECT system.main.nl_mask_key('retail.customers.email')", "reserved-name"),
    ("SELECT * FROM pragma_storage_info('__nl_target')", "reserved-name"),
    ("SELECT * FROM __nl_target_0123abcd", "reserved-name"),
    ("SELECT * FROM read_text('../workspace/policies.yaml')", "file-read"),
    ("SELECT * FROM read_text('{outside}/*/../../workspace/policies.yaml')", "file-read"),
    ("CREATE SECRET s (TYPE s3, KEY_ID (SELECT email FROM retail.customers LIMIT 1))", "unchecked"),
]


@pytest.mark.parametrize(("template", "rule"), REFUSED)
def test_ways_around_are_refused_for_others(
    lake: dict[str, Path], template: str, rule: str
) -> None:
    sql = template.format(**lake)
    e = _run(sql, "mallory", lake)
    assert e.blocked and e.refusals, sql
    assert e.refusals[0].rule == rule, e.refusals
    with pytest.raises(PolicyViolation) as info:
        e.raise_if_blocked()
    assert info.value.kind == "refused" and f'rule "{rule}"' in info.value.message
    assert e.to_audit()["refusals"][0]["rule"] == rule
    assert any(w.startswith(f'refused by rule "{rule}"') for w in e.to_report()["warnings"])


#: Definitions that would change what masks and row filters compute: refused for everyone.
REFUSED_FOR_EVERYONE = [
    ("CREATE OR REPLACE MACRO nl_mask_hash(x) AS x", "reserved-name"),
    ("CREATE OR REPLACE TEMP MACRO nl_mask_redact(x) AS x", "reserved-name"),
    ("DROP MACRO nl_mask_partial", "reserved-name"),
    ("CREATE MACRO current_user_country() AS 'US'", "reserved-name"),
    ("CREATE OR REPLACE TEMP MACRO md5(x) AS x", "reserved-name"),
    ('CREATE TEMP MACRO "+"(a, b) AS 42', "reserved-name"),
    ("CREATE FUNCTION upper(x) AS x", "reserved-name"),
    ("CREATE MACRO iceberg_scan(x) AS TABLE SELECT 1 AS email", "reserved-name"),
    ("CREATE OR REPLACE VIEW retail.customers AS SELECT 1 AS email", "lakehouse-object"),
    ("DROP VIEW retail.orders", "lakehouse-object"),
]


@pytest.mark.parametrize(("template", "rule"), REFUSED_FOR_EVERYONE)
def test_definitions_that_change_masks_are_refused_for_everyone(
    lake: dict[str, Path], template: str, rule: str
) -> None:
    sql = template.format(**lake)
    for user, policy_text in [("mallory", None), (OWNER, None), ("erin", EXAMPLE_POLICY)]:
        e = _run(sql, user, lake, policy_text=policy_text)
        assert e.blocked and [r.rule for r in e.refusals] == [rule], (user, e.refusals)


def test_relative_paths_are_judged_from_the_working_folder(lake: dict[str, Path]) -> None:
    """Kernels of ``neurolake lab`` work in <workspace>/notebooks: ``..`` is the workspace."""
    notebooks = lake["ws"] / "notebooks"
    notebooks.mkdir(exist_ok=True)
    for sql in [
        "SELECT * FROM read_text('../keys/mask.salt')",
        "SELECT * FROM read_text('../audit/audit.jsonl')",
        "SELECT * FROM read_parquet('../warehouse/retail/customers/data/*.parquet')",
        "SELECT * FROM '../warehouse/retail/customers/data/part-0.parquet'",
    ]:
        e = _run(sql, "mallory", lake, cwd=str(notebooks))
        assert [r.rule for r in e.refusals] == ["file-read"], sql
    here = os.getcwd()
    try:  # the default is the process's working folder, where DuckDB resolves the path
        os.chdir(notebooks)
        paths = [str(lake["ws"])]
        for path in ["../policies.yaml", "/proc/self/cwd/../keys/mask.salt"]:
            e = enforce(
                f"SELECT * FROM read_text('{path}')", schema={}, tags={}, user="mallory",
                policy=default_policy(OWNER, paths),
            )  # fmt: skip
            assert [r.rule for r in e.refusals] == ["file-read"], path
    finally:
        os.chdir(here)


@pytest.mark.parametrize(("template", "rule"), REFUSED)
def test_the_owner_and_exempt_roles_may(lake: dict[str, Path], template: str, rule: str) -> None:
    sql = template.format(**lake)
    assert not _run(sql, OWNER, lake).refusals
    assert not _run(sql, "erin", lake, policy_text=EXAMPLE_POLICY).refusals  # role engineer


def test_refusals_by_the_statement_type_duckdb_reports(lake: dict[str, Path]) -> None:
    for sql, kind, rule in [
        ("EXPORT DATABASE 'x'", "EXPORT", "copy-to"),
        ("COPY FROM DATABASE memory TO other", "COPY_DATABASE", "copy-to"),
        ("ATTACH 'x.db'", "ATTACH", "attach"),
        ("LOAD x", "LOAD", "extension"),
    ]:
        e = _run(sql, "mallory", lake, statement_type=kind)
        assert [r.rule for r in e.refusals] == [rule]
        assert not _run(sql, OWNER, lake, statement_type=kind).refusals


def test_the_owner_really_reads_the_warehouse_and_others_read_elsewhere(
    lake: dict[str, Path],
) -> None:
    con = duckdb.connect()
    sql = f"SELECT count(*) FROM read_parquet('{lake['data']}/part-0.parquet')"
    e = _run(sql, OWNER, lake)
    assert con.execute(e.sql).fetchall() == [(10,)]
    e = _run(f"SELECT * FROM read_csv('{lake['outside']}/ok.csv')", "mallory", lake)
    assert not e.blocked and con.execute(e.sql).fetchall() == [(1,)]
    e = _run("SELECT * FROM read_csv('../elsewhere/ok.csv')", "mallory", lake)  # relative to cwd
    assert not e.blocked


def test_harmless_settings_and_statements_pass(lake: dict[str, Path]) -> None:
    for sql in [
        "SET threads = 2",
        "SET VARIABLE p = 'x'",
        "SET search_path = 'retail'",
        "PRAGMA threads = 2",
        "RESET threads",
        "DESCRIBE retail.customers",
        "SHOW TABLES",
        "CALL pragma_version()",
        "SELECT * FROM duckdb_tables()",
        "CHECKPOINT",
        "EXECUTE q",
        "BEGIN TRANSACTION",
    ]:
        e = _run(sql, "mallory", lake)
        assert not e.blocked, (sql, e.refusals)


def test_a_policy_can_refuse_every_file_read(lake: dict[str, Path]) -> None:
    sql = f"SELECT * FROM read_csv('{lake['outside']}/ok.csv')"
    e = _run(
        sql,
        "bob",
        lake,
        policy_text=EXAMPLE_POLICY.replace("file_reads: workspace", "file_reads: any"),
    )
    assert (
        e.blocked and e.refusals[0].rule == "file-read" and "no file reads" in e.refusals[0].message
    )
    assert not _run(sql, "bob", lake, policy_text=EXAMPLE_POLICY).blocked


def test_glob_reach(tmp_path: Path) -> None:
    root = str(tmp_path / "ws")
    cwd = str(tmp_path)
    assert reaches_protected("ws/warehouse/x.parquet", [root], cwd) == root
    assert reaches_protected(f"{tmp_path}/*/warehouse/x.parquet", [root], cwd) == root
    assert reaches_protected(f"{tmp_path}/w?/x.parquet", [root], cwd) == root
    assert reaches_protected(f"{tmp_path}/**", [root], cwd) == root
    assert reaches_protected(f"{tmp_path}/*.parquet", [root], cwd) is None  # one level above
    assert reaches_protected(f"{tmp_path}/other/*/x.parquet", [root], cwd) is None
    assert (
        reaches_protected("s3://bucket/lake/x.parquet", ["s3://bucket/lake"], cwd)
        == "s3://bucket/lake"
    )
    assert reaches_protected("s3://bucket/other/x.parquet", ["s3://bucket/lake"], cwd) is None
    home = os.path.expanduser("~")
    assert reaches_protected("~/x.csv", [home], cwd) == home


def test_every_table_function_of_this_duckdb_is_classified() -> None:
    """A DuckDB upgrade that adds a table function fails here until it is classified."""
    con = duckdb.connect()
    for name in ("avro", "iceberg", "tpch"):
        load_extension(con, name)
    functions = {
        r[0]
        for r in con.execute(
            "SELECT function_name FROM duckdb_functions() WHERE function_type IN ('table', 'table_macro')"
        ).fetchall()
    }
    functions -= {f for f in functions if f.startswith(("duckdb_", "pragma_"))}  # catalog views
    unclassified = (
        functions - FILE_FUNCTIONS - CATALOG_FUNCTIONS - SETTING_FUNCTIONS - SAFE_TABLE_FUNCTIONS
    )
    assert unclassified == set()
    settings = {r[0] for r in con.execute("SELECT name FROM duckdb_settings()").fetchall()}
    assert settings >= WEAKENING_SETTINGS  # no typo: every refused setting exists


def test_a_bare_name_of_several_governed_tables_is_refused(lake: dict[str, Path]) -> None:
    con = retail_db(5)
    schema = schema_of(con)
    schema["crm.customers"] = dict(schema["retail.customers"])
    tags = {**TAGS, "crm.customers": TAGS["retail.customers"]}
    for sql in ["SELECT email FROM customers", "SELECT email FROM main.customers"]:
        e = enforce(sql, schema=schema, tags=tags, user="mallory", policy=default_policy(OWNER))
        assert e.blocked and e.refusals[0].rule == "ambiguous-name"
        assert "crm.customers or retail.customers" in e.refusals[0].message
        assert not enforce(
            sql, schema=schema, tags=tags, user=OWNER, policy=default_policy(OWNER)
        ).blocked
    e = enforce(
        "WITH customers AS (SELECT * FROM crm.customers) SELECT email FROM customers",
        schema=schema, tags=tags, user="mallory", policy=default_policy(OWNER),
    )  # fmt: skip
    assert not e.blocked and e.masked
