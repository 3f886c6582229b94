"""Layout and navigation on phones and wide screens: the menu folds behind
"Menu" under 40em and opens with or without JavaScript, the content starts
high on a 320 x 640 screen, search is in the header, map tiles are named as
they read and big enough to tap, and content pages use a wide screen's width
with an "On this page" list."""

import re

import pytest

from browser import describe, run_axe
from htmlpage import file_to_url, html_files

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
MENU = "details.site-menu"
TOGGLE = "details.site-menu > summary"
NAV_LINKS = "nav.main-nav a"


@pytest.fixture
def open_page(browser):
    """open_page(path, viewport, javascript=True): a page of the site, closed after the test."""
    base, chromium = browser
    contexts = []

    def opener(path, viewport, javascript=True):
        context = chromium.new_context(viewport=viewport, java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        page.goto(base + path)
        return page

    yield opener
    for context in contexts:
        context.close()


def visible_links(page):
    return [link.is_visible() for link in page.query_selector_all(NAV_LINKS)]


def tab_to(page, selector, limit=20):
    """Press Tab until ``selector`` has the focus; fails after ``limit`` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus")


# The menu -------------------------------------------------------------------


def test_at_320_pixels_the_menu_opens_with_the_keyboard_and_closes_with_escape(open_page):
    page = open_page("/", PHONE)
    assert page.is_visible(TOGGLE)
    assert page.inner_text(TOGGLE).strip() == "Menu"
    assert not any(visible_links(page))
    tab_to(page, TOGGLE)
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelector('details.site-menu').open")
    assert all(visible_links(page))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('nav.main-nav') !== null")
    page.keyboard.press("Escape")
    assert not page.evaluate("document.querySelector('details.site-menu').open")
    assert page.evaluate("document.activeElement.matches('details.site-menu > summary')")
    assert not any(visible_links(page))


def test_at_320_pixels_the_menu_works_without_javascript(open_page):
    page = open_page("/", PHONE, javascript=False)
    links = page.query_selector_all(NAV_LINKS)
    assert len(links) >= 5
    assert not any(visible_links(page))
    tab_to(page, TOGGLE)
    page.keyboard.press("Space")
    assert all(visible_links(page))
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.getAttribute('href')")
    assert first == links[0].get_attribute("href")
    page.click(f"{NAV_LINKS} >> text=Notizie")
    assert page.url.endswith("/notizie/")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_wide_screen_the_menu_is_always_shown(open_page, javascript):
    page = open_page("/en/", DESKTOP, javascript=javascript)
    assert page.is_hidden(TOGGLE)
    assert all(visible_links(page))
    assert len(visible_links(page)) >= 5
    # One row of links, with the search beside them.
    tops = {round(link.bounding_box()["y"]) for link in page.query_selector_all(NAV_LINKS)}
    assert len(tops) == 1
    assert page.is_visible("form.site-search input")
    page.click(f"{NAV_LINKS} >> text=Events")
    assert page.url.endswith("/en/events/")


PAGE_TYPES = ["/", "/progetto/", "/territori/lodi/", "/eventi/", "/en/", "/en/contacts/"]


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_on_a_320_by_640_screen_content_starts_within_260_pixels(open_page, path):
    page = open_page(path, PHONE)
    first = page.evaluate(
        "document.querySelector('main').firstElementChild.getBoundingClientRect().top"
    )
    assert first <= 260, first
    assert page.evaluate("document.documentElement.scrollWidth") == 320


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["320", "1280"])
def test_the_eu_emblem_and_statement_are_visible_side_by_side(open_page, viewport):
    page = open_page("/", viewport)
    emblem = page.query_selector(".site-header .eu-funding__emblem").bounding_box()
    statement = page.query_selector(".site-header .eu-funding__statement")
    assert statement.inner_text() == "Cofinanziato dall'Unione europea"
    text = statement.bounding_box()
    assert (emblem["width"], emblem["height"]) == (60, 40)
    assert emblem["y"] >= 0
    assert emblem["y"] + emblem["height"] < 100
    # Beside the emblem, not under it nor over it.
    assert text["x"] >= emblem["x"] + emblem["width"]
    assert text["y"] < emblem["y"] + emblem["height"]
    assert text["x"] + text["width"] <= viewport["width"]
    # The skip link still comes first.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"


def test_partners_and_lines_are_one_step_from_the_main_menu(open_page, browser):
    base, _ = browser
    page = open_page("/", DESKTOP)
    page.goto(base + page.get_attribute(f"{NAV_LINKS} >> text=Il progetto", "href"))
    hrefs = page.eval_on_selector_all("main a", "links => links.map(a => a.getAttribute('href'))")
    assert "/partner/" in hrefs
    assert "/linee/" in hrefs


# Search in the header ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "search_page", "query", "expected"),
    [
        ("/eventi/", "/cerca/", "Q-OLAF", "/linee/linea-4/"),
        ("/en/news/", "/en/search/", "conventions", "/en/art-14-conventions/"),
    ],
)
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["320", "1280"])
def test_the_header_search_shows_results_on_the_search_page(
    open_page, browser, viewport, path, search_page, query, expected
):
    base, _ = browser
    page = open_page(path, viewport)
    field = page.get_by_role("searchbox", name=re.compile("Cerca nel sito|Search the site"))
    assert field.is_visible()  # on a phone too, without opening the menu
    field.fill(query)
    field.press("Enter")
    page.wait_for_url(f"{base}{search_page}?q={query}")
    page.wait_for_selector("#search-results li a", timeout=15000)
    links = page.eval_on_selector_all(
        "#search-results a", "a => a.map(x => x.getAttribute('href'))"
    )
    assert expected in links
    assert page.input_value("#search-query") == query
    # The search page has its own form, and no second one in the header.
    assert page.locator("form[role=search]").count() == 1


def test_without_javascript_the_header_search_leads_to_the_search_page(open_page, browser):
    base, _ = browser
    page = open_page("/en/", PHONE, javascript=False)
    page.fill("#site-search-q", "Q-OLAF")
    page.click("form.site-search button")
    page.wait_for_url(f"{base}/en/search/?q=Q-OLAF")
    assert page.is_visible(".search-no-js")


# The map ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/territori/", "/", "/en/territories/"])
def test_map_tiles_are_named_as_they_read_and_big_enough_to_tap(open_page, path):
    page = open_page(path, PHONE)
    tiles = page.query_selector_all(".territory-map__tile")
    assert len(tiles) == 12
    for tile in tiles:
        visible = tile.query_selector("text").text_content().strip()
        name = tile.get_attribute("aria-label")
        assert name.startswith(f"{visible} – "), (visible, name)
        box = tile.bounding_box()
        assert min(box["width"], box["height"]) >= 24, (name, box)
        # The full name, in words, is shown near the map.
        full = name.split(" – ")[1]
        key = page.locator(".territory-map__key li", has_text=re.compile(rf"^{visible}\s+{full}$"))
        assert key.count() == 1, name
        assert key.is_visible()
    active = [
        t.get_attribute("aria-label") for t in tiles if "--active" in t.get_attribute("class")
    ]
    suffix = " – project activity" if path.startswith("/en/") else " – attività del progetto"
    assert active
    assert all(name.endswith(suffix) for name in active)


# Wide screens -----------------------------------------------------------------


def is_content_page(path):
    with open(path, encoding="utf-8") as handle:
        return 'class="page__body"' in handle.read()


def on_this_page(page):
    return page.query_selector("nav.page-aside--contents")


def test_on_a_wide_screen_the_project_page_has_on_this_page_beside_the_text(open_page):
    page = open_page("/progetto/", DESKTOP)
    aside = on_this_page(page)
    assert aside is not None
    assert aside.is_visible()
    assert aside.get_attribute("aria-label") == "In questa pagina"
    assert aside.query_selector("h2").inner_text() == "In questa pagina"
    headings = page.eval_on_selector_all(
        ".page__body h2[id]", "hs => hs.map(h => ['#' + h.id, h.textContent.trim()])"
    )
    listed = aside.eval_on_selector_all(
        "a", "as => as.map(a => [a.getAttribute('href'), a.textContent.trim()])"
    )
    assert listed == headings
    assert len(listed) >= 2
    text = page.query_selector(".page__body .prose").bounding_box()
    box = aside.bounding_box()
    assert box["x"] >= text["x"] + text["width"]  # beside, not below
    assert box["y"] < text["y"] + 100
    # The reading column keeps about 70 characters a line.
    characters = page.evaluate(
        "(() => { const p = document.querySelector('.page__body .prose');"
        " const probe = document.createElement('span'); probe.textContent = '0';"
        " p.appendChild(probe); const ch = probe.getBoundingClientRect().width; probe.remove();"
        " return p.getBoundingClientRect().width / ch; })()"
    )
    assert 60 <= characters <= 80, characters
    page.click("nav.page-aside--contents a >> nth=1")
    assert page.url.endswith(listed[1][0])


def test_a_page_with_fewer_than_two_headings_has_no_on_this_page(open_page):
    page = open_page("/contatti/", DESKTOP)
    assert page.locator(".page__body h2[id]").count() < 2
    assert on_this_page(page) is None
    assert not page.query_selector(".page__aside")


def test_on_this_page_is_there_exactly_when_a_page_has_two_headings(site, open_page, browser):
    base, _ = browser
    pages = [file_to_url(site, path) for path in html_files(site) if is_content_page(path)]
    assert len(pages) > 10
    page = open_page("/", DESKTOP)
    wrong = []
    for url in pages:
        page.goto(base + url)
        headings = page.locator(".page__body h2[id]").count()
        if (on_this_page(page) is not None) != (headings >= 2):
            wrong.append((url, headings))
    assert not wrong


# Accessibility ----------------------------------------------------------------

AXE_PAGES = ["/", "/progetto/", "/territori/", "/territori/lodi/", "/eventi/", "/contatti/"]
AXE_PAGES += ["/cerca/", "/en/project/"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["320", "1280"])
def test_axe_finds_nothing_at_320_and_1280_pixels(open_page, viewport):
    failures = {}
    for path in AXE_PAGES:
        page = open_page(path, viewport)
        if viewport is PHONE:
            page.click(TOGGLE)  # the open menu too
        violations = run_axe(page)
        if violations:
            failures[path] = describe(violations)
    assert not failures, "\n\n".join(f"{path}\n{text}" for path, text in failures.items())


def test_section_headings_reads_only_h2_with_an_id_and_their_language():
    from website.headings import section_headings

    html = (
        '<h2 id="a">First <em>part</em> &amp; more</h2><p>x</p>'
        "<h2>No id</h2><h3 id='c'>Sub</h3>"
        '<div class="prose" lang="it"><div><h2 id="b">\n  Secondo\n</h2></div><br></div>'
        '<h2 class="x" id="d">Third</h2>'
    )
    assert section_headings(html) == [
        ("a", "First part & more", None),
        ("b", "Secondo", "it"),
        ("d", "Third", None),
    ]
