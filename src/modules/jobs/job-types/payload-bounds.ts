import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Checks whose cost grows with the input, each run only once the input's size check passed: class-validator
 * runs every decorator of a property, whatever its order, so a check must skip an over-long array itself
 * (the size check reports it).
 */

/** No two equal items, found in one pass; an array over `maxItems` is left to @ArrayMaxSize. */
export const UniqueItems = (maxItems: number, options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'uniqueItems',
      validator: {
        validate: (value: unknown) =>
          !Array.isArray(value) || value.length > maxItems || new Set(value).size === value.length,
        defaultMessage: (args) => `All ${args?.property}'s elements must be unique`,
      },
    },
    options,
  );

/** The table a list of rows makes: its distinct keys (columns), counted up to `maxColumns` + 1. */
export function tableShape(rows: unknown[], maxColumns: number): { columns: number; cells: number } {
  const keys = new Set<string>();
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) continue;
    for (const key in row) {
      keys.add(key);
      if (keys.size > maxColumns) return { columns: keys.size, cells: Infinity };
    }
  }
  return { columns: keys.size, cells: keys.size * rows.length };
}

/**
 * Rows whose table (columns × rows) stays within bounds: the given `columns`, or else every distinct key of
 * the rows. An array over `maxRows`, or given columns over `maxColumns`, is left to its own size check.
 */
export const BoundedTable = (bounds: { maxRows: number; maxColumns: number; maxCells: number }) => {
  /** Columns and cells, or undefined when the size checks will report the input anyway. */
  const shape = (rows: unknown, object: object) => {
    if (!Array.isArray(rows) || rows.length > bounds.maxRows) return undefined;
    const given = (object as { columns?: unknown }).columns;
    if (Array.isArray(given) && given.length > bounds.maxColumns) return undefined;
    const columns = Array.isArray(given) ? given.length : tableShape(rows, bounds.maxColumns).columns;
    return { columns, cells: columns * rows.length };
  };
  return ValidateBy({
    name: 'boundedTable',
    validator: {
      validate: (rows: unknown, args) => {
        const table = shape(rows, args!.object);
        return !table || (table.columns <= bounds.maxColumns && table.cells <= bounds.maxCells);
      },
      defaultMessage: (args) => {
        const table = shape(args!.value, args!.object)!;
        return table.columns > bounds.maxColumns
          ? `${args!.property} must have at most ${bounds.maxColumns} distinct keys (columns) across its rows`
          : `${args!.property} must make at most ${bounds.maxCells} cells (rows × columns), not ${table.cells}`;
      },
    },
  });
};
