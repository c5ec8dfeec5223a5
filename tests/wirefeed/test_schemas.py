from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from tests.conftest import SCHEMA_DIR
from tests.wirefeed.test_model import make_story
from wirefeed import schemas


def test_schema_files_match_the_models() -> None:
    assert schemas.stale(SCHEMA_DIR) == [], "run `wirefeed schemas write` and commit the result"


def test_every_contract_is_a_valid_json_schema() -> None:
    for schema in schemas.contracts().values():
        Draft202012Validator.check_schema(schema)


def test_a_stored_story_validates_against_the_story_schema() -> None:
    schema = json.loads((SCHEMA_DIR / "story.schema.json").read_text())
    story = json.loads(make_story(keywords=["space"]).to_json())
    errors = list(Draft202012Validator(schema).iter_errors(story))
    assert errors == []
    story["headlines"] = []
    assert list(Draft202012Validator(schema).iter_errors(story))
