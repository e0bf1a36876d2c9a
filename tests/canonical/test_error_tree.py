"""The error tree: codes, paths, and the wire round trip for every class."""

from __future__ import annotations

import pytest

from datasync import errors
from datasync.errors import (
    CanonicalError,
    DatasyncError,
    MissingExtraError,
    SourceError,
    error_from_wire,
)


def _all_classes() -> list[type[DatasyncError]]:
    found: list[type[DatasyncError]] = []
    stack: list[type[DatasyncError]] = [DatasyncError]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


def _instance(cls: type[DatasyncError]) -> DatasyncError:
    if issubclass(cls, CanonicalError):
        return cls("inexact_integer", "$.input.ids[2]", "integer 9007199254740993 is not exact")
    if issubclass(cls, SourceError):
        return cls("bad row", code="bad_row", location="data.jsonl:12:5", details={"row": 12})
    if issubclass(cls, MissingExtraError):
        return cls("reading Parquet", "parquet", "pyarrow")
    return cls(f"something {cls.kind}", code=f"{cls.kind}_code", details={"n": 1, "a": [1]})


def test_every_error_class_in_the_module_is_in_the_tree() -> None:
    in_module = {
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, DatasyncError)
    }
    assert in_module == set(_all_classes())
    assert len({cls.kind for cls in in_module}) == len(in_module)


@pytest.mark.parametrize("cls", _all_classes(), ids=lambda c: c.__name__)
def test_error_round_trips_through_the_wire(cls: type[DatasyncError]) -> None:
    original = _instance(cls)
    back = error_from_wire(original.to_wire(), cls.http_status)
    assert type(back) is cls
    assert back.code == original.code
    assert back.details == original.details
    assert back.message == original.message
    assert str(back) == str(original)
    if isinstance(original, CanonicalError):
        assert isinstance(back, CanonicalError)
        assert back.path == original.path
    if isinstance(original, SourceError):
        assert isinstance(back, SourceError)
        assert back.location == original.location


def test_a_body_without_an_error_is_a_transport_error() -> None:
    back = error_from_wire({"detail": "Not Found"}, 404)
    assert isinstance(back, errors.TransportError)
    assert "404" in str(back)


def test_an_unknown_kind_falls_back_to_the_base_class_keeping_the_code() -> None:
    body = {"error": {"kind": "from_the_future", "code": "new_code", "message": "m"}}
    back = error_from_wire(body, 500)
    assert type(back) is DatasyncError
    assert (back.code, back.message, back.details) == ("new_code", "m", {})


def test_canonical_error_carries_code_and_path() -> None:
    err = CanonicalError("too_deep", "$.input.a", "nesting deeper than 128")
    assert isinstance(err, DatasyncError)
    assert (err.code, err.path, err.http_status) == ("too_deep", "$.input.a", 422)
    assert str(err) == "[too_deep] nesting deeper than 128 at $.input.a"
    assert err.to_wire()["error"]["details"] == {"path": "$.input.a"}
