"""Pages made from data/: partners, intervention lines, the project's facts."""

import os
import re

import pytest
import yaml

from htmlpage import html, read_page
from sitebuild import copy_project_sources, run_pelican


def test_partners_page_lists_the_lead_first_then_by_territory(site):
    expected = {
        "partner": ["Capofila", "Lodi", "Mantova", "Milano", "Altri partner"],
        "en/partners": [
            "Lead partner",
            '<span lang="it">Lodi</span>',
            "Mantua",
            "Milan",
            "Other partners",
        ],
    }
    for path, headings in expected.items():
        text = html(site, *path.split("/"), "index.html")
        main = text[text.index("<main") : text.index("</main>")]
        assert re.findall(r'<h2 id="[^"]+">(.*?)</h2>', main) == headings
        lead = main.index("Mestieri Lombardia Consorzio di Cooperative Sociali")
        assert lead < main.index("ACSI-Azienda speciale Consortile Servizi Intercomunali")
    italian = html(site, "partner", "index.html")
    assert italian.count("ProgettAzione Cooperativa Sociale") == 3  # Lodi, Mantova, Milano
    # The seed calls ACSI the lead body of the Ambito di Lodi, not a public body: no kind.
    assert "Ente pubblico" not in italian
    assert '<p class="partner__kind">Consorzio</p>' in italian
    english = html(site, "en", "partners", "index.html")
    assert '<p class="partner__kind">Consortium</p>' in english


def test_partners_page_groups_in_territory_order(site):
    italian = html(site, "partner", "index.html")
    positions = [italian.index(f'id="partners-{t}"') for t in ("lodi", "mantova", "milano")]
    assert positions == sorted(positions)
    assert 'id="partners-elsewhere"' in italian
    assert 'id="partners-bergamo"' not in italian  # no partner is placed there


def test_line_pages_in_both_languages(site):
    italian = read_page(os.path.join(site, "linee", "linea-4", "index.html"))
    english = read_page(os.path.join(site, "en", "lines", "linea-4", "index.html"))
    assert italian.alternates["en"] == "/en/lines/linea-4/"
    assert english.alternates["it"] == "/linee/linea-4/"
    text = html(site, "linee", "linea-4", "index.html")
    assert "Linea 4 – Gemellaggi e reti per la diffusione delle sperimentazioni sociali" in text
    assert "<h2>Profili di orientamento per l’occupabilità: lo strumento Q-OLAF</h2>" in text
    assert "Line 4 – Twinning and networks" in html(site, "en", "lines", "linea-4", "index.html")


def test_project_page_reads_its_facts_from_data(site):
    italian = html(site, "progetto", "index.html")
    english = html(site, "en", "project", "index.html")
    assert "<dd>249.517,74\xa0€</dd>" in italian
    assert "<dd>197.119,02\xa0€</dd>" in italian
    assert "<dd>24 mesi</dd>" in italian
    assert "<dd>€249,517.74</dd>" in english
    assert "<dd>24 months</dd>" in english
    for text in (italian, english):
        assert "DGR XI/7501" in text
        assert "ESO 4.8" in text
        assert "eu-emblem.svg" in text


def test_links_to_data_pages_from_markdown_follow_the_language(site):
    assert 'href="/linee/linea-4/"' in html(site, "progetto", "index.html")
    assert 'href="/en/lines/linea-4/"' in html(site, "en", "project", "index.html")


HOSTILE = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    content, data = copy_project_sources(root)
    with open(os.path.join(data, "partners.yaml"), encoding="utf-8") as handle:
        partners = yaml.safe_load(handle)
    partners[1]["name"] = f"Consorzio {HOSTILE}"
    partners[1]["description"] = {"it": f'<img src=x onerror="alert(1)"> {HOSTILE}'}
    with open(os.path.join(data, "partners.yaml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(partners, handle, allow_unicode=True)
    with open(os.path.join(data, "lines.yaml"), encoding="utf-8") as handle:
        lines = yaml.safe_load(handle)
    lines[0]["description"]["it"] += (
        f"\n\n{HOSTILE}\n\n[clic](javascript:alert(1)) <iframe src='https://example.org'></iframe>"
        '\n\n<a href="https://example.org" onclick="alert(1)">link</a>\n'
    )
    with open(os.path.join(data, "lines.yaml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(lines, handle, allow_unicode=True)
    result = run_pelican(root / "output", content=content, data=data)
    assert result.returncode == 0, result.stderr
    return str(root / "output")


def test_text_from_yaml_is_escaped(hostile_site):
    for path in (
        ("partner", "index.html"),
        ("progetto", "index.html"),
        ("en", "partners", "index.html"),
    ):
        text = html(hostile_site, *path)
        assert "<script>alert" not in text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
        assert "<img src=x" not in text


def test_markdown_from_yaml_is_sanitized(hostile_site):
    page = html(hostile_site, "linee", "linea-4", "index.html")
    # The line's own text: the theme's scripts come after the main content.
    text = page[page.index("<main") : page.index("</main>")]
    assert "<script" not in text
    assert "<iframe" not in text
    assert "javascript:" not in text
    assert "onclick" not in text
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in text


def test_bad_data_stops_the_build_and_keeps_the_output(tmp_path):
    content, data = copy_project_sources(tmp_path)
    with open(os.path.join(data, "partners.yaml"), "a", encoding="utf-8") as handle:
        handle.write("\n- id: nuovo\n  name: Nuovo partner\n  territories: [lodl]\n")
    output = tmp_path / "output"
    output.mkdir()
    (output / "keep.html").write_text("previous")
    for extra in ({}, {"CHECK_ONLY": True}):
        result = run_pelican(output, content=content, data=data, extra=extra)
        report = result.stdout + result.stderr
        assert result.returncode == 1
        assert "Traceback" not in report
        assert re.search(
            r"data/partners\.yaml:\d+:\d+: partners\[20\]\.territories\[0\]: "
            r"unknown territory 'lodl' \(did you mean 'lodi'\?\)",
            report,
        ), report
        assert os.listdir(output) == ["keep.html"]
