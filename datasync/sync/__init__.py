"""Sync protocol v1, the pure part: manifests, bucket digests, the plan, wire records.

No I/O here: values in, values out. See docs/protocol.md for the byte-level contract.
"""

from datasync.sync.decode import (
    DecodedOperation,
    LineFailure,
    decode_operation_lines,
    hash_mismatch,
    json_text,
)
from datasync.sync.guard import DEFAULT_DELETE_LIMIT, MIN_GUARDED, DeleteLimit, check_deletes
from datasync.sync.manifest import (
    LEAF_BITS,
    LeafTable,
    Summary,
    bucket_of,
    child_nodes,
    differing_nodes,
    entry_bytes,
    leaf_digest,
    node_of,
    validate_nodes,
)
from datasync.sync.plan import (
    Change,
    ChangeKind,
    Mode,
    Plan,
    classify,
    deletions,
    parse_mode,
    plan_changes,
)
from datasync.sync.tags import (
    MAX_TAGS,
    parse_tag_filter,
    validate_dataset_name,
    validate_tag_keys,
    validate_tags,
)
from datasync.sync.version_diff import ExampleChange, FieldChange, content_of, field_changes
from datasync.sync.wire import (
    EXAMPLE_KEYS,
    CommitHeader,
    EncodedOperation,
    ExampleData,
    Operation,
    parse_example,
    parse_header,
    parse_operation,
    validate_source_id,
)

__all__ = [
    "DEFAULT_DELETE_LIMIT",
    "EXAMPLE_KEYS",
    "LEAF_BITS",
    "MAX_TAGS",
    "MIN_GUARDED",
    "Change",
    "ChangeKind",
    "CommitHeader",
    "DecodedOperation",
    "DeleteLimit",
    "EncodedOperation",
    "ExampleChange",
    "ExampleData",
    "FieldChange",
    "LeafTable",
    "LineFailure",
    "Mode",
    "Operation",
    "Plan",
    "Summary",
    "bucket_of",
    "check_deletes",
    "child_nodes",
    "classify",
    "content_of",
    "decode_operation_lines",
    "deletions",
    "differing_nodes",
    "entry_bytes",
    "field_changes",
    "hash_mismatch",
    "json_text",
    "leaf_digest",
    "node_of",
    "parse_example",
    "parse_header",
    "parse_mode",
    "parse_operation",
    "parse_tag_filter",
    "plan_changes",
    "validate_dataset_name",
    "validate_nodes",
    "validate_source_id",
    "validate_tag_keys",
    "validate_tags",
]
