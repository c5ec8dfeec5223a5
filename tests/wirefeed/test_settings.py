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


LONG = "x" * 32


@pytest.mark.parametrize(
    ("dev_mode", "token", "refused"),
    [
        (False, "dev-token", "the default"),
        (False, "s3cret", "shorter than 32"),
        (False, LONG[:-1], "shorter than 32"),
        (False, LONG, None),
        (True, "dev-token", None),
    ],
)
def test_service_refuses_a_default_or_short_token_outside_dev_mode(
    dev_mode: bool, token: str, refused: str | None
) -> None:
    settings = Settings(dev_mode=dev_mode, admin_token=token)
    if refused:
        with pytest.raises(SettingsError, match=f"WIREFEED_ADMIN_TOKEN is {refused}"):
            settings.check_for_service()
    else:
        settings.check_for_service()


def test_the_old_token_variable_still_works_with_a_warning() -> None:
    with pytest.warns(FutureWarning, match="WIREFEED_DEV_TOKEN is deprecated"):
        settings = Settings.from_env({"WIREFEED_DEV_TOKEN": LONG})
    assert settings.admin_token == LONG
    both = {"WIREFEED_DEV_TOKEN": "old", "WIREFEED_ADMIN_TOKEN": LONG}
    with pytest.warns(FutureWarning):
        assert Settings.from_env(both).admin_token == LONG  # the new name wins
