"""The metadata index: rows for every table and column, PII rules for samples, freshness,
retrieval, the read cache, and several processes on one index. Real LanceDB, real DuckDB."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from neurolake_lab.index import MetadataIndex
from neurolake_lab.index.readcache import generation
from neurolake_lab.llm import LocalEmbedder
from neurolake_lab.session import Session

REPO = Path(__file__).resolve().parents[2]


def shop(session: Session, *, pii: dict[str, str | None] | None = None) -> None:
    """A small table with a PII column, a low-cardinality column and a free-text column."""
    data = pa.table(
        {
            "id": pa.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], pa.int64()),
            "contact_email": [f"user{i}@mail.example" for i in range(10)],
            "tier": [
                "gold",
                "silver",
                "gold",
                "bronze",
                "gold",
                "silver",
                "gold",
                "gold",
                "bronze",
                "gold",
            ],
            "notes": ["called twice"] * 10,
            "amount": [float(i) for i in range(10)],
        }
    )
    props = {"neurolake.primary_key": "id"}
    if pii is not None:
        props["neurolake.pii"] = json.dumps(
            {
                c: {
                    "entity": e,
                    "entities": [e] if e else [],
                    "score": 0.9,
                    "category": "identifier" if e else None,
                    "free_text": False,
                    "source": "detected",
                }
                for c, e in pii.items()
            }
        )
    session.write(
        "shop.members",
        data,
        docs={
            "id": "Member id.",
            "contact_email": "Where to write to the member.",
            "tier": "Loyalty tier of the member.",
            "notes": "Free notes.",
            "amount": "Money spent.",
        },
        description="Members of the loyalty programme.",
        properties=props,
    )


def untag(session: Session, table: str) -> None:
    """Remove the PII tags the write path stored: a table not classified (yet)."""
    session.lakehouse.refresh(session.engine.con)
    loaded = session.lakehouse.load(session.lakehouse.resolve(table))
    if "neurolake.pii" in loaded.properties:
        loaded.transaction().remove_properties("neurolake.pii").commit_transaction()
    session.lakehouse.refresh(session.engine.con)


def make_index(session: Session) -> MetadataIndex:
    """The index as a session makes it (sampling what every user may see, per the policy)."""
    session.lakehouse.refresh(session.engine.con)
    scope = session.services.governor
    return MetadataIndex(session.workspace.root / "index", LocalEmbedder(), scope=scope)


def test_rows_for_every_table_and_column(session: Session) -> None:
    shop(session)
    index = make_index(session)
    snap = index.refresh(session.query)
    table = snap.table("shop.members")
    assert table is not None
    assert [c.name for c in table.columns] == ["id", "contact_email", "tier", "notes", "amount"]
    assert table.description == "Members of the loyalty programme."
    assert table.primary_key == ("id",)
    assert table.column("tier").description == "Loyalty tier of the member."
    assert table.column("amount").data_type == "DOUBLE"
    assert table.rows == 10
    assert index.last_refresh["rebuilt"] == ["shop.members"]


def test_samples_never_of_tagged_pii_columns(session: Session) -> None:
    shop(
        session,
        pii={
            "id": None,
            "contact_email": "EMAIL_ADDRESS",
            "tier": None,
            "notes": None,
            "amount": None,
        },
    )
    snap = make_index(session).refresh(session.query)
    table = snap.table("shop.members")
    assert table is not None and table.classified
    email = table.column("contact_email")
    assert email.is_pii and email.pii_source == "tag" and email.samples == ()
    assert table.column("tier").samples == ("gold", "bronze", "silver")  # by frequency, then value
    assert table.column("tier").distinct == 3
    stored = (session.workspace.root / "index").rglob("*")
    raw = b"".join(p.read_bytes() for p in stored if p.is_file())
    assert b"user3@mail.example" not in raw


def test_untagged_tables_are_guessed_conservatively(session: Session) -> None:
    shop(session)
    untag(session, "shop.members")  # no tags: the name "contact_email" keeps it out of samples
    snap = make_index(session).refresh(session.query)
    table = snap.table("shop.members")
    assert table is not None and not table.classified
    assert table.column("contact_email").pii_source == "heuristic"
    assert table.column("contact_email").samples == ()
    assert table.pii_columns == {"contact_email"}


def test_the_classifier_hook_answers_for_untagged_tables(session: Session) -> None:
    shop(session)
    untag(session, "shop.members")
    index = make_index(session)
    asked: list[str] = []

    def hook(table_id: str) -> set[str]:
        asked.append(table_id)
        return {"contact_email", "notes"}

    index.pii_hook = hook
    snap = index.refresh(session.query)
    table = snap.table("shop.members")
    assert asked == ["shop.members"]
    assert table is not None and table.pii_columns == {"contact_email", "notes"}
    assert table.column("notes").pii_source == "hook" and table.column("notes").samples == ()


def test_refresh_follows_snapshots_schema_and_properties(session: Session) -> None:
    shop(session)
    index = make_index(session)
    index.refresh(session.query)
    gen = generation(index.root, index.store.schema_name)
    index.refresh(session.query)
    assert index.last_refresh["rebuilt"] == []
    assert generation(index.root, index.store.schema_name) == gen  # nothing written

    session.sql("INSERT INTO shop.members VALUES (11, 'x@y.example', 'platinum', 'n', 1.0)")
    session.lakehouse.refresh(session.engine.con)
    snap = index.refresh(session.query)
    assert index.last_refresh["rebuilt"] == ["shop.members"]
    assert "platinum" in snap.table("shop.members").column("tier").samples
    assert snap.table("shop.members").rows == 11

    session.sql("ALTER TABLE shop.members ADD COLUMN region VARCHAR")
    session.lakehouse.refresh(session.engine.con)
    snap = index.refresh(session.query)
    assert snap.table("shop.members").column("region") is not None

    tid = session.lakehouse.resolve("shop.members")
    loaded = session.lakehouse.load(tid)
    tags = {
        "contact_email": {
            "entity": "EMAIL_ADDRESS",
            "entities": ["EMAIL_ADDRESS"],
            "score": 1.0,
            "category": "identifier",
            "free_text": False,
            "source": "override",
        }
    }
    loaded.transaction().set_properties({"neurolake.pii": json.dumps(tags)}).commit_transaction()
    session.lakehouse.refresh(session.engine.con)
    snap = index.refresh(session.query)
    assert snap.table("shop.members").classified

    session.sql("DROP TABLE shop.members")
    session.lakehouse.refresh(session.engine.con)
    snap = index.refresh(session.query)
    assert snap.table("shop.members") is None and index.last_refresh["removed"] == ["shop.members"]


def test_retrieval(session: Session) -> None:
    shop(session)
    index = make_index(session)
    index.refresh(session.query)
    hits = index.relevant("which loyalty tier", limit=3)
    assert hits[0].id == "shop.members.tier"
    assert [(h.column, h.value) for h in index.find_value("Gold")] == [
        ("shop.members.tier", "gold")
    ]
    assert index.find_value("nowhere") == []
    assert index.similar_pairs("members per tier") == []
    index.add_pair(
        "How many members per tier?",
        "SELECT tier, count(*) FROM shop.members GROUP BY tier",
        user="ada",
        tables=("shop.members",),
    )
    index.add_pair("Total amount", "SELECT sum(amount) FROM shop.members", user="ada")
    hits2 = index.similar_pairs("number of members for each tier", limit=2)
    assert hits2[0].question == "How many members per tier?" and hits2[0].score > hits2[1].score
    assert hits2[0].tables == ("shop.members",)
    # accepting the same question again replaces its SQL
    index.add_pair("how many members per TIER", "SELECT 1", user="bob")
    assert len(index.pairs()) == 2


def test_another_embedding_rebuilds_and_adopts_pairs(session: Session) -> None:
    shop(session)
    first = make_index(session)
    first.refresh(session.query)
    first.add_pair("How many members?", "SELECT count(*) FROM shop.members", user="ada")
    other = MetadataIndex(session.workspace.root / "index", LocalEmbedder(dim=64))
    other.refresh(session.query)
    assert other.last_refresh["rebuilt"] == ["shop.members"]
    hits = other.similar_pairs("how many members are there")
    assert hits and hits[0].sql == "SELECT count(*) FROM shop.members"


def test_remote_embeddings_through_an_openai_compatible_endpoint(session: Session) -> None:
    from neurolake_lab.llm import OpenAIEmbedder
    from tests.support.fake_openai import FakeOpenAI

    shop(session)
    session.lakehouse.refresh(session.engine.con)
    with FakeOpenAI(embedding_dim=24) as server:
        emb = OpenAIEmbedder(base_url=server.base_url, api_key=None, model="emb")
        index = MetadataIndex(session.workspace.root / "index", emb)
        snap = index.refresh(session.query)
        assert snap.table("shop.members") is not None
        texts = [t for r in server.embedding_requests for t in r.body["input"]]
        assert any("loyalty" in t.lower() for t in texts)
        # embedded texts are metadata only: no sample values leave the machine
        assert not any("silver" in t or "bronze" in t for t in texts)
        emb.close()


def test_a_second_process_reads_without_lancedb(session: Session) -> None:
    shop(session)
    make_index(session).refresh(session.query)
    code = textwrap.dedent(f"""
        import sys, neurolake_lab
        s = neurolake_lab.connect({str(session.workspace.root)!r})
        r = s.ask("How many members per tier?")
        rows = sorted(tuple(x.values()) for x in r.arrow().to_pylist())
        print(rows, "lancedb" in sys.modules)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_env(),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("False")
    assert "('gold', 6)" in out.stdout


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(REPO), "NEUROLAKE_LLM": "offline"}


WRITER = """
import sys, neurolake_lab
from neurolake_lab.index import MetadataIndex
from neurolake_lab.llm import LocalEmbedder
s = neurolake_lab.connect(sys.argv[1])
for _ in range(3):
    s.lakehouse.refresh(s.engine.con)
    index = MetadataIndex(s.workspace.root / "index", LocalEmbedder(), scope=s.services.governor)
    index.refresh(s.query)
    index.add_pair(f"question from {sys.argv[2]}", "SELECT 1", user=sys.argv[2])
print("ok")
"""


def test_several_processes_on_one_index(session: Session) -> None:
    shop(session)
    for i in range(3):
        session.write(f"shop.t{i}", pa.table({"k": [1, 2, 3], "label": ["a", "b", "a"]}))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(session.workspace.root), f"p{i}"],
            cwd=REPO,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0 and out.strip() == "ok", err
    index = make_index(session)
    snap = index.refresh(session.query)
    assert sorted(snap.tables) == ["shop.members", "shop.t0", "shop.t1", "shop.t2"]
    assert index.last_refresh["rebuilt"] == []  # the other processes indexed everything
    rows = index.store.read_schema()
    ids = rows["id"].to_pylist()
    assert len(ids) == len(set(ids)) == 4 + 5 + 3 * 2  # no duplicate rows
    assert sorted(p["user"] for p in index.pairs()) == ["p0", "p1", "p2"]


@pytest.mark.parametrize(
    "name,doc,expected",
    [
        ("full_name", "", "PERSON"),
        ("product_name", "", None),
        ("department_name", "", None),
        ("name", "", "PERSON"),
        ("dob", "", "DATE_OF_BIRTH"),
        ("city", "City of the address", None),
        ("body", "Free text; may contain PII", "FREE_TEXT"),
        ("segment", "Customer segment", None),
    ],
)
def test_pii_guess(name: str, doc: str, expected: str | None) -> None:
    from neurolake_lab.index.pii import suspected_entity

    assert suspected_entity(name, doc) == expected


def test_connect_does_not_import_lancedb(workspace: Path) -> None:
    code = (
        "import sys, neurolake_lab; neurolake_lab.connect(sys.argv[1]).sql('select 1'); "
        "import neurolake_lab.magics, neurolake_lab.nl_magics; "
        "print([m for m in ('lancedb', 'openai', 'pyiceberg.table') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(workspace)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_env(),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "lancedb" not in out.stdout and "openai" not in out.stdout
