"""Site search: one Pagefind index per language, a search page that works
offline with JavaScript and points to the site map without it."""

import json
import os
import pickle
import subprocess

import pytest
from playwright.sync_api import sync_playwright
from search import (
    CONTENT_NAMED,
    ROOT_SELECTOR,
    SURVEYED_HERE,
    Bundle,
    LanguageIndex,
    RunBudget,
    Survey,
    in_turns,
    pagefind_executable,
    pattern,
)
from test_build_modes import add_news, tree

from browser import StaticServer, launch
from htmlpage import html_files
from sitebuild import ROOT, copy_project_sources, project_plugins, run_pelican

pytestmark = pytest.mark.browser
FIXTURE_PLUGINS = os.path.join(ROOT, "tests", "fixtures", "plugins")


def bundle_entry(site, *folder):
    with open(os.path.join(site, *folder, "pagefind-entry.json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.mark.parametrize(
    ("lang", "prefix", "news"), [("it", (), "notizie"), ("en", ("en",), "news")]
)
def test_each_language_has_its_own_bundles_for_news_and_the_rest(site, lang, prefix, news):
    pages = bundle_entry(site, *prefix, "pagefind")
    assert set(pages["languages"]) == {lang}
    assert pages["languages"][lang]["page_count"] > 20
    articles = bundle_entry(site, *prefix, "pagefind-news")
    assert set(articles["languages"]) == {lang}
    news_pages = 0
    for folder, _, names in os.walk(os.path.join(site, *prefix, news)):
        for name in names:
            if name.endswith(".html"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    news_pages += "data-pagefind-body" in handle.read()
    assert articles["languages"][lang]["page_count"] == news_pages >= 1
    # Each page is in one bundle only: the news are not in the main one.
    with open(
        os.path.join(site, *prefix, "cerca" if lang == "it" else "search", "index.html"),
        encoding="utf-8",
    ) as handle:
        search_page = handle.read()
    expected = "/en" if lang == "en" else ""
    assert f'data-pagefind="{expected}/pagefind/pagefind.js"' in search_page
    assert f'data-pagefind-merge="{expected}/pagefind-news/"' in search_page


def test_search_pages_exist_in_both_languages_and_are_not_indexed(site):
    for path in (("cerca", "index.html"), ("en", "search", "index.html")):
        with open(os.path.join(site, *path), encoding="utf-8") as handle:
            text = handle.read()
        assert 'role="search"' in text
        assert "data-pagefind-body" not in text
        assert 'src="/theme/js/search.js"' in text


@pytest.fixture(scope="module")
def browser(site):
    with StaticServer(site) as server, sync_playwright() as playwright:
        chromium = launch(playwright)
        yield server.url, chromium
        chromium.close()


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/cerca/", "Q-OLAF", "/linee/linea-4/"),
        ("/cerca/", "diciannove", "/notizie/al-via-opensource14/"),  # in the news bundle
        ("/en/search/", "conventions", "/en/art-14-conventions/"),
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
    other_language = "/en/" if path == "/cerca/" else "/"
    assert all(link.startswith("/en/") == (other_language == "/") for link in links)
    assert query in page.inner_text("#search-status")
    assert all(url.startswith(base) for url in requests)
    context.close()


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
    for path in lists:
        with open(path, encoding="utf-8") as handle:
            assert "data-pagefind-body" not in handle.read(), path
    for article in ("notizie/al-via-opensource14", "en/news/opensource14-gets-under-way"):
        with open(os.path.join(site, article, "index.html"), encoding="utf-8") as handle:
            assert "data-pagefind-body" in handle.read()


def test_only_main_holds_what_pagefind_reads(site):
    """Pagefind is told to look inside <main> only (search.ROOT_SELECTOR)."""
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
    assert indexable > 20


def test_looking_inside_main_only_makes_the_same_bundle(site, tmp_path):
    survey = Bundle("pagefind", ("linee", "convenzioni-art-14", "territori")).survey(site)
    bundles = {}
    for name, extra in (("whole", []), ("main", ["--root-selector", ROOT_SELECTOR])):
        command = [pagefind_executable(), "--site", site, "--glob", survey.glob]
        command += ["--output-path", str(tmp_path / name), "--silent", *extra]
        subprocess.run(command, check=True)
        made = tmp_path / name
        bundles[name] = {path: (made / path).read_bytes() for path in tree(made)}
    assert survey.pages >= 10
    assert bundles["whole"] == bundles["main"]
    assert any(name.startswith("fragment/") for name in bundles["main"])


def stand_in_pagefind(folder, message):
    """The environment of a build whose Pagefind prints ``message`` and fails:
    a ``pagefind_bin`` package found before the real one."""
    package = folder / "pagefind_bin"
    package.mkdir(parents=True)
    program = package / "pagefind"
    program.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
    program.chmod(0o755)
    (package / "__init__.py").write_text(
        "from pathlib import Path\n\n\n"
        "def get_executable():\n    return Path(__file__).parent / 'pagefind'\n"
    )
    return {"PYTHONPATH": str(folder)}


def assert_made_afresh(site, bundle, roots, folder):
    """The bundle Pagefind wrote over an older one is, file for file, the
    one it makes in an empty folder: no older file left, none missing."""
    pagefind_bundle(str(site), folder, *roots)
    made = {name for name in tree(site / bundle) if name != "input.sha256"}
    assert made == set(tree(folder))
    for name in made:
        assert (site / bundle / name).read_bytes() == (folder / name).read_bytes(), name


def test_a_rebuild_reuses_the_bundles_whose_pages_did_not_change(tmp_path):
    content, data = copy_project_sources(tmp_path)
    output = tmp_path / "output"
    assert run_pelican(output, content=content, data=data).returncode == 0
    bundles = ("pagefind", "pagefind-news", "en/pagefind", "en/pagefind-news")

    def indexed():
        return {bundle: (output / bundle / "input.sha256").read_text() for bundle in bundles}

    first = indexed()
    # Pagefind must not run at all: a stand-in for it fails the build if it does.
    no_pagefind = stand_in_pagefind(tmp_path / "no-pagefind", "Pagefind ran")
    for _ in range(2):  # from the spare copy of the output, then from the first output
        result = run_pelican(output, content=content, data=data, env=no_pagefind)
        assert result.returncode == 0, result.stderr
        assert indexed() == first

    article = os.path.join(content, "notizie", "2026-11-25-al-via-opensource14.en.md")
    with open(article, "a", encoding="utf-8") as handle:
        handle.write("\nThe word quokkatron is new.\n")
    result = run_pelican(output, content=content, data=data, args=["--verbose"])
    assert result.returncode == 0, result.stderr
    after = indexed()
    assert after["en/pagefind-news"] != first["en/pagefind-news"]
    assert {bundle: after[bundle] for bundle in bundles[:3]} == {
        bundle: first[bundle] for bundle in bundles[:3]
    }
    log = " ".join((result.stdout + result.stderr).split())
    assert log.count("Search: indexing") == 1, log
    assert "Search: indexing en/pagefind-news again" in log
    entry = bundle_entry(output, "en", "pagefind-news")
    assert entry["languages"]["en"]["page_count"] == 1

    # The staging folder now holds the bundle the edit made stale: the next
    # build takes the published one instead of running Pagefind.
    result = run_pelican(output, content=content, data=data, env=no_pagefind)
    assert result.returncode == 0, result.stderr
    assert indexed() == after
    assert "quokkatron" in (
        output / "en" / "news" / "opensource14-gets-under-way" / "index.html"
    ).read_text(encoding="utf-8")

    # An edit that leaves the page the same size: the survey goes by each
    # file's inode, size and modification time, and must still see it.
    page = output / "en" / "news" / "opensource14-gets-under-way" / "index.html"
    size = page.stat().st_size
    with open(article, encoding="utf-8") as handle:
        text = handle.read()
    with open(article, "w", encoding="utf-8") as handle:
        handle.write(text.replace("quokkatron", "quokkatrom"))
    result = run_pelican(output, content=content, data=data, args=["--verbose"])
    assert result.returncode == 0, result.stderr
    assert page.stat().st_size == size
    assert "Search: indexing en/pagefind-news again" in " ".join(
        (result.stdout + result.stderr).split()
    )
    assert indexed()["en/pagefind-news"] != after["en/pagefind-news"]

    # Bundles kept, copied and made again over older ones hold exactly what
    # a build from scratch makes: no fragment of an old text is left.
    scratch = tmp_path / "scratch"
    assert run_pelican(scratch, content=content, data=data).returncode == 0
    for bundle in bundles:
        assert tree(output / bundle) == tree(scratch / bundle), bundle
        for name in tree(scratch / bundle):
            assert (output / bundle / name).read_bytes() == (scratch / bundle / name).read_bytes()


class EnglishNews:
    """The project's sources with ``count`` more English news articles,
    built ``builds`` times into one output (three: the staging folder then
    holds the first build's pages and bundles)."""

    def __init__(self, tmp_path, count, builds, extra=None):
        self.content, self.data = copy_project_sources(tmp_path)
        self.articles = [
            add_news(self.content, number, langs=("en",))["en"] for number in range(1, count + 1)
        ]
        self.output = tmp_path / "output"
        self.extra = extra
        for _ in range(builds):
            assert self.build().returncode == 0

    def build(self):
        return run_pelican(
            self.output, content=self.content, data=self.data, extra=self.extra, args=["--verbose"]
        )

    def edit(self, article, words):
        with open(article, "a", encoding="utf-8") as handle:
            handle.write(f"\nNew words: {words}.\n")
        result = self.build()
        assert result.returncode == 0, result.stderr
        log = " ".join((result.stdout + result.stderr).split())
        assert "Search: indexing en/pagefind-news again" in log


@pytest.mark.parametrize("meta_readable", [True, False])
def test_a_bundle_made_over_an_older_one_is_what_pagefind_makes_afresh(tmp_path, meta_readable):
    # Unread (another Pagefind's format), the bundle is made again in an emptied folder.
    extra = None
    if not meta_readable:
        plugins = [*project_plugins(), "pagefind_meta_unread"]
        extra = {"PLUGIN_PATHS": ["plugins", FIXTURE_PLUGINS], "PLUGINS": plugins}
    site = EnglishNews(tmp_path, count=8, builds=3, extra=extra)
    for round, article in enumerate(site.articles[:2]):
        site.edit(article, f"quokka{round}")
        assert_made_afresh(site.output, "en/pagefind-news", ("en/news",), tmp_path / f"a{round}")
        assert len(tree(site.output / "en" / "pagefind-news" / "fragment")) == 9


@pytest.mark.parametrize("pages_at_once", [None, 4])
def test_a_deleted_article_is_not_found_by_the_search(tmp_path, pages_at_once):
    """Made by the language's own process, or (more than half
    SEARCH_PAGES_AT_ONCE pages) at the end of the build."""
    extra = None if pages_at_once is None else {"SEARCH_PAGES_AT_ONCE": pages_at_once}
    site = EnglishNews(tmp_path, count=4, builds=2, extra=extra)
    output = site.output
    os.remove(site.articles[0])
    result = site.build()
    assert result.returncode == 0, result.stderr
    news = output / "en" / "news"
    assert not (news / "extra-1-en").exists()
    pages = sum(1 for page in news.glob("*/index.html") if "data-pagefind-body" in page.read_text())
    assert pages == 4  # the project's own article and three of the four added
    entry = bundle_entry(output, "en", "pagefind-news")
    assert entry["languages"]["en"]["page_count"] == pages
    assert_made_afresh(output, "en/pagefind-news", ("en/news",), tmp_path / "afresh")


def test_a_site_without_news_builds_and_searches_its_other_pages(browser, tmp_path):
    content, data = copy_project_sources(tmp_path)
    for name in os.listdir(os.path.join(content, "notizie")):
        os.remove(os.path.join(content, "notizie", name))
    output = tmp_path / "output"
    result = run_pelican(output, content=content, data=data)
    assert result.returncode == 0, result.stderr
    assert not (output / "pagefind-news").exists()
    assert (output / "pagefind" / "pagefind-entry.json").exists()
    _, chromium = browser
    with StaticServer(str(output)) as server:
        context = chromium.new_context()
        page = context.new_page()
        page.goto(server.url + "/cerca/?q=Q-OLAF")
        page.wait_for_selector("#search-results li a", timeout=15000)
        links = [a.get_attribute("href") for a in page.query_selector_all("#search-results a")]
        assert "/linee/linea-4/" in links
        context.close()


def test_runs_side_by_side_stay_within_the_cores_and_the_page_budget():
    def survey(name, pages):
        return Survey(Bundle(name), "{x}", name, pages)

    news, en_news = survey("pagefind-news", 2000), survey("en/pagefind-news", 1900)
    rest, en_rest = survey("pagefind", 1100), survey("en/pagefind", 1000)
    turns = in_turns([rest, news, en_rest, en_news], processes=2, pages_at_once=5000)
    assert turns == [[news, en_news], [rest, en_rest]]
    # Larger bundles: each runs alone, even one over the budget by itself.
    big, other = survey("pagefind-news", 8000), survey("en/pagefind-news", 4400)
    assert in_turns([other, big], processes=2, pages_at_once=5000) == [[big], [other]]
    assert in_turns([news, en_news, rest], processes=1, pages_at_once=10**6) == [
        [news],
        [en_news],
        [rest],
    ]


def test_the_glob_names_the_levels_of_folders_that_hold_indexable_pages():
    assert pattern("notizie", "notizie/al-via/index.html") == "notizie/*/index.html"
    assert pattern("en/news", "en/news/tag/x/index.html") == "en/news/*/*/index.html"
    assert pattern("progetto", "progetto/index.html") == "progetto/index.html"
    assert pattern("404.html", "404.html") == "404.html"
    assert pattern("eventi", "eventi/a/b.ics.html") == "eventi/*/*.html"


def test_a_failing_pagefind_stops_the_build_with_a_message_and_keeps_the_site(tmp_path):
    content, data = copy_project_sources(tmp_path)
    output = tmp_path / "output"
    assert run_pelican(output, content=content, data=data).returncode == 0
    before = (output / "index.html").read_bytes()
    with open(os.path.join(content, "notizie", "2026-11-25-al-via-opensource14.en.md"), "a") as f:
        f.write("\nA change the search index must take in.\n")
    broken = stand_in_pagefind(tmp_path / "broken-pagefind", "pagefind: out of memory")
    result = run_pelican(output, content=content, data=data, env=broken)
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "Traceback" not in report
    assert "search index: Pagefind could not index en/pagefind-news:" in " ".join(report.split())
    assert "pagefind: out of memory" in report
    assert "nothing was written to the output folder" in " ".join(report.split())
    assert (output / "index.html").read_bytes() == before
    news = output / "en" / "news" / "opensource14-gets-under-way" / "index.html"
    assert "A change the search index" not in news.read_text(encoding="utf-8")


def pagefind_bundle(site, folder, *roots):
    survey = Bundle("pagefind", roots).survey(site)
    command = [pagefind_executable(), "--site", site, "--glob", survey.glob]
    command += ["--output-path", str(folder), "--root-selector", ROOT_SELECTOR, "--silent"]
    subprocess.run(command, check=True)
    return {name for name in tree(folder) if name.split("/")[0] in CONTENT_NAMED}


def test_what_a_bundle_made_over_an_older_one_uses_is_kept(site, tmp_path, monkeypatch):
    import search

    folder = tmp_path / "bundle"
    in_use = pagefind_bundle(site, folder, "linee", "territori")
    assert any(name.startswith("fragment/") for name in in_use)
    older = {"fragment/it_0000000.pf_fragment", "index/it_0000000.pf_index"}
    for name in older:  # left by the older bundle: not in this one's index
        (folder / name).write_bytes(b"old")
    kept_paths = []
    monkeypatch.setattr(search, "keep", kept_paths.append)
    assert search.keep_older_files_in_use(str(folder))
    kept_names = {os.path.relpath(path, folder) for path in kept_paths}
    meta = {name for name in tree(folder) if name.endswith(".pf_meta")}
    assert kept_names == in_use | meta

    # Another Pagefind's index, or a damaged one: not read, so the bundle is made afresh.
    (meta_path,) = meta
    (folder / meta_path).write_bytes(b"not gzip")
    assert not search.keep_older_files_in_use(str(folder))
    (folder / "pagefind-entry.json").unlink()
    assert not search.keep_older_files_in_use(str(folder))


def test_an_older_bundle_is_readied_to_be_written_over(tmp_path):
    import search

    folder, published = tmp_path / "bundle", tmp_path / "published"
    (folder / "fragment").mkdir(parents=True)
    published.mkdir()
    (folder / "input.sha256").write_text("digest of the older bundle\n")
    (folder / "fragment" / "it_1234567.pf_fragment").write_bytes(b"older")
    entry = json.dumps({"version": search.pagefind_version()})
    (published / "pagefind-entry.json").write_text(entry)
    os.link(published / "pagefind-entry.json", folder / "pagefind-entry.json")
    search.make_room(str(folder))
    # A run that fails from here leaves no digest claiming a finished bundle,
    # and none of its writes can go through a link into the published output.
    assert not (folder / "input.sha256").exists()
    assert not (folder / "pagefind-entry.json").exists()
    assert (published / "pagefind-entry.json").read_text() == entry
    assert (folder / "fragment" / "it_1234567.pf_fragment").read_bytes() == b"older"

    # Another Pagefind's bundle is not written over: it goes.
    (folder / "pagefind-entry.json").write_text(json.dumps({"version": "0.0.1"}))
    search.make_room(str(folder))
    assert not folder.exists()


def test_a_damaged_record_of_surveyed_pages_costs_reading_them_not_a_wrong_index(tmp_path):
    output = tmp_path / "output"
    assert run_pelican(output).returncode == 0
    bundle = (output / "en" / "pagefind-news" / "input.sha256").read_text()
    (record,) = (tmp_path / "output.cache").glob("it/*/search-surveyed.pickle")
    no_pagefind = stand_in_pagefind(tmp_path / "no-pagefind", "Pagefind ran")
    for damage in (b"not a pickle", pickle.dumps((1, 42)), pickle.dumps((1, ["not a dict"]))):
        record.write_bytes(damage)
        result = run_pelican(output, env=no_pagefind)
        assert result.returncode == 0, result.stdout + result.stderr
        assert (output / "en" / "pagefind-news" / "input.sha256").read_text() == bundle


def test_a_page_written_in_the_news_folder_after_the_articles_is_indexed(tmp_path):
    """The news bundles are started as soon as the articles are written; a
    page another generator writes in a news folder later makes it again."""
    content, data = copy_project_sources(tmp_path)
    output = tmp_path / "output"
    extra = {
        "PLUGIN_PATHS": ["plugins", FIXTURE_PLUGINS],
        "PLUGINS": [*project_plugins(), "late_news_page"],
    }
    for build in range(2):  # afresh, then over the staging folder's older pages
        result = run_pelican(output, content=content, data=data, extra=extra)
        assert result.returncode == 0, result.stderr
        for lang, prefix, news in (("it", (), "notizie"), ("en", ("en",), "en/news")):
            pages = [
                page
                for page in (output / news).glob("*/index.html")
                if "data-pagefind-body" in page.read_text(encoding="utf-8")
            ]
            assert output / news / "late" / "index.html" in pages
            entry = bundle_entry(output, *prefix, "pagefind-news")
            assert entry["languages"][lang]["page_count"] == len(pages), (build, lang)
            bundle = "/".join([*prefix, "pagefind-news"])
            assert_made_afresh(output, bundle, (news,), tmp_path / f"afresh{build}{lang}")
    # Each language's process surveyed and made its own bundles.
    surveyed = (tmp_path / "output.cache").glob(f"*/*/{SURVEYED_HERE}")
    assert sorted(path.parent.parent.name for path in surveyed) == ["en", "it"]


def test_runs_at_once_across_the_processes_stay_within_the_budget():
    budget = RunBudget(processes=2, pages_at_once=100)
    never = lambda: False  # noqa: E731
    assert budget.take(80, never)
    assert not budget.take(30, never)  # 110 pages
    assert budget.take(20, never)
    assert not budget.take(1, never)  # a third run
    budget.give_back(80)
    budget.give_back(20)
    assert budget.take(500, never)  # alone, a run may be as large as it is
    assert not budget.take(1, never)
    budget.give_back(500)


def test_a_wait_for_the_budget_ends_when_told_to(tmp_path):
    budget = RunBudget(processes=1, pages_at_once=100)
    assert budget.take(10, lambda: False)
    asked = []
    assert not budget.take(10, lambda: asked.append(1) or len(asked) < 3)
    assert len(asked) == 3
    budget.give_back(10)


def test_a_language_leaves_bundles_larger_than_half_the_budget_to_the_end(tmp_path):
    site = tmp_path / "staging"
    for number in range(3):
        page = site / "notizie" / f"n{number}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text("<main data-pagefind-body><p>text</p></main>")
    settings = {
        "DEFAULT_LANG": "it",
        "SITE_DEFAULT_LANG": "it",
        "CACHE_PATH": str(tmp_path / "cache"),
        "I18N_PUBLISHED_PATH": str(tmp_path / "output"),
        "I18N_SUBSITE": True,
    }
    news = Bundle("pagefind-news", ("notizie",))
    small = LanguageIndex({**settings, "SEARCH_PAGES_AT_ONCE": 6}, str(site))
    assert small.prepare(news).pages == 3
    large = LanguageIndex({**settings, "SEARCH_PAGES_AT_ONCE": 5}, str(site))
    assert large.prepare(news) is None
    assert news.folder not in large.done  # build_index makes it
