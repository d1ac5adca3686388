"""Issue 10's holes, kept closed: every way a non-owner got around the policy is tried again here.

The workspace has one owner and an analyst (``connect(workspace, user="analyst")``) on a table
with PII (emails and phones), several snapshots and a row filter. Each test is one hole of the
issue, tried as the analyst did; it must fail for the analyst, and must not change what the
owner sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import neurolake_lab
from neurolake_lab.compliance.authorize import NotAuthorized
from neurolake_lab.exceptions import QualityError, QueryError
from neurolake_lab.session import Session

EMAILS = ["gina@example.com", "hugo@example.org", "ida@example.net", "jon@example.com"]
PHONES = ["+1 212 555 0101", "+1 212 555 0102", "+1 212 555 0103", "+1 212 555 0104"]
CUSTOMERS = pa.table(
    {
        "customer_id": pa.array([1, 2, 3, 4], pa.int64()),
        "email": EMAILS,
        "phone": PHONES,
        "country": ["DE", "FR", "DE", "FR"],
    }
)
ANALYST = "analyst"


@pytest.fixture
def owner(workspace: Path) -> Iterator[Session]:
    with neurolake_lab.connect(workspace) as s:
        s.write("retail.customers", CUSTOMERS)
        tags = s.classify_pii("retail.customers")
        assert tags["email"].entity == "EMAIL_ADDRESS" and tags["phone"].entity == "PHONE_NUMBER"
        yield s


def _analyst(workspace: Path) -> Session:
    return neurolake_lab.connect(workspace, user=ANALYST)


def _values(session: Session, sql: str, params: dict[str, object] | None = None) -> list[object]:
    return [v for row in session.sql(sql, params).arrow().to_pylist() for v in row.values()]


def _no_clear(values: list[object]) -> None:
    clear = set(EMAILS) | set(PHONES)
    leaked = [v for v in values if v in clear]
    assert not leaked, f"clear PII reached the analyst: {leaked}"


# -- 1 and 7: the management API and schema changes are the owner's ----------------------------


def test_hole_1_a_non_owner_cannot_untag_a_column(owner: Session, workspace: Path) -> None:
    with _analyst(workspace) as an:
        with pytest.raises(NotAuthorized, match="'tag' privilege"):
            an.set_pii("retail.customers", "email", None)
        _no_clear(_values(an, "SELECT email FROM retail.customers"))
    assert owner.classify_pii("retail.customers")["email"].entity == "EMAIL_ADDRESS"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE retail.customers SET country = 'XX'",
        "DELETE FROM retail.customers WHERE customer_id = 1",
        "ALTER TABLE retail.customers RENAME COLUMN email TO contact",
        "ALTER TABLE retail.customers DROP COLUMN phone",
        "ALTER TABLE retail.customers SET ('neurolake.pii' = '{}')",
        "ALTER TABLE retail.customers SET TBLPROPERTIES ('neurolake.quality' = '{}')",
        "DROP TABLE retail.customers",
    ],
)
def test_hole_7_a_non_owner_changes_no_one_elses_table(
    owner: Session, workspace: Path, sql: str
) -> None:
    before = owner.snapshots("retail.customers").arrow().num_rows
    with _analyst(workspace) as an, pytest.raises(NotAuthorized):
        an.sql(sql)
    assert owner.snapshots("retail.customers").arrow().num_rows == before
    assert _values(owner, "SELECT count(*) FROM retail.customers") == [4]


def test_hole_7_nor_its_history_or_upkeep(owner: Session, workspace: Path) -> None:
    first = owner.snapshots("retail.customers").arrow()["snapshot_id"][0].as_py()
    with _analyst(workspace) as an:
        for call in (
            lambda: an.rollback("retail.customers", first),
            lambda: an.maintain("retail.customers"),
            lambda: an.set_quality("retail.customers", checks=["customer_id <> 1"]),
            lambda: an.erase("retail.customers", f"email = '{EMAILS[0]}'"),
        ):
            with pytest.raises(NotAuthorized):
                call()
    assert _values(owner, "SELECT count(*) FROM retail.customers") == [4]


# -- 2 and 3: tags follow field ids through renames, drops and time travel ----------------------


def test_hole_2_a_renamed_column_keeps_its_tag(owner: Session, workspace: Path) -> None:
    owner.sql("ALTER TABLE retail.customers RENAME COLUMN email TO contact")
    owner.sql("ALTER TABLE retail.customers ALTER COLUMN customer_id TYPE BIGINT")
    with _analyst(workspace) as an:
        _no_clear(_values(an, "SELECT contact FROM retail.customers"))
        _no_clear(_values(an, "SELECT * FROM retail.customers"))
    tags = owner.classify_pii("retail.customers")
    assert tags["contact"].entity == "EMAIL_ADDRESS"
    # the metrics mode (no min/max of PII in the manifests) follows the new name at the next write
    owner.sql("INSERT INTO retail.customers VALUES (5, 'kim@example.com', '+1 212 555 0105', 'DE')")
    _, meta = owner.lakehouse.metadata("retail.customers")
    assert meta.properties["write.metadata.metrics.column.contact"] == "counts"


def test_hole_3_old_snapshots_are_read_with_their_own_tags(owner: Session, workspace: Path) -> None:
    before = owner.snapshots("retail.customers").arrow()["snapshot_id"][0].as_py()
    owner.sql("ALTER TABLE retail.customers DROP COLUMN phone")
    owner.sql("ALTER TABLE retail.customers RENAME COLUMN email TO contact")
    owner.sql("INSERT INTO retail.customers VALUES (5, 'kim@example.com', 'DE')")
    with _analyst(workspace) as an:
        old = f"retail.customers FOR VERSION AS OF {before}"
        _no_clear(_values(an, f"SELECT phone, email FROM {old}"))
        _no_clear(_values(an, f"SELECT * FROM {old}"))
        _no_clear(_values(an, f"SELECT c.phone FROM {old} AS c WHERE c.customer_id = 1"))
        # by a time, and with a parameter for the version: still masked
        snaps = owner.snapshots("retail.customers").arrow().to_pylist()
        when = next(s for s in snaps if s["snapshot_id"] == before)["committed_at"]
        _no_clear(_values(an, f"SELECT phone FROM retail.customers FOR TIMESTAMP AS OF '{when}'"))
        _no_clear(
            _values(an, "SELECT phone FROM retail.customers FOR VERSION AS OF $v", {"v": before})
        )
    # the owner still reads the old snapshot in clear
    assert (
        _values(owner, f"SELECT phone FROM retail.customers FOR VERSION AS OF {before}")[0]
        in PHONES
    )


# -- 4 and 5: predicates a non-owner supplies never run on values hidden from them ---------------

GRANTED = """\
roles: {analyst: {}}
users: {analyst: {roles: [analyst], attributes: {country: DE}}}
grants:
  - {name: stewarding, roles: [analyst], tables: [retail.customers],
     privileges: [write, quality, erase]}
"""


def test_hole_4_a_quality_check_is_no_oracle(owner: Session, workspace: Path) -> None:
    oracle = "customer_id <> 1 OR NOT (email LIKE 'g%')"
    with _analyst(workspace) as an, pytest.raises(NotAuthorized, match="'quality' privilege"):
        an.set_quality("retail.customers", checks=[oracle])
    (workspace / "policies.yaml").write_text(GRANTED)
    with _analyst(workspace) as an:
        # even with the privilege: a check on a masked column is refused, naming it
        with pytest.raises(NotAuthorized, match=r"retail\.customers\.email in set_quality"):
            an.set_quality("retail.customers", checks=[oracle])
        for rules in ({"accepted_values": {"email": [EMAILS[0]]}}, {"unique": ["phone"]}):
            with pytest.raises(NotAuthorized, match="hidden from analyst"):
                an.set_quality("retail.customers", **rules)  # type: ignore[arg-type]
        with pytest.raises(NotAuthorized, match="hidden from analyst"):
            an.sql(
                "ALTER TABLE retail.customers SET ('neurolake.quality' = "
                "'{\"checks\": [\"email LIKE ''g%''\"]}')"
            )
        an.set_quality("retail.customers", not_null=["customer_id"])  # its own columns: fine
    assert owner.quality("retail.customers").checks == []
    # a check the owner set judges the analyst's writes only by values the analyst wrote: an
    # UPDATE of country is not judged by the emails it carries along (two of them break it)
    owner.set_quality("retail.customers", checks=["email LIKE '%@%.com'"])
    with _analyst(workspace) as an:
        an.sql("UPDATE retail.customers SET country = lower(country)")
        with pytest.raises(QualityError) as info:  # the analyst's own value breaks it
            an.sql("UPDATE retail.customers SET email = 'x@example.org' WHERE customer_id = 1")
        assert "1 of 1 rows" in info.value.message and info.value.rows is None
        owner.set_quality("retail.customers", checks=["email LIKE '%.com' OR country = 'de'"])
        with pytest.raises(QualityError, match=r"before its checks ran.*reads email"):
            an.sql("UPDATE retail.customers SET country = 'fr'")  # email with country: refused
        assert not any(e in str(info.value) for e in EMAILS)
    assert _values(owner, "SELECT email FROM retail.customers ORDER BY customer_id") == EMAILS
    assert _values(owner, "SELECT DISTINCT country FROM retail.customers ORDER BY 1") == [
        "de",
        "fr",
    ]


def test_hole_5_erase_is_the_owners_and_never_an_oracle(owner: Session, workspace: Path) -> None:
    with _analyst(workspace) as an, pytest.raises(NotAuthorized, match="'erase' privilege"):
        an.erase("retail.customers", f"email = '{EMAILS[0]}'")
    (workspace / "policies.yaml").write_text(
        GRANTED + "row_filters:\n  - {name: own, tables: [retail.customers], roles: [analyst],"
        " predicate: country = current_user_country()}\n"
    )
    with _analyst(workspace) as an:
        with pytest.raises(NotAuthorized, match=r"retail\.customers\.email.* in erase"):
            an.erase("retail.customers", f"email = '{EMAILS[0]}'")
        with pytest.raises(NotAuthorized, match=r"rows of retail\.customers"):
            an.erase("retail.customers", "customer_id = 2")  # a row the analyst cannot see
    assert _values(owner, "SELECT count(*) FROM retail.customers") == [4]


# -- 6: no literal survives in stored or shown SQL -------------------------------------------------

SECRET = "zoe.secret@example.com"  # a PII value that is nowhere in the data


def test_hole_6_a_literal_is_in_no_file_of_the_workspace(owner: Session, workspace: Path) -> None:
    """The secret in ten positions (and a comment, an error, a refusal, an erasure): afterwards no
    file of the workspace holds it — audit log, metadata files, catalog, index, cache — and
    neither does any history a user is shown."""
    owner.sql(
        "CREATE TABLE retail.notes AS SELECT customer_id, email AS note FROM retail.customers"
    )
    t = "retail.customers"
    statements = [
        f"SELECT count(*) FROM {t} WHERE email = '{SECRET}'",
        f"SELECT count(*) FROM {t} WHERE contains(email, '{SECRET}')",
        f"SELECT count(*) FROM {t} WHERE email IN ('x@example.com', '{SECRET}')",
        f"SELECT sum(CASE WHEN email = '{SECRET}' THEN 1 ELSE 0 END) AS hits FROM {t}",
        f"WITH c AS (SELECT * FROM {t} WHERE email <> '{SECRET}') SELECT count(*) FROM c",
        f"SELECT count(*) FROM {t} WHERE customer_id IN "
        f"(SELECT customer_id FROM retail.notes WHERE note = upper('{SECRET}'))",
        f"UPDATE {t} SET country = 'DE' WHERE email = '{SECRET}'",
        f"DELETE FROM {t} WHERE lower(email) = lower('{SECRET}')",
        f"CREATE TABLE retail.hits AS SELECT customer_id FROM {t} WHERE email LIKE '{SECRET}%'",
        f"MERGE INTO retail.notes AS n USING (SELECT 1 AS customer_id) AS s "
        f"ON n.customer_id = s.customer_id AND n.note = '{SECRET}' WHEN MATCHED THEN DELETE",
        f"SELECT count(*) FROM {t} -- looking for {SECRET}",
    ]
    for sql in statements:
        owner.sql(sql)
    for failing in (f"SELECT nosuchcolumn FROM {t} WHERE email = '{SECRET}'",
                    f"SELECT CAST('{SECRET}' AS INTEGER)"):  # fmt: skip
        with pytest.raises(QueryError):  # a failing statement: its error is audited too
            owner.sql(failing)
    owner.erase(t, f"email = '{SECRET}'")
    with _analyst(workspace) as an:
        with pytest.raises(NotAuthorized):
            an.sql(f"DELETE FROM {t} WHERE email = '{SECRET}'")
        an.sql(f"SELECT count(*) FROM {t} WHERE email = '{SECRET}'")
        shown = [an.snapshots(t).arrow(), owner.snapshots("retail.notes").arrow()]
    shown.append(owner.snapshots(t).arrow())
    assert not any(SECRET in str(table.to_pylist()) for table in shown)
    assert not any(SECRET in str(r.data) for r in owner.audit.tail(50))
    owner.close()
    needle = SECRET.encode()
    leaked = [
        str(p.relative_to(workspace))
        for p in workspace.rglob("*")
        if p.is_file() and needle in p.read_bytes()
    ]
    assert not leaked, f"the secret is stored in {leaked}"


# -- internal reads: index samples, the planner's probes, classification samples ----------------


def test_internal_reads_go_through_the_policy(owner: Session, workspace: Path) -> None:
    """The metadata index keeps no values of rows or columns any policy hides, and the planner's
    probes of the data run as the asking user: a hidden city cannot be confirmed by a question."""
    from neurolake_lab.agents.planner.probe import DataProbe

    owner.sql(
        "CREATE TABLE retail.shops AS SELECT * FROM (VALUES (1, 'Berlin', 'DE', 'open'), "
        "(2, 'Hamburg', 'DE', 'open'), (3, 'Lyon', 'FR', 'closed'), (4, 'Nice', 'FR', 'open'), "
        "(5, 'Bonn', 'DE', 'open'), (6, 'Paris', 'FR', 'open')) t(id, city, country, status)"
    )
    owner.sql("CREATE TABLE retail.plain AS SELECT range AS id, ['a', 'b'][range % 2 + 1] AS k "
              "FROM range(40)")  # fmt: skip
    (workspace / "policies.yaml").write_text(
        "roles: {analyst: {}}\nusers: {analyst: {roles: [analyst], attributes: {country: DE}}}\n"
        "row_filters:\n  - {name: own, tables: [retail.shops], roles: [analyst],"
        " predicate: country = current_user_country()}\n"
        "rules:\n  - {name: no-k, columns: [retail.plain.k], roles: [analyst], action: deny}\n"
    )
    with _analyst(workspace) as an:
        query = an.services.query
        query.refresh()
        snapshot = an.services.index.refresh(query)
        shops = {c.name: c.samples for c in snapshot.tables["retail.shops"].columns}
        plain = {c.name: c.samples for c in snapshot.tables["retail.plain"].columns}
        assert shops["city"] == () and shops["status"] == ()  # a row filter: no samples at all
        assert plain["k"] == ()  # denied for someone: not sampled
        cols = [c for c in snapshot.tables["retail.shops"].columns if c.name == "city"]
        probe = DataProbe(query.engine.con, query.governed_sql)
        assert probe.values("Lyon", "retail.shops", cols) == []  # a French city: hidden
        assert probe.values("Bonn", "retail.shops", cols) == [("retail.shops.city", "Bonn")]
    query = owner.services.query
    probe = DataProbe(query.engine.con, query.governed_sql)
    assert probe.values("Lyon", "retail.shops", cols) == [("retail.shops.city", "Lyon")]
