"""Result cache: keyed by SQL, input snapshots and policy context; bounded, spilled, private."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import neurolake_lab
from neurolake_lab.cache import CacheKey, NotCacheable, ResultCache
from neurolake_lab.cost.workload import load_tpch, tpch_queries
from neurolake_lab.session import Session


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("tpch-template")
    with neurolake_lab.connect(ws) as session:
        load_tpch(session, 0.01, "tpch")
    return ws


@pytest.fixture
def tpch(template: Path, tmp_path: Path) -> Iterator[Session]:
    """A workspace of its own per test (tests commit to it), copied from one TPC-H load."""
    ws = tmp_path / "ws"
    shutil.copytree(template, ws)
    with neurolake_lab.connect(ws) as session:
        yield session


def key(cache: ResultCache, session: Session, sql: str, context: str = "owner") -> CacheKey:
    k = cache.key(session.query, sql, policy_context=context)
    assert isinstance(k, CacheKey), k
    return k


def test_a_cached_result_is_the_result(tpch: Session) -> None:
    cache = ResultCache(tpch.settings.workspace)
    for sql in tpch_queries("tpch")[:6]:
        k = key(cache, tpch, sql)
        assert cache.get(k) is None
        result = tpch.sql(sql).arrow()
        assert cache.put(k, result)
        hit = cache.get(key(cache, tpch, sql))
        assert hit is not None and hit.equals(result) and hit.schema == result.schema
    assert cache.stats.memory_hits == 6 and cache.stats.misses == 6


def test_layout_comments_and_case_do_not_matter_values_do(tpch: Session) -> None:
    cache = ResultCache(tpch.settings.workspace)
    a = key(cache, tpch, "SELECT count(*) FROM tpch.nation WHERE n_regionkey = 1")
    b = key(cache, tpch, "select COUNT(*)\nfrom TPCH.NATION -- how many\nwhere N_REGIONKEY = 1;")
    c = key(cache, tpch, "SELECT count(*) FROM tpch.nation WHERE n_regionkey = 2")
    assert a.digest == b.digest != c.digest
    p1 = cache.key(tpch.query, "SELECT * FROM tpch.nation WHERE n_regionkey = $r", policy_context="",
                   params={"r": 1})  # fmt: skip
    p2 = cache.key(tpch.query, "SELECT * FROM tpch.nation WHERE n_regionkey = $r", policy_context="",
                   params={"r": 2})  # fmt: skip
    assert isinstance(p1, CacheKey) and isinstance(p2, CacheKey) and p1.digest != p2.digest


def test_masked_and_unmasked_never_share(tpch: Session) -> None:
    cache = ResultCache(tpch.settings.workspace)
    sql = "SELECT c_name, c_phone FROM tpch.customer LIMIT 5"
    cache.put(key(cache, tpch, sql, "unmasked"), tpch.sql(sql).arrow())
    assert cache.get(key(cache, tpch, sql, "masked:c_phone")) is None
    assert cache.get(key(cache, tpch, sql, "unmasked")) is not None


def test_a_new_snapshot_invalidates(tpch: Session) -> None:
    cache = ResultCache(tpch.settings.workspace, memory_bytes=1)  # everything spills to disk
    sql = "SELECT count(*) AS n FROM tpch.region"
    old = key(cache, tpch, sql)
    cache.put(old, tpch.sql(sql).arrow())
    files = list((Path(tpch.settings.workspace) / "cache" / "results").glob("*.arrow"))
    assert len(files) == 1
    tpch.sql("INSERT INTO tpch.region VALUES (9, 'ATLANTIS', 'sunk')")
    new = key(cache, tpch, sql)
    assert new.digest != old.digest and cache.get(new) is None
    assert cache.get(old) is None and not files[0].exists()  # the stale entry is gone
    assert cache.stats.invalidated == 1


def test_time_travel_results_stay_valid(tpch: Session) -> None:
    cache = ResultCache(tpch.settings.workspace)
    first = tpch.snapshots("tpch.region").arrow().column("snapshot_id")[0].as_py()
    sql = f"SELECT count(*) FROM tpch.region FOR VERSION AS OF {first}"
    k = key(cache, tpch, sql)
    cache.put(k, tpch.sql(sql).arrow())
    tpch.sql("INSERT INTO tpch.region VALUES (9, 'ATLANTIS', 'sunk')")
    assert cache.get(key(cache, tpch, sql)) is not None  # the snapshot read did not change


def test_what_is_never_cached(tpch: Session, tmp_path: Path) -> None:
    cache = ResultCache(tpch.settings.workspace)
    frame = pd.DataFrame({"x": [1, 2]})
    tpch.sql("CREATE TABLE scratch AS SELECT 1 AS x")
    csv = tmp_path / "f.csv"
    csv.write_text("a\n1\n")
    cases = {
        "SELECT * FROM frame": "DataFrame",
        "SELECT * FROM scratch": "session table",
        f"SELECT * FROM read_csv('{csv}')": "table function",
        "SELECT random() AS r": "different value",
        "SELECT n_name, now() FROM tpch.nation": "different value",
        "SELECT * FROM tpch.nation WHERE n_nationkey < current_date - DATE '2020-01-01'": "different",
        "SELECT 1; SELECT 2": "one query",
        "INSERT INTO tpch.region VALUES (10, 'X', 'y')": "one query",
    }
    for sql, why in cases.items():
        got = cache.key(tpch.query, sql, policy_context="", namespace={"frame": frame})
        assert isinstance(got, NotCacheable) and why in got.reason, (sql, got)
    assert isinstance(cache.key(tpch.query, "SELECT * FROM range(3)", policy_context=""), CacheKey)


def test_memory_is_bounded_and_spills_to_private_files(tpch: Session) -> None:
    table = pa.table({"x": list(range(50_000))})  # 400 kB
    cache = ResultCache(tpch.settings.workspace, memory_bytes=2_000_000, disk_bytes=10**9)
    keys = []
    for i in range(8):
        k = key(cache, tpch, f"SELECT {i} AS i, count(*) FROM tpch.nation")
        cache.put(k, table)
        keys.append(k)
    assert cache.store.memory_used <= 2_000_000
    folder = Path(tpch.settings.workspace) / "cache" / "results"
    files = list(folder.glob("*.arrow"))
    assert len(files) == 3  # five fit in memory; the three used longest ago went to disk
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
    for k in keys:  # every entry is still there, from memory or from its file
        got = cache.get(k)
        assert got is not None and got.equals(table)
    assert cache.stats.disk_hits == 3


def test_disk_is_bounded_too(tpch: Session) -> None:
    table = pa.table({"x": list(range(50_000))})  # 400 kB: six are more than 2 MB
    cache = ResultCache(tpch.settings.workspace, memory_bytes=1, disk_bytes=2_000_000)
    for i in range(6):
        assert cache.put(key(cache, tpch, f"SELECT {i} AS i FROM tpch.nation"), table)
    assert cache.store.disk_used() <= 2_000_000
    assert cache.get(key(cache, tpch, "SELECT 5 AS i FROM tpch.nation")) is not None
    assert cache.get(key(cache, tpch, "SELECT 0 AS i FROM tpch.nation")) is None


def test_another_kernel_reads_spilled_results(tpch: Session) -> None:
    ws = Path(tpch.settings.workspace)
    cache = ResultCache(ws, memory_bytes=1)
    sql = "SELECT n_name FROM tpch.nation ORDER BY n_name"
    cache.put(key(cache, tpch, sql), tpch.sql(sql).arrow())
    code = textwrap.dedent(
        f"""
        import neurolake_lab
        from neurolake_lab.cache import ResultCache
        s = neurolake_lab.connect({str(ws)!r})
        c = ResultCache({str(ws)!r})
        hit = c.get(c.key(s.query, {sql!r}, policy_context="owner"))
        print(hit.num_rows, hit.column(0)[0].as_py())
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["25", "ALGERIA"]


def test_a_damaged_file_is_a_miss_not_an_error(tpch: Session) -> None:
    cache = ResultCache(tpch.settings.workspace, memory_bytes=1)
    k = key(cache, tpch, "SELECT * FROM tpch.region")
    cache.put(k, tpch.sql("SELECT * FROM tpch.region").arrow())
    path = Path(tpch.settings.workspace) / "cache" / "results" / f"{k.digest}.arrow"
    path.write_bytes(b"not arrow at all")
    os.chmod(path, 0o600)
    assert cache.get(k) is None and not path.exists()


def test_a_result_too_large_to_keep_is_not_kept(tpch: Session) -> None:
    cache = ResultCache(tpch.settings.workspace, memory_bytes=1000, disk_bytes=4000)
    k = key(cache, tpch, "SELECT * FROM tpch.nation")
    assert not cache.put(k, pa.table({"x": list(range(10_000))}))
    assert cache.get(k) is None


def test_clear_removes_everything(tpch: Session) -> None:
    cache = ResultCache(tpch.settings.workspace, memory_bytes=1)
    k = key(cache, tpch, "SELECT * FROM tpch.region")
    cache.put(k, tpch.sql("SELECT * FROM tpch.region").arrow())
    cache.clear()
    assert cache.get(k) is None and cache.store.disk_used() == 0


def test_the_cache_can_be_turned_off_and_says_when_it_answered(
    tpch: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``QueryResult.cached`` tells a cache hit; with ``result_cache=False`` every query runs
    (what benchmarks of cold runs use: bench/runs.py stops a benchmark whose cold run hit it)."""
    sql = tpch_queries("tpch")[0]
    first, again = tpch.sql(sql), tpch.sql(sql)
    assert not first.cached and again.cached and again.arrow().equals(first.arrow())
    with neurolake_lab.connect(tpch.settings.workspace, result_cache=False) as cold:
        assert cold.settings.result_cache is False
        assert not cold.sql(sql).cached and not cold.sql(sql).cached
    monkeypatch.setenv("NEUROLAKE_RESULT_CACHE", "off")
    with neurolake_lab.connect(tpch.settings.workspace) as cold:
        assert not cold.sql(sql).cached
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "bench"))
    import runs

    with pytest.raises(SystemExit, match="cold run was answered by the result cache"):
        runs.cold(tpch, sql)  # tpch's cache is on and holds the result
    assert runs.cached(tpch, sql).cached


def test_a_cell_the_cache_answers_is_not_predicted(tpch: Session) -> None:
    """The pipeline looks the result up before it predicts the cost (issue 18): a cell the cache
    answers runs no prediction (the cost model's prediction cache stays empty, nothing is
    learned) and says it came from the cache; a cell it cannot answer is predicted as before."""
    sql, other = tpch_queries("tpch")[4], tpch_queries("tpch")[5]  # q5 reads region
    model = tpch.services.cost_model
    first = tpch.sql(sql)
    assert not first.cached and first.cost is not None and len(model.predictions) == 1
    model.clear_cache()
    learned = model.store.version()
    again = tpch.sql(sql)
    assert again.cached and again.arrow().equals(first.arrow())
    assert again.cost is None and len(model.predictions) == 0
    assert any("from the result cache" in n for n in again.notices)
    assert model.store.version() == learned
    fresh = tpch.sql(other)
    assert not fresh.cached and fresh.cost is not None and len(model.predictions) == 1
    # the same query over a new snapshot is not answered by the cache: predicted again
    model.clear_cache()
    tpch.sql("INSERT INTO tpch.region VALUES (99, 'NOWHERE', 'new')")
    moved = tpch.sql(sql)
    assert not moved.cached and moved.cost is not None


def test_preflight_says_a_cell_the_cache_answers_costs_nothing(tpch: Session) -> None:
    """While the user types, a cell the result cache would answer is shown as answered from the
    cache (issue 18): ``cached`` true, a cost of 0 ms with the cached result's rows, and no
    prediction made; nothing runs and nothing is audited. Lineage and compliance still show."""
    from neurolake_lab.kernel.preflight import preflight_cell

    sql, other = tpch_queries("tpch")[4], tpch_queries("tpch")[5]
    model = tpch.services.cost_model
    cold = tpch.preflight(sql)
    assert cold["cached"] is False and cold["cost"]["predicted_ms"] > 0
    first = tpch.sql(sql)
    model.clear_cache()
    stats = tpch.services.result_cache.stats
    hits, misses = stats.memory_hits + stats.disk_hits, stats.misses
    audited = [r.seq for r in tpch.audit.tail(50)]
    out = tpch.preflight(sql)
    assert out["error"] is None and out["cached"] is True
    assert out["cost"]["predicted_ms"] == 0 and out["cost"]["estimated_bytes"] == 0
    assert out["cost"]["estimated_rows"] == first.arrow().num_rows
    assert out["lineage"]["edges"] and len(model.predictions) == 0
    assert stats.memory_hits + stats.disk_hits == hits + 1 and stats.misses == misses
    comm = preflight_cell(tpch, f"%%sql\n{sql}")  # what the JupyterLab bar receives
    assert comm["kind"] == "sql" and comm["result"]["cached"] is True
    assert [r.seq for r in tpch.audit.tail(50)] == audited  # a preview is not audited
    assert len(model.predictions) == 0
    # another engine's results are kept apart, another query is not cached: both predicted
    assert preflight_cell(tpch, f"%%sql --engine daft\n{sql}")["result"]["cached"] is False
    fresh = tpch.preflight(other)
    assert fresh["cached"] is False and fresh["cost"]["predicted_ms"] > 0
    tpch.sql("INSERT INTO tpch.region VALUES (99, 'NOWHERE', 'new')")
    moved = tpch.preflight(sql)  # a new snapshot: the cached result no longer answers
    assert moved["cached"] is False and moved["cost"]["predicted_ms"] > 0
