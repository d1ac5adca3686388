"""The Data Engineer builds a pipeline: the seed's steps, each one visible in the result.

1. **analyse** — SQL or a question (answered by the engineer's own routes, then frozen); the
   tables it reads, the rows it would read, the personal data it touches;
2. **design** — the write mode and key: a ``GROUP BY`` result merges on its groups, a result
   carrying a source's unique key merges on that key, anything else is overwritten each run;
3. **compliance** — the owner's policy is applied to the SQL; a refusal stops the build, and
   personal data the result would hold in clear is masked in what the pipeline writes
   (remediated), unless ``keep_pii`` says otherwise;
4. **generate** — the SQL, formatted;
5. **dry run** — a sample of the result written into a scratch Iceberg table with the target's
   checks, run twice (a merge must write nothing the second time), checked, dropped;
6. **deploy** — the pipeline defined in the workspace;
7. **monitor** — its first run, made under the Monitor, which watches every later one.

A step that fails stops the build there; the result says which and why.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import sqlglot
from sqlglot import exp

from neurolake_lab.exceptions import NeuroLakeError
from neurolake_lab.pipelines.build import BuildStep, PipelineBuild

if TYPE_CHECKING:
    from neurolake_lab.agents.base import AgentContext
    from neurolake_lab.agents.engineer import DataEngineerAgent
    from neurolake_lab.pipelines.model import Pipeline

SAMPLE_ROWS = 1000


class _Stop(Exception):
    """A step failed: the build ends there."""


def _is_sql(text: str) -> bool:
    try:
        trees = [t for t in sqlglot.parse(text, read="duckdb") if t is not None]
    except sqlglot.errors.SqlglotError:
        return False
    return len(trees) == 1 and isinstance(trees[0], exp.Query)


def _name_for(into: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", into.split(".")[-1]).strip("_") or "pipeline"
    return name if name[0].isalpha() else f"p_{name}"


def infer_key(sql: str, columns: list[str], unique_keys: list[list[str]]) -> list[str]:
    """The merge key a result suggests: its groups, else a source's unique key it carries.

    >>> infer_key("SELECT c, sum(x) AS t FROM s GROUP BY c", ["c", "t"], [])
    ['c']
    >>> infer_key("SELECT id, name FROM s", ["id", "name"], [["id"]])
    ['id']
    >>> infer_key("SELECT name FROM s", ["name"], [["id"]])
    []
    """
    tree = sqlglot.parse_one(sql, read="duckdb")
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    lower = {c.lower(): c for c in columns}
    if select is not None and select.args.get("group"):
        group = select.args["group"]
        if group.args.get("all"):
            names = [e.alias_or_name for e in select.expressions if not e.find(exp.AggFunc)]
        else:
            aliases = {
                e.this.sql(): e.alias for e in select.expressions if isinstance(e, exp.Alias)
            }
            names = [aliases.get(g.sql(), g.alias_or_name if isinstance(g, exp.Column) else "")
                     for g in group.expressions]  # fmt: skip
        key = [lower[n.lower()] for n in names if n and n.lower() in lower]
        if key and len(key) == len(names):
            return key
    for unique in unique_keys:
        if unique and all(c.lower() in lower for c in unique):
            return [lower[c.lower()] for c in unique]
    return []


class BuildSession(Protocol):
    """What a build does through the session it builds for (a ``Session``): the governed API."""

    @property
    def user(self) -> str: ...  # noqa: D102

    @property
    def pipelines(self) -> Any: ...  # noqa: D102

    @property
    def sql(self) -> Callable[..., Any]: ...  # noqa: D102

    @property
    def preflight(self) -> Callable[..., dict[str, Any]]: ...  # noqa: D102

    @property
    def tables_read(self) -> Callable[[str], dict[str, int | None]]: ...  # noqa: D102

    @property
    def quality(self) -> Callable[[str], Any]: ...  # noqa: D102

    @property
    def set_quality(self) -> Callable[..., Any]: ...  # noqa: D102


class PipelineBuilder:
    """Carries out :meth:`DataEngineerAgent.build_pipeline` for one request.

    The session is passed in, not reached through the agent context: every step runs through
    the session's governed API (policies, audit, the owner's identity), as a user's cells do.
    """

    def __init__(
        self, engineer: DataEngineerAgent, context: AgentContext, session: BuildSession
    ) -> None:
        self.engineer = engineer
        self.context = context
        self.session = session

    def build(self, request: str, into: str, **options: Any) -> PipelineBuild:
        """Run the steps; the build says what each did (a failing step ends it)."""
        result = PipelineBuild(request.strip(), into.strip())
        try:
            self._analyse(result)
            design = self._design(result, options)
            self._compliance(result, design, keep_pii=bool(options.get("keep_pii")))
            self._generate(result)
            self._dry_run(result, design)
            self._deploy(result, design, options)
            self._monitor(result, run=options.get("run", True))
        except _Stop:
            pass
        return result

    def _step(
        self, result: PipelineBuild, step: str, status: str, detail: str, **data: Any
    ) -> None:
        result.steps.append(BuildStep(step, status, detail, data))
        if status == "failed":
            raise _Stop

    # -- the steps ---------------------------------------------------------------------------

    def _analyse(self, result: PipelineBuild) -> None:
        if _is_sql(result.request):
            result.sql = result.request.rstrip(";").strip()
            how = "SQL given"
        else:
            result.question = result.request
            try:
                draft = self.engineer.run(result.request, self.context)
            except NeuroLakeError as err:
                self._step(result, "analyse", "failed", f"the question could not be answered: "
                           f"{err.message}")  # fmt: skip
            result.sql = draft.sql
            how = f"question answered by the {draft.source} (SQL frozen into the pipeline)"
        assert result.sql is not None
        pre = self.session.preflight(result.sql)
        if pre.get("error"):
            problem = pre["error"]
            self._step(result, "analyse", "failed", f"{problem['title']}: {problem['message']}")
        sources = sorted(self.session.tables_read(result.sql))
        rows = (pre.get("cost") or {}).get("estimated_rows")
        pii = [c["column"] for c in pre["compliance"]["pii_columns"]]
        detail = f"{how}; reads {', '.join(sources) or 'no stored table'}"
        if rows is not None:
            detail += f" (about {int(rows):,} row{'' if int(rows) == 1 else 's'})"
        if pii:
            detail += f"; personal data read: {', '.join(pii)}"
        self._step(result, "analyse", "ok", detail, sources=sources, estimated_rows=rows, pii=pii,
                   lineage=pre.get("lineage"))  # fmt: skip

    def _design(self, result: PipelineBuild, options: dict[str, Any]) -> dict[str, Any]:
        from neurolake_lab.pipelines.runner import body

        assert result.sql is not None
        probe = self.session.sql(f"SELECT * FROM ({body(result.sql)}) AS s LIMIT 0", namespace={})
        columns = list(probe.columns)
        mode, key = options.get("mode"), options.get("key")
        keys = [key] if isinstance(key, str) else list(key or [])
        why = "as asked"
        if mode is None:
            keys = keys or infer_key(result.sql, columns, self._unique_keys(result))
            if keys:
                mode = "merge"
                why = (
                    f"merge on {', '.join(keys)}: the result has one row per key (its groups "
                    "or a source's unique key), so reruns update rows instead of adding them"
                )
            else:
                mode = "overwrite"
                why = "overwrite: the result has no key to merge on, and appending would " \
                      "duplicate rows on every run"  # fmt: skip
        design = {"mode": mode, "key": keys, "columns": columns,
                  "name": options.get("name") or _name_for(result.into),
                  "schedule": options.get("schedule"), "checks": dict(options.get("checks") or {}),
                  "no_pii": None}  # fmt: skip
        schedule = f", {design['schedule']}" if design["schedule"] else ", run when asked"
        self._step(result, "design", "ok", f"pipeline {design['name']}: {why}{schedule}",
                   **{k: v for k, v in design.items() if k != "no_pii"})  # fmt: skip
        return design

    def _unique_keys(self, result: PipelineBuild) -> list[list[str]]:
        """Unique keys of the sources, as the result's column names (identity lineage)."""
        analysed = result.steps[0].data
        renamed: dict[str, str] = {}
        for edge in (analysed.get("lineage") or {}).get("edges", []):
            if edge["kind"] == "IDENTITY" and edge["target"].startswith("output."):
                renamed[edge["source"].lower()] = edge["target"].split(".", 1)[1]
        keys = []
        for table in analysed.get("sources", []):
            for unique in self.session.quality(table).unique:
                mapped = [renamed.get(f"{table}.{c}".lower()) for c in unique]
                if all(mapped):
                    keys.append([m for m in mapped if m])
        return keys

    def _compliance(self, result: PipelineBuild, design: dict[str, Any], keep_pii: bool) -> None:
        assert result.sql is not None
        pre = self.session.preflight(result.sql)
        if pre.get("error"):
            err = pre["error"]
            self._step(
                result,
                "compliance",
                "failed",
                f"the policy refuses it for {self.session.user}: {err['message']}",
            )
        pii = {c["column"] for c in pre["compliance"]["pii_columns"]}
        masked = {m["column"] for m in pre["compliance"]["masked"]}
        clear = sorted({e["target"].split(".", 1)[1] for e in pre["lineage"]["edges"]
                        if e["source"] in pii and e["source"] not in masked
                        and not e["masked"]})  # fmt: skip
        if not clear:
            self._step(result, "compliance", "ok", "no personal data is written in clear")
            return
        if keep_pii:
            self._step(result, "compliance", "ok",
                       f"writes personal data in clear as asked (keep_pii): {', '.join(clear)}; "
                       "its PII tags go with it to the target")  # fmt: skip
            return
        design["no_pii"] = "mask"
        check = self.session.preflight(result.sql, no_pii="mask")
        done = sorted({m["column"] for m in check["compliance"]["masked"]})
        self._step(result, "compliance", "fixed",
                   f"remediated: personal data in {', '.join(clear)} is masked in what the "
                   f"pipeline writes ({', '.join(done)}); keep_pii=True writes it in clear",
                   masked=done)  # fmt: skip

    def _generate(self, result: PipelineBuild) -> None:
        assert result.sql is not None
        try:
            pretty = sqlglot.transpile(result.sql, read="duckdb", write="duckdb", pretty=True)[0]
            sqlglot.parse_one(pretty, read="duckdb")
        except sqlglot.errors.SqlglotError:
            pretty = result.sql
        result.sql = pretty
        self._step(result, "generate", "ok", f"{len(pretty.splitlines())} lines of SQL")

    def _dry_run(self, result: PipelineBuild, design: dict[str, Any]) -> None:
        """A sample into a scratch table with the target's checks, twice; then it is dropped."""
        from neurolake_lab.pipelines.model import Pipeline
        from neurolake_lab.pipelines.runner import body, quality_rules, target_sql

        assert result.sql is not None
        session = self.session
        ns = result.into.split(".")[0]
        tag = uuid.uuid4().hex[:8]
        sample, scratch = f"__nl_sample_{tag}", f"{ns}.__nl_dryrun_{tag}"
        no_pii = design["no_pii"] or False
        trial = Pipeline(design["name"], f"SELECT * FROM {sample}", scratch, design["mode"],
                         design["key"], checks=design["checks"])  # fmt: skip
        try:
            session.sql(f"CREATE TABLE {sample} AS SELECT * FROM ({body(result.sql)}) AS s "
                        f"LIMIT {SAMPLE_ROWS}", namespace={}, no_pii=no_pii)  # fmt: skip
            taken = int(session.sql(f"SELECT count(*) FROM {sample}", namespace={})
                        .arrow().column(0)[0].as_py())  # fmt: skip
            session.sql(f"CREATE TABLE {target_sql(scratch)} AS SELECT * FROM {sample} LIMIT 0",
                        namespace={})  # fmt: skip
            rules = quality_rules(trial)
            if rules:
                session.set_quality(scratch, **rules)
            first = self._write(session, trial)
            second = self._write(session, trial)
            kept = int(session.sql(f"SELECT count(*) FROM {target_sql(scratch)}", namespace={})
                       .arrow().column(0)[0].as_py())  # fmt: skip
        except NeuroLakeError as err:
            self._step(result, "dry run", "failed", f"{err.title}: {err.message}")
        finally:
            session.sql(f"DROP TABLE IF EXISTS {target_sql(scratch)}", namespace={})
            session.sql(f"DROP TABLE IF EXISTS {sample}", namespace={})
        (written, quarantined), (again, _) = first, second
        # what two runs must leave: appended twice, replaced, or merged once
        expected = {"append": 2 * written, "overwrite": written, "merge": written}[trial.mode]
        problems = []
        if written + quarantined != taken:
            problems.append(f"{written} written and {quarantined} quarantined of {taken}")
        if trial.mode == "merge" and again:
            problems.append(f"a rerun of the merge wrote {again} rows; it must write none")
        if kept != expected:
            problems.append(f"the scratch table holds {kept} rows after two runs, not {expected}")
        detail = (f"{taken} sample rows into a scratch table with the target's checks: "
                  f"{written} written{f', {quarantined} quarantined' if quarantined else ''}; "
                  f"a second run wrote {again}, leaving {kept}")  # fmt: skip
        if problems:
            self._step(result, "dry run", "failed", detail + "; " + "; ".join(problems))
        self._step(result, "dry run", "ok", detail + "; scratch table dropped",
                   sample_rows=taken, written=written, rerun_written=again)  # fmt: skip

    @staticmethod
    def _write(session: Any, trial: Pipeline) -> tuple[int, int]:
        from neurolake_lab.pipelines.runner import output_columns, write_sql

        out = session.sql(write_sql(trial, output_columns(session, trial)), namespace={})
        row = out.arrow().to_pylist()[0]
        return int(row["rows_added"]) + int(row.get("rows_updated") or 0), int(row["quarantined"])

    def _deploy(
        self, result: PipelineBuild, design: dict[str, Any], options: dict[str, Any]
    ) -> None:
        assert result.sql is not None
        try:
            result.pipeline = self.session.pipelines.create(
                design["name"], result.sql, result.into, design["mode"], design["key"] or None,
                design["schedule"], design["checks"], question=result.question,
                no_pii=design["no_pii"], replace=bool(options.get("replace")),
            )  # fmt: skip
        except NeuroLakeError as err:
            self._step(result, "deploy", "failed", f"{err.title}: {err.message}")
        p = result.pipeline
        assert p is not None
        self._step(result, "deploy", "ok", f"pipeline {p.name} v{p.version}: {p.mode} into "
                   f"{p.target}, owned by {p.owner}")  # fmt: skip

    def _monitor(self, result: PipelineBuild, run: bool) -> None:
        p = result.pipeline
        assert p is not None
        watch = "the Monitor checks every run (failure, row count, schema drift, quality)"
        if p.schedule:
            watch += f" and its freshness against {p.schedule}"
        if not run:
            self._step(result, "monitor", "ok", watch + "; first run left to the schedule")
            return
        result.run = self.session.pipelines.run(p.name, trigger="build")
        status = "ok" if result.run.ok else "failed"
        self._step(result, "monitor", status, f"first run {result.run.status} "
                   f"({result.run.rows_written} rows); {watch}", run_id=result.run.id)  # fmt: skip
