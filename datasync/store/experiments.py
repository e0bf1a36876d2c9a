"""The experiment methods of :class:`~datasync.store.Store` (a mixin): experiments pinned to a
version, their runs and evaluations, and the counts and score aggregates read from them.

Writes are idempotent per key (a run per ``(experiment, source_id)``, an evaluation per
``(experiment, source_id, name)``: writing one again replaces it), so a client may retry a
batch. Every run must name an example of the pinned version with its content hash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from datasync.canonical import canonicalize
from datasync.errors import CanonicalError, ConflictError, NotFoundError, ValidationError
from datasync.store import queries
from datasync.store.records import Page, decode_cursor, encode_cursor
from datasync.store.schema import (
    datasets,
    examples,
    experiment_evaluations,
    experiment_runs,
    experiments,
)
from datasync.store.tags import tag_filter
from datasync.sync import parse_tag_filter, validate_tags
from datasync.sync.experiment_records import (
    EvaluationRecord,
    EvaluatorStats,
    ExperimentInfo,
    ReuseSource,
    RunRecord,
    check_status,
    validate_evaluator_name,
    validate_experiment_name,
)

__all__ = ["ExperimentsMixin"]

_MAX_PAGE = 1000
_E = experiments
_R = experiment_runs
_V = experiment_evaluations


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _check_json(value: Any, where: str) -> None:
    try:
        canonicalize(value)
    except CanonicalError as exc:
        raise ValidationError(f"{where}: {exc.message}", code="invalid_value") from None


def _limit(limit: int) -> int:
    if not 1 <= limit <= _MAX_PAGE:
        raise ValidationError(f"limit must be 1..{_MAX_PAGE}, not {limit}", code="invalid_limit")
    return limit


class ExperimentsMixin:
    """Create, read, list and record experiments (see the module doc)."""

    engine: Engine

    def _write(self) -> Any:  # pragma: no cover - Store defines it
        raise NotImplementedError

    # --- writes ---------------------------------------------------------------------------

    def create_experiment(
        self,
        dataset: str | int,
        version_id: int | None,
        name: str,
        task_fingerprint: str,
        evaluators: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        reused_from_id: int | None = None,
    ) -> ExperimentInfo:
        """A new ``running`` experiment on ``version_id`` of ``dataset`` (its head if
        ``None``). Raises :class:`NotFoundError` (dataset, version, ``no_versions``, the
        experiment to reuse from), :class:`ValidationError` (name, evaluators, metadata),
        :class:`~datasync.errors.TagError`."""
        validate_experiment_name(name)
        clean_tags = validate_tags(tags or {})
        evaluators = dict(evaluators or {})
        for key, value in evaluators.items():
            validate_evaluator_name(key)
            if not isinstance(value, str) or len(value) > 256:
                raise ValidationError(f"evaluator {key!r}: fingerprint must be a string")
        if not isinstance(task_fingerprint, str) or not 0 < len(task_fingerprint) <= 256:
            raise ValidationError("task_fingerprint must be 1..256 chars", code="invalid_request")
        if not isinstance(metadata or {}, Mapping):
            raise ValidationError("experiment metadata must be an object", code="invalid_value")
        _check_json(dict(metadata or {}), "experiment metadata")
        with self._write() as conn:
            ds = queries.dataset_row(conn, dataset)
            version = queries.version_row(conn, ds, version_id)
            if version is None:
                raise NotFoundError(f"dataset {ds.name!r} has no versions yet", code="no_versions")
            if reused_from_id is not None:
                _experiment_row(conn, reused_from_id)
            values = {
                "dataset_id": ds.id,
                "version_id": version.id,
                "name": name,
                "task_fingerprint": task_fingerprint,
                "evaluators": evaluators,
                "tags": clean_tags,
                "metadata": dict(metadata or {}),
                "status": "running",
                "created_at": datetime.now(UTC),
                "reused_from_id": reused_from_id,
            }
            new_id = conn.execute(_E.insert().values(values)).inserted_primary_key
            assert new_id is not None
            return _infos(conn, [_experiment_row(conn, int(new_id[0]))])[0]

    def record_runs(self, experiment_id: int, runs: Sequence[RunRecord]) -> int:
        """Write (or replace) runs and their evaluations; the number written. Raises
        :class:`NotFoundError`, :class:`ConflictError` (``experiment_finished``),
        :class:`ValidationError` (``unknown_example``: not in the pinned version with that
        content hash; ``invalid_value``; ``duplicate_ids``)."""
        ids = [r.source_id for r in runs]
        _unique(ids)
        for run in runs:
            _check_json(run.output, f"run {run.source_id!r}: output")
        with self._write() as conn:
            exp = _open_experiment(conn, experiment_id)
            _check_examples(conn, exp, {r.source_id: r.content_hash for r in runs})
            _delete_keys(conn, _R, experiment_id, ids)
            _delete_keys(conn, _V, experiment_id, ids)
            if runs:
                conn.execute(_R.insert(), [_run_row(experiment_id, r) for r in runs])
            evaluations = [(r.source_id, e) for r in runs for e in r.evaluations]
            if evaluations:
                conn.execute(_V.insert(), [_eval_row(experiment_id, s, e) for s, e in evaluations])
        return len(runs)

    def record_evaluations(
        self, experiment_id: int, items: Sequence[tuple[str, EvaluationRecord]]
    ) -> int:
        """Write (or replace) evaluations of recorded runs; the number written. Raises
        :class:`NotFoundError`, :class:`ConflictError`, :class:`ValidationError`
        (``unknown_run``, ``invalid_evaluator_name``, ``duplicate_ids``)."""
        keys = [(sid, e.name) for sid, e in items]
        _unique([f"{sid}\x00{name}" for sid, name in keys])
        for _, record in items:
            validate_evaluator_name(record.name)
        wanted = sorted({sid for sid, _ in keys})
        with self._write() as conn:
            _open_experiment(conn, experiment_id)
            have = _existing(conn, _R, experiment_id, wanted)
            missing = [sid for sid in wanted if sid not in have]
            if missing:
                raise ValidationError(
                    f"no run for source id(s) {missing[:20]} in experiment {experiment_id}",
                    code="unknown_run",
                    details={"source_ids": missing[:20]},
                )
            for sid, name in keys:
                conn.execute(
                    _V.delete().where(
                        _V.c.experiment_id == experiment_id,
                        _V.c.source_id == sid,
                        _V.c.name == name,
                    )
                )
            if items:
                conn.execute(_V.insert(), [_eval_row(experiment_id, s, e) for s, e in items])
        return len(items)

    def finish_experiment(self, experiment_id: int, status: str = "complete") -> ExperimentInfo:
        """Mark the experiment ``complete`` or ``interrupted`` (now ``ended_at``); finishing
        it again with the same status is harmless. Raises :class:`NotFoundError`,
        :class:`ValidationError` (``invalid_status``)."""
        if check_status(status) == "running":
            raise ValidationError("finish with complete or interrupted", code="invalid_status")
        with self._write() as conn:
            row = _experiment_row(conn, experiment_id)
            if row.status != status:
                conn.execute(
                    _E.update()
                    .where(_E.c.id == experiment_id)
                    .values(status=status, ended_at=datetime.now(UTC))
                )
            return _infos(conn, [_experiment_row(conn, experiment_id)])[0]

    # --- reads ----------------------------------------------------------------------------

    def get_experiment(self, experiment_id: int) -> ExperimentInfo:
        """The experiment with its counts and score aggregates; raises :class:`NotFoundError`."""
        with self.engine.connect() as conn:
            return _infos(conn, [_experiment_row(conn, experiment_id)])[0]

    def list_experiments(
        self,
        *,
        dataset: str | int | None = None,
        name: str | None = None,
        tags: Mapping[str, str | None] | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[ExperimentInfo]:
        """Experiments, newest first: of ``dataset``, named ``name``, having every tag of
        ``tags`` (``None``: the key, any value). Raises :class:`NotFoundError` (dataset),
        :class:`~datasync.errors.TagError` (filter)."""
        wanted = parse_tag_filter(tags or {})
        stmt = sa.select(_E).order_by(_E.c.id.desc()).limit(_limit(limit))
        with self.engine.connect() as conn:
            if dataset is not None:
                stmt = stmt.where(_E.c.dataset_id == queries.dataset_row(conn, dataset).id)
            if name is not None:
                stmt = stmt.where(_E.c.name == name)
            stmt = stmt.where(*tag_filter(conn.dialect.name, _E.c.tags, wanted))
            if cursor is not None:
                stmt = stmt.where(_E.c.id < decode_cursor(cursor, int))
            items = tuple(_infos(conn, list(conn.execute(stmt))))
        return Page(items, encode_cursor(items[-1].id) if len(items) == limit else None)

    def list_runs(
        self, experiment_id: int, limit: int = 100, cursor: str | None = None
    ) -> Page[RunRecord]:
        """One page of the experiment's runs by source id, each with its evaluations.
        Raises :class:`NotFoundError`, :class:`ValidationError` (limit, cursor)."""
        stmt = (
            sa.select(_R)
            .where(_R.c.experiment_id == experiment_id)
            .order_by(_R.c.source_id)
            .limit(_limit(limit))
        )
        if cursor is not None:
            stmt = stmt.where(_R.c.source_id > decode_cursor(cursor, str))
        with self.engine.connect() as conn:
            _experiment_row(conn, experiment_id)
            rows = list(conn.execute(stmt))
            evals = _evaluations(conn, experiment_id, [r.source_id for r in rows])
        items = tuple(_run_record(r, evals.get(r.source_id, ())) for r in rows)
        return Page(items, encode_cursor(items[-1].source_id) if len(items) == limit else None)


# --- helpers ------------------------------------------------------------------------------


def _experiment_row(conn: Connection, experiment_id: int) -> Row[Any]:
    row = conn.execute(sa.select(_E).where(_E.c.id == experiment_id)).first()
    if row is None:
        raise NotFoundError(f"no experiment {experiment_id}", code="experiment_not_found")
    return row


def _open_experiment(conn: Connection, experiment_id: int) -> Row[Any]:
    row = _experiment_row(conn, experiment_id)
    if row.status != "running":
        raise ConflictError(
            f"experiment {experiment_id} is {row.status}; results can no longer be recorded",
            code="experiment_finished",
        )
    return row


def _unique(keys: Iterable[str]) -> None:
    seen: set[str] = set()
    repeated: set[str] = set()
    for key in keys:
        (repeated if key in seen else seen).add(key)
    twice = sorted(repeated)
    if twice:
        shown = [k.replace("\x00", " / ") for k in twice[:20]]
        raise ValidationError(
            f"sent more than once in one request: {shown}",
            code="duplicate_ids",
            details={"duplicate_ids": shown},
        )


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(conn: Connection, table: sa.Table, experiment_id: int, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        stmt = sa.select(table.c.source_id).where(
            table.c.experiment_id == experiment_id, table.c.source_id.in_(chunk)
        )
        found.update(conn.execute(stmt).scalars())
    return found


def _delete_keys(conn: Connection, table: sa.Table, experiment_id: int, ids: list[str]) -> None:
    for chunk in _chunks(ids):
        conn.execute(
            table.delete().where(
                table.c.experiment_id == experiment_id, table.c.source_id.in_(chunk)
            )
        )


def _check_examples(conn: Connection, exp: Row[Any], wanted: dict[str, str]) -> None:
    """Every source id is a live example of the pinned version with that content hash."""
    found: dict[str, str] = {}
    ids = sorted(wanted)
    for chunk in _chunks(ids):
        stmt = queries.manifest_select(
            conn.dialect.name, exp.dataset_id, exp.version_id, ["source_id", "hash"]
        ).where(examples.c.source_id.in_(chunk))
        found.update((r.source_id, r.hash) for r in conn.execute(stmt))
    bad = [sid for sid in ids if found.get(sid) != wanted[sid]]
    if bad:
        raise ValidationError(
            f"not examples of the experiment's version with the given content hash: {bad[:20]}",
            code="unknown_example",
            details={"source_ids": bad[:20]},
        )


def _run_row(experiment_id: int, run: RunRecord) -> dict[str, Any]:
    return {
        "experiment_id": experiment_id,
        "source_id": run.source_id,
        "content_hash": run.content_hash,
        "seen_hash": run.seen_hash,
        "output": run.output,
        "error": run.error,
        "latency_seconds": run.latency_seconds,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "reused_from": run.reused_from,
    }


def _eval_row(experiment_id: int, source_id: str, e: EvaluationRecord) -> dict[str, Any]:
    return {
        "experiment_id": experiment_id,
        "source_id": source_id,
        "name": e.name,
        "score": e.score,
        "label": e.label,
        "explanation": e.explanation,
        "error": e.error,
        "seen_hash": e.seen_hash,
        "reused": e.reused,
    }


def _evaluations(
    conn: Connection, experiment_id: int, ids: list[str]
) -> dict[str, tuple[EvaluationRecord, ...]]:
    out: dict[str, list[EvaluationRecord]] = {}
    for chunk in _chunks(ids):
        stmt = (
            sa.select(_V)
            .where(_V.c.experiment_id == experiment_id, _V.c.source_id.in_(chunk))
            .order_by(_V.c.source_id, _V.c.name)
        )
        for r in conn.execute(stmt):
            out.setdefault(r.source_id, []).append(
                EvaluationRecord(
                    r.name, r.score, r.label, r.explanation, r.error, r.seen_hash, r.reused
                )
            )
    return {k: tuple(v) for k, v in out.items()}


def _run_record(r: Row[Any], evaluations: tuple[EvaluationRecord, ...]) -> RunRecord:
    return RunRecord(
        r.source_id,
        r.content_hash,
        r.seen_hash,
        r.output,
        r.error,
        r.latency_seconds,
        _utc(r.started_at),
        _utc(r.ended_at),
        r.reused_from,
        evaluations,
    )


def _infos(conn: Connection, rows: list[Row[Any]]) -> list[ExperimentInfo]:
    """ExperimentInfo for ``rows``, counts and aggregates from two grouped queries."""
    ids = [r.id for r in rows]
    if not ids:
        return []
    errors = sa.func.sum(sa.case((_R.c.error.is_not(None), 1), else_=0))
    counts = {
        r.experiment_id: (int(r.total), int(r.reused), int(r.errors or 0))
        for r in conn.execute(
            sa.select(
                _R.c.experiment_id,
                sa.func.count().label("total"),
                sa.func.count(_R.c.reused_from).label("reused"),
                errors.label("errors"),
            )
            .where(_R.c.experiment_id.in_(ids))
            .group_by(_R.c.experiment_id)
        )
    }
    scores: dict[int, dict[str, EvaluatorStats]] = {}
    eval_errors = sa.func.sum(sa.case((_V.c.error.is_not(None), 1), else_=0))
    for r in conn.execute(
        sa.select(
            _V.c.experiment_id,
            _V.c.name,
            sa.func.count().label("n"),
            sa.func.avg(_V.c.score).label("mean"),
            eval_errors.label("errors"),
        )
        .where(_V.c.experiment_id.in_(ids))
        .group_by(_V.c.experiment_id, _V.c.name)
        .order_by(_V.c.name)
    ):
        mean = None if r.mean is None else float(r.mean)
        stats = EvaluatorStats(r.name, int(r.n), mean, int(r.errors or 0))
        scores.setdefault(r.experiment_id, {})[r.name] = stats
    sources = _reuse_sources(conn, ids)
    numbers = queries.version_numbers(conn, (r.version_id for r in rows))
    names = dict(
        conn.execute(
            sa.select(datasets.c.id, datasets.c.name).where(
                datasets.c.id.in_({r.dataset_id for r in rows})
            )
        ).all()
    )
    out = []
    for r in rows:
        total, reused, errs = counts.get(r.id, (0, 0, 0))
        created = _utc(r.created_at)
        assert created is not None
        out.append(
            ExperimentInfo(
                r.id,
                r.dataset_id,
                names[r.dataset_id],
                numbers[r.version_id],
                r.name,
                r.task_fingerprint,
                dict(r.evaluators),
                dict(r.tags),
                dict(r.metadata),
                r.status,
                created,
                _utc(r.ended_at),
                r.reused_from_id,
                total - reused,
                reused,
                errs,
                scores.get(r.id, {}),
                sources.get(r.id, ()),
            )
        )
    return out


def _reuse_sources(conn: Connection, ids: list[int]) -> dict[int, tuple[ReuseSource, ...]]:
    """Per experiment, the experiments its reused runs were first made by (most runs first)."""
    counted = conn.execute(
        sa.select(_R.c.experiment_id, _R.c.reused_from, sa.func.count().label("n"))
        .where(_R.c.experiment_id.in_(ids), _R.c.reused_from.is_not(None))
        .group_by(_R.c.experiment_id, _R.c.reused_from)
    ).all()
    origins = {r.reused_from for r in counted}
    names = dict(
        conn.execute(sa.select(_E.c.id, _E.c.name).where(_E.c.id.in_(origins))).all()
        if origins
        else []
    )
    out: dict[int, list[ReuseSource]] = {}
    for r in counted:
        # An experiment deleted since keeps its id in the runs; its name is gone.
        source = ReuseSource(int(r.reused_from), names.get(r.reused_from, "?"), int(r.n))
        out.setdefault(r.experiment_id, []).append(source)
    return {k: tuple(sorted(v, key=lambda s: (-s.count, s.experiment_id))) for k, v in out.items()}
