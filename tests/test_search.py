"""Site search: one Pagefind run indexes the whole site, with an index per
language (``<html lang>``); each language's search page finds the pages of
its own language, works offline with JavaScript and points to the site map
without it."""

import gzip
import json
import os
import re
import subprocess

import pagefind_bin
import pytest

from browser import StaticServer
from htmlpage import file_to_url, html_files, read_page, url_to_file
from sitebuild import copy_project_sources, run_pelican

pytestmark = pytest.mark.browser

SEARCH_PAGES = {"it": ("cerca", "index.html"), "en": ("en", "search", "index.html")}


def index_entry(site):
    with open(os.path.join(site, "pagefind", "pagefind-entry.json"), encoding="utf-8") as handle:
        return json.load(handle)


def indexed_pages(site):
    """{lang: {url: text}} of the pages in the site's index, read from
    Pagefind's fragments (gzip, "pagefind_dcd" then the page's JSON), one
    per page, named after the language of the index that holds it."""
    folder = os.path.join(site, "pagefind", "fragment")
    pages = {}
    for name in os.listdir(folder):
        with gzip.open(os.path.join(folder, name)) as handle:
            data = handle.read()
        signature = b"pagefind_dcd"
        assert data.startswith(signature), name
        fragment = json.loads(data[len(signature) :])
        lang = name.split("_", 1)[0]
        assert fragment["url"] not in pages.setdefault(lang, {}), (name, fragment["url"])
        pages[lang][fragment["url"]] = fragment["content"]
    return pages


def marked_pages(site):
    """{lang: {url}} of the pages marked for the index (data-pagefind-body)."""
    pages = {}
    for path in html_files(site):
        page = read_page(path)
        if any("data-pagefind-body" in attrs for _, attrs in page.elements):
            pages.setdefault(page.html_lang, set()).add(file_to_url(site, path))
    return pages


def test_the_index_has_an_index_for_each_language_with_its_own_pages(site):
    entry = index_entry(site)
    assert set(entry["languages"]) == {"it", "en"}
    marked = marked_pages(site)
    indexed = indexed_pages(site)
    assert set(marked) == set(indexed) == {"it", "en"}
    for lang in ("it", "en"):
        assert entry["languages"][lang]["page_count"] == len(marked[lang]) > 20
        assert set(indexed[lang]) == marked[lang]
        # Each language's pages, and only them, are in its index.
        assert all(url.startswith("/en/") == (lang == "en") for url in marked[lang]), lang
    assert {"/linee/linea-4/", "/notizie/al-via-opensource14/"} <= set(indexed["it"])
    assert {"/en/lines/linea-4/", "/en/news/opensource14-gets-under-way/"} <= set(indexed["en"])
    # One index for the whole site: none left in a language's folder.
    assert not os.path.exists(os.path.join(site, "en", "pagefind"))
    assert not [name for name in os.listdir(site) if name.startswith("pagefind-")]


@pytest.mark.parametrize("lang", ["it", "en"])
def test_search_pages_exist_in_both_languages_and_are_not_indexed(site, lang):
    path = os.path.join(site, *SEARCH_PAGES[lang])
    page = read_page(path)
    assert page.html_lang == lang
    (form,) = page.find_all("form", role="search")
    # The one index of the site, whatever the page's language.
    assert form["data-pagefind"] == "/pagefind/pagefind.js"
    assert form["data-pagefind-base"] == "/"
    assert os.path.isfile(os.path.join(site, "pagefind", "pagefind.js"))
    assert page.find_all("script", src="/theme/js/search.js")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "data-pagefind-body" not in text
    assert "data-pagefind-merge" not in text
    assert file_to_url(site, path) not in indexed_pages(site)[lang]


def search(chromium, base, path, query):
    """The links a search page lists for ``query`` (given in its address),
    once it says how many it found, none included."""
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{base}{path}?q={query}")
    page.wait_for_function(
        "query => document.getElementById('search-status').textContent.includes(query)",
        arg=query,
        timeout=15000,
    )
    links = [a.get_attribute("href") for a in page.query_selector_all("#search-results a")]
    status = page.inner_text("#search-status")
    context.close()
    return links, status


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/cerca/", "Q-OLAF", "/linee/linea-4/"),
        ("/cerca/", "diciannove", "/notizie/al-via-opensource14/"),  # a news article
        ("/en/search/", "conventions", "/en/art-14-conventions/"),
        # In pages of both languages: the English page finds the English ones only.
        ("/en/search/", "Q-OLAF", "/en/lines/linea-4/"),
    ],
)
def test_typing_a_query_shows_results_in_the_pages_language(browser, path, query, expected):
    base, chromium = browser
    context = chromium.new_context()
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(base + path)
    assert page.is_hidden(".search-no-js")
    page.fill("#search-query", query)
    page.press("#search-query", "Enter")
    page.wait_for_selector("#search-results li a", timeout=15000)
    links = [a.get_attribute("href") for a in page.query_selector_all("#search-results a")]
    assert expected in links
    in_english = path.startswith("/en/")
    assert all(link.startswith("/en/") == in_english for link in links), links
    assert query in page.inner_text("#search-status")
    assert page.url == f"{base}{path}?q={query}"
    # Offline: everything comes from the site itself.
    assert any(url.startswith(base + "/pagefind/") for url in requests)
    assert all(url.startswith(base) for url in requests)
    context.close()


def test_a_query_nothing_matches_says_so(browser):
    base, chromium = browser
    links, status = search(chromium, base, "/en/search/", "xylophonically")
    assert links == []
    assert status == "No results for “xylophonically”."


def test_without_javascript_the_search_page_points_to_the_site_map(browser):
    base, chromium = browser
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/cerca/")
    assert page.is_visible(".search-no-js")
    page.click(".search-no-js a")
    assert page.url == base + "/mappa-del-sito/"
    context.close()


LIST_FOLDERS = (
    "notizie/tag",
    "notizie/categoria",
    "notizie/archivio",
    "eventi/archivio",
    "en/news/tag",
    "en/news/category",
    "en/news/archive",
    "en/events/archive",
)


def test_lists_of_pages_are_left_out_of_the_index_and_the_pages_kept(site):
    lists = [
        os.path.join(folder, name)
        for list_folder in LIST_FOLDERS
        for folder, _, names in os.walk(os.path.join(site, list_folder))
        for name in names
        if name.endswith(".html")
    ]
    lists += [
        os.path.join(site, "notizie", "index.html"),
        os.path.join(site, "en", "news", "index.html"),
    ]
    assert len(lists) >= 12
    indexed = {url for pages in indexed_pages(site).values() for url in pages}
    for path in lists:
        with open(path, encoding="utf-8") as handle:
            assert "data-pagefind-body" not in handle.read(), path
        assert file_to_url(site, path) not in indexed, path
    for article in ("notizie/al-via-opensource14", "en/news/opensource14-gets-under-way"):
        path = os.path.join(site, article, "index.html")
        with open(path, encoding="utf-8") as handle:
            assert "data-pagefind-body" in handle.read()
        assert file_to_url(site, path) in indexed


def test_only_main_holds_what_pagefind_reads(site):
    """Pagefind is told to look inside <main> only (--root-selector main)."""
    pages = indexable = 0
    for page in html_files(site):
        with open(page, encoding="utf-8") as handle:
            text = handle.read()
        pages += 1
        before, main_tag, rest = text.partition("<main")
        assert main_tag, page
        opening, _, rest = rest.partition(">")
        inside, closing, after = rest.partition("</main>")
        assert closing, page
        assert "data-pagefind" not in before + after, page
        if "data-pagefind-body" in inside:
            raise AssertionError(f"{page}: data-pagefind-body inside <main>, not on it")
        indexable += "data-pagefind-body" in opening
    assert pages > 50
    assert indexable > 40


# Words of the header and footer of every page, outside <main>.
AROUND_MAIN = {
    "it": ("Cofinanziato dall'Unione europea", "Sito aggiornato il"),
    "en": ("Co-funded by the European Union", "Site updated on"),
}


def test_the_index_holds_no_words_of_menus_and_footers(site):
    for lang, pages in indexed_pages(site).items():
        for url, text in pages.items():
            with open(url_to_file(site, url), encoding="utf-8") as handle:
                html = handle.read()
            before, _, rest = html.partition("<main")
            after = rest.partition("</main>")[2]
            outside = " ".join(re.sub(r"<[^>]+>", " ", before + after).split())
            for words in AROUND_MAIN[lang]:
                assert words in outside.replace("&#39;", "'"), (url, words)
                assert words not in text, (url, words)


def test_looking_inside_main_only_makes_the_same_index(site, tmp_path):
    """The index Pagefind makes of the whole of each page is the site's:
    nothing it reads is outside <main>."""
    command = [str(pagefind_bin.get_executable()), "--site", site]
    command += ["--output-path", str(tmp_path / "whole"), "--silent"]
    subprocess.run(command, check=True)

    def files(folder):
        return {
            os.path.relpath(os.path.join(parent, name), folder): os.path.join(parent, name)
            for parent, _, names in os.walk(folder)
            for name in names
        }

    whole, made = files(tmp_path / "whole"), files(os.path.join(site, "pagefind"))
    assert set(whole) == set(made)
    assert any(name.startswith("fragment/") for name in made)
    for name, path in made.items():
        with open(path, "rb") as mine, open(whole[name], "rb") as theirs:
            if name.endswith(".json"):  # its languages in any order
                assert json.load(mine) == json.load(theirs), name
            else:
                assert mine.read() == theirs.read(), name


def add_english_news(content, slug, words):
    path = os.path.join(content, "notizie", f"2026-11-20-{slug}.en.md")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            f"Title: News about {words}\nDate: 2026-11-20\nSlug: {slug}\n"
            f"Category: progetto\n\nThe {words} is here.\n"
        )
    return path


def test_a_deleted_article_is_not_found_by_the_search(chromium, tmp_path):
    content, data = copy_project_sources(tmp_path)
    article = add_english_news(content, "quokka-news", "quokkatron")
    output = tmp_path / "output"
    result = run_pelican(output, content=content, data=data)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = {lang: count["page_count"] for lang, count in index_entry(output)["languages"].items()}
    # Italian shows the English original in its place: its index has it too.
    found = {"/en/search/": "/en/news/quokka-news/", "/cerca/": "/notizie/quokka-news/"}
    with StaticServer(str(output)) as server:
        for path, expected in found.items():
            links, _ = search(chromium, server.url, path, "quokkatron")
            assert expected in links, (path, links)

    os.remove(article)
    result = run_pelican(output, content=content, data=data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (output / "en" / "news" / "quokka-news").exists()
    assert not (output / "notizie" / "quokka-news").exists()
    entry = index_entry(output)
    assert {lang: count["page_count"] + 1 for lang, count in entry["languages"].items()} == counts
    for lang, pages in indexed_pages(output).items():
        assert not any("quokka" in url or "quokkatron" in text for url, text in pages.items())
        assert set(pages) == marked_pages(output)[lang]
    with StaticServer(str(output)) as server:
        for path in found:
            links, status = search(chromium, server.url, path, "quokkatron")
            assert links == [], (path, status)


def test_a_site_without_news_builds_and_searches_its_other_pages(chromium, tmp_path):
    content, data = copy_project_sources(tmp_path)
    for name in os.listdir(os.path.join(content, "notizie")):
        os.remove(os.path.join(content, "notizie", name))
    output = tmp_path / "output"
    result = run_pelican(output, content=content, data=data)
    assert result.returncode == 0, result.stdout + result.stderr
    indexed = indexed_pages(output)
    assert set(index_entry(output)["languages"]) == set(indexed) == {"it", "en"}
    assert not [url for pages in indexed.values() for url in pages if "/news/" in url]
    assert not [url for url in indexed["it"] if url.startswith("/notizie/")]
    with StaticServer(str(output)) as server:
        for path, expected in (
            ("/cerca/", "/linee/linea-4/"),
            ("/en/search/", "/en/lines/linea-4/"),
        ):
            links, _ = search(chromium, server.url, path, "Q-OLAF")
            assert expected in links, (path, links)


def stand_in_pagefind(folder, script):
    """The environment of a build whose Pagefind is ``script`` (sh): a
    ``pagefind_bin`` package found before the real one."""
    package = folder / "pagefind_bin"
    package.mkdir(parents=True)
    program = package / "pagefind"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(0o755)
    (package / "__init__.py").write_text(
        "from pathlib import Path\n\n\n"
        "def get_executable():\n    return Path(__file__).parent / 'pagefind'\n"
    )
    return {"PYTHONPATH": str(folder)}


@pytest.mark.parametrize(
    ("script", "said"),
    [
        ("echo 'pagefind: out of memory' >&2\nexit 1", "pagefind: out of memory"),
        # Pagefind says it is done but wrote no index.
        ("echo 'Finished in 0.1 seconds'\nexit 0", "Finished in 0.1 seconds"),
    ],
    ids=["fails", "writes-nothing"],
)
def test_a_failing_pagefind_stops_the_build_with_a_message_and_keeps_the_site(
    tmp_path, script, said
):
    content, data = copy_project_sources(tmp_path)
    output = tmp_path / "output"
    assert run_pelican(output, content=content, data=data).returncode == 0
    kept = {
        path: (output / path).read_bytes()
        for path in ("index.html", "pagefind/pagefind-entry.json", "pagefind/pagefind.js")
    }
    with open(os.path.join(content, "notizie", "2026-11-25-al-via-opensource14.en.md"), "a") as f:
        f.write("\nA change the search index must take in.\n")
    broken = stand_in_pagefind(tmp_path / "broken-pagefind", script)
    result = run_pelican(output, content=content, data=data, env=broken)
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "Traceback" not in report
    assert f"search index: Pagefind could not index the site: {said}" in report
    assert "nothing was written to the output folder" in " ".join(report.split())
    assert {path: (output / path).read_bytes() for path in kept} == kept
    news = output / "en" / "news" / "opensource14-gets-under-way" / "index.html"
    assert "A change the search index" not in news.read_text(encoding="utf-8")
    # Nor is the build's fresh folder left beside the output.
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("output")) == [
        "output",
        "output.cache",
    ]


def test_without_the_index_the_build_does_not_run_pagefind(tmp_path):
    output = tmp_path / "output"
    broken = stand_in_pagefind(tmp_path / "broken-pagefind", "exit 1")
    result = run_pelican(output, extra={"SEARCH_INDEX": False}, env=broken)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (output / "pagefind").exists()
    for path in SEARCH_PAGES.values():
        assert (output.joinpath(*path)).is_file()
    # The stand-in is the one the build would run.
    result = run_pelican(tmp_path / "indexed", env=broken)
    assert result.returncode == 1
    assert "search index: Pagefind could not index the site" in result.stderr
