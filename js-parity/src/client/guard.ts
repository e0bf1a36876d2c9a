/**
 * The mass-delete guard (Python's `datasync.sync.guard`): how many deletes one mirror push
 * may make. The client checks every plan before sending it, and declares the limit in the
 * commit header so the server checks the commit against the same limit and its base.
 *
 * - a push that would leave the dataset empty (the source holds no examples) is refused with
 *   `empty_source` at any size, unless the limit allows deleting everything (`"100%"`, or a
 *   count of at least the dataset's size);
 * - a fraction applies to datasets of at least {@link MIN_GUARDED} examples: more deletes
 *   than `fraction * total` are refused with `too_many_deletes`;
 * - a count is absolute.
 */

import { DeleteGuardError, UsageError } from "./errors.js";

/** A percentage limit applies to datasets of at least this many examples. */
export const MIN_GUARDED = 10;

/** At most `count` deletes, or at most `fraction` (0..1) of the base's examples. */
export type DeleteLimit = { count: number } | { fraction: number };

/**
 * `maxDelete` as given: a string `"50%"` (percentage) or `"100"` (count), a whole number
 * (a count: `100`), or a number strictly between 0 and 1 (a fraction: `0.5`).
 */
export type MaxDelete = string | number;

export const DEFAULT_DELETE_LIMIT: DeleteLimit = { fraction: 0.5 };

const ALLOW = 'pass --max-delete 100% (Python max_delete=1.0, TypeScript maxDelete: "100%")';

/** A {@link DeleteLimit} from `maxDelete`; throws {@link UsageError} (`bad_max_delete`). */
export function parseMaxDelete(value: MaxDelete | DeleteLimit): DeleteLimit {
  if (typeof value === "object" && value !== null) {
    if ("count" in value && Number.isSafeInteger(value.count) && value.count >= 0) return { count: value.count };
    if ("fraction" in value && value.fraction >= 0 && value.fraction <= 1) return { fraction: value.fraction };
  } else if (typeof value === "string") {
    const text = value.trim();
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
    if (percent !== null && Number(percent[1]) <= 100) return { fraction: Number(percent[1]) / 100 };
    if (/^\d+$/.test(text)) return { count: Number(text) };
  } else if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) return { count: value };
    if (value > 0 && value < 1) return { fraction: value };
  }
  throw new UsageError(
    `maxDelete must be a percentage ("50%"), a count (100) or a fraction below 1 (0.5), not ${JSON.stringify(value)}`,
    { code: "bad_max_delete" },
  );
}

export function describeLimit(limit: DeleteLimit): string {
  return "count" in limit ? String(limit.count) : `${Number((limit.fraction * 100).toPrecision(6))}%`;
}

/**
 * Throw {@link DeleteGuardError} if a commit that deletes `deletes` of `before` examples and
 * leaves `after` breaks `limit`.
 */
export function checkDeletes(limit: DeleteLimit, before: number, deletes: number, after: number): void {
  if (deletes === 0) return;
  const details = { deletes, total: before, after, max_delete: describeLimit(limit) };
  if (after === 0 && before > 0) {
    const all = "count" in limit ? limit.count >= before : limit.fraction >= 1;
    if (all) return;
    throw new DeleteGuardError(
      `the source holds no examples: this mirror push would delete all ${before} examples of the` +
        ` dataset. Check the source (a failed export leaves an empty file), or ${ALLOW} to empty the dataset`,
      { code: "empty_source", details },
    );
  }
  const over = "count" in limit ? deletes > limit.count : before >= MIN_GUARDED && deletes > limit.fraction * before;
  if (over) {
    const share = before > 0 ? `${Math.round((100 * deletes) / before)}%` : "all";
    throw new DeleteGuardError(
      `this mirror push would delete ${deletes} of ${before} examples (${share}), more than` +
        ` --max-delete ${describeLimit(limit)} allows. Check the source (a truncated file?), or ${ALLOW} or a larger limit`,
      { code: "too_many_deletes", details },
    );
  }
}
