"""The package's shape: dependencies point one way, no module imports in a circle, start-up is light.

The table below is the architecture (docs/architecture.md draws it): a module may import modules of
its own layer's package and of any layer below it, never above. For the direction every import
counts — at the top of a module, inside a function, or under ``TYPE_CHECKING`` — because each one
ties the layers together. For cycles, the imports that run count: a type named under
``TYPE_CHECKING`` is a declaration, not a load order.
"""

from __future__ import annotations

import graphlib
import json
import subprocess
import sys
from functools import cache

import grimp
import pytest

#: Layers from the surface down; names in one row are siblings that may not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("kernel", "server", "cli"),  # processes: the Jupyter kernel, the server extension, the CLI
    ("pipelines_cli",),  # neurolake pipelines ...
    ("extension",),  # %load_ext: registers the magics
    ("nl_magics", "pipeline_magics"),  # %%nl, %%pipeline (on the %%sql magics' session)
    ("magics",),  # %%sql and the exploration magics
    ("nl_widgets", "completion", "demo", "feedback"),  # widgets, completion, demo data, Accept
    ("display",),  # IPython displays of errors and plans
    ("session",),  # Session: the facade a notebook holds
    ("agents",),  # %%nl: intent -> SQL -> review -> the cell pipeline
    ("pipelines",),  # data pipelines: runs, schedules, the monitor and self-healing
    ("cell",),  # one cell's pipeline: plan, stages, preflight
    ("services",),  # what a session works with, built in one place
    ("optimizer", "cache"),  # rewrites judged by the cost model; the result cache
    ("cost", "index"),  # cost prediction; the metadata index
    ("compliance",),  # policies, PII, audit
    ("lineage", "llm"),  # column lineage; language models and embeddings
    ("context",),  # the engine and lakehouse as one session sees them
    ("lakehouse",),  # Iceberg tables
    ("engine",),  # DuckDB
    ("result",),  # QueryResult
    ("pages",),  # results kept in the kernel for the paged table
    ("charts",),  # QueryResult.chart(): a Vega-Lite chart with a switch (ipywidgets)
    ("explorer",),  # QueryResult.explore(): paging, sort, filter, statistics (ipywidgets)
    ("report",),  # the cell report: the contract with the front end
    ("snippets", "keyfiles", "lru", "progress", "cell_lock"),  # helpers (progress: tqdm bars)
    ("config",),
    ("exceptions",),
    ("schema", "notebooks"),  # data files shipped in the package
]
PACKAGE = "neurolake_lab"


@cache
def _graph(type_checking: bool = True) -> grimp.ImportGraph:
    return grimp.build_graph(
        PACKAGE, cache_dir=None, exclude_type_checking_imports=not type_checking
    )


def test_every_module_has_a_layer() -> None:
    """A new top-level module must be placed in the table (and in docs/architecture.md)."""
    placed = {name for row in LAYERS for name in row}
    top = {m.split(".")[1] for m in _graph().modules if m.count(".") >= 1}
    unplaced = sorted(top - placed - {"_version", "labextension"})
    assert not unplaced, f"add these to LAYERS in {__file__}: {unplaced}"


def test_dependencies_point_down() -> None:
    layers = [grimp.Layer(*row, independent=True) for row in LAYERS]
    illegal = _graph().find_illegal_dependencies_for_layers(layers, containers={PACKAGE})
    problems = []
    for dep in sorted(illegal, key=lambda d: (d.importer, d.imported)):
        for route in dep.routes:
            chain = " -> ".join([*route.heads, *route.middle, *route.tails][:3])
            problems.append(f"{dep.importer} imports {dep.imported}: {chain}")
    assert not problems, "upward or sideways imports:\n" + "\n".join(sorted(problems)[:40])


def test_no_import_cycles() -> None:
    graph = _graph(type_checking=False)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    try:
        graphlib.TopologicalSorter(edges).prepare()
    except graphlib.CycleError as err:
        pytest.fail(f"import cycle: {' -> '.join(err.args[1])}")


def test_nothing_below_the_surface_imports_the_session() -> None:
    graph = _graph()
    importers = graph.find_modules_that_directly_import(f"{PACKAGE}.session")
    surface = {name for row in LAYERS[: LAYERS.index(("session",))] for name in row}
    below = sorted(
        m for m in importers if m != PACKAGE and m.split(".")[1] not in surface | {"session"}
    )
    assert not below, f"modules below the surface import the session: {below}"


@pytest.mark.parametrize(
    "module", ["neurolake_lab", "neurolake_lab.session", "neurolake_lab.kernel.kernel"]
)
def test_start_up_stays_light(module: str) -> None:
    """Importing the session (or the kernel) loads no agent, LLM, LanceDB or Presidio module."""
    code = f"import json, sys; import {module}; print(json.dumps(sorted(m for m in sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    heavy = [
        m
        for m in loaded
        if m.startswith(("neurolake_lab.agents", "neurolake_lab.llm", "neurolake_lab.index"))
        or m.split(".")[0] in {"lancedb", "presidio_analyzer", "spacy", "openai", "pyiceberg"}
    ]
    assert not heavy, f"import {module} loads {heavy}"
