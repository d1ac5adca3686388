"""Ways around the catalog that governed SQL refuses for anyone but the owner (and exempt roles).

Masking and row filters only hold if every read goes through the governed table references.
DuckDB offers many other doors, so these are refused, each under a named rule:

==================  ===================================================================
rule                what it refuses
==================  ===================================================================
``file-read``       file-reading functions (``read_parquet``, ``read_csv``, ``glob``, ...),
                    ``FROM 'file.parquet'`` and ``COPY ... FROM`` on paths in the workspace
                    or warehouse (every path under ``guards.file_reads: any``), and paths
                    that are not constants
``catalog-bypass``  ``iceberg_scan`` and the other Iceberg/Delta/database scanners, and
                    dynamic SQL (``query``, ``query_table``, ``json_execute_serialized_sql``)
``attach``          ``ATTACH``
``copy-to``         ``COPY ... TO``, ``COPY FROM DATABASE``, ``EXPORT DATABASE``
``import``          ``IMPORT DATABASE``
``extension``       ``INSTALL``, ``LOAD``, ``UPDATE EXTENSIONS``
``setting``         ``SET``/``RESET``/``PRAGMA`` of settings that weaken security
                    (``WEAKENING_SETTINGS``), and logging/profiling to files
``reserved-name``   calling the masking functions or their key, reading a write's staging
                    tables (``__nl_target*``, ...), or redefining them, the ``current_user_*``
                    functions or any of DuckDB's built-in functions and operators (for
                    everyone, the owner too: a macro named ``md5`` or ``+`` would change
                    what masks and row filters compute)
``lakehouse-object``  replacing, altering or dropping the session's view of a lakehouse
                    table other than through the lakehouse (``CREATE OR REPLACE VIEW
                    retail.customers``), for everyone
``unchecked``       a statement the SQL parser cannot read that names a governed table or
                    one of the functions above
``ambiguous-name``  a bare table name that matches several governed tables (``enforce``)
``purpose``         an unknown purpose, or one the user's roles may not declare (``enforce``)
==================  ===================================================================
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Final

from sqlglot import exp

from neurolake_lab.compliance.policy.masking import RESERVED_PREFIXES
from neurolake_lab.compliance.policy.model import Guards
from neurolake_lab.compliance.policy.user_functions import USER_FUNCTION_PREFIX
from neurolake_lab.engine.system_functions import is_builtin
from neurolake_lab.lakehouse.staging import NEW_ROWS, ROW, ROW_ID, STAGING_PREFIXES

#: Table functions that read files: the path is their first argument.
FILE_FUNCTIONS: Final = frozenset(
    {
        "read_parquet", "parquet_scan", "parquet_metadata", "parquet_schema",
        "parquet_file_metadata", "parquet_kv_metadata", "parquet_full_metadata",
        "parquet_bloom_probe", "read_csv", "read_csv_auto", "sniff_csv", "read_json",
        "read_json_auto", "read_json_objects", "read_json_objects_auto", "read_ndjson",
        "read_ndjson_auto", "read_ndjson_objects", "read_text", "read_blob", "glob",
        "read_avro", "read_duckdb", "read_xlsx", "sqlite_scan", "sqlite_attach",
        "read_gdal", "st_read",
    }
)  # fmt: skip

#: Table functions that bypass the catalog whatever their arguments.
CATALOG_FUNCTIONS: Final = frozenset(
    {
        "iceberg_scan", "iceberg_metadata", "iceberg_snapshots", "iceberg_column_stats",
        "iceberg_partition_stats", "iceberg_schema_properties", "iceberg_table_properties",
        "iceberg_load_table_response", "iceberg_to_ducklake", "set_iceberg_table_properties",
        "remove_iceberg_table_properties", "set_iceberg_schema_properties",
        "remove_iceberg_schema_properties", "delta_scan", "postgres_scan", "postgres_query",
        "postgres_attach", "mysql_scan", "mysql_query", "ducklake_snapshots",
        # dynamic SQL: the text it runs is never seen by the policy
        "query", "query_table", "json_execute_serialized_sql",
        # scans of raw memory and of Python objects by pointer
        "arrow_scan", "arrow_scan_dumb", "pandas_scan", "python_map_function", "seq_scan",
    }
)  # fmt: skip

#: Table functions that write files or change where DuckDB logs.
SETTING_FUNCTIONS: Final = frozenset(
    {"enable_logging", "disable_logging", "truncate_duckdb_logs", "enable_profiling"}
)

#: Settings whose change weakens isolation: file access, extensions, secrets, logs to files,
#: where relative paths and ``~`` point, spill files, and Python frame scanning.
WEAKENING_SETTINGS: Final = frozenset(
    {
        "enable_external_access", "allowed_directories", "allowed_paths", "allowed_configs",
        "lock_configuration", "autoinstall_known_extensions", "autoload_known_extensions",
        "allow_unsigned_extensions", "allow_community_extensions",
        "allow_extensions_metadata_mismatch", "allow_parser_override_extension",
        "extension_directory", "extension_directories", "custom_extension_repository",
        "autoinstall_extension_repository", "allow_persistent_secrets",
        "allow_unredacted_secrets", "secret_directory", "default_secret_storage",
        "disabled_filesystems", "file_search_path", "home_directory", "temp_directory",
        "temp_file_encryption", "enable_http_logging", "http_logging_output",
        "log_query_path", "logging_storage", "enable_logging", "profile_output",
        "profiling_output", "python_scan_all_frames", "python_enable_replacements",
        "unsafe_enable_version_guessing", "force_mbedtls_unsafe", "enable_external_file_cache",
        "disabled_optimizers",
    }
)  # fmt: skip

#: Statement types (DuckDB's names) refused outright, with their rule.
REFUSED_TYPES: Final = {
    "ATTACH": ("attach", "ATTACH reaches databases outside the catalog"),
    "EXPORT": ("copy-to", "EXPORT DATABASE writes every table to files"),
    "COPY_DATABASE": ("copy-to", "COPY FROM DATABASE copies a whole database"),
    "LOAD": ("extension", "LOAD brings code into the engine"),
    "EXTENSION": ("extension", "extensions bring code into the engine"),
    "UPDATE_EXTENSIONS": ("extension", "extensions bring code into the engine"),
}

_REFUSED_KEYWORDS: Final = {
    "EXPORT": ("copy-to", "EXPORT DATABASE writes every table to files"),
    "IMPORT": ("import", "IMPORT DATABASE reads tables from files"),
    "ATTACH": ("attach", "ATTACH reaches databases outside the catalog"),
    "INSTALL": ("extension", "INSTALL brings code into the engine"),
    "LOAD": ("extension", "LOAD brings code into the engine"),
}

#: File names DuckDB reads when they stand in FROM (replacement scans).
_FILE_LIKE = re.compile(
    r"[/\\*?]|\.(parquet|csv|tsv|json|jsonl|ndjson|txt|avro|xlsx|gz|zst|db|duckdb|sqlite|arrow"
    r"|feather)$",
    re.IGNORECASE,
)
_GLOB_CHARS = re.compile(r"[*?\[{]")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


@dataclass(frozen=True)
class Refusal:
    """One refused part of a statement: the rule and what it refused."""

    rule: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The refusal as the audit log records it."""
        return {"rule": self.rule, "message": self.message}


def check_tree(tree: exp.Expr, guards: Guards, cwd: str | None = None) -> list[Refusal]:
    """Every way around the catalog in a parsed statement (empty when there is none)."""
    out: list[Refusal] = []
    cwd = cwd or os.getcwd()
    if isinstance(tree, exp.Attach):
        out.append(Refusal("attach", "ATTACH reaches databases outside the catalog"))
    elif isinstance(tree, exp.Install):
        out.append(
            Refusal(
                "extension",
                f"INSTALL {tree.this.sql('duckdb')}: extensions bring code into the engine",
            )
        )
    elif isinstance(tree, exp.Copy):
        out.extend(_copy(tree, guards, cwd))
    elif isinstance(tree, exp.Set):
        out.extend(_settings(tree))
    elif isinstance(tree, exp.Pragma):
        out.extend(_pragma(tree))
    elif isinstance(tree, exp.Command):
        out.extend(_command(tree, guards, cwd))
    for node in tree.walk():
        if isinstance(node, exp.Func):
            out.extend(_function(node, guards, cwd))
        elif isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            out.extend(_table(node, guards, cwd))
        elif isinstance(node, exp.Literal) and node.is_string and isinstance(node.parent, exp.Func):
            out.extend(_reserved_argument(node))
        elif isinstance(node, exp.Identifier) and node.name.lower() in _INTERNAL_NAMES:
            out.append(
                Refusal("reserved-name", f"{node.name} is a name the policy's rewrite reserves")
            )
    return _unique(out)


def check_definitions(tree: exp.Expr, governed: Callable[[exp.Table], str | None]) -> list[Refusal]:
    """Definitions that would change what masks and row filters compute (checked for everyone).

    A macro or function may not take a reserved name or the name of one of DuckDB's own
    functions or operators (``CREATE TEMP MACRO md5(x) AS x`` would turn every hash into the
    clear value), and the session's views of lakehouse tables may only change through the
    lakehouse (a replaced ``retail.customers`` view would feed chosen values through its masks).
    ``governed`` says which lakehouse table a name means (``None``: none).
    """
    if not isinstance(tree, exp.Create | exp.Drop | exp.Alter):
        return []
    kind = str(tree.args.get("kind") or "").upper()
    this = tree.this
    if isinstance(this, exp.UserDefinedFunction | exp.Schema):
        this = this.this
    targets = [t for t in [this, *(tree.args.get("tables") or [])] if isinstance(t, exp.Table)]
    verb = type(tree).__name__.upper()
    out = []
    for target in targets:
        name = target.name
        if is_reserved(name):
            out.append(
                Refusal("reserved-name", f"{verb} {name}: the name is reserved for the policy")
            )
        elif kind in ("FUNCTION", "MACRO", "TABLE FUNCTION") and _takes_builtin_name(name):
            out.append(
                Refusal(
                    "reserved-name",
                    f"{verb} {kind} {name}: {name} is one of DuckDB's own functions, and a "
                    "definition of that name would change what masks and row filters compute; "
                    "choose another name",
                )
            )
        elif kind in _SESSION_OBJECTS and governed(target) is not None:
            out.append(
                Refusal(
                    "lakehouse-object",
                    f"{verb} {kind} {target.sql('duckdb')}: the name is the lakehouse table "
                    f"{governed(target)}, whose view only the lakehouse changes; choose another "
                    "name",
                )
            )
    return out


def check_text(text: str, statement_type: str | None, known_names: Iterable[str]) -> list[Refusal]:
    """Checks on a statement the parser cannot read: its type, then the names it mentions."""
    kind = (statement_type or "").upper()
    words = {w.lower() for w in _WORD.findall(text)}
    first = next(iter(_WORD.findall(text)), "").upper()
    if kind in REFUSED_TYPES:
        rule, message = REFUSED_TYPES[kind]
        return [Refusal(rule, message)]
    if first in _REFUSED_KEYWORDS:
        rule, message = _REFUSED_KEYWORDS[first]
        return [Refusal(rule, message)]
    if first == "RESET":
        return [
            Refusal("setting", f"RESET {name}: the setting weakens security")
            for name in sorted(words & WEAKENING_SETTINGS)
        ]
    hits = sorted(
        words & (FILE_FUNCTIONS | CATALOG_FUNCTIONS | SETTING_FUNCTIONS | _reserved_words(words))
    )
    names = sorted(words & {n.lower() for n in known_names})
    if hits or names:
        what = ", ".join(hits + names)
        return [
            Refusal("unchecked", f"the policy cannot read this statement, and it mentions {what}")
        ]
    return []


def is_reserved(name: str) -> bool:
    """Names governed SQL may not define or call (the masks, their keys, the user functions)."""
    low = name.lower()
    return low.startswith(RESERVED_PREFIXES) or low.startswith(USER_FUNCTION_PREFIX)


#: Objects of a session (not lakehouse writes) that may not take a lakehouse table's name.
_SESSION_OBJECTS: Final = frozenset({"VIEW", "MACRO", "FUNCTION", "TABLE FUNCTION", "SEQUENCE",
                                     "TYPE", "INDEX"})  # fmt: skip


def _takes_builtin_name(name: str) -> bool:
    low = name.lower()
    return is_builtin(low) or low in FILE_FUNCTIONS | CATALOG_FUNCTIONS | SETTING_FUNCTIONS


#: Prefixes of objects governed SQL may not read: the masks' functions, a write's staging.
_RESERVED_READS: Final = RESERVED_PREFIXES + STAGING_PREFIXES + ("__nl_mask",)
#: Column and alias names the rewrite of a write uses for itself.
_INTERNAL_NAMES: Final = frozenset({ROW_ID, NEW_ROWS, ROW})


def _reserved_words(words: set[str]) -> set[str]:
    return {w for w in words if w.startswith(_RESERVED_READS)}


def _reserved_argument(node: exp.Literal) -> list[Refusal]:
    """A string argument naming a reserved object (``pragma_storage_info('__nl_target')``)."""
    text = node.name.strip().lower()
    parts = [p.strip('"') for p in text.split(".")]
    if any(p.startswith(_RESERVED_READS) for p in parts):
        return [Refusal("reserved-name", f"{node.name!r} names an object reserved for the policy")]
    return []


# -- parts of statements ----------------------------------------------------------------------


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return str(node.sql_name()).lower()


def _function(node: exp.Func, guards: Guards, cwd: str) -> list[Refusal]:
    name = _function_name(node)
    if name in FILE_FUNCTIONS:
        return _paths(name, _path_argument(node), guards, cwd)
    if name in CATALOG_FUNCTIONS:
        return [
            Refusal(
                "catalog-bypass", f"{name}() reads around the catalog; query the tables by name"
            )
        ]
    if name in SETTING_FUNCTIONS:
        return [Refusal("setting", f"{name}() changes where DuckDB writes logs or profiles")]
    if name.startswith(RESERVED_PREFIXES):
        return [Refusal("reserved-name", f"{name}() is applied by the policy and cannot be called")]
    return []


def _path_argument(node: exp.Func) -> exp.Expr | None:
    if isinstance(node, exp.Anonymous):
        return node.expressions[0] if node.expressions else None
    first = node.args.get("this")
    if first is None and node.expressions:
        first = node.expressions[0]
    return first if isinstance(first, exp.Expr) else None


def _literal_paths(arg: exp.Expr | None) -> list[str] | None:
    """The constant paths of a file argument (a string or a list of strings), else ``None``."""
    if isinstance(arg, exp.Literal) and arg.is_string:
        return [arg.name]
    if isinstance(arg, exp.Array) and all(
        isinstance(e, exp.Literal) and e.is_string for e in arg.expressions
    ):
        return [e.name for e in arg.expressions]
    return None


def _paths(what: str, arg: exp.Expr | None, guards: Guards, cwd: str) -> list[Refusal]:
    if guards.file_reads == "any":
        return [
            Refusal("file-read", f"{what} reads files directly; this policy allows no file reads")
        ]
    paths = _literal_paths(arg)
    if paths is None:
        return [
            Refusal(
                "file-read",
                f"{what} needs a constant path (a string or a list of strings) to be checked",
            )
        ]
    for path in paths:
        root = reaches_protected(path, guards.protected_paths, cwd)
        if root is not None:
            return [
                Refusal(
                    "file-read",
                    f"{what} reads {path!r}, inside {root}, which only the catalog may read; "
                    "query the tables by name",
                )
            ]
    return []


def _table(node: exp.Table, guards: Guards, cwd: str) -> list[Refusal]:
    name = node.name
    if name.lower().startswith(_RESERVED_READS):
        return [Refusal("reserved-name", f"{name} is reserved for the policy and cannot be read")]
    if node.db or node.catalog or not _FILE_LIKE.search(name):
        return []
    if isinstance(node.parent, exp.Copy) and node.arg_key == "this":
        return []  # COPY t FROM/TO: t is a table; the files are checked with the COPY
    return _paths(f"FROM {name!r}", exp.Literal.string(name), guards, cwd)


def _copy(tree: exp.Copy, guards: Guards, cwd: str) -> list[Refusal]:
    if not tree.args.get("kind"):
        return [Refusal("copy-to", "COPY ... TO writes data to files outside the catalog")]
    out = []
    for file in tree.args.get("files") or []:
        out.extend(_paths("COPY FROM", file, guards, cwd))
    return out


def _setting_name(item: exp.Expr) -> str:
    target = item.this if isinstance(item, exp.EQ | exp.SetItem) else item
    if isinstance(target, exp.EQ):
        target = target.this
    return str(
        target.name if isinstance(target, exp.Column | exp.Identifier) else target.sql()
    ).lower()


def _settings(tree: exp.Set) -> list[Refusal]:
    out = []
    for item in tree.expressions:
        if isinstance(item, exp.SetItem) and str(item.args.get("kind") or "").upper() == "VARIABLE":
            continue
        name = _setting_name(item)
        if name in WEAKENING_SETTINGS:
            out.append(Refusal("setting", f"SET {name}: the setting weakens security"))
    return out


def _pragma(tree: exp.Pragma) -> list[Refusal]:
    target = tree.this
    if isinstance(target, exp.Anonymous):
        name = target.name.lower()
        if name == "import_database":
            return [Refusal("import", "IMPORT DATABASE reads tables from files")]
    else:
        name = _setting_name(target)
    if name in WEAKENING_SETTINGS or name in SETTING_FUNCTIONS:
        return [Refusal("setting", f"PRAGMA {name}: the setting weakens security")]
    return []


def _command(tree: exp.Command, guards: Guards, cwd: str) -> list[Refusal]:
    keyword = str(tree.this).upper()
    rest = tree.expression.name if isinstance(tree.expression, exp.Literal) else ""
    if keyword == "LOAD":
        return [Refusal("extension", f"LOAD {rest}: extensions bring code into the engine")]
    if keyword in ("EXPORT", "IMPORT"):
        rule = "copy-to" if keyword == "EXPORT" else "import"
        return [Refusal(rule, f"{keyword} DATABASE moves tables through files")]
    if keyword == "RESET":
        words = {w.lower() for w in _WORD.findall(rest)}
        return [
            Refusal("setting", f"RESET {w}: the setting weakens security")
            for w in sorted(words & WEAKENING_SETTINGS)
        ]
    return []


# -- paths ------------------------------------------------------------------------------------


def reaches_protected(path: str, roots: Iterable[str], cwd: str) -> str | None:
    """The protected root ``path`` (a file, folder or glob) can read inside, or ``None``.

    Decided on the absolute path DuckDB would open: relative paths are taken from ``cwd`` (the
    process's working folder, which is where DuckDB resolves them: ``notebooks/`` for kernels
    ``neurolake lab`` starts), ``~`` is expanded, ``..`` and symbolic links are resolved, in the
    path and in the roots alike. A glob is refused when it could match a file inside a root: its
    fixed part is inside one, or ``**`` can descend into one, or its segments match the root's.
    """
    text = path.strip()
    if text.lower().startswith("file://"):
        text = text[len("file://") :]
    if "://" in text:  # s3://, https://: only protected when a root is on the same store
        low = text.lower()
        return next(
            (r for r in roots if "://" in r and low.startswith(r.lower().rstrip("/") + "/")), None
        )
    local = [(r, os.path.realpath(os.path.expanduser(r))) for r in roots if "://" not in r]
    text = os.path.expanduser(text)
    if not os.path.isabs(text):
        text = os.path.join(cwd, text)
    match = _GLOB_CHARS.search(text)
    if match is None:
        resolved = os.path.realpath(text)
        return next((r for r, real in local if _inside(resolved, real)), None)
    head = os.path.dirname(text[: match.start()] + "x")
    fixed = os.path.realpath(head)
    pattern = text[len(head) :].lstrip(os.sep)
    if local and ".." in pattern.split(os.sep):  # climbs out of whatever the glob matched
        return local[0][0]
    for root, real in local:
        if _inside(fixed, real):
            return root
        if _inside(real, fixed):
            below = real[len(fixed) :].strip(os.sep).split(os.sep)
            parts = pattern.split(os.sep)
            if "**" in parts or _segments_reach(parts, below):
                return root
    return None


def _segments_reach(pattern: list[str], root: list[str]) -> bool:
    """Whether a glob's segments can name something inside ``root`` (both relative)."""
    if len(pattern) <= len(root):
        return False
    return all(fnmatchcase(r, p) for p, r in zip(pattern, root, strict=False))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _unique(refusals: list[Refusal]) -> list[Refusal]:
    seen: set[Refusal] = set()
    out = []
    for r in refusals:
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out
