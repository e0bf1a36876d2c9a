"""plan_changes: the diff between a local and a remote manifest."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasync.errors import ValidationError
from datasync.sync import Change, ChangeKind, Mode, plan_changes

H1, H2, H3 = "1" * 64, "2" * 64, "3" * 64


def apply(remote: dict[str, str], changes: tuple[Change, ...]) -> dict[str, str]:
    out = dict(remote)
    for change in changes:
        if change.kind is ChangeKind.DELETE:
            del out[change.source_id]
        else:
            assert change.hash is not None
            out[change.source_id] = change.hash
    return out


def test_mirror_plan_creates_patches_and_deletes() -> None:
    plan = plan_changes({"a": H1, "b": H2, "c": H3}, {"b": H1, "c": H3, "d": H1}, "mirror")
    assert set(plan.changes) == {
        Change(ChangeKind.CREATE, "a", H1),
        Change(ChangeKind.PATCH, "b", H2),
        Change(ChangeKind.DELETE, "d", None),
    }
    assert (plan.created, plan.patched, plan.deleted, plan.unchanged) == (1, 1, 1, 1)


def test_append_plan_never_deletes_and_counts_kept_ids_as_unchanged() -> None:
    plan = plan_changes({"a": H1}, {"b": H1, "c": H2}, Mode.APPEND)
    assert plan.changes == (Change(ChangeKind.CREATE, "a", H1),)
    assert plan.deleted == 0
    assert plan.unchanged == 2


def test_identical_manifests_plan_nothing() -> None:
    plan = plan_changes({"a": H1}, {"a": H1})
    assert plan.is_empty and plan.unchanged == 1


def test_changes_are_sorted_by_source_id() -> None:
    plan = plan_changes({"b": H1, "a": H1, "é": H1, "z": H1}, {"y": H1})
    assert [c.source_id for c in plan.changes] == sorted(["a", "b", "é", "y", "z"])
    assert plan.ids(ChangeKind.DELETE) == ["y"]


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        plan_changes({}, {}, "replace")
    assert info.value.code == "invalid_mode"


manifests = st.dictionaries(st.text(min_size=1, max_size=4), st.sampled_from([H1, H2, H3]))


@given(manifests, manifests)
def test_mirror_plan_applied_to_remote_gives_local(
    local: dict[str, str], remote: dict[str, str]
) -> None:
    plan = plan_changes(local, remote, "mirror")
    assert apply(remote, plan.changes) == local
    assert plan.created + plan.patched + plan.unchanged == len(local)


@given(manifests, manifests)
def test_append_plan_applied_to_remote_gives_union_with_local_winning(
    local: dict[str, str], remote: dict[str, str]
) -> None:
    plan = plan_changes(local, remote, "append")
    after = apply(remote, plan.changes)
    assert after == {**remote, **local}
    assert plan.created + plan.patched + plan.unchanged == len(after)
