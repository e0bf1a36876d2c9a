"""The field-level diff of two contents (pure): paths, ops, values, and a round trip."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasync.canonical import canonicalize
from datasync.sync import ChangeKind, ExampleChange, FieldChange, content_of, field_changes


def content(input: Any = None, output: Any = None, metadata: Any = None) -> dict[str, Any]:
    return content_of(input, output, metadata)


def test_equal_contents_have_no_changes() -> None:
    c = content({"q": [1, {"a": None}]}, {"a": "4"}, {"split": "test"})
    assert field_changes(c, copy.deepcopy(c)) == []


def test_a_changed_value_is_a_replace_at_its_json_path() -> None:
    old = content({"q": "2+2"}, {"answer": "4"})
    new = content({"q": "2+2"}, {"answer": "four"})
    assert field_changes(old, new) == [FieldChange("$.output.answer", "replace", "4", "four")]


def test_added_and_removed_keys_and_array_tails() -> None:
    old = content({"choices": ["a", "b", "c"]}, metadata={"split": "test"})
    new = content({"choices": ["a", "B"]}, metadata={"lang": "en"})
    assert field_changes(old, new) == [
        FieldChange("$.input.choices[1]", "replace", "b", "B"),
        FieldChange("$.input.choices[2]", "remove", "c", None),
        FieldChange("$.metadata.lang", "add", None, "en"),
        FieldChange("$.metadata.split", "remove", "test", None),
    ]


def test_keys_that_are_not_identifiers_are_quoted_in_the_path() -> None:
    old = content({"a b": 1, 'q"': {"x": 1}})
    new = content({"a b": 2, 'q"': {"x": 2}})
    assert [f.path for f in field_changes(old, new)] == ['$.input["a b"]', '$.input["q\\""].x']


def test_json_types_are_compared_as_json_values() -> None:
    # 1 and 1.0 are one JSON number; true is not 1; null is not a missing key.
    assert field_changes(content({"n": 1}), content({"n": 1.0})) == []
    assert field_changes(content({"n": 1}), content({"n": True})) == [
        FieldChange("$.input.n", "replace", 1, True)
    ]
    assert field_changes(content({"n": None}), content({})) == [
        FieldChange("$.input.n", "remove", None, None)
    ]
    assert field_changes(content({"n": {"a": 1}}), content({"n": [1]})) == [
        FieldChange("$.input.n", "replace", {"a": 1}, [1])
    ]


def test_example_change_round_trips_through_the_wire_form() -> None:
    change = ExampleChange(
        "q1",
        ChangeKind.PATCH,
        "a" * 64,
        "b" * 64,
        (FieldChange("$.output.a", "add", None, None), FieldChange("$.input.q", "remove", 1)),
    )
    wire = change.to_wire()
    assert wire["fields"] == [
        {"path": "$.output.a", "op": "add", "new": None},
        {"path": "$.input.q", "op": "remove", "old": 1},
    ]
    assert ExampleChange.from_wire(wire) == change


_scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=12,
)
_parts = st.dictionaries(st.sampled_from(["a", "b", "c d"]), _values, max_size=3)


def _apply(doc: dict[str, Any], changes: list[FieldChange]) -> dict[str, Any]:
    """Replay ``changes`` on ``doc`` by walking each path (test oracle)."""
    import json
    import re

    out = copy.deepcopy(doc)
    token = re.compile(r'\.([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')
    for change in changes:
        steps: list[Any] = []
        for name, index, quoted in token.findall(change.path[1:]):
            steps.append(name or (int(index) if index else json.loads(quoted)))
        parent = out
        for step in steps[:-1]:
            parent = parent[step]
        last = steps[-1]
        if change.op == "remove":
            if isinstance(parent, list):
                parent.pop()  # array tails are removed from the end, last index first
            else:
                del parent[last]
        elif isinstance(parent, list) and change.op == "add":
            parent.append(change.new)
        else:
            parent[last] = change.new
    return out


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_parts, _parts)
def test_replaying_the_changes_on_the_old_content_gives_the_new(
    in_a: dict[str, Any], in_b: dict[str, Any]
) -> None:
    old, new = content(in_a, {"same": 1}, in_b), content(in_b, {"same": 1}, in_a)
    changes = field_changes(old, new)
    # array removals are listed from the lowest index; replay them from the end
    removals = [c for c in changes if c.op == "remove"]
    others = [c for c in changes if c.op != "remove"]
    # compared as JSON (canonical bytes): in Python 0 == False, in JSON they differ
    assert canonicalize(_apply(old, others + removals[::-1])) == canonicalize(new)
    assert (changes == []) == (canonicalize(old) == canonicalize(new))
