"""Every version reads back exactly after a sequence of mirror and append commits."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasync.canonical import content_hash
from datasync.store import Store
from datasync.sync import (
    ChangeKind,
    CommitHeader,
    ExampleData,
    LeafTable,
    Mode,
    Operation,
    plan_changes,
)

_names = itertools.count()

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: 0.0 if f == 0 else f),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8),
)
json_objects = st.dictionaries(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=5),
    st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=5),
    max_size=3,
)
contents = st.fixed_dictionaries(
    {"input": json_objects, "output": json_objects, "metadata": json_objects}
)
ids = st.sampled_from([f"id-{i}" for i in range(12)] + ["é", "😀", "a b", "Z"])
states = st.dictionaries(ids, contents, max_size=10)
steps = st.lists(
    st.tuples(states, st.sampled_from([Mode.MIRROR, Mode.APPEND])), min_size=1, max_size=4
)


def hashed(state: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {sid: content_hash(c["input"], c["output"], c["metadata"]) for sid, c in state.items()}


def operations(
    local: dict[str, dict[str, Any]], remote: dict[str, str], mode: Mode
) -> list[Operation]:
    plan = plan_changes(hashed(local), remote, mode)
    out = []
    for change in plan.changes:
        if change.kind is ChangeKind.DELETE:
            out.append(Operation(change.kind, change.source_id))
        else:
            c = local[change.source_id]
            out.append(
                Operation(
                    change.kind,
                    change.source_id,
                    change.hash,
                    c["input"],
                    c["output"],
                    c["metadata"],
                )
            )
    return out


def read_all(store: Store, name: str, version: int) -> list[ExampleData]:
    items: list[ExampleData] = []
    cursor = None
    while True:
        page = store.iter_examples(name, version, limit=3, cursor=cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


def expected_rows(state: dict[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (sid, c["input"], c["output"], c["metadata"], h)
        for (sid, c), h in zip(
            sorted(state.items()), [hashed(state)[s] for s in sorted(state)], strict=True
        )
    ]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
def test_every_version_reads_back_exactly(
    store: Store, steps: list[tuple[dict[str, Any], Mode]]
) -> None:
    name = f"ds{next(_names)}"
    model: dict[str, dict[str, Any]] = {}
    history: dict[int, dict[str, dict[str, Any]]] = {}
    head: int | None = None
    for local, mode in steps:
        remote = hashed(model)
        ops = operations(local, remote, mode)
        result = store.commit(name, ops, CommitHeader(base_version_id=head, mode=mode))
        model = dict(local) if mode is Mode.MIRROR else {**model, **local}
        plan = plan_changes(hashed(local), remote, mode)
        assert result.no_op == plan.is_empty
        assert (result.created, result.patched, result.deleted) == (
            plan.created,
            plan.patched,
            plan.deleted,
        )
        assert result.total == len(model)
        if result.version_id is not None:
            head = result.version_id
            history[head] = dict(model)
    for version, state in history.items():
        got = [
            (e.source_id, e.input, e.output, e.metadata, e.hash)
            for e in read_all(store, name, version)
        ]
        assert got == expected_rows(state)
        for e in read_all(store, name, version):  # bodies hash back to their stored hash
            assert content_hash(e.input, e.output, e.metadata) == e.hash
        summary = store.get_summary(name, version, bits=4)
        assert summary.count == len(state)
        assert summary.root == LeafTable.from_manifest(hashed(state)).root()
        assert list(summary.digests) == [
            LeafTable.from_manifest(hashed(state)).node_digest(4, n) for n in range(16)
        ]
