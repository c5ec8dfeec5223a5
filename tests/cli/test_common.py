"""Failures in one line, with the exit code the README's table gives them."""

from __future__ import annotations

import pytest
import redis
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from pydantic import BaseModel

from cli import common
from wirefeed.publish.subscription_store import ConfigError
from wirefeed.storage import StorageUnavailable


@pytest.fixture(autouse=True)
def endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("REDIS_URL", "redis://:secret@127.0.0.1:6379/0")


def wrapped(cause: Exception) -> StorageUnavailable:
    try:
        raise StorageUnavailable("list_objects_v2 state/") from cause
    except StorageUnavailable as error:
        return error


def test_a_stopped_s3_endpoint_says_where_and_what_to_do() -> None:
    failure = common.describe(wrapped(EndpointConnectionError(endpoint_url="http://x")))
    assert failure.message == (
        "S3 endpoint http://127.0.0.1:9000 refused the connection: is the stack running? (make run)"
    )
    assert failure.code == common.EXIT_UNAVAILABLE


def test_missing_credentials_name_the_variables() -> None:
    failure = common.describe(wrapped(NoCredentialsError()))
    assert "AWS_ACCESS_KEY_ID" in failure.message and "dev stack" in failure.message
    assert failure.code == common.EXIT_REFUSED


def test_a_missing_bucket_is_named() -> None:
    missing = ClientError({"Error": {"Code": "NoSuchBucket"}}, "ListObjectsV2")
    failure = common.describe(wrapped(missing))
    assert "bucket wirefeed does not exist" in failure.message
    assert failure.code == common.EXIT_REFUSED


def test_redis_down_names_it_without_its_password() -> None:
    failure = common.describe(redis.ConnectionError("Error 111 connecting"))
    assert failure.message == (
        "Redis unreachable at redis://127.0.0.1:6379: is the stack running? (make run)"
    )
    assert failure.code == common.EXIT_UNAVAILABLE


def test_refused_edits_and_invalid_documents_exit_3_in_one_line() -> None:
    assert common.describe(ConfigError("feed x names no partner")).code == common.EXIT_REFUSED

    class Doc(BaseModel):
        size: int
        name: str

    with pytest.raises(ValueError) as invalid:
        Doc.model_validate({"size": "many"})
    failure = common.describe(invalid.value)
    assert failure.code == common.EXIT_REFUSED
    assert "\n" not in failure.message and "size" in failure.message


def test_anything_else_is_one_line_pointing_at_debug() -> None:
    failure = common.describe(RuntimeError("boom"))
    assert failure.message == "RuntimeError: boom (wirefeed --debug shows where)"
    assert failure.code == common.EXIT_FAILED
