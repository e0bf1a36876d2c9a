"""Server configuration from the environment (what `datasync serve` flags override).

=========================  ===================================================================
variable                   meaning
=========================  ===================================================================
``DATASYNC_DB``            the store: a SQLite path or a ``postgresql://`` URL (else
                           ``DATASYNC_STORE``, else the embedded store file)
``DATASYNC_API_KEYS_FILE`` a file of API keys, one a line (``#`` comments, blank lines
                           skipped); any of them is accepted as ``Authorization: Bearer KEY``
``DATASYNC_API_KEY``       one more accepted key (a secret store's variable)
``DATASYNC_MAX_BODY_MB``   largest commit body in MiB (default 2048)
``DATASYNC_MAX_EXAMPLE_MB`` largest NDJSON line in MiB (default 16)
``DATASYNC_ALLOWED_HOSTS`` host names the server answers to, comma-separated (``*``: any;
                           default: localhost, 127.0.0.1, ::1; see :mod:`.guard`)
``DATASYNC_CORS_ORIGINS``  web origins allowed to call it from a browser, comma-separated
=========================  ===================================================================

No key configured: the server is open. ``ASGI`` servers (uvicorn, gunicorn) build the app
from these variables with :func:`datasync.server.asgi.app_from_env`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from datasync.errors import UsageError
from datasync.server.limits import Limits, MiB
from datasync.store import default_store_url, normalize_url

DB_ENV = "DATASYNC_DB"
KEYS_FILE_ENV = "DATASYNC_API_KEYS_FILE"
KEY_ENV = "DATASYNC_API_KEY"
MAX_BODY_ENV = "DATASYNC_MAX_BODY_MB"
MAX_EXAMPLE_ENV = "DATASYNC_MAX_EXAMPLE_MB"
HOSTS_ENV = "DATASYNC_ALLOWED_HOSTS"
CORS_ENV = "DATASYNC_CORS_ORIGINS"


@dataclass(frozen=True)
class ServerConfig:
    """What a server process needs: the store URL, where its keys come from, the limits."""

    db: str
    keys_file: str | None = None
    api_key: str | None = None
    limits: Limits = field(default_factory=Limits)
    allowed_hosts: tuple[str, ...] | None = None  # None: the loopback names (guard.LOCAL_HOSTS)
    cors_origins: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServerConfig:
        """The configuration the variables above give. Raises UsageError for a bad value."""
        env = os.environ if environ is None else environ
        db = env.get(DB_ENV)
        limits = Limits(
            max_body_bytes=_mib(env, MAX_BODY_ENV, 2048),
            max_example_bytes=_mib(env, MAX_EXAMPLE_ENV, 16),
        )
        return cls(
            db=normalize_url(db) if db else default_store_url(),
            keys_file=env.get(KEYS_FILE_ENV) or None,
            api_key=(env.get(KEY_ENV) or "").strip() or None,
            limits=limits,
            allowed_hosts=_names(env.get(HOSTS_ENV)) or None,
            cors_origins=_names(env.get(CORS_ENV)),
        )

    def api_keys(self) -> frozenset[str]:
        """Every accepted key (empty: the server is open). Raises UsageError (keys file)."""
        keys = read_keys_file(self.keys_file) if self.keys_file else set()
        if self.api_key:
            keys.add(self.api_key)
        return frozenset(keys)

    def to_env(self) -> dict[str, str]:
        """Variables that give this configuration back (to hand it to worker processes)."""
        env = {
            DB_ENV: self.db,
            MAX_BODY_ENV: str(self.limits.max_body_bytes // MiB),
            MAX_EXAMPLE_ENV: str(self.limits.max_example_bytes // MiB),
        }
        if self.keys_file:
            env[KEYS_FILE_ENV] = self.keys_file
        if self.api_key:
            env[KEY_ENV] = self.api_key
        if self.allowed_hosts is not None:
            env[HOSTS_ENV] = ",".join(self.allowed_hosts)
        if self.cors_origins:
            env[CORS_ENV] = ",".join(self.cors_origins)
        return env


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(name.strip() for name in (text or "").split(",") if name.strip())


def _mib(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if not text:
        return default * MiB
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise UsageError(
            f"{name} must be a whole number of MiB > 0, not {text!r}", code="bad_option"
        )
    return value * MiB


def read_keys_file(path: str) -> set[str]:
    """The keys in ``path``: one a line, ``#`` comments and blank lines skipped.

    Raises UsageError (``bad_keys_file``) for a missing file, a key with spaces in it
    (``FILE:LINE``) or a file without keys.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"cannot read the API keys file {path}: {exc}", code="bad_keys_file"
        ) from None
    keys: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        key = line.strip()
        if not key or key.startswith("#"):
            continue
        if any(ch.isspace() for ch in key):
            raise UsageError(
                f"{path}:{number}: an API key cannot contain spaces (one key a line)",
                code="bad_keys_file",
            )
        keys.add(key)
    if not keys:
        raise UsageError(f"{path} holds no API key (one a line)", code="bad_keys_file")
    return keys
