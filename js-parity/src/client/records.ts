/** Records the server sends, with camelCase fields (docs/protocol.md §6). */

export interface DatasetInfo {
  id: number;
  name: string;
  description: string;
  tags: Record<string, string>;
  createdAt: string;
  headVersionId: number | null;
}

/** What deleting a dataset removed. */
export interface DeletedDataset {
  id: number;
  name: string;
  versions: number;
  /** Examples in its head version. */
  examples: number;
  experiments: number;
}

export interface VersionInfo {
  id: number;
  datasetId: number;
  number: number;
  parentId: number | null;
  createdAt: string;
  message: string | null;
  mode: string;
  created: number;
  patched: number;
  deleted: number;
  unchanged: number;
  total: number;
  root: string;
  tags: Record<string, string>;
}

/** One example of a version, as stored. */
export interface StoredExample {
  sourceId: string;
  hash: string;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * What changed between a version and its base. `added` and `updated` are `created` and
 * `patched` by the names the Phoenix upsert plan uses (the same numbers).
 */
export interface ChangeSummary {
  created: number;
  patched: number;
  deleted: number;
  unchanged: number;
  added: number;
  updated: number;
}

/** A {@link ChangeSummary} with its `added` / `updated` aliases. */
export function changeSummary(created: number, patched: number, deleted: number, unchanged: number): ChangeSummary {
  return { created, patched, deleted, unchanged, added: created, updated: patched };
}

/** A dataset pinned at one version: what upsertDataset and getDataset return. */
export interface Dataset {
  datasetId: number;
  datasetName: string;
  /** null: the dataset has no version yet. */
  versionId: number | null;
  /** The version this one was made from (for a no-op upsert: the head itself). */
  baseVersionId: number | null;
  /** True when the upsert changed nothing (no new version). */
  noOp: boolean;
  summary: ChangeSummary;
  /** Examples in the version. */
  total: number;
}

/** One JSON path whose value differs between two versions (docs/protocol.md §6, diffVersions). */
export interface FieldChange {
  path: string;
  op: "add" | "remove" | "replace";
  /** The value in version A (absent for `add`). */
  old?: unknown;
  /** The value in version B (absent for `remove`). */
  new?: unknown;
}

/** One example that differs between two versions. */
export interface ExampleChange {
  sourceId: string;
  kind: "create" | "patch" | "delete";
  oldHash: string | null;
  newHash: string | null;
  /** For a patch: every changed field. */
  fields: FieldChange[];
  /** For a create: the example in B; for a delete: the example in A; null for a patch. */
  content: { input: Record<string, unknown>; output: Record<string, unknown>; metadata: Record<string, unknown> } | null;
}

/** `{a_b: 1}` -> `{aB: 1}`, one level deep (tags and example bodies keep their keys). */
export function camel<T>(wire: unknown): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wire as Record<string, unknown>)) {
    out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return out as T;
}
