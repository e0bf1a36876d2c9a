"""Experiments, the part that needs no store: binding, fingerprints, reuse, running, compare.

* :func:`bind` (binding.py): what a task or evaluator sees, by parameter name.
* :func:`fingerprint` (fingerprint.py): explicit ``task_version`` or derived from the code.
* :func:`plan_runs`, :func:`plan_evaluations`, :func:`seen_hash` (reuse.py): the reuse rule.
* :func:`evaluators_of`, :func:`normalize_result` (scores.py): evaluators and their results.
* :func:`run_calls` (runner.py): bounded concurrency, threads or asyncio, per-call timeout.
* :func:`execute` (execute.py): one experiment, results handed to a sink as they finish.
* :func:`compare_runs`: per-example and aggregate score deltas (it lives in
  ``datasync.sync.experiment_compare``, pure, so that the server's pages use it too).

The client (``datasync.client._experiments``) ties these to a store; nothing here imports
the client, the server or the store.
"""

from datasync.experiments.binding import EVALUATOR_NAMES, TASK_NAMES, Binding, bind
from datasync.experiments.execute import Settings, Sink, execute, json_output
from datasync.experiments.fingerprint import fingerprint
from datasync.experiments.progress import Counts, progress_display
from datasync.experiments.reuse import (
    Previous,
    RunPlan,
    evaluation_hash,
    plan_evaluations,
    plan_runs,
    seen_hash,
)
from datasync.experiments.runner import Outcome, run_calls
from datasync.experiments.scores import (
    Evaluator,
    Evaluators,
    ScoreError,
    evaluators_of,
    normalize_result,
)
from datasync.sync.experiment_compare import Comparison, EvaluatorDelta, ExampleDelta, compare_runs

__all__ = [
    "EVALUATOR_NAMES",
    "TASK_NAMES",
    "Binding",
    "Comparison",
    "Counts",
    "Evaluator",
    "EvaluatorDelta",
    "Evaluators",
    "ExampleDelta",
    "Outcome",
    "Previous",
    "RunPlan",
    "ScoreError",
    "Settings",
    "Sink",
    "bind",
    "compare_runs",
    "evaluation_hash",
    "evaluators_of",
    "execute",
    "fingerprint",
    "json_output",
    "normalize_result",
    "plan_evaluations",
    "plan_runs",
    "progress_display",
    "run_calls",
    "seen_hash",
]
