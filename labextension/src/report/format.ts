/** Number and duration formatting shared by the table and the strip. */

const INTEGER = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return INTEGER.format(n);
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

/** Whether a DuckDB column type holds numbers (right-aligned in the table). */
export function isNumericType(type: string): boolean {
  return NUMERIC.test(type.toUpperCase());
}
