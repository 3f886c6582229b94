"""The results page (data/results.yaml): bars, a table, Babel's numbers, the empty state."""

import html
import os
import re
import shutil
import zoneinfo

import pytest
from playwright.sync_api import sync_playwright
from site_data.sitedata import load_site_data

import htmlpage
from browser import StaticServer, describe, launch, run_axe
from htmlpage import html_files, main_of, read_page, validate
from sitebuild import ROOT, copy_project_sources, run_pelican

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
RESULTS = os.path.join(FIXTURES, "results_data", "results.yaml")
PAGES = {"it": ("risultati",), "en": ("en", "results")}


@pytest.fixture(scope="module")
def results_site(tmp_path_factory):
    """The project's site with the fixture indicators of tests/fixtures/results_data."""
    root = tmp_path_factory.mktemp("results")
    content, data = copy_project_sources(root)
    shutil.copy(RESULTS, os.path.join(data, "results.yaml"))
    output = root / "output"
    result = run_pelican(output, content=content, data=data, extra={"SEARCH_INDEX": False})
    assert result.returncode == 0, result.stdout + result.stderr
    return str(output)


def results_main(site, lang):
    return main_of(htmlpage.html(site, *PAGES[lang], "index.html"))


def plain(fragment):
    """The text of an HTML fragment, as a reader gets it."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment))).strip()


def charts(main):
    """(accessible name, bar width) of every role="img" chart, via aria-labelledby."""
    found = []
    for attributes, body in re.findall(r"<svg([^>]*)>(.*?)</svg>", main, re.S):
        assert 'role="img"' in attributes
        label = re.search(r'aria-labelledby="([^"]+)"', attributes).group(1)
        name = re.search(rf'<title id="{label}">(.*?)</title>', body, re.S).group(1)
        width = re.search(r'class="indicator__bar"[^>]*width="([^"]+)"', body).group(1)
        found.append((plain(name), width))
    return found


def table_rows(main):
    table = re.search(r"<table>(.*?)</table>", main, re.S).group(1)
    return [
        [plain(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


# With indicators ------------------------------------------------------------


def test_each_indicator_is_an_image_named_with_its_numbers_unit_and_date(results_site):
    assert charts(results_main(results_site, "it")) == [
        ("57 su 200 incontri, 31 marzo 2027", "28.50%"),
        ("1.234 su 1.000 persone, 30 giugno 2027", "100.00%"),
        ("0 su 12 laboratori, 15 gennaio 2027", "0.00%"),
    ]
    assert charts(results_main(results_site, "en")) == [
        ("57 of 200 meetings, 31 March 2027", "28.50%"),
        ("1,234 of 1,000 people, 30 June 2027", "100.00%"),
        ("0 of 12 laboratori, 15 January 2027", "0.00%"),
    ]


def test_the_table_gives_every_indicator_formatted_by_babel(results_site):
    it_rows = table_rows(results_main(results_site, "it"))
    assert it_rows[0] == ["Indicatore", "Valore", "Obiettivo", "Unità", "Aggiornato al", "Fonte"]
    assert it_rows[1:3] == [
        [
            "Incontri informativi",
            "57",
            "200",
            "incontri",
            "31 marzo 2027",
            "Registri delle presenze",
        ],
        [
            "Persone informate",
            "1.234",
            "1.000",
            "persone",
            "30 giugno 2027",
            "Schede di iscrizione",
        ],
    ]
    en_rows = table_rows(results_main(results_site, "en"))
    assert en_rows[0] == ["Indicator", "Value", "Target", "Unit", "As of", "Source"]
    assert en_rows[2] == [
        "People informed",
        "1,234",
        "1,000",
        "people",
        "30 June 2027",
        "Sign-up forms",
    ]
    for lang, caption in (("it", "Tutti gli indicatori"), ("en", "All the indicators")):
        main = results_main(results_site, lang)
        assert f'<caption id="results-table-caption">{caption}</caption>' in main
        assert main.count('<th scope="col"') == 6
        assert main.count('<th scope="row">') == 3
        assert '<time datetime="2027-03-31">' in main


def test_a_value_over_its_target_fills_the_bar_and_says_the_real_value(results_site):
    for lang, text in (
        ("it", "1.234 su 1.000 persone – obiettivo raggiunto"),
        ("en", "1,234 of 1,000 people – target reached"),
    ):
        figures = re.findall(
            r'<p class="indicator__figures">(.*?)</p>', results_main(results_site, lang), re.S
        )
        assert plain(figures[1]) == text
        assert "–" not in figures[0]  # 57 of 200 is not reached


def test_untranslated_text_is_marked_and_markup_is_shown_as_text(results_site):
    english = results_main(results_site, "en")
    assert "<script>alert" not in english
    assert "<b>Verbali" not in english
    assert (
        '<span lang="it">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Laboratori</span>'
        in english
    )
    assert '<span lang="it">&lt;b&gt;Verbali&lt;/b&gt;</span>' in english
    assert "&lt;script&gt;" in results_main(results_site, "it")


def test_with_indicators_the_page_does_not_say_none_are_published(results_site):
    assert "non ha ancora pubblicato" not in results_main(results_site, "it")
    assert "has not published" not in results_main(results_site, "en")


def test_the_pages_with_indicators_are_valid_html(results_site, tmp_path):
    for lang, parts in PAGES.items():
        shutil.copy(os.path.join(results_site, *parts, "index.html"), tmp_path / f"{lang}.html")
    returncode, errors = validate(tmp_path)
    assert errors == []
    assert returncode == 0


# No indicators (the events fixture has no results.yaml) ---------------------------


def test_without_indicators_the_page_says_when_results_will_come_and_shows_no_numbers(
    events_site,
):
    expected = {
        "it": "Il progetto non ha ancora pubblicato risultati. Saranno pubblicati in questa "
        "pagina man mano che il progetto li misura, durante i suoi 24 mesi e alla sua "
        "conclusione.",
        "en": "The project has not published results yet. They will be published on this page "
        "as the project measures them, during its 24 months and at its end.",
    }
    for lang, text in expected.items():
        main = results_main(events_site, lang)
        assert text in plain(main)
        assert "<svg" not in main
        assert "<table" not in main
        # The only number is the project's duration, from its project.yaml.
        assert re.findall(r"\d+", plain(main)) == ["24"]


def test_the_page_is_linked_from_the_project_page_and_the_footer_of_every_page(site):
    assert 'href="/risultati/"' in project_section(site, "progetto")
    assert 'href="/en/results/"' in project_section(site, "en", "project")
    unlinked = []
    for path in html_files(site):
        page = read_page(path)
        target = "/en/results/" if page.html_lang == "en" else "/risultati/"
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        footer = text[text.index('<footer class="site-footer">') :]
        if f'<li><a href="{target}">' not in footer:
            unlinked.append(path)
    assert unlinked == []


def project_section(site, *parts):
    with open(os.path.join(site, *parts, "index.html"), encoding="utf-8") as handle:
        text = handle.read()
    start = text.index('<section aria-labelledby="project-results">')
    return text[start : text.index("</section>", start)]


def test_the_pages_are_each_others_translations_and_in_the_sitemap(site):
    italian = read_page(os.path.join(site, "risultati", "index.html"))
    english = read_page(os.path.join(site, "en", "results", "index.html"))
    for page in (italian, english):
        assert page.alternates == {
            "it": "/risultati/",
            "en": "/en/results/",
            "x-default": "/risultati/",
        }
    assert italian.title == "Risultati – OpenSource14"
    assert english.title == "Results – OpenSource14"
    with open(os.path.join(site, "sitemap.xml"), encoding="utf-8") as handle:
        sitemap = handle.read()
    for loc in ("/risultati/", "/en/results/"):
        assert f"<loc>http://127.0.0.1:8000{loc}</loc>" in sitemap


# Editors' mistakes ------------------------------------------------------------------

BASE = os.path.join(FIXTURES, "data_base")
GOOD = """\
- id: meetings
  name: {it: Incontri, en: Meetings}
  unit: {it: incontri, en: meetings}
  target: 200
  value: 57
  as_of: 2027-03-31
  source: {it: Registri, en: Registers}
"""


def load(data_dir):
    return load_site_data(
        data_dir,
        languages=("it", "en"),
        default_lang="it",
        timezone=zoneinfo.ZoneInfo("Europe/Rome"),
        content_path=os.path.join(ROOT, "content"),
    )


def problems_with(tmp_path, monkeypatch, text):
    shutil.copytree(BASE, tmp_path / "data")
    if text is not None:
        (tmp_path / "data" / "results.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    data, problems = load("data")
    return data, [str(problem) for problem in problems]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("value: 57", "value: -3"),
            "data/results.yaml:5:10: results[0].value: -3 is out of range (input should be "
            "greater than or equal to 0) (write a number of at least 0)",
        ),
        (
            ("target: 200", "target: 0"),
            "data/results.yaml:4:11: results[0].target: 0 is out of range (input should be "
            "greater than 0) (write a number greater than 0)",
        ),
        (
            ("as_of: 2027-03-31", "as_of: 2027-02-30"),
            "data/results.yaml:6:10: results[0].as_of: '2027-02-30' is not a valid date "
            "(write the date as YYYY-MM-DD, e.g. 2026-03-03)",
        ),
        (
            ("as_of: 2027-03-31", "as_of: 31/03/2027"),
            "data/results.yaml:6:10: results[0].as_of: '31/03/2027' is not a valid date "
            "(write the date as YYYY-MM-DD, e.g. 2026-03-03)",
        ),
        (
            ("id: meetings", "id: Meetings 2027"),
            "data/results.yaml:1:7: results[0].id: 'Meetings 2027' is not a valid id (use "
            "lowercase letters, digits and single hyphens, e.g. monza-e-brianza)",
        ),
        (
            ("  unit: {it: incontri, en: meetings}\n", ""),
            "data/results.yaml:1:3: results[0].unit: required field is missing (add 'unit: …')",
        ),
        (
            ("name: {it: Incontri, en: Meetings}", "name: {en: Meetings}"),
            "data/results.yaml:2:9: results[0].name: the text in 'it' is missing "
            "(add 'it: …' with the text in that language)",
        ),
    ],
    ids=[
        "negative-value",
        "target-0",
        "impossible-date",
        "date-format",
        "bad-id",
        "no-unit",
        "no-italian",
    ],
)
def test_each_mistake_is_reported_at_its_line_with_the_fix(tmp_path, monkeypatch, change, expected):
    old, new = change
    assert old in GOOD
    _, problems = problems_with(tmp_path, monkeypatch, GOOD.replace(old, new))
    assert problems == [expected]


def test_a_duplicate_id_names_the_line_that_has_it_first(tmp_path, monkeypatch):
    _, problems = problems_with(tmp_path, monkeypatch, GOOD + GOOD)
    assert problems == [
        "data/results.yaml:8:7: results[1].id: duplicate id 'meetings' "
        "(line 1 already uses it; ids must be unique)"
    ]


@pytest.mark.parametrize("text", [None, "", "# nothing yet\n", "[]\n"], ids=repr)
def test_the_file_may_be_missing_or_empty(tmp_path, monkeypatch, text):
    data, problems = problems_with(tmp_path, monkeypatch, text)
    assert problems == []
    assert data.results == []


def test_a_valid_file_is_read(tmp_path, monkeypatch):
    data, problems = problems_with(tmp_path, monkeypatch, GOOD)
    assert problems == []
    [indicator] = data.results
    assert (indicator.id, indicator.value, indicator.target, indicator.filled) == (
        "meetings",
        57,
        200,
        0.285,
    )


def test_a_bad_results_file_stops_the_build_with_the_editors_report(tmp_path):
    content, data = copy_project_sources(tmp_path)
    with open(os.path.join(data, "results.yaml"), "w", encoding="utf-8") as handle:
        handle.write(GOOD.replace("value: 57", "value: -3"))
    output = tmp_path / "output"
    result = run_pelican(output, content=content, data=data)
    assert result.returncode != 0
    assert (
        "results.yaml:5:10: results[0].value: -3 is out of range (input should be greater "
        "than or equal to 0) (write a number of at least 0)" in result.stdout + result.stderr
    )
    assert not output.exists()


# In a browser -------------------------------------------------------------------------


@pytest.mark.browser
def test_the_results_page_passes_axe_and_fits_a_phone(results_site):
    with StaticServer(results_site) as server, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for width in (1280, 320):
                page = browser.new_page(viewport={"width": width, "height": 800})
                for url in ("/risultati/", "/en/results/"):
                    page.goto(server.url + url)
                    violations = run_axe(page)
                    assert not violations, f"{url} at {width} px\n{describe(violations)}"
                    assert page.evaluate("document.documentElement.scrollWidth") <= width
                    bars = page.locator(".indicator__bar")
                    track = page.locator(".indicator__chart").first.bounding_box()
                    full = bars.nth(1).bounding_box()  # over its target: the whole track
                    assert abs(full["width"] - (track["width"] - 2)) < 1
                    assert bars.nth(0).bounding_box()["width"] < full["width"] * 0.3
                page.close()
        finally:
            browser.close()
