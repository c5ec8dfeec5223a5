from __future__ import annotations

import time

import redis

from tests.conftest import wait_for
from wirefeed.lease import lease


def test_a_lease_outlives_its_ttl_while_renewed(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    # A 3 s ttl renewed every second: a busy CI machine may stall the renewer for a
    # second or so without the lease lapsing.
    with lease(client, "slow-work", ttl_s=3) as held:
        assert held is not None
        time.sleep(7)  # more than twice the ttl: only renewal keeps it
        with lease(client, "slow-work", ttl_s=3) as other:
            assert other is None
        assert not held.lost
    with lease(client, "slow-work", ttl_s=3) as again:
        assert again is not None


def test_a_lease_whose_key_vanished_is_reported_lost(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    with lease(client, "flushed", ttl_s=2) as held:
        assert held is not None
        client.delete("wirefeed:lease:flushed")  # as FLUSHALL or a Redis restart would
        wait_for(lambda: held.lost, timeout=10)
