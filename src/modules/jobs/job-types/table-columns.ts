/** The union of the rows' keys, in first-seen order: the columns of a report table or a CSV export. */
export function columnsOf(rows: object[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}

/** A cell as text: strings as they are, nothing for null and undefined, JSON for the rest (payloads are JSON). */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
