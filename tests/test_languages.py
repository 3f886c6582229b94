"""Untranslated content still appears in the other language, marked as such."""

import os
import shutil

import pytest

from htmlpage import html, read_page
from sitebuild import copy_project_sources, run_pelican

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "content")


@pytest.fixture(scope="module")
def fallback_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("fallback")
    content, data = copy_project_sources(root)
    shutil.copy(os.path.join(FIXTURES, "solo-italiano.it.md"), os.path.join(content, "pagine"))
    shutil.copy(
        os.path.join(FIXTURES, "2026-11-20-english-only.en.md"), os.path.join(content, "notizie")
    )
    result = run_pelican(root / "output", content=content, data=data)
    assert result.returncode == 0, result.stderr
    return str(root / "output")


def test_italian_only_page_falls_back_in_english(fallback_site):
    page = read_page(os.path.join(fallback_site, "en", "solo-italiano", "index.html"))
    text = html(fallback_site, "en", "solo-italiano", "index.html")
    assert page.html_lang == "en"
    assert "This page is available in Italian only." in text
    assert '<h1 lang="it">Pagina solo in italiano</h1>' in text
    assert '<div class="prose" lang="it">' in text
    assert page.canonical == "/solo-italiano/"
    assert page.alternates == {
        "it": "/solo-italiano/",
        "en": "/en/solo-italiano/",
        "x-default": "/solo-italiano/",
    }


def test_on_this_page_marks_the_headings_of_a_fallback_in_their_language(fallback_site):
    english = html(fallback_site, "en", "solo-italiano", "index.html")
    assert '<h2 class="page-aside__title">On this page</h2>' in english
    assert '<a href="#prima-parte" lang="it">Prima parte</a>' in english
    assert '<a href="#seconda-parte" lang="it">Seconda parte</a>' in english
    italian = html(fallback_site, "solo-italiano", "index.html")
    assert '<a href="#prima-parte">Prima parte</a>' in italian


def test_the_original_links_its_fallback_copy(fallback_site):
    page = read_page(os.path.join(fallback_site, "solo-italiano", "index.html"))
    assert page.canonical == "/solo-italiano/"
    assert page.alternates["en"] == "/en/solo-italiano/"
    assert "disponibile solo" not in html(fallback_site, "solo-italiano", "index.html")


def test_english_only_article_falls_back_in_italian(fallback_site):
    page = read_page(os.path.join(fallback_site, "notizie", "english-only", "index.html"))
    text = html(fallback_site, "notizie", "english-only", "index.html")
    assert page.html_lang == "it"
    assert "Questa pagina è disponibile solo in inglese." in text
    assert page.canonical == "/en/news/english-only/"
    assert page.alternates["en"] == "/en/news/english-only/"
    assert page.alternates["it"] == "/notizie/english-only/"


def test_news_indexes_list_fallbacks_marked_with_their_language(fallback_site):
    italian = html(fallback_site, "notizie", "index.html")
    english = html(fallback_site, "en", "news", "index.html")
    assert '<a href="/notizie/english-only/" lang="en">An article in English only</a>' in italian
    assert '<a href="/en/news/english-only/">An article in English only</a>' in english
    assert "/notizie/al-via-opensource14/" in italian
    assert "/en/news/opensource14-gets-under-way/" in english


def test_categories_are_named_and_addressed_per_language(fallback_site):
    italian = html(fallback_site, "notizie", "categoria", "attivita", "index.html")
    english = html(fallback_site, "en", "news", "category", "activities", "index.html")
    assert "<h1>Categoria: Attività</h1>" in italian
    assert "<h1>Category: Activities</h1>" in english
    assert 'hreflang="en" href="/en/news/category/activities/"' in italian
