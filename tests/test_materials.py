"""Workshop materials: pages, downloads, checksums, reproducible ZIPs, errors."""

import hashlib
import os
import re
import shutil
import zipfile

import pytest

from htmlpage import html, main_of, read_page
from sitebuild import events_fixture_content, run_pelican
from website.formatting import Formatter

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
SOURCES = os.path.join(FIXTURES, "materials", "materiali", "workshop-lodi")
EPOCH = {"SOURCE_DATE_EPOCH": "1800010800"}


def digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_sizes_are_localized_by_babel():
    italian, english = Formatter("it_IT", "Europe/Rome"), Formatter("en_GB", "Europe/Rome")
    assert italian.filesize(1_234_567) == "1,2 MB"
    assert english.filesize(1_234_567) == "1.2 MB"
    assert italian.filesize(2345) == "2 kB"
    assert english.filesize(37) == "37 byte"


def test_workshop_page_describes_each_material(events_site):
    text = main_of(html(events_site, "materiali", "workshop-lodi", "index.html"))
    card = text[text.index("Guida alle Convenzioni ex art. 14") :]
    card = card[: card.index("</li>")]
    assert "<dd>PDF</dd>" in card
    assert "<dd>1,2 MB</dd>" in card
    assert "<dd>italiano</dd>" in card
    assert '<time datetime="2027-04-10">10 aprile 2027</time>' in card
    assert digest(os.path.join(SOURCES, "guida.pdf")) in card
    assert (
        '<a class="button" href="/materiali/workshop-lodi/'
        'opensource14-guida-alle-convenzioni-ex-art-14.pdf" download hreflang="it">' in card
    )
    assert "Non è un PDF accessibile (tagged)" in card
    slides = text[text.index("Le slide del workshop") :]
    assert "<dd>CC BY 4.0</dd>" in slides[: slides.index("</li>")]
    assert 'href="/materiali/workshop-lodi/opensource14-versione-facile-da-leggere.pdf"' in slides


def test_the_english_page_links_the_same_downloads(events_site):
    page = read_page(os.path.join(events_site, "en", "materials", "workshop-lodi", "index.html"))
    assert page.alternates["it"] == "/materiali/workshop-lodi/"
    text = main_of(html(events_site, "en", "materials", "workshop-lodi", "index.html"))
    assert "<h1>Art. 14 conventions for social cooperatives</h1>" in text
    assert "<dd>1.2 MB</dd>" in text
    assert "<dd>Italian</dd>" in text
    assert "<dd>English</dd>" in text  # the application form is in English
    assert 'href="/materiali/workshop-lodi/opensource14-le-slide-del-workshop.pdf"' in text


def test_downloads_are_the_files_themselves(events_site):
    folder = os.path.join(events_site, "materiali", "workshop-lodi")
    published = {
        "opensource14-le-slide-del-workshop.pdf": "slide.pdf",
        "opensource14-guida-alle-convenzioni-ex-art-14.pdf": "guida.pdf",
        "opensource14-modulo-di-adesione.docx": "modulo.docx",
        "opensource14-versione-facile-da-leggere.pdf": "facile.pdf",
    }
    for name, source in published.items():
        assert digest(os.path.join(folder, name)) == digest(os.path.join(SOURCES, source))
    with zipfile.ZipFile(os.path.join(folder, "opensource14-workshop-lodi.zip")) as archive:
        assert sorted(archive.namelist()) == sorted(published)
        for name, source in published.items():
            with open(os.path.join(SOURCES, source), "rb") as handle:
                assert archive.read(name) == handle.read()
    zip_size = os.path.getsize(os.path.join(folder, "opensource14-workshop-lodi.zip"))
    assert f"(ZIP, {Formatter('it_IT', 'Europe/Rome').filesize(zip_size)})" in html(
        events_site, "materiali", "workshop-lodi", "index.html"
    )


def test_the_zip_is_byte_for_byte_the_same_from_one_build_to_the_next(events_site, tmp_path):
    content = events_fixture_content(tmp_path)
    # A later build, on another day, with the files touched in between.
    folder = os.path.join(content, "materiali", "workshop-lodi")
    for name in os.listdir(folder):
        os.utime(os.path.join(folder, name), (1, 1))
    result = run_pelican(
        tmp_path / "again",
        content=content,
        data=os.path.join(FIXTURES, "events_data"),
        env={"SOURCE_DATE_EPOCH": "1800097200"},
    )
    assert result.returncode == 0, result.stderr
    zip_path = ("materiali", "workshop-lodi", "opensource14-workshop-lodi.zip")
    with (
        open(os.path.join(events_site, *zip_path), "rb") as first,
        open(os.path.join(tmp_path, "again", *zip_path), "rb") as second,
    ):
        assert first.read() == second.read()


def test_materials_index_by_workshop_by_topic_and_by_audience(events_site):
    text = main_of(html(events_site, "materiali", "index.html"))
    by_workshop = text[
        text.index('id="materials-by-workshop"') : text.index('id="materials-by-topic"')
    ]
    assert 'href="/materiali/workshop-lodi/"' in by_workshop
    assert "workshop-mantova" not in by_workshop  # no materials yet
    by_topic = text[text.index('id="materials-by-topic"') :]
    assert re.findall(r"<h3>(.*?)</h3>", by_topic) == ["Aspetti normativi", "Strategie commerciali"]
    assert 'href="/materiali/pubblico/aziende/"' in text
    companies = main_of(html(events_site, "en", "materials", "audience", "companies", "index.html"))
    assert "Art. 14 conventions for social cooperatives" in companies


def test_the_page_for_companies(events_site):
    italian = main_of(html(events_site, "per-le-aziende", "index.html"))
    assert "una diversa modalità di adempiere agli obblighi di assunzione" in italian
    meetings = italian[
        italian.index('id="companies-meetings"') : italian.index('id="companies-materials"')
    ]
    assert re.findall(r'href="/eventi/([^/"]+)/"', meetings)[:3] == [
        "webinar-art-14",
        "incontro-rinviato",
        "incontro-lodi-marzo",
    ]
    materials = italian[italian.index('id="companies-materials"') :]
    assert "opensource14-le-slide-del-workshop.pdf" in materials
    english = read_page(os.path.join(events_site, "en", "for-companies", "index.html"))
    assert english.alternates["it"] == "/per-le-aziende/"
    assert "Next meetings for companies" in html(events_site, "en", "for-companies", "index.html")


def build_with(tmp_path, workshops_yaml, extra=None, files=()):
    content = events_fixture_content(tmp_path)
    for name, data in files:
        with open(os.path.join(content, "materiali", "workshop-lodi", name), "wb") as handle:
            handle.write(data)
    data = tmp_path / "data"
    shutil.copytree(os.path.join(FIXTURES, "events_data"), data)
    (data / "workshops.yaml").write_text(workshops_yaml)
    return run_pelican(
        tmp_path / "output", content=str(content), data=str(data), extra=extra, env=EPOCH
    )


WORKSHOP = """- id: workshop-lodi
  title: Workshop
  territory: lodi
  audience: [companies]
  materials:
    - file: {file}
      title: Materiale
      language: it
"""


@pytest.mark.parametrize(
    ("file", "extra", "message"),
    [
        (
            "materiali/workshop-lodi/slides.pdf",
            None,
            "data/workshops.yaml:6:13: workshops[0].materials[0].file: file not found: "
            "content/materiali/workshop-lodi/slides.pdf (did you mean 'slide.pdf'?)",
        ),
        (
            "materiali/workshop-lodi/slide.pdf",
            {"MATERIALS_MAX_BYTES": 1000},
            "data/workshops.yaml:6:13: workshops[0].materials[0].file: the file is 2,345 bytes, "
            "over the limit of 1,000 bytes",
        ),
        (
            "materiali/workshop-lodi/script.sh",
            None,
            "data/workshops.yaml:6:13: workshops[0].materials[0].file: file type '.sh' is not "
            "allowed (allowed: pdf, docx, odt, pptx, odp, xlsx, ods, zip, png, jpg)",
        ),
    ],
)
def test_bad_materials_stop_the_build(tmp_path, file, extra, message):
    result = build_with(
        tmp_path, WORKSHOP.format(file=file), extra=extra, files=[("script.sh", b"echo hi\n")]
    )
    report = result.stdout + result.stderr
    assert result.returncode == 1
    assert "Traceback" not in report
    assert any(line.endswith(message) or message in line for line in report.splitlines()), report
    assert not (tmp_path / "output").exists()


def test_an_unlisted_file_is_a_warning_not_an_error(tmp_path):
    result = build_with(
        tmp_path,
        WORKSHOP.format(file="materiali/workshop-lodi/slide.pdf"),
        files=[("dimenticato.pdf", b"%PDF-1.4\n")],
    )
    assert result.returncode == 0, result.stderr
    # The log is wrapped to the terminal's width: compare without whitespace.
    report = re.sub(r"\s+", "", result.stdout + result.stderr)
    assert "dimenticato.pdf:nomaterialindata/workshops.yamllists" in report
    assert not (tmp_path / "output" / "materiali" / "workshop-lodi" / "dimenticato.pdf").exists()


def test_event_pages_link_their_workshop_and_materials(events_site):
    text = main_of(html(events_site, "eventi", "workshop-lodi-aprile", "index.html"))
    assert 'href="/materiali/workshop-lodi/"' in text
