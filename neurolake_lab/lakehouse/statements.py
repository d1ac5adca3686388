"""Recognise the statements the lakehouse runs itself, and take them apart with sqlglot.

DuckDB runs every query, but writes to Iceberg tables (CTAS, INSERT, UPDATE, DELETE, ALTER, DROP,
COMMENT ON, CREATE/DROP SCHEMA) become Iceberg commits, and ``FOR VERSION|TIMESTAMP AS OF`` reads
become scans of an older snapshot. This module decides which statement is which and pulls out the
parts the writer needs. The query inside a CTAS or INSERT is kept as the user wrote it (cut out of
the original text by token position), so DuckDB-only syntax in it survives untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokenizer_core import Token, TokenType

from neurolake_lab.exceptions import QueryError

#: DuckDB schemas that are the session's own scratch space, never Iceberg namespaces.
LOCAL_SCHEMAS = frozenset({"main", "temp", "memory", "information_schema", "pg_catalog"})

#: Statement types that may write to the lakehouse.
WRITE_TYPES = frozenset(
    {"CREATE", "INSERT", "UPDATE", "DELETE", "ALTER", "DROP", "COMMENT", "MERGE_INTO"}
)

_WRITE_ORDERED = re.compile(
    r"^\s*ALTER\s+TABLE\s+(?P<table>[\w.\"]+)\s+WRITE\s+(?:LOCALLY\s+)?ORDERED\s+BY\s+(?P<cols>.+?)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)

TableId = tuple[str, str]


@dataclass
class LakeStatement:
    """One statement the lakehouse handles, with the parts its kind needs."""

    kind: str  # create_table, ctas, insert, delete, update, merge, alter, drop_table, comment,
    #            create_schema, drop_schema, write_ordered, local_table
    text: str
    ast: exp.Expr | None = None
    table: TableId | None = None
    alias: str | None = None
    namespace: str | None = None
    body: str | None = None  # the query of a CTAS/INSERT, verbatim
    columns: list[str] | None = None  # INSERT's column list
    by_name: bool = False
    overwrite: bool = False
    replace: bool = False
    if_exists: bool = False
    if_not_exists: bool = False
    partition_by: list[exp.Expr] = field(default_factory=list)
    sort_by: list[exp.Ordered] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)


#: Answers whether a bare table name is an Iceberg table (and which).
BareResolver = Callable[[str], TableId | None]


def needs_lakehouse(text: str, statement_type: str) -> bool:
    """Cheap test run on every statement: whether the lakehouse may have to handle it."""
    return statement_type in WRITE_TYPES


def analyze(
    text: str, statement_type: str, namespaces: set[str], resolve_bare: BareResolver
) -> LakeStatement | None:
    """The lakehouse's reading of one statement, or ``None`` when DuckDB runs it as it is."""
    if not needs_lakehouse(text, statement_type):
        return None
    match = _WRITE_ORDERED.match(text)
    if match:
        target = _target_from_name(match.group("table"), namespaces, resolve_bare, create=False)
        if target is None:
            return None
        order = _parse(f"SELECT 1 ORDER BY {match.group('cols')}")
        ordered = list(order.args["order"].expressions)
        return LakeStatement("write_ordered", text, table=target, sort_by=ordered)
    tree = _parse(text)
    if isinstance(tree, exp.Create):
        return _create(text, tree, namespaces, resolve_bare)
    if isinstance(tree, exp.Insert):
        return _insert(text, tree, namespaces, resolve_bare)
    if isinstance(tree, exp.Update | exp.Delete | exp.Alter | exp.Merge):
        target = _target(tree.this, namespaces, resolve_bare, create=False)
        if target is None:
            return None
        kinds = {exp.Update: "update", exp.Delete: "delete", exp.Alter: "alter", exp.Merge: "merge"}
        kind = kinds[type(tree)]
        if kind in ("update", "delete") and tree.args.get("returning"):
            raise QueryError(
                f"{kind.upper()} ... RETURNING is not supported on Iceberg tables",
                kind="syntax",
                hint="run a SELECT of the rows before or after the write",
            )
        return LakeStatement(kind, text, ast=tree, table=target, alias=tree.this.alias or None)
    if isinstance(tree, exp.TruncateTable) and len(tree.expressions) == 1:
        target = _target(tree.expressions[0], namespaces, resolve_bare, create=False)
        if target is None:
            return None
        delete = exp.Delete(this=tree.expressions[0].copy())
        return LakeStatement("delete", text, ast=delete, table=target)
    if isinstance(tree, exp.Drop):
        return _drop(text, tree, namespaces, resolve_bare)
    if isinstance(tree, exp.Comment):
        return _comment(text, tree, namespaces, resolve_bare)
    return None


def _parse(text: str) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except ParseError as exc:
        first = str(exc).splitlines()[0]
        raise QueryError(f"cannot parse the statement: {first}", kind="syntax", sql=text) from None
    if tree is None:
        raise QueryError("empty statement", kind="syntax", sql=text)
    return tree


def _name(table: exp.Table) -> tuple[str | None, str]:
    return (table.db or None), table.name


def _target_from_name(
    name: str, namespaces: set[str], resolve_bare: BareResolver, *, create: bool
) -> TableId | None:
    table = sqlglot.parse_one(name, read="duckdb", into=exp.Table)
    return _target(table, namespaces, resolve_bare, create=create)


def _target(
    node: exp.Expr, namespaces: set[str], resolve_bare: BareResolver, *, create: bool
) -> TableId | None:
    """The Iceberg table a statement writes to, or ``None`` when it is a local DuckDB table.

    A qualified name outside DuckDB's own schemas is an Iceberg table (a CREATE makes its
    namespace when needed); a bare name is Iceberg only when it names exactly one Iceberg table.
    """
    table = node.this if isinstance(node, exp.Schema) else node
    if not isinstance(table, exp.Table):
        return None
    ns, name = _name(table)
    if table.catalog:
        return None
    if ns is None:
        return resolve_bare(name)
    if ns.lower() in LOCAL_SCHEMAS:
        return None
    if ns in namespaces or create:
        return (ns, name)
    return None


def _create(
    text: str, tree: exp.Create, namespaces: set[str], resolve_bare: BareResolver
) -> LakeStatement | None:
    kind = str(tree.args.get("kind") or "").upper()
    if kind == "SCHEMA":
        table = tree.this
        ns = table.db or table.name if isinstance(table, exp.Table) else None
        if not ns or ns.lower() in LOCAL_SCHEMAS:
            return None
        return LakeStatement(
            "create_schema", text, namespace=ns, if_not_exists=bool(tree.args.get("exists"))
        )
    if kind != "TABLE" or tree.args.get("temporary"):
        return None
    table_node = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if isinstance(table_node, exp.Table) and not table_node.db and not table_node.catalog:
        # bare CREATE TABLE: a scratch table of this session, which takes the bare name over
        return LakeStatement("local_table", text, alias=table_node.name)
    target = _target(tree.this, namespaces, resolve_bare, create=True)
    if target is None:
        return None
    stmt = LakeStatement(
        "ctas" if tree.expression is not None else "create_table",
        text,
        ast=tree,
        table=target,
        replace=bool(tree.args.get("replace")),
        if_not_exists=bool(tree.args.get("exists")),
    )
    _table_properties(tree, stmt)
    if stmt.kind == "ctas":
        stmt.body = _ctas_body(text)
    return stmt


def _table_properties(tree: exp.Create, stmt: LakeStatement) -> None:
    """Partitioning, sort order and properties, in Spark's or Trino's spelling."""
    props = tree.args.get("properties")
    if props is None:
        return
    for prop in props.expressions:
        if isinstance(prop, exp.PartitionedByProperty):
            schema = prop.this
            items = schema.expressions if isinstance(schema, exp.Schema) else [schema]
            stmt.partition_by.extend(items)
        elif isinstance(prop, exp.Property):
            key = prop.name.lower()
            value = prop.args.get("value")
            if key in ("partitioning", "partitioned_by") and isinstance(value, exp.Array):
                stmt.partition_by.extend(_parse_fragment(v.name) for v in value.expressions)
            elif key in ("sorted_by", "sort_order") and isinstance(value, exp.Array):
                order = _parse(f"SELECT 1 ORDER BY {', '.join(v.name for v in value.expressions)}")
                stmt.sort_by.extend(order.args["order"].expressions)
            elif isinstance(value, exp.Literal | exp.Boolean | exp.Var | exp.Identifier):
                stmt.properties[prop.name] = (
                    value.name
                    if not isinstance(value, exp.Boolean)
                    else ("true" if value.this else "false")
                )
            else:
                raise QueryError(
                    f"table property {prop.name!r} needs a literal value", kind="syntax"
                )
        elif isinstance(prop, exp.Order):
            stmt.sort_by.extend(_flatten_order(prop))


def _flatten_order(order: exp.Order) -> list[exp.Ordered]:
    """``ORDER BY (a DESC, b)`` as a table property parses as one tuple; split it."""
    out: list[exp.Ordered] = []
    for ordered in order.expressions:
        inner = ordered.this
        if isinstance(inner, exp.Tuple):
            for item in inner.expressions:
                item = item.this if isinstance(item, exp.Alias) else item
                out.append(item if isinstance(item, exp.Ordered) else exp.Ordered(this=item))
        else:
            out.append(ordered)
    return out


def _parse_fragment(text: str) -> exp.Expr:
    fragment: exp.Expr = _parse(f"SELECT {text}").expressions[0]
    return fragment


def _tokens(text: str) -> list[Token]:
    return sqlglot.Dialect.get_or_raise("duckdb").tokenize(text)


def _ctas_body(text: str) -> str:
    """The query after the first top-level ``AS`` of a CREATE TABLE."""
    depth = 0
    for tok in _tokens(text):
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and tok.token_type == TokenType.ALIAS:
            return text[tok.end + 1 :].strip().rstrip(";")
    raise QueryError("CREATE TABLE ... AS needs a query after AS", kind="syntax", sql=text)


_BODY_START = {TokenType.SELECT, TokenType.WITH, TokenType.VALUES, TokenType.FROM}


def _insert(
    text: str, tree: exp.Insert, namespaces: set[str], resolve_bare: BareResolver
) -> LakeStatement | None:
    target = _target(tree.this, namespaces, resolve_bare, create=False)
    if target is None:
        return None
    if tree.args.get("conflict") or tree.args.get("returning"):
        raise QueryError(
            "INSERT ... ON CONFLICT/RETURNING is not supported on Iceberg tables", kind="syntax"
        )
    columns = (
        [col.name for col in tree.this.expressions] if isinstance(tree.this, exp.Schema) else None
    )
    tokens = _tokens(text)
    by_name = False
    body: str | None = None
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.token_type == TokenType.VAR and tok.text.upper() == "BY" and nxt is not None:
            by_name = by_name or nxt.text.upper() == "NAME"
        if tok.token_type in _BODY_START or (
            tok.token_type == TokenType.L_PAREN
            and nxt is not None
            and nxt.token_type in {TokenType.SELECT, TokenType.WITH}
        ):
            body = text[tok.start :].strip().rstrip(";")
            break
    if body is None:
        raise QueryError("INSERT needs a query or VALUES", kind="syntax", sql=text)
    return LakeStatement(
        "insert",
        text,
        ast=tree,
        table=target,
        body=body,
        columns=columns,
        by_name=by_name,
        overwrite=bool(tree.args.get("overwrite")),
    )


def _drop(
    text: str, tree: exp.Drop, namespaces: set[str], resolve_bare: BareResolver
) -> LakeStatement | None:
    kind = str(tree.args.get("kind") or "").upper()
    tables = tree.args.get("tables") or ([tree.this] if tree.this else [])
    if len(tables) != 1:
        return None
    if kind == "SCHEMA":
        node = tables[0]
        ns = node.db or node.name
        if ns not in namespaces:
            return None
        return LakeStatement(
            "drop_schema",
            text,
            namespace=ns,
            if_exists=bool(tree.args.get("exists")),
            replace=bool(tree.args.get("cascade")),  # CASCADE: drop its tables too
        )
    if kind != "TABLE":
        return None
    target = _target(tables[0], namespaces, resolve_bare, create=False)
    if target is None:
        return None
    return LakeStatement("drop_table", text, table=target, if_exists=bool(tree.args.get("exists")))


def _comment(
    text: str, tree: exp.Comment, namespaces: set[str], resolve_bare: BareResolver
) -> LakeStatement | None:
    kind = str(tree.args.get("kind") or "").upper()
    node = tree.this
    if kind == "COLUMN" and isinstance(node, exp.Column):
        table = exp.Table(this=node.args.get("table"), db=node.args.get("db"))
        target = _target(table, namespaces, resolve_bare, create=False)
    elif kind == "TABLE":
        target = _target(node, namespaces, resolve_bare, create=False)
    else:
        return None
    if target is None:
        return None
    return LakeStatement("comment", text, ast=tree, table=target)


def alter_properties(action: exp.Expr) -> dict[str, str]:
    """The table properties an ``ALTER TABLE ... SET (TBL)PROPERTIES`` action sets (key → value)."""
    props: dict[str, str] = {}
    if not isinstance(action, exp.AlterSet):
        return props
    for prop in action.expressions:
        for item in prop.expressions if isinstance(prop, exp.Tuple | exp.Properties) else [prop]:
            if isinstance(item, exp.EQ | exp.Property):
                key = item.this.name if isinstance(item, exp.EQ) else item.name
                value = item.expression if isinstance(item, exp.EQ) else item.args.get("value")
                props[key] = value.name if value is not None else ""
    return props


def parse_layout(
    partition_by: Sequence[str], sort_by: Sequence[str]
) -> tuple[list[exp.Expr], list[exp.Ordered]]:
    """Partition and sort expressions given as text (``"month(order_date)"``, ``"id DESC"``)."""
    partition = [_parse_fragment(p) for p in partition_by]
    order: list[exp.Ordered] = []
    if sort_by:
        tree = _parse(f"SELECT 1 ORDER BY {', '.join(sort_by)}")
        order = list(tree.args["order"].expressions)
    return partition, order
