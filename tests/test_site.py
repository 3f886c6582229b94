"""The built site, checked page by page: languages, links, feeds, sitemap."""

import datetime
import os
import re
from xml.etree import ElementTree

import pytest

from htmlpage import file_to_url, html_files, read_page, url_to_file
from sitebuild import copy_project_sources, run_pelican

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def pages(site):
    return {file_to_url(site, path): read_page(path) for path in html_files(site)}


def test_both_languages_are_built(site):
    assert os.path.isfile(os.path.join(site, "index.html"))
    assert os.path.isfile(os.path.join(site, "en", "index.html"))
    assert read_page(os.path.join(site, "index.html")).html_lang == "it"
    assert read_page(os.path.join(site, "en", "index.html")).html_lang == "en"


def test_every_page_has_lang_title_one_h1_and_canonical(pages):
    assert len(pages) > 30
    for url, page in pages.items():
        expected_lang = "en" if url.startswith("/en/") else "it"
        assert page.html_lang == expected_lang, url
        assert page.title.strip(), url
        assert page.h1_count == 1, f"{url} has {page.h1_count} h1"
        assert page.canonical, url


def test_alternates_are_reciprocal_and_resolve(site, pages):
    for url, page in pages.items():
        assert set(page.alternates) == {"it", "en", "x-default"}, url
        assert page.alternates["x-default"] == page.alternates["it"], url
        own_lang = "en" if url.startswith("/en/") else "it"
        assert page.alternates[own_lang] == url, url
        for lang in ("it", "en"):
            target = url_to_file(site, page.alternates[lang])
            assert target, f"{url}: {lang} → {page.alternates[lang]}"
            assert os.path.isfile(target), f"{url}: {lang} → {page.alternates[lang]}"
            other = pages[page.alternates[lang]]
            assert other.alternates[own_lang] == url, f"{url} ↔ {page.alternates[lang]}"


def test_language_switcher_links_the_same_page(pages):
    for url, page in pages.items():
        switcher = [a for a in page.find_all("a") if a.get("hreflang")]
        other_lang = "it" if url.startswith("/en/") else "en"
        assert [a["href"] for a in switcher] == [page.alternates[other_lang]], url
        assert switcher[0]["lang"] == other_lang


def test_no_internal_link_or_asset_is_missing(site, pages):
    broken = []
    for url, page in pages.items():
        for tag, attribute, value in page.links:
            if value.startswith(("mailto:", "tel:", "#", "http://", "https://")):
                continue
            target = url_to_file(site, value.split("#")[0])
            if target is None or not os.path.exists(target):
                broken.append(f"{url}: <{tag} {attribute}={value}>")
    assert not broken, "\n".join(broken)


def test_pages_request_nothing_from_other_sites(pages):
    for url, page in pages.items():
        for tag, attrs in page.elements:
            if tag in ("script", "img", "iframe", "source", "video", "audio", "embed", "object"):
                assert not attrs.get("src", "").startswith(("http:", "https:", "//")), url
            if tag == "link" and attrs.get("rel") in (
                "stylesheet",
                "icon",
                "preload",
                "modulepreload",
            ):
                assert not attrs["href"].startswith(("http:", "https:", "//")), url


def test_css_loads_nothing_from_other_sites(site):
    folder = os.path.join(site, "theme", "css")
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            css = handle.read()
        assert "@import" not in css, name
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css), name


def test_skip_link_comes_first_and_targets_main(pages):
    for url, page in pages.items():
        first_link = next(attrs for tag, attrs in page.elements if tag == "a")
        assert first_link["href"] == "#main", url
        assert page.find_all("main", id="main"), url
        navs = page.find_all("nav")
        assert all(nav.get("aria-label") for nav in navs), url


def test_footer_links_legal_pages_on_every_page(pages):
    expected = {
        "it": ["/privacy/", "/note-legali/", "/accessibilita/", "/mappa-del-sito/"],
        "en": ["/en/privacy/", "/en/legal-notes/", "/en/accessibility/", "/en/site-map/"],
    }
    for url, page in pages.items():
        lang = "en" if url.startswith("/en/") else "it"
        hrefs = [a.get("href") for a in page.find_all("a")]
        for target in expected[lang]:
            assert target in hrefs, f"{url} lacks a link to {target}"


def test_eu_funding_statement_on_every_page(pages, site):
    statement = {
        "it": "Cofinanziato dall&#39;Unione europea",
        "en": "Co-funded by the European Union",
    }
    for url, page in pages.items():
        lang = "en" if url.startswith("/en/") else "it"
        with open(page.path, encoding="utf-8") as handle:
            html = handle.read()
        assert 'src="/theme/img/eu-emblem.svg"' in html, url
        assert statement[lang] in html or statement[lang].replace("&#39;", "'") in html, url
        assert "POR FSE+ 2021-2027 Regione Lombardia" in html, url


def test_dates_are_formatted_by_babel_in_each_language(site):
    with open(
        os.path.join(site, "notizie", "al-via-opensource14", "index.html"), encoding="utf-8"
    ) as handle:
        italian = handle.read()
    with open(
        os.path.join(site, "en", "news", "opensource14-gets-under-way", "index.html"),
        encoding="utf-8",
    ) as handle:
        english = handle.read()
    assert '<time datetime="2026-11-25">25 novembre 2026</time>' in italian
    assert '<time datetime="2026-11-25">25 November 2026</time>' in english


def test_one_atom_feed_per_language_that_parses(site):
    for path, link_prefix in (
        ("feed/atom.xml", "/notizie/"),
        ("en/feeds/atom.xml", "/en/news/"),
    ):
        tree = ElementTree.parse(os.path.join(site, path))
        root = tree.getroot()
        assert root.tag == f"{ATOM}feed"
        entries = root.findall(f"{ATOM}entry")
        assert entries, path
        for entry in entries:
            assert entry.find(f"{ATOM}title").text
            href = entry.find(f"{ATOM}link").get("href")
            assert href.startswith("http://127.0.0.1:8000" + link_prefix), href
            assert os.path.isfile(url_to_file(site, href.removeprefix("http://127.0.0.1:8000")))


def test_sitemap_lists_every_indexable_page_with_reciprocal_alternates(site, pages):
    root = ElementTree.parse(os.path.join(site, "sitemap.xml")).getroot()
    base = "http://127.0.0.1:8000"
    listed = {}
    for url in root.findall(f"{SITEMAP}url"):
        loc = url.find(f"{SITEMAP}loc").text
        listed[loc] = {
            link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")
        }
    indexable = {
        base + url for url, page in pages.items() if not page.find_all("meta", name="robots")
    }
    assert set(listed) == indexable
    for loc, alternates in listed.items():
        assert set(alternates) == {"it", "en", "x-default"}
        for lang in ("it", "en"):
            assert listed[alternates[lang]] == alternates, loc


def test_not_found_pages_are_not_indexed(pages):
    for url in ("/404.html", "/en/404.html"):
        assert pages[url].find_all("meta", name="robots", content="noindex")


def test_interface_strings_come_from_the_catalog(site):
    italian = read_page(os.path.join(site, "index.html"))
    english = read_page(os.path.join(site, "en", "index.html"))
    assert italian.elements[[t for t, _ in italian.elements].index("a")][1]["href"] == "#main"
    with open(italian.path, encoding="utf-8") as handle:
        assert ">Vai al contenuto<" in handle.read()
    with open(english.path, encoding="utf-8") as handle:
        assert ">Skip to content<" in handle.read()


def test_news_archive_is_split_into_pages_of_100(tmp_path):
    """The archive lists every news title: past 100 it goes on to further pages."""
    content, data = copy_project_sources(tmp_path)
    for number in range(1, 102):
        day = datetime.date(2025, 1, 1) + datetime.timedelta(days=number)
        (tmp_path / "content" / "notizie" / f"{day}-prova-{number}.it.md").write_text(
            f"Title: Prova {number}\nDate: {day}\nCategory: progetto\n\nTesto.\n",
            encoding="utf-8",
        )
    output = tmp_path / "output"
    result = run_pelican(output, content=content, data=data, extra={"SEARCH_INDEX": False})
    assert result.returncode == 0, result.stderr
    site = str(output)
    for first, second in (
        ("/notizie/archivio/", "/notizie/archivio/pagina/2/"),
        ("/en/news/archive/", "/en/news/archive/page/2/"),
    ):
        page_one = read_page(url_to_file(site, first))
        page_two = read_page(url_to_file(site, second))
        with open(url_to_file(site, first), encoding="utf-8") as handle:
            assert len(re.findall(r"</time> – <a ", handle.read())) == 100
        with open(url_to_file(site, second), encoding="utf-8") as handle:
            items = re.findall(r"</time> – <a href=\"([^\"]+)\"", handle.read())
        assert len(items) == 2  # 102 news items in all
        assert items[-1].endswith("/prova-1/")  # the oldest comes last
        assert ("a", "href", second) in page_one.links
        assert ("a", "href", first) in page_two.links
        assert page_two.alternates == {
            "it": "/notizie/archivio/pagina/2/",
            "en": "/en/news/archive/page/2/",
            "x-default": "/notizie/archivio/pagina/2/",
        }


MAIN_NAV = re.compile(r'<nav class="main-nav"[^>]*>(.*?)</nav>', re.S)


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("progetto/index.html", "Il progetto"),
        ("eventi/index.html", "Eventi"),
        ("notizie/index.html", "Notizie"),
        ("territori/index.html", "Territori"),
        ("en/events/index.html", "Events"),
        ("en/project/index.html", "The project"),
        ("notizie/al-via-opensource14/index.html", None),
        ("index.html", None),
        ("en/index.html", None),
    ],
)
def test_the_main_menu_marks_the_page_it_leads_to(site, path, current):
    # The menu is rendered once per language and current entry: each page must
    # still get its own.
    with open(os.path.join(site, path), encoding="utf-8") as handle:
        nav = MAIN_NAV.search(handle.read()).group(1)
    marked = re.findall(r'aria-current="page"[^>]*>([^<]+)<', nav)
    assert marked == ([current] if current else [])
