"""Request and response bodies of the HTTP API (for validation and the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from datasync.errors import ValidationError
from datasync.store import DatasetInfo, VersionInfo
from datasync.sync import child_nodes, validate_nodes

__all__ = [
    "BucketRequest",
    "DatasetCreate",
    "DatasetPage",
    "DatasetRename",
    "DiffPageOut",
    "DigestsOut",
    "DigestsRequest",
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


class DatasetRename(BaseModel):
    name: str = Field(description="The new name (same rules as a new dataset's name).")


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
    nodes: list[int] | None = Field(
        default=None, max_length=65536, description="node numbers at that level"
    )
    parent_bits: int | None = Field(
        default=None, ge=0, le=16, description="with parents: their level (<= bits)"
    )
    parents: list[int] | None = Field(
        default=None,
        max_length=65536,
        description="instead of nodes: every node at `bits` under these nodes at `parent_bits`,"
        " in order",
    )

    def node_list(self) -> list[int]:
        """The nodes asked for; raises ValidationError unless exactly one form is used."""
        if (self.nodes is None) == (self.parents is None):
            raise ValidationError(
                "send either nodes or parents (with parent_bits)", code="invalid_nodes"
            )
        if self.nodes is not None:
            return self.nodes
        assert self.parents is not None
        if self.parent_bits is None or self.parent_bits > self.bits:
            raise ValidationError("parents need parent_bits <= bits", code="invalid_nodes")
        validate_nodes(self.parent_bits, self.parents)
        if len(self.parents) << (self.bits - self.parent_bits) > 65536:
            raise ValidationError("at most 65536 nodes per request", code="invalid_nodes")
        return [c for p in self.parents for c in child_nodes(p, self.parent_bits, self.bits)]


class DigestsRequest(BucketRequest):
    digest_chars: int = Field(
        default=32, ge=8, le=32, description="return only this many leading hex chars of each"
    )


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


class FieldChangeOut(BaseModel):
    path: str = Field(description="JSON path, e.g. $.output.answer or $.input.choices[2]")
    op: str = Field(description="add, remove or replace")
    old: Any = Field(default=None, description="the value in version A (absent for add)")
    new: Any = Field(default=None, description="the value in version B (absent for remove)")


class ExampleChangeOut(BaseModel):
    source_id: str
    kind: str = Field(description="create (only in B), delete (only in A) or patch")
    old_hash: str | None
    new_hash: str | None
    fields: list[FieldChangeOut] = Field(description="patch: every changed field")
    content: dict[str, Any] | None = Field(
        description="create: the example in B; delete: the example in A; patch: null"
    )


class DiffPageOut(BaseModel):
    a: VersionInfo
    b: VersionInfo
    created: int | None = Field(description="whole diff; first page only (else null)")
    patched: int | None
    deleted: int | None
    items: list[ExampleChangeOut] = Field(description="changed examples, by source id")
    next_cursor: str | None


class ErrorDetail(BaseModel):
    kind: str = Field(description="the error class, e.g. conflict, validation, too_large")
    code: str = Field(description="stable machine-readable code, e.g. stale_base")
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    error: ErrorDetail
