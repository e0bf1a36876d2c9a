"""Names and tags: the documented limits, checked in one place. Pure.

* Dataset names: a letter, then letters, digits, ``.``, ``_`` or ``-``; at most 128 chars.
  (A name never starts with a digit, so ``"42"`` always means the dataset with id 42.)
* Tags: string -> string, at most :data:`MAX_TAGS` per object; keys 1..128 chars of
  ``[A-Za-z0-9_.:/-]``; values at most 512 chars; keys starting ``datasync:`` are reserved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from datasync.errors import TagError, ValidationError

__all__ = ["MAX_TAGS", "validate_dataset_name", "validate_tags"]

MAX_TAGS = 64
MAX_TAG_VALUE = 512
RESERVED_PREFIX = "datasync:"
_TAG_KEY = re.compile(r"[A-Za-z0-9_.:/-]{1,128}\Z")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,127}\Z")


def validate_dataset_name(name: object) -> str:
    """``name`` if it is a valid dataset name; raises :class:`ValidationError` otherwise."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"invalid dataset name {name!r}: use a letter, then letters, digits, '.', '_' or '-'"
            " (at most 128 chars)",
            code="invalid_name",
        )
    return name


def validate_tags(tags: object) -> dict[str, str]:
    """A copy of ``tags`` if it respects the limits; raises :class:`TagError` saying which."""
    if not isinstance(tags, Mapping):
        raise TagError("tags must be an object of string keys and string values")
    if len(tags) > MAX_TAGS:
        raise TagError(f"{len(tags)} tags; at most {MAX_TAGS} are allowed", code="too_many_tags")
    out: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not _TAG_KEY.match(key):
            raise TagError(
                f"tag key {key!r} must be 1..128 chars of letters, digits and _ . : / -",
                details={"key": str(key)},
            )
        if key.startswith(RESERVED_PREFIX):
            raise TagError(
                f"tag key {key!r} uses the reserved prefix {RESERVED_PREFIX!r}",
                code="reserved_tag",
                details={"key": key},
            )
        if not isinstance(value, str) or len(value) > MAX_TAG_VALUE:
            raise TagError(
                f"tag {key!r} must have a string value of at most {MAX_TAG_VALUE} chars",
                details={"key": key},
            )
        out[key] = value
    return out
