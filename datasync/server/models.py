"""Request and response bodies of the HTTP API (for validation and the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from datasync.store import DatasetInfo, VersionInfo

__all__ = [
    "BucketRequest",
    "DatasetCreate",
    "DatasetPage",
    "DigestsOut",
    "EntriesOut",
    "EntriesRequest",
    "ErrorBody",
    "ExampleOut",
    "ExamplePage",
    "SummaryOut",
    "VersionPage",
]


class DatasetCreate(BaseModel):
    name: str = Field(description="A letter, then letters, digits, '.', '_' or '-' (<= 128).")
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)


class DatasetPage(BaseModel):
    items: list[DatasetInfo]
    next_cursor: str | None


class VersionPage(BaseModel):
    items: list[VersionInfo]
    next_cursor: str | None


class SummaryOut(BaseModel):
    version_id: int | None = Field(description="null: the dataset has no version yet")
    count: int = Field(description="examples in the version")
    bits: int = Field(description="level of the digests: 2**bits buckets")
    buckets: int
    root: str = Field(description="digest of the whole manifest (level 0)")
    digests: list[str] = Field(description="digest of bucket i at index i, 32 hex chars")


class BucketRequest(BaseModel):
    bits: int = Field(ge=0, le=16, description="level of the nodes")
    nodes: list[int] = Field(max_length=65536, description="node numbers at that level")


class EntriesRequest(BucketRequest):
    hash_chars: int = Field(
        default=64, ge=8, le=64, description="return only this many leading hex chars of each hash"
    )


class DigestsOut(BaseModel):
    bits: int
    digests: list[str] = Field(description="the digest of each requested node, in request order")


class EntriesOut(BaseModel):
    entries: list[tuple[str, str]] = Field(
        description="[source_id, hash (or its first hash_chars chars)], by source id"
    )


class ExampleOut(BaseModel):
    source_id: str
    hash: str
    input: dict[str, Any]
    output: dict[str, Any]
    metadata: dict[str, Any]


class ExamplePage(BaseModel):
    items: list[ExampleOut]
    next_cursor: str | None


class ErrorDetail(BaseModel):
    kind: str = Field(description="the error class, e.g. conflict, validation, too_large")
    code: str = Field(description="stable machine-readable code, e.g. stale_base")
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    error: ErrorDetail
