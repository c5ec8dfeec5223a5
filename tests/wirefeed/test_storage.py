"""The storage contract, checked on the in-memory backend (S3Store runs it in e2e tests),
and how S3Store makes the public prefixes readable, on a stubbed client."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber

from wirefeed.settings import Settings, SettingsError
from wirefeed.storage import (
    KeptChanging,
    MemoryStore,
    NotFound,
    PreconditionFailed,
    S3Store,
    etag_of,
    honours_conditional_writes,
    until_written,
)


def test_put_get_round_trip_keeps_headers() -> None:
    store = MemoryStore()
    etag = store.put("a/b", b"body", content_type="text/plain", metadata={"k": "v"})
    blob = store.get("a/b")
    assert (blob.body, blob.content_type, blob.etag, dict(blob.metadata)) == (
        b"body",
        "text/plain",
        etag,
        {"k": "v"},
    )
    assert etag == etag_of(b"body")


def test_missing_keys_raise_not_found_and_delete_is_idempotent() -> None:
    store = MemoryStore()
    with pytest.raises(NotFound):
        store.get("nope")
    store.delete("nope")


def test_conditional_writes_detect_lost_races() -> None:
    store = MemoryStore()
    first = store.put("k", b"1", if_none_match=True)
    with pytest.raises(PreconditionFailed):
        store.put("k", b"2", if_none_match=True)
    store.put("k", b"2", if_match=first)
    with pytest.raises(PreconditionFailed):
        store.put("k", b"3", if_match=first)
    assert store.get("k").body == b"2"


def test_list_is_sorted_and_scoped_to_the_prefix() -> None:
    store = MemoryStore()
    for key in ("raw/b", "raw/a", "stories/x"):
        store.put(key, b"")
    assert list(store.list("raw/")) == ["raw/a", "raw/b"]


def test_until_written_decides_again_on_what_the_winner_stored() -> None:
    store = MemoryStore()
    store.put("counter", b"1")
    rivals = iter([b"5"])

    def increment() -> int:
        blob = store.get("counter")
        for rival in rivals:  # another writer lands between our read and our write, once
            store.put("counter", rival)
        value = int(blob.body) + 1
        store.put("counter", str(value).encode(), if_match=blob.etag)
        return value

    assert until_written(increment, subject="counter") == 6
    assert store.get("counter").body == b"6"


def test_until_written_gives_up_with_a_reason_that_is_not_a_lost_race() -> None:
    store = MemoryStore()
    store.put("busy", b"0")

    def always_beaten() -> None:
        blob = store.get("busy")
        store.put("busy", blob.body + b"!")
        store.put("busy", b"mine", if_match=blob.etag)

    with pytest.raises(KeptChanging, match="busy kept changing") as raised:
        until_written(always_beaten, subject="busy", attempts=3)
    assert not isinstance(raised.value, PreconditionFailed)
    assert store.get("busy").body == b"0!!!"


def stubbed_store(mode: str) -> tuple[S3Store, Stubber]:
    """An S3Store on a stubbed client: each test lists the S3 calls it expects, in order."""
    settings = Settings(s3_public_access=mode, s3_endpoint_url="http://127.0.0.1:9")
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    return S3Store(settings, client=client), Stubber(client)


def put_of(key: str, **extra: str) -> dict[str, object]:
    """The parameters of a put_object call S3Store makes for ``key``."""
    return {
        "Bucket": "wirefeed",
        "Key": key,
        "Body": ANY,
        "ContentType": ANY,
        "Metadata": {},
        **extra,
    }


def test_policy_mode_sets_a_bucket_policy_for_the_public_prefixes() -> None:
    store, stub = stubbed_store("policy")
    stub.add_response("head_bucket", {}, {"Bucket": "wirefeed"})
    stub.add_response("put_bucket_policy", {}, {"Bucket": "wirefeed", "Policy": ANY})
    with stub:
        assert store.ensure_bucket() == []
    stub.assert_no_pending_responses()


def test_a_store_without_bucket_policies_warns_in_one_line_and_goes_on() -> None:
    store, stub = stubbed_store("policy")
    stub.add_response("head_bucket", {}, {"Bucket": "wirefeed"})
    stub.add_client_error("put_bucket_policy", "NotImplemented", http_status_code=501)
    with stub:
        [warning] = store.ensure_bucket()
    assert "WIREFEED_S3_PUBLIC_ACCESS" in warning and "\n" not in warning


def test_acl_mode_writes_public_objects_public_read_and_nothing_else() -> None:
    store, stub = stubbed_store("acl")
    stub.add_response("head_bucket", {}, {"Bucket": "wirefeed"})
    stub.add_response("put_object", {"ETag": '"1"'}, put_of("feeds/all.rss", ACL="public-read"))
    stub.add_response("put_object", {"ETag": '"2"'}, put_of("raw/abc"))
    with stub:
        assert store.ensure_bucket() == []  # no bucket policy call
        store.put("feeds/all.rss", b"<rss/>")
        store.put("raw/abc", b"payload")
    stub.assert_no_pending_responses()


def test_none_mode_leaves_the_bucket_and_objects_alone() -> None:
    store, stub = stubbed_store("none")
    stub.add_response("head_bucket", {}, {"Bucket": "wirefeed"})
    stub.add_response("put_object", {"ETag": '"1"'}, put_of("feeds/all.rss"))
    with stub:
        assert store.ensure_bucket() == []
        store.put("feeds/all.rss", b"<rss/>")
    stub.assert_no_pending_responses()


def test_an_unknown_public_access_mode_is_refused() -> None:
    with pytest.raises(SettingsError, match="WIREFEED_S3_PUBLIC_ACCESS"):
        Settings(s3_public_access="public")


def test_the_memory_store_honours_conditional_writes() -> None:
    assert honours_conditional_writes(MemoryStore())
