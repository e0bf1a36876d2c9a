/**
 * The plan: which examples to CREATE, PATCH or DELETE so the remote manifest matches the
 * local one (Python's `datasync.sync.plan`). `mirror` makes the remote equal to the local
 * examples; `append` only adds and updates and never deletes.
 */

import { UsageError } from "./errors.js";
import { compareIds } from "./manifest.js";

export type Mode = "mirror" | "append";
export type ChangeKind = "create" | "patch" | "delete";

/** One planned revision; `hash` is the new content hash (undefined for a delete). */
export interface Change {
  kind: ChangeKind;
  sourceId: string;
  hash?: string;
}

/** The changes, sorted by source id (UTF-8 byte order), and how many examples stay. */
export interface Plan {
  changes: Change[];
  unchanged: number;
}

/** `value` as a {@link Mode}; throws {@link UsageError} (`invalid_mode`) otherwise. */
export function parseMode(value: unknown): Mode {
  if (value === "mirror" || value === "append") {
    return value;
  }
  throw new UsageError(`unknown mode ${JSON.stringify(value)}; choose "mirror" or "append"`, {
    code: "invalid_mode",
  });
}

/** Plan the revisions that make `remote` match `local` (both `{sourceId: hash}`) under `mode`. */
export function planChanges(
  local: ReadonlyMap<string, string>,
  remote: ReadonlyMap<string, string>,
  mode: Mode,
): Plan {
  const changes: Change[] = [];
  let unchanged = 0;
  for (const [sourceId, hash] of local) {
    const old = remote.get(sourceId);
    if (old === undefined) {
      changes.push({ kind: "create", sourceId, hash });
    } else if (hash === old) {
      unchanged += 1;
    } else {
      changes.push({ kind: "patch", sourceId, hash });
    }
  }
  for (const sourceId of remote.keys()) {
    if (!local.has(sourceId)) {
      if (mode === "mirror") {
        changes.push({ kind: "delete", sourceId });
      } else {
        unchanged += 1;
      }
    }
  }
  changes.sort((a, b) => compareIds(a.sourceId, b.sourceId));
  return { changes, unchanged };
}

/** How many changes of `kind` a plan holds. */
export function countOf(plan: Plan, kind: ChangeKind): number {
  return plan.changes.reduce((n, c) => n + (c.kind === kind ? 1 : 0), 0);
}
