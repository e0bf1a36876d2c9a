"""``phoenix://`` locations and Phoenix ids: parsing, building, refusals (no server needed;
tests/bridges runs the bridge against a real Phoenix)."""

from __future__ import annotations

import pytest

from datasync.errors import UsageError
from datasync.sources import (
    is_phoenix_uri,
    node_id_number,
    open_source,
    parse_phoenix_uri,
    phoenix_uri,
)
from datasync.sources._phoenix_api import PhoenixLocation


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("phoenix://127.0.0.1:6006/qa", PhoenixLocation("http://127.0.0.1:6006", "qa")),
        (
            "phoenix+https://phx.example.com/root/my%20set?version=3",
            PhoenixLocation("https://phx.example.com/root", "my set", "3"),
        ),
        (
            "PHOENIX://h:1/RGF0YXNldDox?version=RGF0YXNldFZlcnNpb246MQ%3D%3D",
            PhoenixLocation("http://h:1", "RGF0YXNldDox", "RGF0YXNldFZlcnNpb246MQ=="),
        ),
    ],
)
def test_a_phoenix_uri_names_server_dataset_and_version(uri: str, expected: object) -> None:
    assert is_phoenix_uri(uri)
    assert parse_phoenix_uri(uri) == expected


@pytest.mark.parametrize(
    "uri",
    ["phoenix://h:1", "phoenix://h:1/", "phoenix:///qa", "phoenix://h:1/qa?limit=3"],
)
def test_a_malformed_phoenix_uri_is_a_usage_error(uri: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_phoenix_uri(uri)
    assert caught.value.code == "bad_phoenix_url"


def test_phoenix_uri_round_trips_through_parse() -> None:
    uri = phoenix_uri("https://phx.example.com/base/", "a/b c", "RGF0YXNldFZlcnNpb246MQ==")
    assert parse_phoenix_uri(uri) == PhoenixLocation(
        "https://phx.example.com/base", "a/b c", "RGF0YXNldFZlcnNpb246MQ=="
    )
    with pytest.raises(UsageError):
        phoenix_uri("127.0.0.1:6006", "qa")


def test_other_locations_are_not_phoenix() -> None:
    assert not any(map(is_phoenix_uri, ["qa.jsonl", "s3://b/qa.jsonl", "http://h/qa.jsonl"]))


def test_node_ids_decode_only_for_their_type() -> None:
    assert node_id_number("RGF0YXNldEV4YW1wbGU6MTI=", "DatasetExample") == 12
    assert node_id_number("RGF0YXNldEV4YW1wbGU6MTI=", "Dataset") is None
    assert node_id_number("ex-00012", "DatasetExample") is None
    assert node_id_number("RGF0YXNldEV4YW1wbGU6eA==", "DatasetExample") is None  # "…:x"


def test_phoenix_source_options_are_checked_at_the_call() -> None:
    with pytest.raises(UsageError):
        open_source("phoenix://127.0.0.1:9/qa", format="csv")
    with pytest.raises(UsageError):
        open_source("phoenix://127.0.0.1:9/qa", anon=True)
