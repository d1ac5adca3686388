"""The benchmarks' guards (``bench/runs.py``): a cold run that a cache answered stops the benchmark.

Each guard is shown failing on a real cache hit (the result cache of a real session over Iceberg
tables, the lineage graph cache, the policy enforcement cache, the prediction cache, the result
cache of a real NeuroLake kernel) and passing on a real cold run, so a guard that stopped
checking would fail here. No timing is asserted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import neurolake_lab
from neurolake_lab.session import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import runs

SQL = "SELECT k, sum(v) AS s FROM bench.t GROUP BY k ORDER BY k"


@pytest.fixture
def lake(session: Session) -> Session:
    """A session (result cache on, the default) over one small Iceberg table."""
    session.write("bench.t", pa.table({"k": [1, 2, 2, 3], "v": [1.0, 2.0, 3.0, 4.0]}))
    return session


def test_a_cold_run_the_result_cache_answered_stops_the_benchmark(lake: Session) -> None:
    first = runs.cold(lake, SQL)  # nothing cached yet: it runs
    assert not first.cached
    with pytest.raises(SystemExit, match="cold run was answered by the result cache"):
        runs.cold(lake, SQL)
    assert runs.cached(lake, SQL).arrow().equals(first.arrow())
    with pytest.raises(SystemExit, match="the result cache answered"):
        runs.no_hits(lake, "the cold runs")
    assert runs.cache_line(lake) == "result cache: on"


def test_cold_sessions_always_run_and_a_cached_run_that_ran_stops_the_benchmark(
    lake: Session,
) -> None:
    lake.sql(SQL)  # the workspace's cache files hold the result now
    with runs.connect_cold(lake.settings.workspace) as cold:
        assert runs.cache_line(cold) == "result cache: off (every query runs)"
        assert not runs.cold(cold, SQL).cached and not runs.cold(cold, SQL).cached
        runs.no_hits(cold, "the cold runs")
        with pytest.raises(SystemExit, match="cached run was computed"):
            runs.cached(cold, SQL)


def test_results_showing_pii_in_clear_are_named_not_timed_as_cached(lake: Session) -> None:
    lake.write("bench.people", pa.table({"id": [1, 2], "email": ["a@x.org", "b@y.org"]}))
    lake.set_pii("bench.people", "email", "EMAIL_ADDRESS")
    sql = "SELECT id, email FROM bench.people"
    shown = lake.sql(sql)
    assert runs.clear_pii(shown) == ["bench.people.email"]
    with pytest.raises(SystemExit, match="cached run was computed"):
        runs.cached(lake, sql)  # the cache never keeps it: why benchmarks name such queries
    assert runs.clear_pii(lake.sql(SQL)) == []


def test_a_cell_report_from_the_result_cache_stops_a_kernel_benchmark(lake: Session) -> None:
    from neurolake_lab.report import build_report

    runs.cold_report(build_report(lake.sql(SQL)), SQL)  # computed: passes
    hit = lake.sql(SQL)
    assert hit.cached
    with pytest.raises(SystemExit, match="cold cell was answered by the result cache"):
        runs.cold_report(build_report(hit), SQL)


def test_in_process_caches_answering_a_cold_call_stop_the_benchmark() -> None:
    from neurolake_lab.lineage import columns, query_lineage

    schema = {"s.t": {"a": "INTEGER", "b": "VARCHAR"}}
    text = "SELECT a, upper(b) AS c FROM s.t"
    columns.clear_cache()
    with runs.Hits(columns._graphs, cold=True, what=text):
        query_lineage(text, schema)  # computed
    with (
        pytest.raises(SystemExit, match="cold call was answered by a cache"),
        runs.Hits(columns._graphs, cold=True, what=text),
    ):
        query_lineage(text, schema)
    with runs.Hits(columns._graphs, cold=False, what=text):
        query_lineage(text, schema)
    columns.clear_cache()
    with (
        pytest.raises(SystemExit, match="cached call was computed"),
        runs.Hits(columns._graphs, cold=False, what=text),
    ):
        query_lineage(text, schema)


def test_a_new_text_the_prediction_cache_answered_stops_the_benchmark(lake: Session) -> None:
    kept = lake.services.cost_model.predictions
    with runs.Hits(kept, cold=True, what=SQL):
        assert lake.predict(SQL) is not None
    with (
        pytest.raises(SystemExit, match="cold call was answered by a cache"),
        runs.Hits(kept, cold=True, what=SQL),
    ):
        lake.predict(SQL)


@pytest.fixture
def cached_kernel(workspace: Path) -> Iterator[Any]:
    """A real NeuroLake kernel whose result cache is on, with the small table written."""
    from jupyter_client.manager import start_new_kernel

    env = {**os.environ, "NEUROLAKE_WORKSPACE": str(workspace), "NEUROLAKE_RESULT_CACHE": "on"}
    with neurolake_lab.connect(workspace) as s:
        s.write("bench.t", pa.table({"k": [1, 2], "v": [1.0, 2.0]}))
    km, kc = start_new_kernel(kernel_name="neurolake", env=env)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.mark.slow
def test_a_kernel_whose_cache_is_on_or_answered_stops_a_kernel_benchmark(
    cached_kernel: Any,
) -> None:
    assert runs.kernel_cache(cached_kernel) == (True, 0)
    with pytest.raises(SystemExit, match="the result cache is on in the k kernel timed cold"):
        runs.cold_kernel(cached_kernel, "k", before=True)
    for _ in range(2):
        reply = cached_kernel.execute_interactive(f"%%sql\n{SQL}", timeout=120)
        assert reply["content"]["status"] == "ok"
    assert runs.kernel_cache(cached_kernel) == (True, 1)  # the second cell was a hit


def test_every_benchmark_dates_its_figures_and_states_the_cache() -> None:
    """A benchmark added later must say when it measured and whether the result cache was on,
    and ``make bench`` must run it."""
    bench = Path(runs.__file__).parent
    makefile = (bench.parent / "Makefile").read_text()
    data = {"runs.py", "pii_labelled.py", "pii_faker_set.py"}  # helpers and evaluation sets
    scripts = [p for p in sorted(bench.glob("*.py")) if p.name not in data]
    assert len(scripts) >= 18
    for script in scripts:
        text = script.read_text()
        assert "provenance()" in text, f"{script.name} does not print provenance()"
        assert "result cache" in text or "cache_line(" in text, f"{script.name}: cache unstated"
        assert f"$(BENCH)/{script.name}" in makefile, f"make bench does not run {script.name}"
