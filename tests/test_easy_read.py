"""Easy-to-read versions (plugins/easy_read) and the readability measures."""

import os
import re

import pytest
from easy_read.readability import markdown_text, score, sentences, syllables

from sitebuild import copy_project_sources, run_pelican

# Known scores, computed by hand from the formulas.
# Gulpease: 89 + (300 × 2 − 10 × 23) / 6 = 150.7 (the formula is not capped).
# Flesch: 206.835 − 1.015 × 6 / 2 − 84.6 × 6 / 6 = 119.2.
KNOWN = [
    ("it", "Il cane corre. Il gatto dorme.", 150.7, 6, 2),
    ("en", "The cat sat. The dog ran.", 119.2, 6, 2),
    # An elision makes two words: 89 + (300 × 1 − 10 × 62) / 10 = 57.0
    ("it", "La convenzione permette all'azienda di assolvere parzialmente l'obbligo.", 57.0, 10, 1),
]


@pytest.mark.parametrize(("lang", "text", "index", "words", "count"), KNOWN)
def test_known_scores(lang, text, index, words, count):
    result = score([text], lang)
    assert (result.index, result.words, len(result.sentences)) == (index, words, count)


def test_abbreviations_and_numbers_do_not_end_a_sentence():
    found = sentences(["Le convenzioni ex art. 14 aiutano. Il D.Lgs. 276/2003 le prevede."])
    assert [s.words for s in found] == [6, 7]  # Il D Lgs 276 2003 le prevede


def test_paragraphs_headings_and_list_items_end_sentences_and_the_header_is_left_out():
    blocks = markdown_text("Title: Una pagina\nSlug: x\n\n## Titolo\n\nUna frase\n\n- uno\n- due\n")
    assert blocks == ["Titolo", "Una frase", "uno", "due"]
    assert len(sentences(blocks)) == 4


@pytest.mark.parametrize(
    ("word", "count"), [("cat", 1), ("table", 2), ("people", 2), ("convention", 3), ("easy", 2)]
)
def test_english_syllables(word, count):
    assert syllables(word) == count


def read(site, path):
    with open(os.path.join(site, path), encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize(
    ("standard", "easy", "back"),
    [
        ("progetto/index.html", "/progetto/facile-da-leggere/", "/progetto/"),
        ("en/project/index.html", "/en/project/easy-read/", "/en/project/"),
    ],
)
def test_the_standard_page_and_its_easy_version_link_each_other(site, standard, easy, back):
    html = read(site, standard)
    top = html.index("<h1")
    assert html.index(f'href="{easy}"') - top < 300  # near the top, right after the title
    easy_html = read(site, easy.lstrip("/") + "index.html")
    assert f'href="{back}"' in easy_html
    assert 'class="page page--easy-read"' in easy_html


def test_the_link_texts_and_the_simplified_text_label_are_translated(site):
    assert "Versione facile da leggere" in read(site, "progetto/index.html")
    assert "Easy-to-read version" in read(site, "en/project/index.html")
    assert "Testo semplificato" in read(site, "progetto/facile-da-leggere/index.html")
    assert "Simplified text" in read(site, "en/project/easy-read/index.html")


def test_the_easy_pages_are_each_others_translations(site):
    for path in ("progetto/facile-da-leggere/index.html", "en/project/easy-read/index.html"):
        html = read(site, path)
        assert '<link rel="alternate" hreflang="it" href="/progetto/facile-da-leggere/">' in html
        assert '<link rel="alternate" hreflang="en" href="/en/project/easy-read/">' in html
    assert '<a href="/en/project/easy-read/" lang="en" hreflang="en">' in read(
        site, "progetto/facile-da-leggere/index.html"
    )
    sitemap = read(site, "sitemap.xml")
    assert "/progetto/facile-da-leggere/</loc>" in sitemap
    assert "/en/project/easy-read/</loc>" in sitemap
    # The standard page's alternates stay the standard pages.
    assert 'hreflang="en" href="/en/project/">' in read(site, "progetto/index.html")


def test_the_written_easy_pages_meet_the_limits_by_a_margin():
    root = os.path.join(os.path.dirname(os.path.dirname(__file__)), "content", "pagine")
    for name, lang, limit in (
        ("progetto.facile.it.md", "it", 75),
        ("progetto.facile.en.md", "en", 70),
    ):
        with open(os.path.join(root, name), encoding="utf-8") as handle:
            result = score(markdown_text(handle.read()), lang)
        assert result.index >= limit, (name, result.index)
        assert result.average <= 10, (name, result.average)


HARD = """Title: Il progetto facile
Validated: 2027-02-10, by a group of readers

Il progetto è semplice.

La promozione di percorsi di inserimento socio-lavorativo delle persone con disabilità si affianca a un'azione di capacity building delle reti dei servizi territoriali, volta a diffondere prassi, strumenti e soluzioni innovative.
"""


def test_a_too_hard_easy_page_stops_the_build_naming_its_longest_sentence(tmp_path):
    content, data = copy_project_sources(tmp_path)
    with open(os.path.join(content, "pagine", "progetto.facile.it.md"), "w", encoding="utf-8") as f:
        f.write(HARD)
    result = run_pelican(tmp_path / "output", content=content, data=data)
    assert result.returncode == 1
    report = result.stdout + result.stderr
    assert re.search(r"progetto\.facile\.it\.md:6:1: readability: too hard", report), report
    assert "sentences average" in report
    assert "over 12" in report
    assert "“La promozione di percorsi di inserimento" in report
    assert not (tmp_path / "output").exists()


def test_make_check_prints_the_readability_table_and_warns_of_hard_standard_pages(tmp_path):
    content, data = copy_project_sources(tmp_path)
    hard = (
        "Title: Difficile\n\nLa razionalizzazione amministrativa dell'implementazione "
        "procedurale delle convenzioni territoriali presuppone necessariamente "
        "un'interlocuzione istituzionale continuativa.\n"
    )
    with open(os.path.join(content, "pagine", "difficile.it.md"), "w", encoding="utf-8") as f:
        f.write(hard)
    result = run_pelican(
        tmp_path / "output", content=content, data=data, extra={"CHECK_ONLY": True}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout
    assert re.search(r"page\s+words\s+words/sentence\s+index", table)
    assert re.search(r"progetto\.facile\.it\.md \(easy\)\s+\d+\s+\d+\.\d\s+Gulpease \d+", table)
    assert re.search(r"progetto\.facile\.en\.md \(easy\)\s+\d+\s+\d+\.\d\s+Flesch \d+", table)
    assert re.search(r"difficile\.it\.md\s+\d+\s+\d+\.\d\s+Gulpease -?\d+", table)
    assert re.search(r"difficile\.it\.md: Gulpease -?\d+, under 40", result.stdout + result.stderr)


def test_an_easy_page_without_its_standard_page_is_reported(tmp_path):
    content, data = copy_project_sources(tmp_path)
    with open(os.path.join(content, "pagine", "orfana.facile.it.md"), "w", encoding="utf-8") as f:
        f.write("Title: Orfana\n\nUna frase breve.\n")
    result = run_pelican(tmp_path / "output", content=content, data=data)
    assert result.returncode == 1
    assert "orfana.facile.it.md:1:1: level: an easy-to-read version of orfana.it.md" in (
        result.stdout + result.stderr
    )
