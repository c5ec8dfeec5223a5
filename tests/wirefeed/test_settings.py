from __future__ import annotations

import pytest

from wirefeed.settings import Settings, SettingsError


def test_environment_variables_map_onto_fields() -> None:
    settings = Settings.from_env(
        {
            "REDIS_URL": "redis://cache:6380/2",
            "S3_BUCKET": "news",
            "WIREFEED_API_PORT": "9100",
            "WIREFEED_DEV_MODE": "yes",
            "WIREFEED_COALESCE_WINDOW_S": "2.5",
            "WIREFEED_TAGGERS": "keywords, other",
        }
    )
    assert settings.redis_url == "redis://cache:6380/2"
    assert settings.s3_bucket == "news"
    assert settings.api_port == 9100
    assert settings.dev_mode is True
    assert settings.coalesce_window_s == 2.5
    assert settings.taggers == ("keywords", "other")


def test_public_urls_are_absolute_and_default_to_the_bucket() -> None:
    settings = Settings(s3_endpoint_url="http://127.0.0.1:9000/", s3_bucket="wirefeed")
    assert settings.public_url("/feeds/all.rss") == "http://127.0.0.1:9000/wirefeed/feeds/all.rss"
    cdn = Settings(public_base_url="https://cdn.example.com/")
    assert cdn.public_url("feeds/all.rss") == "https://cdn.example.com/feeds/all.rss"


@pytest.mark.parametrize(
    ("dev_mode", "token", "refused"),
    [(False, "dev-token", True), (False, "s3cret", False), (True, "dev-token", False)],
)
def test_service_refuses_the_default_token_outside_dev_mode(
    dev_mode: bool, token: str, refused: bool
) -> None:
    settings = Settings(dev_mode=dev_mode, dev_token=token)
    if refused:
        with pytest.raises(SettingsError, match="WIREFEED_DEV_TOKEN"):
            settings.check_for_service()
    else:
        settings.check_for_service()
