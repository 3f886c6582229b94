"""The territories plugin: one page per territory and language, an index with a map."""

import os
import re
import shutil
from xml.etree import ElementTree

import pytest
import yaml

from htmlpage import html, main_of, read_page
from sitebuild import ROOT, events_fixture_content, run_pelican

FIXTURE_DATA = os.path.join(os.path.dirname(__file__), "fixtures", "events_data")
SVG = "{http://www.w3.org/2000/svg}"


def test_one_page_per_territory_and_language(site):
    with open(os.path.join(ROOT, "data", "territories.yaml"), encoding="utf-8") as handle:
        ids = [t["id"] for t in yaml.safe_load(handle)]
    assert len(ids) == 12
    for territory in ids:
        italian = read_page(os.path.join(site, "territori", territory, "index.html"))
        english = read_page(os.path.join(site, "en", "territories", territory, "index.html"))
        assert italian.alternates["en"] == f"/en/territories/{territory}/"
        assert english.alternates["it"] == f"/territori/{territory}/"


def test_territory_page_shows_name_partners_contacts_and_breadcrumbs(events_site):
    text = main_of(html(events_site, "territori", "lodi", "index.html"))
    assert "<h1>Lodi</h1>" in text
    assert "Cooperativa di Lodi" in text
    assert "Sportello di Lodi" in text
    assert 'href="mailto:sportello@example.org"' in text
    crumbs = re.findall(r'<nav class="breadcrumbs".*?</nav>', text, re.S)[0]
    assert re.findall(r'href="([^"]+)"', crumbs) == ["/", "/territori/", "/territori/lodi/"]


def test_upcoming_events_next_first_then_the_three_latest_past(events_site):
    text = main_of(html(events_site, "territori", "lodi", "index.html"))
    upcoming = text[text.index('id="territory-events"') : text.index("Eventi recenti")]
    order = re.findall(r'href="/eventi/([^/"]+)/"', upcoming)
    assert order == ["incontro-annullato", "incontro-lodi-marzo", "workshop-lodi-aprile"]
    recent = text[text.index("Eventi recenti") : text.index('id="territory-partners"')]
    assert re.findall(r'href="/eventi/([^/"]+)/"', recent) == [
        "passato-4",
        "passato-3",
        "passato-2",
    ]
    assert "mercoledì 3 marzo 2027, 14:30–17:00" in upcoming
    assert "Sala consiliare, Piazza della Vittoria 1, Lodi" in upcoming
    assert "Aziende, Consulenti del lavoro" in upcoming
    assert "Incontro informativo" in upcoming


def test_territory_links_its_calendar_once_it_has_events(events_site, site):
    assert 'href="/territori/lodi/calendario.ics"' in html(
        events_site, "territori", "lodi", "index.html"
    )
    assert 'href="/en/territories/lodi/calendar.ics"' in html(
        events_site, "en", "territories", "lodi", "index.html"
    )
    assert "calendario.ics" not in html(site, "territori", "lodi", "index.html")
    assert "calendario.ics" not in html(events_site, "territori", "pavia", "index.html")


def test_index_has_a_map_of_links_with_names_and_a_text_list(events_site):
    text = html(events_site, "territori", "index.html")
    svg_text = re.search(r"<svg.*?</svg>", text, re.S).group(0)
    svg = ElementTree.fromstring(svg_text)
    links = svg.findall(f"{SVG}a")
    labels = {a.get("href"): a.get("aria-label") for a in links}
    # Mantova has no place on the map; it is still in the list.
    assert set(labels) == {
        "/territori/lodi/",
        "/territori/milano/",
        "/territori/cremona/",
        "/territori/pavia/",
    }
    # Each name starts with the tile's visible code (WCAG 2.5.3).
    assert labels["/territori/lodi/"] == "LO – Lodi – attività del progetto"
    assert labels["/territori/pavia/"] == "PV – Pavia"
    assert svg.find(f"{SVG}title").text
    list_part = text[text.index('<ul class="territory-list">') :]
    for territory in ("lodi", "milano", "cremona", "mantova", "pavia"):
        assert f'href="/territori/{territory}/"' in list_part


def test_activity_is_shown_by_more_than_colour(events_site):
    svg = ElementTree.fromstring(
        re.search(r"<svg.*?</svg>", html(events_site, "territori", "index.html"), re.S).group(0)
    )
    for link in svg.findall(f"{SVG}a"):
        active = "territory-map__tile--active" in link.get("class")
        has_marker = link.find(f"{SVG}circle") is not None
        says_so = "attività" in link.get("aria-label")
        assert active == has_marker == says_so, link.get("href")
    english = html(events_site, "en", "territories", "index.html")
    assert 'aria-label="LO – Lodi – project activity"' in english
    assert "(1 partner, 3 upcoming events, 1 workshop)" in english


def test_home_page_has_the_near_you_entry_point(site):
    text = html(site, "index.html")
    assert 'id="near-you"' in text
    assert 'href="/territori/lodi/"' in text
    assert 'href="/territori/"' in text


def test_territories_are_in_the_sitemap(site):
    with open(os.path.join(site, "sitemap.xml"), encoding="utf-8") as handle:
        sitemap = handle.read()
    assert "<loc>http://127.0.0.1:8000/territori/monza-e-brianza/</loc>" in sitemap
    assert 'hreflang="en" href="http://127.0.0.1:8000/en/territories/monza-e-brianza/"' in sitemap


@pytest.fixture
def edited_data(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    path = data / "territories.yaml"
    territories = yaml.safe_load(path.read_text())
    territories = [t for t in territories if t["id"] != "pavia"]  # removed
    for territory in territories:
        if territory["id"] == "cremona":
            territory["name"] = "Cremona e provincia"  # renamed
    territories.append({"id": "varese", "name": "Varese", "map": {"column": 1, "row": 1}})
    path.write_text(yaml.safe_dump(territories, allow_unicode=True))
    return data


def test_adding_renaming_removing_territories_needs_no_code(tmp_path, edited_data):
    output = tmp_path / "output"
    content = events_fixture_content(tmp_path)
    result = run_pelican(
        output, content=content, data=str(edited_data), env={"SOURCE_DATE_EPOCH": "1800010800"}
    )
    assert result.returncode == 0, result.stderr
    assert not (output / "territori" / "pavia").exists()
    assert not (output / "en" / "territories" / "pavia").exists()
    assert (output / "territori" / "varese" / "index.html").exists()
    assert (output / "en" / "territories" / "varese" / "index.html").exists()
    assert (
        "<h1>Cremona e provincia</h1>"
        in (output / "territori" / "cremona" / "index.html").read_text()
    )
    index = (output / "territori" / "index.html").read_text()
    assert 'href="/territori/varese/"' in index
    assert "/territori/pavia/" not in index
