"""``SELECT *`` over a table with large text columns reads them all, needed or not.

A column is large when it holds at least a quarter (and twice the average share) of the bytes
the star reads and its type can hold long values (text, binary, nested or list types).

DuckDB already reads only the columns a query uses, so a ``*`` inside a CTE or subquery costs
nothing; the cost is a ``*`` in the cell's own result. When a few columns hold most of the
table's bytes (free text, JSON, lists), the rewrite leaves them out with ``* EXCLUDE (...)``. It
returns fewer columns, so it is not the same result: the message says which columns go.
"""

from __future__ import annotations

from sqlglot import exp

from neurolake_lab.optimizer.context import Candidate, RuleContext

KIND = "select_star"
#: a column is "heavy" when it holds at least this share of the bytes the star reads
HEAVY_SHARE = 0.25
#: ... and the table has at least this many columns (a star over three columns is fine)
MIN_COLUMNS = 4
#: types whose values can be large (free text, binary, nested values)
_WIDE_TYPES = ("VARCHAR", "BLOB", "JSON", "STRUCT", "MAP", "UNION")


def candidates(ctx: RuleContext) -> list[Candidate]:
    """``* EXCLUDE (heavy columns)`` for the star of the cell's own SELECT over an Iceberg table."""
    select = ctx.tree
    if not isinstance(select, exp.Select) or select.args.get("group"):
        return []
    stars: list[exp.Expr] = [e for e in select.expressions if isinstance(e, exp.Star)]
    stars += [e for e in select.expressions if isinstance(e, exp.Column) and e.is_star]
    if not stars:
        return []
    tables = [t for t in select.find_all(exp.Table) if t.parent_select is select]
    if len(tables) != 1 or len(stars) != 1 or isinstance(stars[0], exp.Column):
        return []  # a star over one Iceberg table: which columns it reads is unambiguous
    star = stars[0]
    if star.args.get("except_") or star.args.get("replace"):
        return []
    src = ctx.source_of(tables[0])
    if src is None:
        return []
    files = ctx.files(src)
    if len(files.field_ids) < MIN_COLUMNS:
        return []
    sizes = {c: files.estimate(src.name, [c], None).bytes_total for c in files.field_ids}
    total = sum(sizes.values())
    if total <= 0:
        return []
    average = 1.0 / len(sizes)
    heavy = [
        c
        for c, b in sorted(sizes.items(), key=lambda kv: -kv[1])
        if b / total >= max(HEAVY_SHARE, 2 * average)
        and (ctx.column_type(src, c) or "").startswith(_WIDE_TYPES)
    ][: len(sizes) - 1]
    if not heavy:
        return []
    names = {f.name.lower(): f.name for f in files.schema.fields}
    keep = [names[c] for c in heavy]
    tree = ctx.tree.copy()
    new_star = next(e for e in tree.expressions if isinstance(e, exp.Star))
    new_star.set(
        "except_", [exp.column(c, quoted=not c.isidentifier() or not c.islower()) for c in keep]
    )
    share = sum(sizes[c] for c in heavy) / total
    return [
        Candidate(
            KIND,
            f"SELECT * reads all {len(sizes)} columns of {src.name}; {', '.join(keep)} "
            f"{'is' if len(keep) == 1 else 'are'} {share:.0%} of the bytes. Leave out what you do "
            "not need (the rewrite returns fewer columns)",
            ctx.render(tree),
            equivalent=False,
        )
    ]
