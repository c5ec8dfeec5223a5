"""Runtime settings, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

DEFAULT_DEV_TOKEN = "dev-token"


class SettingsError(ValueError):
    """Raised when the settings are unsafe or inconsistent."""


def _env_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything a Wirefeed process needs to know about its surroundings.

    Field names map to environment variables: ``redis_url`` ← ``REDIS_URL``,
    ``s3_endpoint_url`` ← ``S3_ENDPOINT_URL``, ``s3_bucket`` ← ``S3_BUCKET``, and every
    other field ``x`` ← ``WIREFEED_X``.
    """

    redis_url: str = "redis://127.0.0.1:6379/0"
    s3_endpoint_url: str = "http://127.0.0.1:9000"
    s3_bucket: str = "wirefeed"
    s3_region: str = "us-east-1"
    dev_mode: bool = False
    dev_token: str = DEFAULT_DEV_TOKEN
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Base URL under which partners see the bucket's public objects (feeds, stories).
    public_base_url: str = ""
    # Authority for the tag: URIs (RFC 4151) that identify stories forever.
    tag_authority: str = "wirefeed.example,2026"
    feed_size: int = 100
    coalesce_window_s: float = 1.0
    # Name shown as the author of every feed (entries carry their own bylines).
    feed_author: str = "Wirefeed"
    # How often workers check the stored subscription configuration for changes.
    config_refresh_s: float = 5.0
    # Archive pages (RFC 5005) kept per feed; older pages are deleted.
    archive_pages_max: int = 50
    # The partner gateway that serves private feeds.
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8001
    gateway_public_url: str = ""
    websub_timeout_s: float = 5.0
    max_payload_bytes: int = 5 * 1024 * 1024
    default_source: str = "wire"
    # The tagger pipeline, in order (wirefeed/taggers); "keywords" alone is the fast
    # option for runs that want tagging (almost) off, "" turns it off entirely.
    taggers: tuple[str, ...] = ("language", "dateline", "entities", "topics", "yake")
    # The newsroom vocabulary (YAML); empty means the one shipped in wirefeed/data.
    vocabulary_path: str = ""
    task_max_retries: int = 16
    visibility_timeout_s: int = 3600
    # A worker serves its Prometheus metrics on this port (0: not at all).
    metrics_port: int = 0
    log_level: str = "INFO"
    # The reconciler (a beat task) looks for stuck stories this often, and leaves alone
    # stories that moved more recently than the minimum age (they are still in flight).
    reconcile_interval_s: float = 300.0
    reconcile_min_age_s: float = 120.0
    # The periodic reconciler skips a pass while the pipeline queues hold more messages.
    reconcile_max_backlog: int = 0
    # Stories that last moved longer ago than this are left alone by the reconciler:
    # earlier passes saw them, and a pass after Redis lost its data (which finds no
    # record of any publication) republishes only the recent ones.
    reconcile_horizon_s: float = 24 * 3600.0
    # JSON file of editor accounts (hashed tokens and roles); see wirefeed/editor/users.py.
    users_file: str = ""
    # Near-duplicates: SimHash fingerprints (64 bits) at most this many bits apart are the
    # same story; a negative value turns detection off. Fingerprints are kept this long.
    near_duplicate_distance: int = 8
    near_duplicate_window_s: int = 3 * 24 * 3600
    # How often beat sweeps due embargoes, the S3 drop box and the upstream feeds.
    embargo_sweep_s: float = 5.0
    inbox_sweep_s: float = 10.0
    upstream_tick_s: float = 5.0
    # A file listing the upstream RSS/Atom/JSON feeds to poll (see README); empty: none.
    upstreams_file: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from environment variables, then apply ``overrides``."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        plain_names = {"redis_url", "s3_endpoint_url", "s3_bucket"}
        for f in fields(cls):
            if f.name == "extra":
                continue
            var = f.name.upper() if f.name in plain_names else f"WIREFEED_{f.name.upper()}"
            if var not in env:
                continue
            raw = env[var]
            default = getattr(cls, f.name)
            if isinstance(default, bool):
                values[f.name] = _env_bool(raw)
            elif isinstance(default, int):
                values[f.name] = int(raw)
            elif isinstance(default, float):
                values[f.name] = float(raw)
            elif isinstance(default, tuple):
                values[f.name] = tuple(p.strip() for p in raw.split(",") if p.strip())
            else:
                values[f.name] = raw
        settings = cls(**values)
        return replace(settings, **overrides) if overrides else settings

    @property
    def public_base(self) -> str:
        """Absolute base URL of the public objects, without a trailing slash."""
        base = self.public_base_url or f"{self.s3_endpoint_url.rstrip('/')}/{self.s3_bucket}"
        return base.rstrip("/")

    @property
    def gateway_base(self) -> str:
        """Absolute base URL of the partner gateway, without a trailing slash."""
        base = self.gateway_public_url or f"http://{self.gateway_host}:{self.gateway_port}"
        return base.rstrip("/")

    def public_url(self, key: str) -> str:
        """Absolute public URL of a bucket key."""
        return f"{self.public_base}/{key.lstrip('/')}"

    def check_for_service(self) -> None:
        """Refuse settings that are only safe on a developer's machine."""
        if not self.dev_mode and self.dev_token == DEFAULT_DEV_TOKEN:
            raise SettingsError(
                "WIREFEED_DEV_MODE is off but WIREFEED_DEV_TOKEN is the default; "
                "set a secret token (or turn dev mode on for local use)."
            )
