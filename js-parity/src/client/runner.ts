/**
 * Calling many functions with bounded concurrency and a per-call timeout (Python's
 * `datasync/experiments/runner.py`, for one event loop).
 *
 * - At most `concurrency` calls are in flight at once; sync and async functions alike (a
 *   sync function blocks the event loop while it runs, so only async ones overlap).
 * - A call that has not settled after `timeoutMs` is *abandoned*: it is recorded as
 *   `timeout: no result after S s`, its `AbortSignal` is aborted (a task that passes it to
 *   `fetch` is really stopped), its late result is ignored, and its slot goes to the next call.
 * - A thrown error is that call's outcome (`TypeError: boom`); the rest go on.
 * - `stop` (an `AbortSignal`) ends the run early: nothing new starts, calls in flight are
 *   abandoned, and `runCalls` resolves; `onDone` has then received every call that ended.
 * - An error thrown by `onDone` (a failed write) stops the run the same way and is rethrown.
 */

export interface Outcome {
  value: unknown;
  error: string | null;
  startedAt: string;
  endedAt: string;
  seconds: number;
}

/** One call: given a signal that aborts when the call times out or the run is stopped. */
export type Call = (signal: AbortSignal) => unknown;

export interface RunOptions {
  concurrency: number;
  timeoutMs?: number | undefined;
  stop?: AbortSignal | undefined;
}

/** `TypeError: boom` (or the value itself when something other than an Error was thrown). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const name = err.name || err.constructor.name || "Error";
    return err.message ? `${name}: ${err.message}` : name;
  }
  return `thrown: ${String(err)}`;
}

export function timeoutMessage(timeoutMs: number): string {
  return `timeout: no result after ${timeoutMs / 1000} s`;
}

const ABANDONED = Symbol("abandoned");

/** Run every call (see the module doc); `onDone(index, outcome)` as each ends, in end order. */
export async function runCalls(
  calls: readonly Call[],
  onDone: (index: number, outcome: Outcome) => void | Promise<void>,
  options: RunOptions,
): Promise<void> {
  let next = 0;
  const failed = new AbortController();
  const stop = options.stop === undefined ? failed.signal : AbortSignal.any([options.stop, failed.signal]);
  const worker = async (): Promise<void> => {
    while (next < calls.length && !stop.aborted) {
      const index = next++;
      const outcome = await one(calls[index] as Call, options.timeoutMs, stop);
      if (outcome === ABANDONED) return;
      try {
        await onDone(index, outcome);
      } catch (err) {
        failed.abort(err);
        throw err;
      }
    }
  };
  const size = Math.max(1, Math.min(options.concurrency, calls.length));
  await Promise.all(Array.from({ length: size }, worker));
}

async function one(call: Call, timeoutMs: number | undefined, stop: AbortSignal): Promise<Outcome | typeof ABANDONED> {
  const controller = new AbortController();
  const started = new Date();
  const t0 = performance.now();
  const cleanups: (() => void)[] = [];
  const race: Promise<{ value?: unknown; error?: string; abandoned?: true }>[] = [
    (async () => {
      try {
        return { value: await call(controller.signal) };
      } catch (err) {
        return { error: describeError(err) };
      }
    })(),
  ];
  if (timeoutMs !== undefined) {
    race.push(
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve({ error: timeoutMessage(timeoutMs) }), timeoutMs);
        cleanups.push(() => clearTimeout(timer));
      }),
    );
  }
  race.push(
    new Promise((resolve) => {
      const onStop = (): void => resolve({ abandoned: true });
      if (stop.aborted) onStop();
      stop.addEventListener("abort", onStop, { once: true });
      cleanups.push(() => stop.removeEventListener("abort", onStop));
    }),
  );
  const result = await Promise.race(race);
  for (const cleanup of cleanups) cleanup();
  if (result.abandoned || result.error !== undefined) controller.abort();
  if (result.abandoned) return ABANDONED;
  const ended = new Date();
  return {
    value: result.error === undefined ? result.value : null,
    error: result.error ?? null,
    startedAt: started.toISOString(),
    endedAt: ended.toISOString(),
    seconds: Math.round((performance.now() - t0) * 1000) / 1e6,
  };
}
