"""Gzip commit bodies: every member, nothing after the last, bounded memory for any body."""

from __future__ import annotations

import functools
import gzip
import itertools
import json
import struct
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasync.errors import NotFoundError, ValidationError
from datasync.server import Limits
from datasync.server.gunzip import Gunzip
from datasync.store import Store
from datasync.sync import ChangeKind, CommitHeader
from tests.server.conftest import StartServer
from tests.server.helpers import GZIP, NDJSON, example, ndjson, op
from tests.server.process import ServerProcess

MiB = 1024 * 1024


def _gunzip_all(pieces: list[bytes], step: int) -> bytes:
    gunzip = Gunzip(step)
    out = []
    for piece in pieces:
        for decoded in gunzip.feed(piece):
            assert 0 < len(decoded) <= step
            out.append(decoded)
    gunzip.finish()
    return b"".join(out)


@given(
    texts=st.lists(st.binary(max_size=3000), min_size=1, max_size=4),
    cuts=st.lists(st.integers(min_value=0, max_value=20_000), max_size=6),
    step=st.integers(min_value=1, max_value=5000),
)
def test_every_member_is_decoded_however_the_body_is_cut(
    texts: list[bytes], cuts: list[int], step: int
) -> None:
    body = b"".join(gzip.compress(t, compresslevel=1) for t in texts)
    bounds = [0, *sorted(c % (len(body) + 1) for c in cuts), len(body)]
    pieces = [body[a:b] for a, b in itertools.pairwise(bounds)]
    assert _gunzip_all(pieces, step) == b"".join(texts)


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (b"garbage", "not a gzip member"),
        (b"\x00" * 8, "not a gzip member"),
        (b"\x1f", "ended inside member 2"),
        (gzip.compress(b"more\n")[:-4], "ended inside member 2"),
        (b"\x1f\x8bnot deflate at all", "member 2 is corrupt"),
    ],
)
def test_bytes_after_a_member_that_are_not_a_whole_member_are_refused(
    tail: bytes, reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason) as caught:
        _gunzip_all([gzip.compress(b"text\n") + tail], 64)
    assert caught.value.code == "bad_gzip"


def test_a_body_that_is_not_gzip_at_all_is_refused() -> None:
    with pytest.raises(ValidationError, match="at the start are not a gzip member"):
        _gunzip_all([b"{}\n"], 64)


def _ops(ids: range) -> list[dict[str, object]]:
    return [op(ChangeKind.CREATE, f"id{i}", example(i)) for i in ids]


def test_a_body_of_two_gzip_members_commits_both_members_operations(
    start_server: StartServer, store: Store
) -> None:
    client = start_server()
    text = ndjson(CommitHeader(), _ops(range(6)))
    lines = text.splitlines(keepends=True)
    body = gzip.compress(b"".join(lines[:3])) + gzip.compress(b"".join(lines[3:]))
    response = client.post("/v1/datasets/qa/commits", content=body, headers=GZIP)
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 6
    assert {e.source_id for e in store.iter_examples("qa").items} == {f"id{i}" for i in range(6)}


@pytest.mark.parametrize("tail", [b"trailing garbage", gzip.compress(b"{}\n")[:-3]])
def test_a_gzip_body_with_bytes_after_its_member_writes_nothing(
    start_server: StartServer, store: Store, tail: bytes
) -> None:
    client = start_server()
    body = ndjson(CommitHeader(), _ops(range(3)), gz=True) + tail
    response = client.post("/v1/datasets/qa/commits", content=body, headers=GZIP)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "bad_gzip"
    with pytest.raises(NotFoundError):
        store.get_dataset("qa")


def test_blank_lines_past_the_limit_are_refused(start_server: StartServer, store: Store) -> None:
    client = start_server(limits=Limits(max_blank_lines=100))
    ok = ndjson(CommitHeader(), _ops(range(2))).replace(b"\n", b"\n" * 31)  # 90 blank lines
    assert client.post("/v1/datasets/ok/commits", content=ok, headers=NDJSON).status_code == 201
    body = ndjson(CommitHeader(), _ops(range(2))) + b"\r\n" * 101
    response = client.post("/v1/datasets/qa/commits", content=gzip.compress(body), headers=GZIP)
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "too_many_blank_lines"
    assert error["details"] == {"limit": 100, "line": 104}
    with pytest.raises(NotFoundError):
        store.get_dataset("qa")


def test_a_bomb_of_one_repeated_operation_is_refused_without_reading_it_all(
    start_server: StartServer, store: Store
) -> None:
    client = start_server()
    line = json.dumps(op(ChangeKind.DELETE, "x")).encode() + b"\n"
    header = json.dumps(CommitHeader().to_wire()).encode() + b"\n"
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = bomb.compress(header) + bomb.compress(line * 2_000_000) + bomb.flush()  # 60 MB
    started = time.monotonic()
    response = client.post("/v1/datasets/qa/commits", content=body, headers=GZIP)
    assert time.monotonic() - started < 5
    assert response.status_code == 422, response.text
    assert "reading stopped after 1000 refused ids" in response.json()["error"]["message"]


@functools.cache
def _newline_bomb(size: int) -> bytes:
    """A gzip member of ``size`` bytes: a header line, then about 1000x as many newlines.

    Built from one segment of 16 MiB of newlines ended by a full flush (RFC 1951 blocks that
    refer to nothing before them), repeated: compressing a gigabyte would take 10 s."""
    header = json.dumps(CommitHeader().to_wire()).encode() + b"\n"
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = raw.compress(header) + raw.flush(zlib.Z_FULL_FLUSH)
    block = b"\n" * (16 * MiB)
    segment = raw.compress(block) + raw.flush(zlib.Z_FULL_FLUSH)
    count = (size - len(first)) // len(segment) + 1
    crc = zlib.crc32(header)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    length = len(header) + count * len(block)
    gzip_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # RFC 1952 2.3
    final_block = b"\x03\x00"  # an empty fixed-Huffman block with BFINAL set
    trailer = struct.pack("<II", crc, length & 0xFFFFFFFF)
    return gzip_header + first + segment * count + final_block + trailer


def test_the_bomb_is_a_valid_gzip_member() -> None:
    small = _newline_bomb(50_000)
    assert gzip.decompress(small).count(b"\n") == 1 + 16 * MiB * 4


def test_a_1_mb_gzip_bomb_of_newlines_is_refused_fast_by_a_small_server(
    store_url: str, tmp_path: Path
) -> None:
    bomb = _newline_bomb(MiB)
    assert len(bomb) >= MiB  # about a gigabyte of newlines once decompressed
    with ServerProcess(store_url, tmp_path / "server.log") as server:
        started = time.monotonic()
        response = server.client.post("/v1/datasets/qa/commits", content=bomb, headers=GZIP)
        elapsed = time.monotonic() - started
        peak = server.peak_rss_bytes()
        listed = server.client.get("/v1/datasets").json()["items"]
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "too_many_blank_lines"
    assert elapsed < 5, f"refused after {elapsed:.1f} s"
    assert peak < 300 * MiB, f"server peak RSS {peak / MiB:.0f} MiB"
    assert listed == []
