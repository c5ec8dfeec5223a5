"""The editor web page in a real browser: Playwright driving Debian's headless chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import wait_for
from wirefeed.stack import LocalStack

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
EDITOR_TOKEN = "dev-token-editor"
# A busy 2-core machine renders pages slowly; waits are for the page, not a performance test.
expect.set_options(timeout=30_000)
CORRECTED = "Russian crew returns to Earth after filming the first feature film in orbit"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    opened.on("dialog", lambda dialog: dialog.accept())  # the confirmation step
    yield opened
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"editor-{name}.png", full_page=True)


def test_an_editor_corrects_then_kills_the_seed_story(
    stack: LocalStack, api: httpx.Client, page: Page, fixtures: Path
) -> None:
    payload = (fixtures / "seed-story.txt").read_bytes()
    story_id = api.post("/v1/stories", params={"source": "desk"}, content=payload,
                        headers={"Content-Type": "text/plain"}).json()["id"]  # fmt: skip
    wait_for(lambda: api.get(f"/v1/stories/{story_id}").json()["state"] == "published", 180)

    page.goto(f"{stack.api_url}/editor/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Your editor token").fill(EDITOR_TOKEN)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Recent stories")).to_be_visible()

    page.get_by_label("Source").fill("desk")
    page.get_by_label("Text").fill("first movie in space")
    page.get_by_role("button", name="Filter").click()
    shot(page, "1-stories")
    page.get_by_role("link", name="Russian crew returns to earth").click()
    expect(page.get_by_role("heading", name="Pipeline timeline")).to_be_visible()

    page.get_by_text("Correct…").click()
    page.get_by_label("Headline").fill(CORRECTED)
    page.get_by_label("Correction note").fill("Earth is capitalised; it was a feature film.")
    page.get_by_role("button", name="Publish correction").click()
    job = page.locator("#job")
    # The correction is tagged again, then published: slow when the machine is busy.
    expect(job).to_contain_text("Correct done", timeout=120_000)
    expect(job).to_contain_text("Feed all rewritten")
    shot(page, "2-corrected")

    job.get_by_role("link", name="all").click()
    entry = page.get_by_role("article").filter(has_text=CORRECTED)
    expect(entry).to_be_visible()
    expect(entry).to_contain_text("Correction: Earth is capitalised")
    shot(page, "3-feed-corrected")

    entry.get_by_role("link", name="edit").click()
    expect(page.get_by_role("heading", name=CORRECTED)).to_be_visible()
    expect(page.locator("pre.diff")).to_contain_text(f"+# {CORRECTED}")
    page.get_by_text("Kill…").click()
    page.get_by_label("Reason").fill("Legal asked us to withdraw it.")
    page.get_by_role("button", name="Kill story").click()
    expect(job).to_contain_text("Kill done", timeout=120_000)
    expect(job).to_contain_text("story not in the feed")
    shot(page, "4-killed")

    job.get_by_role("link", name="all").click()
    expect(page.get_by_role("heading", name="All stories")).to_be_visible()
    expect(page.get_by_text(CORRECTED)).to_have_count(0)
    shot(page, "5-feed-after-kill")
