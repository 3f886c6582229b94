import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # the newsletter package
sys.path.insert(0, os.path.join(ROOT, "plugins"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sitebuild import events_fixture_content, run_pelican  # noqa: E402


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The real site, built once per test session by the `pelican` command."""
    output = tmp_path_factory.mktemp("site") / "output"
    result = run_pelican(output)
    assert result.returncode == 0, result.stdout + result.stderr
    return str(output)


# 2027-01-15 12:00 in Rome: "today" for the fixture events.
FIXTURE_BUILD_EPOCH = "1800010800"


@pytest.fixture(scope="session")
def events_site(tmp_path_factory):
    """The site built with tests/fixtures/events_data and its materials, on a fixed day."""
    root = tmp_path_factory.mktemp("events")
    content = events_fixture_content(root)
    data = os.path.join(os.path.dirname(__file__), "fixtures", "events_data")
    output = root / "output"
    result = run_pelican(
        output,
        content=content,
        data=data,
        # Small archive pages, so that a second one exists and is tested too.
        extra={"EVENTS_ARCHIVE_PAGE_SIZE": 3},
        env={"SOURCE_DATE_EPOCH": FIXTURE_BUILD_EPOCH},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return str(output)


@pytest.fixture(scope="module")
def chromium():
    """Chromium for one test module (Playwright's sync API runs one at a time)."""
    from playwright.sync_api import sync_playwright

    from browser import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser(site, chromium):
    """(address, chromium): the real site served as `make serve` serves it."""
    from browser import StaticServer

    with StaticServer(site) as server:
        yield server.url, chromium
