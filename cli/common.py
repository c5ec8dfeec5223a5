"""What every command shares: settings, the store, who is acting, and how failures end.

A command that cannot do its work ends with one line on stderr naming what failed and
what to do, and an exit code from this table (README, "From a second terminal"):

0 done; 1 the work failed (a job failed, an item is still refused); 2 a usage or
settings error; 3 refused (no or wrong token, an invalid edit, an unknown id); 4 a
service is unavailable (the API, the S3 store, Redis) or a job did not end in time.

``wirefeed --debug`` shows the traceback instead.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlparse

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)
from pydantic import ValidationError

from wirefeed import logs
from wirefeed.documents import EditRefused
from wirefeed.settings import Settings, SettingsError
from wirefeed.storage import NotFound, S3Store, StorageUnavailable

EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED, EXIT_UNAVAILABLE = 1, 2, 3, 4
START_HINT = "is the stack running? (make run)"
_CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"}


@dataclass
class Options:
    """Options of the top-level command, for every subcommand."""

    debug: bool = False


OPTIONS = Options()


class CommandError(Exception):
    """A failure already put in words, with its exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def operator() -> str:
    """Who the audit log names for a command run from a shell."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # a container's uid with no name
        return f"cli:uid-{os.getuid()}"


def quiet_logs() -> None:
    """Log warnings and errors only (everything with --debug): a command reports in words."""
    logs.configure("DEBUG" if OPTIONS.debug else "WARNING")


def open_store(settings: Settings | None = None) -> S3Store:
    """The bucket, from the settings (the environment, or ``.run/env`` beside a dev stack)."""
    return S3Store(settings or Settings.from_env())


def where(url: str) -> str:
    """A URL's scheme, host and port, without any password in it."""
    parts = urlparse(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def _storage_failure(cause: BaseException | None, settings: Settings) -> CommandError:
    endpoint = settings.s3_endpoint_url or "AWS S3"
    if isinstance(cause, EndpointConnectionError):
        return CommandError(
            f"S3 endpoint {endpoint} refused the connection: {START_HINT}", EXIT_UNAVAILABLE
        )
    if isinstance(cause, NoCredentialsError):
        return CommandError(
            "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or run inside a dev stack (make run)",
            EXIT_REFUSED,
        )
    if isinstance(cause, ClientError):
        code = str(cause.response.get("Error", {}).get("Code", ""))
        if code == "NoSuchBucket":
            return CommandError(
                f"bucket {settings.s3_bucket} does not exist at {endpoint}: check S3_BUCKET",
                EXIT_REFUSED,
            )
        if code in _CREDENTIAL_CODES:
            return CommandError(
                f"S3 endpoint {endpoint} refused the credentials ({code}): check AWS_*",
                EXIT_REFUSED,
            )
    return CommandError(f"S3 endpoint {endpoint} failed: {cause}", EXIT_UNAVAILABLE)


def describe(error: BaseException) -> CommandError:
    """Put an exception that ended a command in one line, with its exit code."""
    import redis
    from kombu.exceptions import OperationalError

    if isinstance(error, CommandError):
        return error
    if isinstance(error, SettingsError):
        return CommandError(f"invalid settings: {error}", EXIT_USAGE)
    settings = Settings.from_env()
    if isinstance(error, StorageUnavailable):
        return _storage_failure(error.__cause__, settings)
    if isinstance(error, BotoCoreError | ClientError):
        return _storage_failure(error, settings)
    if isinstance(error, redis.ConnectionError | redis.TimeoutError | OperationalError):
        return CommandError(
            f"Redis unreachable at {where(settings.redis_url)}: {START_HINT}", EXIT_UNAVAILABLE
        )
    if isinstance(error, ValidationError):
        problems = [f"{'.'.join(map(str, e['loc'])) or '-'}: {e['msg']}" for e in error.errors()]
        return CommandError(f"invalid {error.title}: {'; '.join(problems)}", EXIT_REFUSED)
    if isinstance(error, EditRefused | NotFound):
        return CommandError(f"refused: {error}", EXIT_REFUSED)
    if isinstance(error, OSError):
        return CommandError(f"{error.strerror or error}: {error.filename or ''}", EXIT_FAILED)
    return CommandError(
        f"{type(error).__name__}: {error} (wirefeed --debug shows where)", EXIT_FAILED
    )


# How long the keys a rotation replaces stay valid (``key --grace-s N``).
GraceOption = Annotated[
    int | None, typer.Option(help="Rotate: older keys expire after this many seconds.")
]


def grace_of(seconds: int | None) -> timedelta | None:
    """The grace period of a key rotation, or None (older keys stay valid)."""
    return timedelta(seconds=seconds) if seconds is not None else None
