"""Every page in a real browser: WCAG 2.1 AA with axe, keyboard, small screens."""

import pytest
from playwright.sync_api import sync_playwright

from browser import StaticServer, describe, launch, run_axe
from htmlpage import file_to_url, html_files

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["site", "events_site"])
def browser_site(request):
    """The project's site, then the site built with the fixture events."""
    root = request.getfixturevalue(request.param)
    with StaticServer(root) as server, sync_playwright() as playwright:
        browser = launch(playwright)
        yield server.url, browser, sorted(file_to_url(root, path) for path in html_files(root))
        browser.close()


def test_axe_finds_no_wcag_21_aa_violations_on_any_page(browser_site):
    base, browser, urls = browser_site
    page = browser.new_page()
    failures = {}
    for url in urls:
        page.goto(base + url)
        violations = run_axe(page)
        if violations:
            failures[url] = describe(violations)
    page.close()
    assert len(urls) > 30
    assert not failures, "\n\n".join(f"{url}\n{text}" for url, text in failures.items())


def test_no_page_scrolls_horizontally_at_320_pixels(browser_site):
    base, browser, urls = browser_site
    page = browser.new_page(viewport={"width": 320, "height": 640})
    too_wide = {}
    for url in urls:
        page.goto(base + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            too_wide[url] = width
    page.close()
    assert not too_wide


@pytest.mark.parametrize("url", ["/", "/en/", "/progetto/", "/en/news/"])
def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(browser_site, url):
    base, browser, _ = browser_site
    page = browser.new_page()
    page.goto(base + url)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.className, document.activeElement.getAttribute('href')]"
    )
    assert focused == ["skip-link", "#main"]
    assert page.evaluate("document.activeElement.getBoundingClientRect().top >= 0")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    inside_main = page.evaluate("document.getElementById('main').contains(document.activeElement)")
    assert inside_main
    page.close()


def test_focus_is_visible_on_links(browser_site):
    base, browser, _ = browser_site
    page = browser.new_page()
    page.goto(base + "/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.backgroundColor, s.boxShadow]; })()"
    )
    assert style[0] == "rgb(255, 221, 0)"
    assert style[1] != "none"
    page.close()


def test_map_tiles_are_reached_with_the_keyboard(browser_site):
    base, browser, _ = browser_site
    page = browser.new_page()
    page.goto(base + "/territori/")
    names = []
    for _ in range(40):
        page.keyboard.press("Tab")
        name = page.evaluate(
            "document.activeElement.closest('svg') ? document.activeElement.getAttribute('aria-label') : null"
        )
        if name:
            names.append(name)
    page.close()
    assert "LO – Lodi – attività del progetto" in names
    assert len(names) >= 4


def test_pages_work_without_javascript_and_set_no_cookies(browser_site):
    base, browser, _ = browser_site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(base + "/")
    page.click("nav.main-nav >> text=Notizie")
    assert page.url == base + "/notizie/"
    page.click("nav.language-switcher >> text=English")
    assert page.url == base + "/en/news/"
    assert context.cookies() == []
    assert requests
    assert all(url.startswith(base) for url in requests), requests
    context.close()


def test_axe_reports_violations_when_there_are_some(browser_site):
    """The harness itself: a page with known faults must not pass."""
    _, browser, _ = browser_site
    page = browser.new_page()
    page.set_content('<html><body><img src="x.png"><a href="#"></a></body></html>')
    ids = {violation["id"] for violation in run_axe(page)}
    assert {"html-has-lang", "image-alt", "link-name"} <= ids
    page.close()
