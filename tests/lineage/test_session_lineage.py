"""Lineage in the session: in every cell report, in every write's snapshot, across tables."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from neurolake_lab.exceptions import UsageError
from neurolake_lab.session import Session


def edges(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["source"], e["target"], e["kind"]) for e in report["lineage"]["edges"]}


def test_the_report_carries_the_query_lineage(session: Session, report_validator) -> None:
    session.sql(
        "CREATE TABLE s.orders AS SELECT range AS id, range % 3 AS c, range * 1.5 AS amt FROM range(9)"
    )
    session.sql("CREATE TABLE local_rates AS SELECT 0 AS c, 2.0 AS rate")
    result = session.sql(
        "SELECT o.c, sum(o.amt * r.rate) AS total FROM orders o JOIN local_rates r USING (c) "
        "WHERE o.id > 2 GROUP BY o.c"
    )
    report = result.report
    report_validator.validate(report)
    found = edges(report)
    assert ("s.orders.amt", "output.total", "AGGREGATION") in found
    assert ("main.local_rates.rate", "output.total", "AGGREGATION") in found
    assert ("s.orders.id", "output.total", "FILTER") in found
    assert ("s.orders.c", "output.c", "IDENTITY") in found
    nodes = {n["id"]: n for n in report["lineage"]["nodes"]}
    assert nodes["s.orders.amt"]["snapshot_id"] == session.lakehouse.current_snapshot_id(
        ("s", "orders")
    )
    # no table read, no lineage
    assert session.sql("SELECT 42 AS x").report["lineage"] == {"nodes": [], "edges": []}


def test_writes_record_lineage_followed_across_tables(session: Session) -> None:
    session.sql("CREATE TABLE s.raw AS SELECT range AS id, range * 2 AS v FROM range(5)")
    session.sql("CREATE TABLE s.mid AS SELECT id, v + 1 AS w FROM s.raw WHERE id > 0")
    session.sql("CREATE TABLE s.top (total BIGINT)")
    session.sql("INSERT INTO s.top SELECT sum(w) FROM s.mid")
    up = session.lineage("s.top.total")
    assert {(e.source, e.target, e.kind) for e in up.edges} >= {
        ("s.mid.w", "s.top.total", "AGGREGATION"),
        ("s.raw.v", "s.mid.w", "TRANSFORMATION"),
        ("s.raw.id", "s.mid.w", "FILTER"),
    }
    assert {(e.source, e.target) for e in session.lineage("s.top.total", depth=1).edges} == {
        ("s.mid.w", "s.top.total")
    }
    down = session.lineage("s.raw.v", "downstream")
    assert {e.target for e in down.edges} == {"s.mid.w", "s.top.total"}
    assert session.lineage("s.mid").tables() == ["s.mid"]
    assert session.lineage("s.mid", "downstream").tables() == ["s.top"]
    events = up.to_openlineage(job_namespace="ws")
    assert [e["outputs"][0]["name"] for e in events] == ["s.mid", "s.top"]
    facet = events[1]["outputs"][0]["facets"]["columnLineage"]["fields"]["total"]
    assert facet["inputFields"][0]["name"] == "s.mid" and facet["inputFields"][0]["field"] == "w"
    with pytest.raises(UsageError, match=r"no table or column s\.nothing\.x"):
        session.lineage("s.nothing.x")
    with pytest.raises(UsageError, match=r"no table or column s\.raw\.nope"):
        session.lineage("s.raw.nope")


def test_tables_no_write_used_have_empty_lineage(retail: Session) -> None:
    """The demo tables come from Arrow, not SQL: their lineage is empty, not an error (issue 13)."""
    assert retail.lineage("retail.customers", "downstream").edges == []
    assert retail.lineage("retail.customers.email", "downstream").edges == []
    assert retail.lineage("retail.orders").edges == []


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_writes_send_openlineage_events_when_configured(session: Session, monkeypatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api/v1/lineage"
        monkeypatch.setenv("NEUROLAKE_OPENLINEAGE_URL", url)
        session.sql("CREATE TABLE s.a AS SELECT range AS id FROM range(3)")
        session.sql("CREATE TABLE s.b AS SELECT id * 10 AS big FROM s.a")
        event = _Collector.received[-1]
        assert event["eventType"] == "COMPLETE" and event["outputs"][0]["name"] == "s.b"
        fields = event["outputs"][0]["facets"]["columnLineage"]["fields"]
        assert fields["big"]["inputFields"][0]["field"] == "id"
        assert event["inputs"][0]["name"] == "s.a"
    finally:
        server.shutdown()
    # a consumer that is down: the write commits, the user is told
    result = session.sql("CREATE TABLE s.c AS SELECT * FROM s.a")
    assert "did not take the lineage" in result.notices[0]
    assert session.sql("SELECT count(*) FROM s.c").arrow()[0][0].as_py() == 3


def test_lineage_magic_answers_empty_lineage_with_a_note(ip: Any) -> None:
    ip.run_cell_magic("sql", "", "CREATE TABLE s.plain AS SELECT 1 AS x")
    result = ip.run_line_magic("lineage", "s.plain --downstream")
    assert len(result) == 0
    assert result.notices == [
        "nothing is recorded downstream of s.plain: lineage is recorded when a table is written "
        "from a query (CREATE TABLE ... AS SELECT, INSERT ... SELECT)"
    ]
    assert "note: nothing is recorded downstream" in result._repr_mimebundle_()["text/plain"]
