"""Easy-to-read versions (plugins/easy_read) and the readability measures."""

import os
import re
from xml.etree import ElementTree

import pytest
from easy_read.glossary import glossed
from easy_read.readability import markdown_text, score, sentences, syllables
from site_data.sitedata import load_site_data

from htmlpage import read_page, url_to_file
from newsletter.texts import TEXTS
from sitebuild import ROOT, copy_project_sources, run_pelican

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


def reading_level(html):
    """The block under an easy page's title: its label and the link back."""
    start = html.index('<div class="reading-level">')
    return html[start : html.index("</div>", start)]


# (standard page, its easy version, the standard page's address)
EASY_VERSIONS = [
    ("progetto/index.html", "/progetto/facile-da-leggere/", "/progetto/"),
    ("en/project/index.html", "/en/project/easy-read/", "/en/project/"),
    # Pages made by templates: their easy versions are named after their route.
    ("index.html", "/facile-da-leggere/", "/"),
    ("en/index.html", "/en/easy-read/", "/en/"),
    ("newsletter/index.html", "/newsletter/facile-da-leggere/", "/newsletter/"),
    ("en/newsletter/index.html", "/en/newsletter/easy-read/", "/en/newsletter/"),
]


@pytest.mark.parametrize(("standard", "easy", "back"), EASY_VERSIONS)
def test_the_standard_page_and_its_easy_version_link_each_other(site, standard, easy, back):
    html = read(site, standard)
    top = html.index("<h1")
    assert html.index(f'href="{easy}"') - top < 300  # near the top, right after the title
    easy_html = read(site, easy.lstrip("/") + "index.html")
    assert f'<a href="{back}">' in reading_level(easy_html)
    assert re.search(r'<article class="page\b[^"]* page--easy-read\b', easy_html)


def test_the_link_texts_and_the_simplified_text_label_are_translated(site):
    assert "Versione facile da leggere" in read(site, "progetto/index.html")
    assert "Easy-to-read version" in read(site, "en/project/index.html")
    assert "Testo semplificato" in read(site, "progetto/facile-da-leggere/index.html")
    assert "Simplified text" in read(site, "en/project/easy-read/index.html")


@pytest.mark.parametrize(
    ("it", "en"),
    [
        ("/progetto/facile-da-leggere/", "/en/project/easy-read/"),
        ("/facile-da-leggere/", "/en/easy-read/"),
        ("/newsletter/facile-da-leggere/", "/en/newsletter/easy-read/"),
    ],
)
def test_the_easy_pages_are_each_others_translations(site, it, en):
    for lang, url, other, other_url in (("it", it, "en", en), ("en", en, "it", it)):
        page = read_page(url_to_file(site, url))
        assert page.html_lang == lang
        assert page.alternates == {"it": it, "en": en, "x-default": it}
        assert page.find_all("a", href=other_url, lang=other, hreflang=other)  # language switch
    entries = sitemap_entries(site)
    for url in (it, en):
        assert entries[url] == {"it": it, "en": en, "x-default": it}


def test_the_standard_pages_alternates_stay_the_standard_pages(site):
    assert 'hreflang="en" href="/en/project/">' in read(site, "progetto/index.html")
    assert read_page(url_to_file(site, "/newsletter/")).alternates["en"] == "/en/newsletter/"
    assert read_page(url_to_file(site, "/")).alternates["en"] == "/en/"


def sitemap_entries(site):
    """{path: {hreflang: path}} of sitemap.xml."""
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    root = ElementTree.parse(os.path.join(site, "sitemap.xml")).getroot()

    def path(url):
        return "/" + url.split("/", 3)[3]

    return {
        path(url.find("s:loc", ns).text): {
            link.get("hreflang"): path(link.get("href")) for link in url.findall("x:link", ns)
        }
        for url in root.findall("s:url", ns)
    }


def test_the_written_easy_pages_meet_the_limits_by_a_margin():
    root = os.path.join(os.path.dirname(os.path.dirname(__file__)), "content", "pagine")
    for name, lang, limit in (
        ("progetto.facile.it.md", "it", 75),
        ("progetto.facile.en.md", "en", 70),
        ("convenzioni-art-14.facile.it.md", "it", 75),
        ("convenzioni-art-14.facile.en.md", "en", 70),
        ("index.facile.it.md", "it", 75),
        ("index.facile.en.md", "en", 70),
        ("newsletter.facile.it.md", "it", 75),
        ("newsletter.facile.en.md", "en", 70),
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


def test_an_easy_page_named_after_no_page_lists_the_names_it_can_have(tmp_path):
    content, data = copy_project_sources(tmp_path)
    with open(
        os.path.join(content, "pagine", "newsleter.facile.it.md"), "w", encoding="utf-8"
    ) as f:
        f.write("Title: La newsletter\n\nUna frase breve.\n")
    result = run_pelican(tmp_path / "output", content=content, data=data)
    assert result.returncode == 1
    report = result.stdout + result.stderr
    assert (
        "newsleter.facile.it.md:1:1: level: an easy-to-read version of "
        "newsleter.it.md, which does not exist (write the standard page first, or rename this "
        "file; the easy version of a page without a Markdown file is named after its route, "
        "one of: index, newsletter (did you mean 'newsletter'?))"
    ) in report, report
    assert not (tmp_path / "output").exists()


# The easy newsletter page ------------------------------------------------------


@pytest.mark.parametrize(
    ("standard", "easy"),
    [
        ("/newsletter/", "/newsletter/facile-da-leggere/"),
        ("/en/newsletter/", "/en/newsletter/easy-read/"),
    ],
)
def test_the_easy_newsletter_page_has_the_sign_up_form_after_its_text(site, standard, easy):
    form = [
        a for a in read_page(url_to_file(site, easy)).find_all("form") if "data-newsletter" in a
    ]
    assert len(form) == 1
    standard_form = [
        a for a in read_page(url_to_file(site, standard)).find_all("form") if "data-newsletter" in a
    ]
    assert form[0]["action"] == standard_form[0]["action"] == "http://127.0.0.1:8001/subscribe"
    html = read(site, easy.lstrip("/") + "index.html")
    article = html[html.index("<article") : html.index("</article>")]
    # In the page, after the text that explains it, and not also in a box below.
    assert article.index('<div class="prose"') < article.index("<form")
    assert html.count('id="newsletter-title"') == 1
    assert 'class="newsletter"' not in html


@pytest.mark.parametrize(
    ("name", "lang", "standard"),
    [
        ("newsletter.facile.it.md", "it", "newsletter/index.html"),
        ("newsletter.facile.en.md", "en", "en/newsletter/index.html"),
    ],
)
def test_the_easy_newsletter_page_names_the_buttons_the_reader_will_press(
    site, name, lang, standard
):
    with open(os.path.join(ROOT, "content", "pagine", name), encoding="utf-8") as handle:
        named = re.findall(r'"([^"]+)"', handle.read())
    # The site's own button, as the built page shows it.
    site_button = re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', read(site, standard))
    texts = TEXTS[lang]
    # Sign up, confirm in the e-mail's page, and leave: each step as easy as the others.
    assert named == [*site_button, texts["confirm_button"], texts["unsubscribe_button"]]
    assert texts["submit"] == site_button[0]


def test_a_template_page_without_an_easy_version_links_none(tmp_path):
    content, data = copy_project_sources(tmp_path)
    for lang in ("it", "en"):
        os.remove(os.path.join(content, "pagine", f"index.facile.{lang}.md"))
    output = tmp_path / "output"
    result = run_pelican(output, content=content, data=data)
    assert result.returncode == 0, result.stdout + result.stderr
    for home in ("index.html", "en/index.html"):
        assert 'class="reading-level"' not in read(output, home)
    assert not (output / "facile-da-leggere").exists()
    assert '<a href="/newsletter/facile-da-leggere/">' in read(output, "newsletter/index.html")


# The glossary -----------------------------------------------------------------


@pytest.fixture(scope="module")
def glossary():
    import zoneinfo

    data, problems = load_site_data(
        os.path.join(ROOT, "data"),
        languages=("it", "en"),
        default_lang="it",
        timezone=zoneinfo.ZoneInfo("Europe/Rome"),
        content_path=os.path.join(ROOT, "content"),
    )
    assert problems == []
    return data.glossary


def test_the_glossary_has_the_words_the_issue_names_in_both_languages(glossary):
    terms = {entry.id: entry for entry in glossary}
    assert {"convenzione", "cooperativa-sociale-di-tipo-b", "collocamento-mirato"} <= set(terms)
    for entry in glossary:
        for lang in ("it", "en"):
            assert not entry.term.get(lang).fallback, (entry.id, lang)
            assert not entry.definition.get(lang).fallback, (entry.id, lang)


def test_the_first_use_of_each_word_links_to_its_explanation(glossary):
    html = (
        "<h2>Le convenzioni</h2>\n<p>Una <a href='/x/'>convenzione</a> è un accordo.</p>\n"
        "<p>Le Convenzioni e le cooperative\nsociali di tipo B, e ancora le convenzioni.</p>"
    )
    result = glossed(html, glossary, "it")
    assert result.html == (
        "<h2>Le convenzioni</h2>\n<p>Una <a href='/x/'>convenzione</a> è un accordo.</p>\n"
        '<p>Le <a href="#glossario-convenzione" class="glossary-term">Convenzioni</a> e le '
        '<a href="#glossario-cooperativa-sociale-di-tipo-b" class="glossary-term">cooperative\n'
        "sociali di tipo B</a>, e ancora le convenzioni.</p>"
    )
    # In the order of the glossary, only the words found.
    assert [t.anchor for t in result.terms] == [
        "glossario-convenzione",
        "glossario-cooperativa-sociale-di-tipo-b",
    ]
    assert result.terms[0].term == "convenzione"


def test_words_are_matched_whole_and_never_inside_tags(glossary):
    html = '<p><img alt="convenzione" src="convenzione.png"> riconvenzione convenziones</p>'
    result = glossed(html, glossary, "it")
    assert result.html == html
    assert result.terms == ()


def test_a_word_with_markup_characters_is_matched_escaped():
    from website.schema import GlossaryEntry

    entry = GlossaryEntry.model_validate(
        {"id": "r-s", "term": {"it": "R&S <beta>"}, "definition": {"it": "Ricerca & sviluppo"}},
        context={"languages": ("it", "en"), "default_lang": "it"},
    )
    result = glossed("<p>La R&amp;S &lt;beta&gt; conta.</p>", [entry], "it")
    assert result.html == (
        '<p>La <a href="#glossario-r-s" class="glossary-term">R&amp;S &lt;beta&gt;</a> conta.</p>'
    )
    assert result.terms[0].definition == "Ricerca & sviluppo"  # escaped by the template


def glossary_section(html):
    start = html.find('<section class="glossary"')
    return html[start : html.index("</section>", start)] if start >= 0 else ""


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (
            "convenzioni-art-14/facile-da-leggere/index.html",
            ["convenzione", "cooperativa sociale di tipo B", "collocamento mirato"],
        ),
        (
            "en/art-14-conventions/easy-read/index.html",
            ["convention", "type-B social cooperative", "targeted placement service"],
        ),
        ("progetto/facile-da-leggere/index.html", ["convenzione"]),
        # A standard page with `Glossary: yes`.
        (
            "convenzioni-art-14/index.html",
            ["convenzione", "cooperativa sociale di tipo B", "collocamento mirato"],
        ),
    ],
)
def test_a_page_lists_the_glossary_words_it_uses(site, path, words):
    html = read(site, path)
    section = glossary_section(html)
    assert re.findall(r"<dt><dfn id=\"[^\"]+\">([^<]+)</dfn></dt>", section) == words
    for anchor in re.findall(r'id="(glossario-[^"]+)"', section):
        assert html.count(f'href="#{anchor}"') == 1  # the first use only


def test_a_page_without_glossary_words_or_without_the_glossary_lists_none(site):
    assert glossary_section(read(site, "progetto/index.html")) == ""  # no `Glossary: yes`
    assert 'class="glossary-term"' not in read(site, "progetto/index.html")
    assert glossary_section(read(site, "contatti/index.html")) == ""


def test_the_list_is_titled_and_translated(site):
    assert '<h2 id="glossario">Le parole difficili</h2>' in read(
        site, "convenzioni-art-14/facile-da-leggere/index.html"
    )
    assert '<h2 id="glossario">Difficult words</h2>' in read(
        site, "en/art-14-conventions/easy-read/index.html"
    )


def test_glossary_text_is_escaped_on_the_page(tmp_path):
    content, data = copy_project_sources(tmp_path)
    path = os.path.join(data, "glossary.yaml")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    text = text.replace(
        "      Un accordo scritto.\n", "      Un accordo <b>scritto</b> & firmato.\n", 1
    )
    # Not yet translated: the English page shows the Italian, marked as Italian.
    english_start = text.index("    en: >-\n      A written agreement.")
    text = text[:english_start] + text[text.index("  forms:", english_start) :]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    result = run_pelican(tmp_path / "output", content=content, data=data)
    assert result.returncode == 0, result.stdout + result.stderr
    html = (tmp_path / "output" / "progetto" / "facile-da-leggere" / "index.html").read_text()
    assert "Un accordo &lt;b&gt;scritto&lt;/b&gt; &amp; firmato." in glossary_section(html)
    english = (tmp_path / "output" / "en" / "project" / "easy-read" / "index.html").read_text()
    entry = glossary_section(english)
    assert '<dfn id="glossario-convenzione">convention</dfn>' in entry
    assert '<dd lang="it">Un accordo &lt;b&gt;scritto&lt;/b&gt;' in entry
    assert entry.count('lang="it"') == 1  # only what falls back


def test_a_malformed_glossary_entry_stops_the_build_with_its_place(tmp_path):
    content, data = copy_project_sources(tmp_path)
    with open(os.path.join(data, "glossary.yaml"), "a+", encoding="utf-8") as handle:
        handle.seek(0)
        lines = len(handle.readlines())
        handle.write("\n- id: parola\n  term: {it: parola}\n  definiton: {it: Una parola.}\n")
    result = run_pelican(tmp_path / "output", content=content, data=data)
    assert result.returncode == 1
    report = result.stdout + result.stderr
    assert (
        f"data/glossary.yaml:{lines + 4}:3: glossary[3].definiton: unknown field 'definiton' "
        "(did you mean 'definition'?)"
    ) in report, report
    assert not (tmp_path / "output").exists()
