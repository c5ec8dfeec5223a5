"""Object storage behind one small interface, one class per backend.

``S3Store`` talks to any S3-compatible endpoint through boto3; ``MemoryStore`` is for
unit tests of a single function. Backend errors are mapped onto three exceptions so
callers can tell "not there" and "changed under me" from "storage is down".
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from wirefeed import metrics
from wirefeed.settings import Settings

# What partners may read straight from the bucket; everything else stays private.
PUBLIC_PREFIXES = ("feeds/", "stories/")


class StorageError(Exception):
    """Base class of storage errors."""


class NotFound(StorageError):
    """The key does not exist."""


class PreconditionFailed(StorageError):
    """A conditional write lost a race: the object changed since it was read."""


class StorageUnavailable(StorageError):
    """The backend could not be reached or failed; the operation may be retried."""


class KeptChanging(StorageError):
    """A conditional update lost its race on every attempt; the caller may try later.

    Not a PreconditionFailed, so an update nested in another one's attempt never makes
    the outer one start over.
    """


T = TypeVar("T")

# Lost races are decided again on what the winner stored; this bounds a pathological loop.
CONDITIONAL_ATTEMPTS = 8
# After a lost race, an attempt waits a random part of this many seconds times the
# races it lost, so writers contending for one object spread out instead of colliding
# again in step.
CONDITIONAL_BACKOFF_S = 0.02


def until_written(
    attempt: Callable[[], T], *, subject: str, attempts: int = CONDITIONAL_ATTEMPTS
) -> T:
    """Run ``attempt`` until its conditional write lands, and return what it returned.

    ``attempt`` reads an object with its ETag, decides, and writes with ``if_match`` (or
    ``if_none_match`` for a new object); when that write raises PreconditionFailed,
    another writer got there first and the attempt runs again on what it stored, after a
    short random pause that grows with each lost race. This is the one way Wirefeed does
    a read-modify-write on the bucket.
    """
    for lost in range(attempts):
        try:
            return attempt()
        except PreconditionFailed:
            time.sleep(random.uniform(0, CONDITIONAL_BACKOFF_S * (lost + 1)))
    raise KeptChanging(f"{subject} kept changing; gave up after {attempts} attempts")


def honours_conditional_writes(store: BlobStore, key: str = "state/probe/conditional") -> bool:
    """Whether the endpoint refuses a write whose ``If-Match`` names a wrong ETag.

    Wirefeed's read-modify-writes rely on it (AWS S3, MinIO and moto honour it;
    s3rver ignores it, so there concurrent writers of one object overwrite each other).
    """
    store.put(key, b"probe", content_type="text/plain")
    try:
        store.put(key, b"probe", content_type="text/plain", if_match='"not-the-etag"')
    except PreconditionFailed:
        return True
    return False


@dataclass(frozen=True)
class Blob:
    """An object's bytes and the headers that travel with it."""

    body: bytes
    content_type: str = "application/octet-stream"
    etag: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    cache_control: str | None = None
    last_modified: datetime | None = None


@dataclass(frozen=True)
class Listed:
    """One key of a listing, with what the listing tells about its object."""

    key: str
    etag: str
    last_modified: datetime | None = None


class BlobStore(Protocol):
    """What Wirefeed needs from object storage."""

    def get(self, key: str) -> Blob:
        """Read an object; raises NotFound."""
        ...

    def head(self, key: str) -> Blob:
        """An object's headers and metadata without its bytes (``body`` empty); NotFound."""
        ...

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        """Write an object and return its ETag.

        ``if_match`` writes only over that ETag, ``if_none_match`` only when the key is
        new; either raises PreconditionFailed otherwise.
        """
        ...

    def recall(self, key: str, etag: str) -> Blob | None:
        """The version of ``key`` with this ETag if the store has it at hand without a
        request (see wirefeed.handoff), else None; callers then ``get`` it."""
        ...

    def delete(self, key: str) -> None:
        """Remove an object; removing a missing key is not an error."""
        ...

    def list(self, prefix: str) -> Iterator[str]:
        """Yield every key under ``prefix`` in lexical order."""
        ...

    def listing(self, prefix: str) -> Iterator[Listed]:
        """Yield every key under ``prefix`` in lexical order, with its ETag and date.

        One request per thousand keys: a way to tell which objects changed without
        reading any of them.
        """
        ...


def etag_of(body: bytes) -> str:
    """The ETag S3 gives a single-part upload: the MD5 of the body, quoted."""
    return f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'


class MemoryStore:
    """A BlobStore in a dict, with the same conditional-write rules as S3."""

    def __init__(self) -> None:
        self._objects: dict[str, Blob] = {}
        self._lock = threading.Lock()
        self.puts = 0

    def get(self, key: str) -> Blob:
        with self._lock:
            try:
                return self._objects[key]
            except KeyError:
                raise NotFound(key) from None

    def head(self, key: str) -> Blob:
        return replace(self.get(key), body=b"")

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        etag = etag_of(body)
        with self._lock:
            current = self._objects.get(key)
            if if_none_match and current is not None:
                raise PreconditionFailed(key)
            if if_match is not None and (current is None or current.etag != if_match):
                raise PreconditionFailed(key)
            self._objects[key] = Blob(
                body, content_type, etag, dict(metadata or {}), cache_control, datetime.now(UTC)
            )
            self.puts += 1
        return etag

    def recall(self, key: str, etag: str) -> Blob | None:
        with self._lock:
            current = self._objects.get(key)
        return current if current is not None and current.etag == etag else None

    def delete(self, key: str) -> None:
        with self._lock:
            self._objects.pop(key, None)

    def list(self, prefix: str) -> Iterator[str]:
        for item in self.listing(prefix):
            yield item.key

    def listing(self, prefix: str) -> Iterator[Listed]:
        with self._lock:
            items = [
                Listed(k, b.etag, b.last_modified)
                for k, b in sorted(self._objects.items())
                if k.startswith(prefix)
            ]
        yield from items


_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
# How stores without bucket policies answer PutBucketPolicy.
_UNSUPPORTED_CODES = {"NotImplemented", "501", "MethodNotAllowed", "405"}
_PRECONDITION_CODES = {"PreconditionFailed", "412", "ConditionalRequestConflict"}


class S3Store:
    """A BlobStore on an S3-compatible endpoint (AWS, MinIO, moto, ...)."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.bucket = settings.s3_bucket
        self.endpoint = settings.s3_endpoint_url
        self.public_access = settings.s3_public_access
        self._client = client or boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=3,
                read_timeout=10,
                max_pool_connections=32,
                s3={"addressing_style": "path"},
            ),
        )

    def _call(self, method: str, key: str, **kwargs: Any) -> Any:
        metrics.S3_REQUESTS.labels(method).inc()
        try:
            return getattr(self._client, method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING_CODES:
                raise NotFound(key) from exc
            if code in _PRECONDITION_CODES:
                raise PreconditionFailed(key) from exc
            metrics.S3_ERRORS.labels(method, code or "ClientError").inc()
            raise StorageUnavailable(f"{method} {key}: {code or exc}") from exc
        except BotoCoreError as exc:
            metrics.S3_ERRORS.labels(method, type(exc).__name__).inc()
            raise StorageUnavailable(f"{method} {key}: {exc}") from exc

    def ensure_bucket(self, public_prefixes: tuple[str, ...] = PUBLIC_PREFIXES) -> list[str]:
        """Create the bucket if needed, and let anyone read the public prefixes.

        How depends on ``s3_public_access``; only "policy" changes the bucket. A store
        that has no bucket policies is no reason not to start: the returned warnings
        (one line each) say so and name the setting to change.
        """
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self._client.create_bucket(Bucket=self.bucket)
        except BotoCoreError as exc:
            raise StorageUnavailable(f"head_bucket {self.bucket}: {exc}") from exc
        if self.public_access != "policy":
            return []
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicFeeds",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": [f"arn:aws:s3:::{self.bucket}/{p}*" for p in public_prefixes],
                }
            ],
        }
        try:
            self._client.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(policy))
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code not in _UNSUPPORTED_CODES:
                raise
            return [
                f"the S3 store at {self.endpoint} has no bucket policies (PutBucketPolicy: "
                f"{code}), so {', '.join(public_prefixes)} are not public: set "
                "WIREFEED_S3_PUBLIC_ACCESS=acl (public-read objects) or none (exposed another way)"
            ]
        return []

    def get(self, key: str) -> Blob:
        response = self._call("get_object", key, Key=key)
        try:
            body = response["Body"].read()
        except BotoCoreError as exc:
            # The connection broke mid-body (an endpoint rewriting the object, say).
            metrics.S3_ERRORS.labels("get_object", type(exc).__name__).inc()
            raise StorageUnavailable(f"get_object {key}: {exc}") from exc
        return Blob(
            body=body,
            content_type=response.get("ContentType", "application/octet-stream"),
            etag=response.get("ETag", ""),
            metadata=response.get("Metadata", {}),
            cache_control=response.get("CacheControl"),
            last_modified=response.get("LastModified"),
        )

    def head(self, key: str) -> Blob:
        response = self._call("head_object", key, Key=key)
        return Blob(
            body=b"",
            content_type=response.get("ContentType", "application/octet-stream"),
            etag=response.get("ETag", ""),
            metadata=response.get("Metadata", {}),
            cache_control=response.get("CacheControl"),
            last_modified=response.get("LastModified"),
        )

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        extra: dict[str, Any] = {"ContentType": content_type, "Metadata": dict(metadata or {})}
        if cache_control:
            extra["CacheControl"] = cache_control
        if self.public_access == "acl" and key.startswith(PUBLIC_PREFIXES):
            extra["ACL"] = "public-read"
        if if_match is not None:
            extra["IfMatch"] = if_match
        if if_none_match:
            extra["IfNoneMatch"] = "*"
        response = self._call("put_object", key, Key=key, Body=body, **extra)
        return str(response.get("ETag", etag_of(body)))

    def recall(self, key: str, etag: str) -> Blob | None:
        return None  # every read of the bucket is a request

    def delete(self, key: str) -> None:
        self._call("delete_object", key, Key=key)

    def list(self, prefix: str) -> Iterator[str]:
        for item in self.listing(prefix):
            yield item.key

    def listing(self, prefix: str) -> Iterator[Listed]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call("list_objects_v2", prefix, **kwargs)
            for item in page.get("Contents", []):
                yield Listed(item["Key"], item.get("ETag", ""), item.get("LastModified"))
            if not page.get("IsTruncated"):
                return
            token = page.get("NextContinuationToken")
