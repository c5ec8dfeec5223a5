"""The editor web page in a real browser: an editor corrects, then kills, the seed story.

Playwright drives Debian's chromium (never a downloaded one), mostly by keyboard: the
page must be usable without a mouse. Screenshots of each step go to
``test-artifacts/editor-browser/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect, sync_playwright

from cli.localstack import LocalStack
from tests.e2e.helpers import (
    SEED_HEADLINE,
    entry_story_ids,
    feeds_configured,
    publish_seed_story,
)
from wirefeed.editor.users import dev_tokens
from wirefeed.layout import feed_key
from wirefeed.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: `make chromium` installs it"
    ),
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "editor-browser"
SOURCE = "browser-test"  # only this test's feed selects it
FEED_ID, FEED_TITLE = "browser-desk", "Browser desk"
FEED = {"id": FEED_ID, "title": FEED_TITLE, "filter": {"sources": [SOURCE]}}
CORRECTED = "Russian crew returns to Earth after filming the first feature film in orbit"
NOTE = "Earth is capitalised; it was a feature film."
# Jobs wait for workers (a correction is tagged again) on a machine shared with other suites.
JOB_TIMEOUT_MS = 90_000


class Dialogs:
    """Answers the page's confirmation dialogs, remembering what each one asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.accept = True

    def __call__(self, dialog: Dialog) -> None:
        self.asked.append(dialog.message)
        if self.accept:
            dialog.accept()
        else:
            dialog.dismiss()

    def settle(self, page: Page, count: int) -> list[str]:
        """The questions asked so far, once ``count`` were (or after a second)."""
        for _ in range(10):
            if len(self.asked) >= count:
                break
            page.wait_for_timeout(100)  # lets Playwright deliver the dialog events
        return self.asked


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless chromium, driven by Playwright."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab (no session cookie yet)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def screenshots() -> Iterator[Path]:
    """The screenshot folder, emptied first so that every file is from this run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    yield ARTIFACTS


def type_into(field: Locator, text: str, replace: bool = False) -> None:
    """Type into a field with the keyboard, as an editor would (selecting its text first)."""
    field.focus()
    if replace:
        field.press("ControlOrMeta+a")
    field.page.keyboard.type(text)


def public_feed_ids(settings: Settings, feed_id: str) -> dict[str, set[str]]:
    """The story ids of a public feed's RSS and Atom documents in the bucket."""
    return {
        fmt: entry_story_ids(httpx.get(settings.public_url(feed_key(feed_id, fmt))).content, fmt)
        for fmt in ("rss", "atom")
    }


def reads_at_a_glance(page: Page, story: dict[str, Any]) -> None:
    """Tags and timeline of a published, then corrected, story page, as a reader sees them.

    Every person, organisation and place is a chip of its own; each subject's code is
    on the line of its own label; a stage reached twice is one row with its count.
    """
    tags = page.get_by_role("region", name="Tags")
    assert story["people"], "the seed story names people"
    for field in ("people", "organisations", "places"):
        if story.get(field):
            chips = tags.get_by_role("list", name=field.capitalize()).get_by_role("listitem")
            expect(chips).to_have_text([tag["name"] for tag in story[field]])
    subjects = tags.get_by_role("list", name="Subjects").get_by_role("listitem")
    expect(subjects).to_have_count(len(story["subjects"]))
    for item in subjects.all():
        label = item.locator(".tag-name").bounding_box()
        code = item.locator("code").bounding_box()
        assert label and code, item.inner_text()
        # The same line: the code's middle lies within the label's own line box.
        middle = code["y"] + code["height"] / 2
        assert label["y"] <= middle <= label["y"] + label["height"], item.inner_text()
    # Published, then published again by the correction: one row, with the count.
    timeline = page.get_by_role("region", name="Pipeline timeline")
    published = timeline.get_by_role("row").filter(
        has=page.get_by_role("cell", name="published", exact=True)
    )
    expect(published).to_have_count(1)
    times = re.compile(r"^\u00d7\d+$")  # a multiplication sign and the count
    expect(published.get_by_role("cell", name=times)).to_have_count(1)


def test_an_editor_corrects_then_kills_the_seed_story_in_the_browser(
    stack: LocalStack,
    api: httpx.Client,
    stack_settings: Settings,
    page: Page,
    screenshots: Path,
) -> None:
    def shot(name: str) -> None:
        page.screenshot(path=screenshots / f"{name}.png", full_page=True)

    with feeds_configured(api, stack_settings, [FEED]):
        story_id = publish_seed_story(api, SOURCE)["id"]
        dialogs = Dialogs()
        page.on("dialog", dialogs)
        job = page.locator("#job")

        # Log in: the login page focuses the token field; Enter submits.
        page.goto(f"{stack.api_url}/editor/")
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        expect(page.get_by_label("Your editor token")).to_be_focused()
        page.keyboard.type(dev_tokens(stack_settings)["dev-editor"])
        shot("01-login")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Recent stories")).to_be_visible()
        expect(page.locator("header")).to_contain_text("dev-editor (editor)")

        # Find the story by its source, and open it.
        type_into(page.get_by_label("Source"), SOURCE)
        page.keyboard.press("Enter")
        story_link = page.get_by_role("link", name=SEED_HEADLINE)
        expect(story_link).to_have_count(1)
        expect(page.locator("caption")).to_have_text("1 story, newest first")
        shot("02-stories")
        story_link.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(SEED_HEADLINE)
        shot("03-story")

        # Correct the headline. The confirmation comes first: declined, nothing happens.
        page.get_by_text("Correct…").press("Enter")
        type_into(page.get_by_label("Headline"), CORRECTED, replace=True)
        type_into(page.get_by_label("Correction note"), NOTE)
        dialogs.accept = False
        page.keyboard.press("Enter")
        assert dialogs.settle(page, 1) == ["Publish this correction to every feed?"]
        expect(job).to_be_empty()
        dialogs.accept = True
        page.get_by_role("button", name="Publish correction").press("Enter")
        expect(job).to_contain_text("Correct done", timeout=JOB_TIMEOUT_MS)
        expect(job).to_contain_text(f"Feed {FEED['id']} rewritten")
        shot("04-corrected")
        assert len(dialogs.asked) == 2

        # The feed preview shows the corrected entry, once, with its note.
        job.get_by_role("link", name=FEED_ID, exact=True).press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(FEED_TITLE)
        entry = page.get_by_role("article")
        expect(entry).to_have_count(1)
        expect(entry.get_by_role("heading")).to_have_text(CORRECTED)
        expect(entry).to_contain_text(f"Correction: {NOTE}")
        expect(page.get_by_text(SEED_HEADLINE)).to_have_count(0)
        shot("05-preview-corrected")
        assert public_feed_ids(stack_settings, FEED_ID) == {"rss": {story_id}, "atom": {story_id}}
        rss = httpx.get(stack_settings.public_url(feed_key(FEED_ID, "rss"))).text
        assert CORRECTED in rss and SEED_HEADLINE not in rss

        # Kill it from the story page: no reason, no kill (not even the confirmation).
        entry.get_by_role("link", name="edit").press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(CORRECTED)
        # A headline correction leaves the tags to the machine: none became an editor tag (✎).
        tags = page.get_by_role("region", name="Tags")
        expect(tags).to_contain_text("space exploration")
        expect(tags).not_to_contain_text("✎")
        reads_at_a_glance(page, api.get(f"/v1/stories/{story_id}").json()["story"])
        shot("05b-story-tags-and-timeline")
        page.get_by_text("Kill…").press("Enter")
        kill_button = page.get_by_role("button", name="Kill story")
        kill_button.press("Enter")
        reason = page.get_by_label("Reason")
        assert reason.evaluate("field => field.validity.valueMissing")
        assert len(dialogs.settle(page, 3)) == 2
        expect(job).to_be_empty()
        shot("06-kill-needs-a-reason")
        type_into(reason, "Legal asked us to withdraw it.")
        kill_button.press("Enter")
        expect(job).to_contain_text("Kill done", timeout=JOB_TIMEOUT_MS)
        expect(job).to_contain_text("story not in the feed")
        assert dialogs.settle(page, 3)[-1].startswith("Kill this story?")
        shot("07-killed")

        # Gone from the preview and from the documents in the bucket.
        job.get_by_role("link", name=FEED_ID, exact=True).press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(FEED_TITLE)
        expect(page.get_by_text("This feed is empty.")).to_be_visible()
        expect(page.get_by_text(CORRECTED)).to_have_count(0)
        shot("08-preview-after-kill")
        assert public_feed_ids(stack_settings, FEED_ID) == {"rss": set(), "atom": set()}
        assert story_id not in public_feed_ids(stack_settings, "all")["atom"]
        page.goto(f"{stack.api_url}/editor/stories/{story_id}")
        expect(page.get_by_text("This story was killed; a kill is final.")).to_be_visible()
