/** Experiment records on the wire (docs/protocol.md §8): the server's snake_case <-> camelCase. */

import { camel } from "./records.js";
import type { EvaluationRecord, RunRecord } from "./reuse.js";

export interface EvaluatorStats {
  name: string;
  count: number;
  mean: number | null;
  errors: number;
}

/** An experiment as the server records it (docs/protocol.md §8), camelCase. */
export interface ExperimentInfo {
  id: number;
  datasetId: number;
  dataset: string;
  versionId: number;
  name: string;
  taskFingerprint: string;
  evaluators: Record<string, string>;
  tags: Record<string, string>;
  metadata: Record<string, unknown>;
  status: "running" | "complete" | "interrupted";
  createdAt: string;
  endedAt: string | null;
  reusedFromId: number | null;
  ran: number;
  reused: number;
  errors: number;
  scores: Record<string, EvaluatorStats>;
  /** Where the reused runs came from, most runs first (wire: `reused_sources`). */
  reusedSources: ReuseSource[];
}

/** `count` reused runs were first made by experiment `experimentId`, named `name`. */
export interface ReuseSource {
  experimentId: number;
  name: string;
  count: number;
}

/** The server's experiment object, camelCase (nested `reused_sources` too). */
export function experimentFromWire(wire: unknown): ExperimentInfo {
  const info = camel<Omit<ExperimentInfo, "reusedSources"> & { reusedSources?: Record<string, unknown>[] }>(wire);
  const sources = (info.reusedSources ?? []).map((s) => ({
    experimentId: Number(s["experiment_id"]),
    name: String(s["name"]),
    count: Number(s["count"]),
  }));
  return { ...info, reusedSources: sources };
}

/** `reused 1 from experiment 3 'support-v1'` (`reused 0` when nothing was reused). */
export function reuseSummary(sources: readonly ReuseSource[]): string {
  if (sources.length === 0) return "reused 0";
  return sources.map((s) => `reused ${s.count} from experiment ${s.experimentId} '${s.name}'`).join(", ");
}

export interface WirePage {
  items: unknown[];
  next_cursor: string | null;
}

export function evaluationToWire(e: EvaluationRecord): Record<string, unknown> {
  return {
    name: e.name, score: e.score, label: e.label, explanation: e.explanation,
    error: e.error, seen_hash: e.seenHash, reused: e.reused,
  };
}

export function runToWire(r: RunRecord): Record<string, unknown> {
  return {
    source_id: r.sourceId,
    content_hash: r.contentHash,
    seen_hash: r.seenHash,
    output: r.output,
    error: r.error,
    latency_seconds: r.latencySeconds,
    started_at: r.startedAt,
    ended_at: r.endedAt,
    reused_from: r.reusedFrom,
    evaluations: r.evaluations.map(evaluationToWire),
  };
}

export function runFromWire(wire: unknown): RunRecord {
  const r = camel<RunRecord & { evaluations: unknown[] }>(wire);
  return {
    sourceId: r.sourceId,
    contentHash: r.contentHash,
    seenHash: r.seenHash,
    output: r.output ?? null,
    error: r.error ?? null,
    latencySeconds: r.latencySeconds ?? null,
    startedAt: r.startedAt ?? null,
    endedAt: r.endedAt ?? null,
    reusedFrom: r.reusedFrom ?? null,
    evaluations: (r.evaluations ?? []).map((e) => {
      const x = camel<EvaluationRecord>(e);
      return {
        name: x.name, score: x.score ?? null, label: x.label ?? null, explanation: x.explanation ?? null,
        error: x.error ?? null, seenHash: x.seenHash ?? "", reused: Boolean(x.reused),
      };
    }),
  };
}
