/** Putting a suggested rewrite into a cell's text. */

/** The cell text with its SQL replaced by `sql` (the magic line, if any, is kept). */
export function withRewrite(source: string, sql: string): string {
  const first = source.split('\n', 1)[0];
  if (first.trimStart().startsWith('%%sql')) {
    return `${first}\n${sql}`;
  }
  if (first.trimStart().startsWith('%sql')) {
    return `%sql ${sql.replace(/\s*\n\s*/g, ' ')}`;
  }
  return sql;
}
