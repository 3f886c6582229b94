"""Companies, from reading to acting: "does it apply to me", the quota
helper, and each province's placement office and framework convention."""

import os
import re
import shutil
from decimal import Decimal

import pytest
import yaml

from browser import describe, run_axe
from htmlpage import html, main_of, read_page
from sitebuild import ROOT, run_pelican

PLACEMENT = os.path.join(os.path.dirname(__file__), "fixtures", "companies", "placement.yaml")
PAGE = {"it": "per-le-aziende/ti-riguarda", "en": "en/for-companies/does-it-apply"}
TERRITORY = {"it": "territori", "en": "en/territories"}


def main_at(site, path):
    return main_of(html(site, path, "index.html"))


@pytest.fixture(scope="module")
def filled_site(tmp_path_factory):
    """The project's content with placement offices and a convention filled in."""
    root = tmp_path_factory.mktemp("companies")
    data = root / "data"
    shutil.copytree(os.path.join(ROOT, "data"), data)
    with open(PLACEMENT, encoding="utf-8") as handle:
        extra = yaml.safe_load(handle)
    with open(data / "territories.yaml", encoding="utf-8") as handle:
        territories = yaml.safe_load(handle)
    for territory in territories:
        territory.pop("placement_office", None)
        territory.pop("framework_convention", None)
        territory.update(extra.get(territory["id"], {}))
    (data / "territories.yaml").write_text(yaml.safe_dump(territories, allow_unicode=True))
    result = run_pelican(root / "output", data=data, extra={"SEARCH_INDEX": False})
    assert result.returncode == 0, result.stdout + result.stderr
    return str(root / "output")


# The pages and their links ------------------------------------------------


def test_the_pages_are_each_others_translation(site):
    italian = read_page(os.path.join(site, PAGE["it"], "index.html"))
    english = read_page(os.path.join(site, PAGE["en"], "index.html"))
    assert italian.alternates["en"] == "/" + PAGE["en"] + "/"
    assert english.alternates["it"] == "/" + PAGE["it"] + "/"


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_companies_page_and_every_territory_page_link_it(site, lang):
    target = f'href="/{PAGE[lang]}/"'
    companies = {"it": "per-le-aziende", "en": "en/for-companies"}[lang]
    assert target in main_at(site, companies)
    for territory in ("bergamo", "lodi", "varese"):
        assert target in main_at(site, f"{TERRITORY[lang]}/{territory}")


@pytest.mark.parametrize(
    ("lang", "rows"),
    [
        ("it", [("da 15 a 35", "1 lavoratore"), ("da 36 a 50", "2 lavoratori")]),
        ("en", [("15 to 35", "1 worker"), ("36 to 50", "2 workers")]),
    ],
)
def test_the_bands_are_a_table_in_the_page(site, lang, rows):
    text = main_at(site, PAGE[lang])
    table = text[text.index("<table") : text.index("</table>")]
    assert "<th>" in table
    for employees, workers in rows:
        assert re.search(rf"<td>{employees}</td>\s*<td>{workers}</td>", table)
    assert "7%" in table


def test_the_official_texts_and_siul_are_linked(site):
    text = main_at(site, PAGE["it"])
    assert 'href="https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:legge:1999-03-12;68"' in text
    assert "decreto.legislativo:2003-09-10;276" in text
    assert 'href="https://siul.servizirl.it/siul-l68/"' in text
    assert "DGR XI/2460 del 18 novembre 2019" in text


# Provinces: filled and empty ------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "coefficient", "approved", "cap"),
    [("it", "35.000\xa0€", "31 gennaio 2020", "30%"), ("en", "€35,000", "31 January 2020", "30%")],
)
def test_a_filled_province_shows_its_office_and_convention(
    filled_site, lang, coefficient, approved, cap
):
    for path in (f"{TERRITORY[lang]}/lodi", PAGE[lang]):
        text = main_at(filled_site, path)
        assert "Collocamento mirato &lt;Lodi&gt; &amp; provincia" in text  # escaped
        assert "Via Esempio 1, 26900 Lodi" in text
        assert '<a href="tel:+390371123456">0371 123 456</a>' in text
        assert '<a href="mailto:collocamento@example.org">' in text
        assert 'href="https://www.example.org/collocamento"' in text
        assert (
            'href="https://www.example.org/fonte-ufficio">www.example.org<span class="visually-hidden">'
            " – Collocamento mirato &lt;Lodi&gt; &amp; provincia</span></a>"
        ) in text
        assert 'href="https://www.example.org/convenzione-quadro.pdf"' in text
        assert 'href="https://www.example.org/fonte-convenzione"' in text
        assert f"<dd>{coefficient}</dd>" in text
        assert approved in text
        assert f"<dd>{cap}</dd>" in text


@pytest.mark.parametrize(
    ("lang", "words"),
    [("it", "La provincia presenta la sua convenzione quadro"), ("en", "The province explains")],
)
def test_a_convention_known_only_by_its_page_links_that_page(filled_site, lang, words):
    for path in (f"{TERRITORY[lang]}/mantova", PAGE[lang]):
        text = main_at(filled_site, path)
        assert words in text
        assert 'href="https://www.example.org/mantova-convenzione">www.example.org<span' in text
        assert "<dl" not in text[text.index(words) - 400 : text.index(words)]


@pytest.mark.parametrize("lang", ["it", "en"])
def test_links_to_different_places_have_different_names(filled_site, lang):
    """A screen reader's list of links tells the offices and sources apart."""
    names = {}
    for href, name in re.findall(
        r'<a href="([^"]+)"[^>]*>(.*?)</a>', main_at(filled_site, PAGE[lang])
    ):
        names.setdefault(re.sub(r"<[^>]+>", "", name).strip(), set()).add(href)
    assert {name: hrefs for name, hrefs in names.items() if len(hrefs) > 1} == {}


def test_an_office_without_a_convention_says_so_and_keeps_the_country_code(filled_site):
    text = main_at(filled_site, "territori/pavia")
    assert '<a href="tel:+390382000000">+39 0382 000 000</a>' in text
    assert "non ha ancora pubblicato la convenzione quadro" in text


@pytest.mark.parametrize(
    ("lang", "not_published"), [("it", "non ha ancora pubblicato"), ("en", "has not published")]
)
def test_an_empty_province_says_whom_to_ask(filled_site, lang, not_published):
    text = main_at(filled_site, f"{TERRITORY[lang]}/bergamo")
    office = text[text.index('id="territory-office"') : text.index('id="territory-events"')]
    assert not_published in office
    assert 'href="mailto:gianmarco.locatelli@ufficiodipiano.lodi.it"' in office
    assert "tel:" not in office
    listing = main_at(filled_site, PAGE[lang])
    others = listing[listing.index('id="provinces-title"') :]
    assert f'href="/{TERRITORY[lang]}/bergamo/"' in others
    # Lodi has its own section, so it is not among the provinces without facts.
    assert others.count(f'href="/{TERRITORY[lang]}/lodi/"') == 1


def test_the_real_data_shows_only_sourced_offices(site):
    with open(os.path.join(ROOT, "data", "territories.yaml"), encoding="utf-8") as handle:
        territories = yaml.safe_load(handle)
    assert any(territory.get("placement_office") for territory in territories)
    for territory in territories:
        text = main_at(site, f"territori/{territory['id']}")
        for field in ("placement_office", "framework_convention"):
            facts = territory.get(field)
            if facts:
                assert facts["source"].startswith("https://")
                assert f'href="{facts["source"]}"'.replace("&", "&amp;") in text


# Territory pages written for visitors ---------------------------------------


@pytest.mark.parametrize(
    ("lang", "across"), [("it", "lavora in tutta la Lombardia"), ("en", "works across Lombardy")]
)
def test_a_province_without_activity_says_what_the_project_does(site, lang, across):
    quiet = main_at(site, f"{TERRITORY[lang]}/bergamo")
    assert across in quiet
    assert "announcement does not name" not in quiet
    assert "La presentazione del progetto non indica" not in quiet
    busy = main_at(site, f"{TERRITORY[lang]}/lodi")
    assert across not in busy


def test_a_quiet_province_links_its_active_neighbours(site):
    # Como touches Milano on the map, where the project works (line 4).
    text = main_at(site, "territori/como")
    nearby = text[text.index("Attività nelle province vicine") :]
    assert 'href="/territori/milano/"' in nearby
    assert 'href="/territori/varese/"' not in nearby  # a neighbour without activity


def test_a_province_without_events_shows_the_next_ones_in_lombardy(events_site):
    # In the events fixture Pavia has no event; the next ones elsewhere, cancelled left out.
    text = main_at(events_site, "territori/pavia")
    section = text[text.index("Prossimi eventi in Lombardia") :]
    assert re.findall(r'href="/eventi/([^/"]+)/"', section)[:3] == [
        "webinar-art-14",
        "incontro-rinviato",
        "incontro-lodi-marzo",
    ]


def test_phone_links_and_amounts_in_euros():
    from website.formatting import Formatter, tel_href

    assert tel_href("0371 123.456") == "tel:+390371123456"
    assert tel_href("0039 02/123 45") == "tel:+390212345"
    assert tel_href("+41 91 000 00 00") == "tel:+41910000000"
    italian, english = Formatter("it", "Europe/Rome"), Formatter("en", "Europe/Rome")
    assert italian.euros(35000) == "35.000\xa0€"
    assert english.euros(35000) == "€35,000"
    assert italian.euros(Decimal("1234.5")) == "1.234,50\xa0€"
    assert english.euros(Decimal("1234.5")) == "€1,234.50"


# The quota helper in a browser ----------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize(
    ("lang", "answers"),
    [
        (
            "it",
            {
                "0": "Con 0 dipendenti la quota dell'articolo 3 non si applica",
                "1": "Con 1 dipendente la quota dell'articolo 3 non si applica",
                "14": "Con 14 dipendenti la quota dell'articolo 3 non si applica",
                "15": "Con 15 dipendenti la quota è di 1 lavoratore con disabilità.",
                "35": "Con 35 dipendenti la quota è di 1 lavoratore con disabilità.",
                "36": "Con 36 dipendenti la quota è di 2 lavoratori con disabilità.",
                "50": "Con 50 dipendenti la quota è di 2 lavoratori con disabilità.",
                "51": "Con 51 dipendenti la quota è il 7% dei lavoratori occupati: circa 3,6",
                "10": "Con 10 dipendenti la quota dell'articolo 3 non si applica",
                "20": "Con 20 dipendenti la quota è di 1 lavoratore con disabilità.",
                "40": "Con 40 dipendenti la quota è di 2 lavoratori con disabilità.",
                "130": "Con 130 dipendenti la quota è il 7% dei lavoratori occupati: circa 9,1 lavoratori",
                "12500": "Con 12.500 dipendenti la quota è il 7% dei lavoratori occupati: circa 875",
                "4.5": "Scrivi il numero di dipendenti come numero intero",
            },
        ),
        (
            "en",
            {
                "1": "With 1 employee the quota of article 3 does not apply",
                "10": "With 10 employees the quota of article 3 does not apply",
                "20": "With 20 employees the quota is 1 worker with a disability.",
                "40": "With 40 employees the quota is 2 workers with disabilities.",
                "130": "With 130 employees the quota is 7% of the workforce: about 9.1 workers",
                "12500": "With 12,500 employees the quota is 7% of the workforce: about 875",
                "-3": "Write the number of employees as a whole number",
                "1e": "Write the number of employees as a whole number",
            },
        ),
    ],
)
def test_the_quota_helper_answers_in_a_live_region(browser, lang, answers):
    base, chromium = browser
    page = chromium.new_page()
    page.goto(f"{base}/{PAGE[lang]}/")
    helper = page.locator("#quota-helper")
    assert helper.is_visible()
    # It enhances the table: it ends the table's section, before the next heading.
    assert page.evaluate(
        "[...document.querySelectorAll('.prose table ~ *')].map(e => (e.id === 'quota-helper' ? e.id : e.tagName)).slice(0, 3)"
    ) == ["P", "quota-helper", "H2"]
    answer = page.locator("#quota-answer")
    assert answer.get_attribute("role") == "status"
    field = page.get_by_label({"it": "Numero di dipendenti", "en": "Number of employees"}[lang])
    for employees, expected in answers.items():
        field.fill("")
        field.press_sequentially(employees)
        assert expected in answer.inner_text()
        invalid = "whole number" in expected or "numero intero" in expected
        assert field.get_attribute("aria-invalid") == ("true" if invalid else None)
    caveat = page.locator("#quota-caveat").inner_text()
    assert "collocamento mirato" in caveat or "targeted placement" in caveat
    assert not run_axe(page), describe(run_axe(page))
    page.close()


@pytest.mark.browser
def test_without_javascript_the_table_answers_and_no_helper_shows(browser):
    base, chromium = browser
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/{PAGE['it']}/")
    assert page.locator(".prose table").is_visible()
    assert page.get_by_role("cell", name="da 36 a 50").is_visible()
    assert not page.locator("#quota-helper").is_visible()
    context.close()
