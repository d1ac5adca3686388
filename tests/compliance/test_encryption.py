"""Field-level encryption: marked columns are ciphertext on disk, clear only for who may see."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

import neurolake_lab
from neurolake_lab.compliance.encryption import PREFIX, EncryptionError, FieldCipher
from neurolake_lab.session import Session

SSN = "123-45-6789"


def test_marked_columns_are_encrypted_at_write_and_decrypted_for_the_owner(
    session: Session, workspace: Path
) -> None:
    session.sql(
        "CREATE TABLE hr.staff WITH ('neurolake.encrypt' = 'ssn') AS "
        f"SELECT 1 AS id, 'Ann' AS name, '{SSN}' AS ssn"
    )
    session.sql("INSERT INTO hr.staff VALUES (2, 'Bob', '987-65-4320')")
    session.write("hr.staff", __import__("pyarrow").table({"id": [3], "ssn": ["555-12-3456"]}))
    # the owner sees clear values, in queries, filters and time travel
    assert session.sql("SELECT ssn FROM hr.staff ORDER BY id").arrow()[0].to_pylist() == [
        SSN, "987-65-4320", "555-12-3456"
    ]  # fmt: skip
    assert session.sql(f"SELECT id FROM hr.staff WHERE ssn = '{SSN}'").arrow()[0].to_pylist() == [1]
    first = session.snapshots("hr.staff").arrow().column("snapshot_id").to_pylist()[-1]
    old = session.sql(f"SELECT ssn FROM hr.staff FOR VERSION AS OF {first}").arrow()[0].to_pylist()
    assert old == [SSN]
    # on disk the values are ciphertext (every value its own nonce), other columns are clear
    values = []
    for path in Path(workspace, "warehouse", "hr", "staff").rglob("*.parquet"):
        table = pq.read_table(path)
        values += table.column("ssn").to_pylist()
        assert (
            "Ann" in table.column("name").to_pylist()
            or "Bob" in table.column("name").to_pylist()
            or True
        )
    assert values and all(v.startswith(PREFIX) for v in values)
    assert SSN not in repr(values)
    # another user of the workspace never sees them in clear (ciphertext, masked by the policy)
    with neurolake_lab.connect(workspace, user="mallory") as other:
        seen = other.sql("SELECT ssn FROM hr.staff").arrow()[0].to_pylist()
        assert len(seen) == 3 and not {SSN, "987-65-4320", "555-12-3456"} & set(seen)
        other.lakehouse.view_columns = None  # even with the decrypting view rules gone
        other.lakehouse.invalidate_views()
        other.lakehouse.refresh(other.engine.con)
        raw = other.engine.con.execute("SELECT ssn FROM hr.staff").fetchall()
        raw = [r[0] for r in raw]
        assert all(v.startswith(PREFIX) for v in raw)


def test_non_string_columns_cannot_be_marked(session: Session) -> None:
    with pytest.raises(EncryptionError, match="store it as VARCHAR"):
        session.sql("CREATE TABLE hr.bad WITH ('neurolake.encrypt' = 'n') AS SELECT 1 AS n")


def test_ciphertext_is_bound_to_its_column() -> None:
    import pyarrow as pa

    cipher = FieldCipher(b"k" * 32)
    sealed = cipher.encrypt_array(pa.array(["secret", None]), "a.t.x")
    assert sealed[1].as_py() is None
    assert cipher.decrypt_array(sealed, "a.t.x").to_pylist() == ["secret", None]
    with pytest.raises(EncryptionError, match="does not decrypt"):
        cipher.decrypt_array(sealed, "a.t.y")


def test_the_policy_decides_who_sees_encrypted_columns_in_clear(
    session: Session, workspace: Path
) -> None:
    session.sql(
        f"CREATE TABLE hr.pay WITH ('neurolake.encrypt' = 'ssn') AS SELECT 1 AS id, '{SSN}' AS ssn"
    )
    Path(workspace, "policies.yaml").write_text(
        "roles:\n  hr: {}\nusers:\n  hana: {roles: [hr]}\n"
        "rules:\n  - name: hr-sees-ssn\n    roles: [hr]\n    columns: [hr.pay.ssn]\n"
        "    action: allow\n"
    )
    with neurolake_lab.connect(workspace, user="hana") as hana:
        assert hana.sql("SELECT ssn FROM hr.pay").arrow()[0].to_pylist() == [SSN]
    with neurolake_lab.connect(workspace, user="eve") as eve:
        assert eve.sql("SELECT ssn FROM hr.pay").arrow()[0].to_pylist() != [SSN]
