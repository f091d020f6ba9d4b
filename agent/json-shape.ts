// Checks of JSON the agent and its callers exchange: a value parsed from a line or a document is
// data from another process (another build, another machine), so its shape is checked, not cast.

export type Check = (v: unknown) => boolean;

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
export const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const arrayOf =
  (item: Check): Check =>
  (v) =>
    Array.isArray(v) && v.every(item);

export const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v);

export const oneOf =
  (...values: readonly unknown[]): Check =>
  (v) =>
    values.includes(v);

/** An object whose every named field passes its check (other fields are let be: newer senders add some). */
export const hasFields = (v: unknown, fields: Record<string, Check>): v is Record<string, unknown> =>
  isObject(v) && Object.entries(fields).every(([k, check]) => check(v[k]));

export const objectWith =
  (fields: Record<string, Check>): Check =>
  (v) =>
    hasFields(v, fields);
