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

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Bytes in the largest unit below 1024 of it ("51.6 KB"). */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** Digits of an integer string in groups of three ("1234567" → "1,234,567"). */
function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A number as the table shows it: thousands separators, the digits the kernel sent kept
 * (DECIMAL and big integers arrive as strings and are never rounded through a float).
 */
export function formatNumber(value: number | string): string {
  const text = typeof value === 'number' ? String(value) : value;
  const match = /^(-?)(\d+)(\.\d+)?(e[+-]?\d+)?$/i.exec(text);
  if (!match || match[4]) {
    return text;
  }
  return `${match[1]}${groupDigits(match[2])}${match[3] ?? ''}`;
}
