"""The tag filter of list routes: ``tag.KEY=VALUE`` and ``has_tag=KEY`` query parameters."""

from __future__ import annotations

from fastapi import Request

__all__ = ["tag_query"]


def tag_query(request: Request) -> dict[str, str | None]:
    """Each ``tag.KEY=VALUE`` (the value, literally) and each ``has_tag=KEY`` (``None``: has
    the key), all of which must hold (AND). Keys are checked by the store (``TagError``)."""
    wanted: dict[str, str | None] = {}
    for name, raw in request.query_params.multi_items():
        if name.startswith("tag."):
            wanted[name.removeprefix("tag.")] = raw
        elif name == "has_tag":
            wanted.setdefault(raw, None)
    return wanted
