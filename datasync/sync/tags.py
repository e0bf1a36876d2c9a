"""Names and tags: the documented limits (docs/tags.md), checked in one place. Pure.

* Dataset names: a letter, then letters, digits, ``.``, ``_`` or ``-``; at most 128 chars.
  (A name never starts with a digit, so ``"42"`` always means the dataset with id 42.)
* Tags: string -> string on datasets, versions and experiments; at most :data:`MAX_TAGS`
  per object; keys 1..64 chars of ``a-z 0-9 - _ .`` (lowercase); values at most
  :data:`MAX_TAG_VALUE` chars of UTF-8 without newlines; keys starting with
  :data:`RESERVED_PREFIX` belong to datasync itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from datasync.errors import TagError, ValidationError

__all__ = [
    "MAX_TAGS",
    "MAX_TAG_KEY",
    "MAX_TAG_VALUE",
    "RESERVED_PREFIX",
    "parse_tag_filter",
    "validate_dataset_name",
    "validate_tag_key",
    "validate_tag_keys",
    "validate_tags",
]

MAX_TAGS = 20
MAX_TAG_KEY = 64
MAX_TAG_VALUE = 256
RESERVED_PREFIX = "datasync."
_TAG_KEY = re.compile(r"[a-z0-9_.-]{1,64}\Z")
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


def validate_tag_key(key: object, *, reserved_ok: bool = False) -> str:
    """``key`` if it is a valid tag key; raises :class:`TagError` naming it otherwise.

    ``reserved_ok``: accept the reserved prefix (for filters: system tags may be searched).
    """
    if not isinstance(key, str) or not _TAG_KEY.match(key):
        raise TagError(
            f"tag key {key!r} must be 1..{MAX_TAG_KEY} chars of lowercase a-z, 0-9, '-', '_'"
            " and '.'",
            details={"key": str(key)},
        )
    if not reserved_ok and key.startswith(RESERVED_PREFIX):
        raise TagError(
            f"tag key {key!r} uses the prefix {RESERVED_PREFIX!r}, which is reserved for datasync",
            code="reserved_tag",
            details={"key": key},
        )
    return key


def validate_tag_keys(keys: Iterable[object]) -> list[str]:
    """The keys (for a removal) if each is valid; raises :class:`TagError` naming the first bad."""
    if isinstance(keys, str | bytes) or not isinstance(keys, Iterable):
        raise TagError("tag keys must be a list of strings")
    return [validate_tag_key(k) for k in keys]


def _validate_value(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise TagError(f"tag {key!r} must have a string value", details={"key": key})
    if len(value) > MAX_TAG_VALUE:
        raise TagError(
            f"tag {key!r} has a value of {len(value)} chars; at most {MAX_TAG_VALUE} are allowed",
            details={"key": key},
        )
    if "\n" in value or "\r" in value:
        raise TagError(f"tag {key!r} has a newline in its value", details={"key": key})
    return value


def validate_tags(tags: object) -> dict[str, str]:
    """A copy of ``tags`` if it respects the limits; raises :class:`TagError` naming the tag
    (codes ``invalid_tag``, ``reserved_tag``, ``too_many_tags``)."""
    if not isinstance(tags, Mapping):
        raise TagError("tags must be an object of string keys and string values")
    out = {validate_tag_key(k): _validate_value(k, v) for k, v in tags.items()}
    if len(out) > MAX_TAGS:
        raise TagError(
            f"{len(out)} tags; at most {MAX_TAGS} are allowed per object",
            code="too_many_tags",
            details={"count": len(out)},
        )
    return out


def parse_tag_filter(tags: object) -> dict[str, str | None]:
    """A tag filter ``{key: value}`` (``None``: the key is present) with valid keys.

    Values are matched literally (any string: one that breaks the limits matches nothing).
    Raises :class:`TagError` for a bad key or a value that is neither a string nor ``None``.
    """
    if not isinstance(tags, Mapping):
        raise TagError("a tag filter must be an object of keys to a string or null")
    out: dict[str, str | None] = {}
    for key, value in tags.items():
        validate_tag_key(key, reserved_ok=True)
        if value is not None and not isinstance(value, str):
            raise TagError(
                f"tag filter {key!r} must be a string or null (null: has the key)",
                details={"key": key},
            )
        out[key] = value
    return out
