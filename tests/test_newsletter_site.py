"""The newsletter form in the built site: on every page, in the page's
language, with the consent wording the sign-up service records."""

import html
import os
import re

import pytest

from htmlpage import file_to_url, html_files, read_page, url_to_file
from newsletter import consent, shells
from newsletter.forms import PAGE, PRIVACY_VERSION
from sitebuild import copy_project_sources, run_pelican

ENDPOINT = "http://127.0.0.1:8001/subscribe"
NEWSLETTER_PAGES = {"it": "/newsletter/", "en": "/en/newsletter/"}
# The honeypot's input, with nothing but its label between it and a hidden block's start.
HIDDEN_HONEYPOT = re.compile(
    r'<div [^>]*\bhidden\b[^>]*>\s*<label for="nl-extra">[^<]*</label>\s*<input [^>]*id="nl-extra"'
)


def form_fields(page):
    """The newsletter form of a page: its attributes and its inputs by name."""
    forms = page.find_all("form")
    forms = [attrs for attrs in forms if "data-newsletter" in attrs]
    assert len(forms) == 1, f"{page.path}: {len(forms)} newsletter forms"
    inputs = {attrs.get("name"): attrs for tag, attrs in page.elements if tag == "input"}
    return forms[0], inputs


def label_text(path, field_id):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    match = re.search(rf'<label for="{field_id}"[^>]*>(.*?)</label>', text, re.S)
    assert match, f"{path}: no label for #{field_id}"
    return html.unescape(match.group(1).strip())


def test_every_page_has_one_form_in_its_own_language(site):
    """Every page but the thank-you pages, which follow a sign-up."""
    thank_you = {url_to_file(site, path) for path in consent.THANK_YOU_PAGES.values()}
    checked = 0
    for path in html_files(site):
        page = read_page(path)
        if page.html_lang is None or "/pagefind/" in path or path in thank_you:
            continue
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        form, inputs = form_fields(page)
        lang = page.html_lang
        assert form["method"] == "post"
        assert form["action"] == ENDPOINT
        assert inputs["lang"]["value"] == lang
        url = file_to_url(site, path)
        assert inputs["page"]["value"] == url, path
        assert PAGE.fullmatch(inputs["page"]["value"])
        assert PRIVACY_VERSION.fullmatch(inputs["privacy_version"]["value"])
        # Consent: a box that starts unticked and is required.
        box = inputs["consent"]
        assert box["type"] == "checkbox"
        assert "checked" not in box
        assert "required" in box
        assert label_text(path, "nl-consent") == consent.CONSENT_TEXT[lang]
        assert "required" in inputs["email"]
        assert inputs["email"]["type"] == "email"
        assert inputs["name"]["maxlength"] == "100"
        # The honeypot is in a hidden block, out of the tab order.
        assert inputs["nl_extra"]["tabindex"] == "-1"
        assert HIDDEN_HONEYPOT.search(text), f"{path}: the honeypot is not inside a hidden block"
        # The privacy notice of the same language is linked from the form.
        privacy = [
            href for tag, attr, href in page.links if href.endswith(consent.PRIVACY_PAGES[lang])
        ]
        assert privacy, f"{path}: no link to {consent.PRIVACY_PAGES[lang]}"
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("lang", ["it", "en"])
def test_newsletter_page_and_thank_you_page(site, lang):
    other = "en" if lang == "it" else "it"
    page = read_page(url_to_file(site, NEWSLETTER_PAGES[lang]))
    assert page.html_lang == lang
    assert page.alternates[other] == NEWSLETTER_PAGES[other]
    form_fields(page)  # exactly one form: the box on other pages is left out here
    assert page.find_all("h1", id="newsletter-title")

    thanks = read_page(url_to_file(site, consent.THANK_YOU_PAGES[lang]))
    assert thanks.html_lang == lang
    assert thanks.alternates[other] == consent.THANK_YOU_PAGES[other]
    assert thanks.find_all("meta", name="robots", content="noindex")
    assert not any("data-newsletter" in attrs for attrs in thanks.find_all("form"))


def test_thank_you_pages_stay_out_of_the_sitemap(site):
    with open(os.path.join(site, "sitemap.xml"), encoding="utf-8") as handle:
        sitemap = handle.read()
    assert "/newsletter/" in sitemap
    for path in consent.THANK_YOU_PAGES.values():
        assert path not in sitemap


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_build_writes_the_services_page_shells_unlisted(site, lang):
    """The frame of the service's own pages: header, EU emblem, footer, style, no page."""
    path = url_to_file(site, consent.PAGE_SHELLS[lang])
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    page = read_page(path)
    assert page.html_lang == lang
    assert page.find_all("meta", name="robots", content="noindex")
    assert not page.canonical
    assert not page.alternates
    assert not page.find_all("nav", **{"class": "language-switcher"})
    assert text.count(shells.MAIN_MARKER) == 1
    assert page.find_all("img", **{"class": "eu-funding__emblem"})
    assert page.find_all("footer", **{"class": "site-footer"})
    assert page.find_all("link", rel="stylesheet", href="/theme/css/components.css")
    assert not page.find_all("script")
    assert not page.find_all("form")
    assert path not in set(html_files(site))  # not one of the site's pages
    assert path in set(html_files(site, shells=True))
    with open(os.path.join(site, "sitemap.xml"), encoding="utf-8") as handle:
        assert consent.PAGE_SHELLS[lang] not in handle.read()
    # The service can read them, and makes their addresses absolute.
    shell = shells.load(site, "https://www.example.org")[lang]
    filled = shell.fill("T", "", "<h1>M</h1>")
    assert "<title>T</title>" in filled
    assert (
        '<link rel="stylesheet" href="https://www.example.org/theme/css/components.css">' in filled
    )


def test_footer_links_the_newsletter_page(site):
    for lang, path in NEWSLETTER_PAGES.items():
        home = read_page(url_to_file(site, "/" if lang == "it" else "/en/"))
        assert ("a", "href", path) in home.links


def test_privacy_notice_states_the_version_the_form_sends(site):
    from pelicanconf import NEWSLETTER_PRIVACY_VERSION

    for lang, word in (("it", "Versione"), ("en", "Version")):
        path = url_to_file(site, consent.PRIVACY_PAGES[lang])
        with open(path, encoding="utf-8") as handle:
            assert f"{word} {NEWSLETTER_PRIVACY_VERSION} " in handle.read()


def test_form_text_is_escaped(tmp_path):
    """An endpoint with markup in it cannot break out of the attribute."""
    hostile = 'https://example.org/subscribe?a="><script>alert(1)</script>'
    result = run_pelican(tmp_path / "out", extra={"NEWSLETTER_ENDPOINT": hostile})
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "out" / "index.html", encoding="utf-8") as handle:
        text = handle.read()
    assert "<script>alert(1)" not in text
    assert 'action="https://example.org/subscribe?a=&#34;&gt;&lt;script&gt;' in text


def test_a_bad_endpoint_stops_the_build_with_a_message(tmp_path):
    result = run_pelican(tmp_path / "out", extra={"NEWSLETTER_ENDPOINT": "127.0.0.1:8001"})
    assert result.returncode != 0
    assert "NEWSLETTER_ENDPOINT '127.0.0.1:8001' is not an http(s) address" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not os.path.exists(tmp_path / "out" / "index.html")


def test_publishing_takes_the_endpoint_from_the_environment(tmp_path):
    """There is no default (it was SITEURL/subscribe): tests/test_publish.py has the refusals."""
    content, data = copy_project_sources(tmp_path / "sources")
    fixture = os.path.join(os.path.dirname(__file__), "fixtures", "privacy", "controller.yaml")
    with (
        open(fixture, encoding="utf-8") as source,
        open(os.path.join(data, "project.yaml"), "a", encoding="utf-8") as target,
    ):
        target.write("\n" + source.read())
    env = {"SITEURL": "https://www.example.org", "NEWSLETTER_ENDPOINT": ""}
    result = run_pelican(
        tmp_path / "a", content=content, data=data, settings="publishconf.py", env=env
    )
    assert result.returncode != 0
    assert "publishconf.py: NEWSLETTER_ENDPOINT: is not set" in result.stderr
    assert not (tmp_path / "a").exists()

    env["NEWSLETTER_ENDPOINT"] = "https://iscrizioni.example.org/subscribe"
    result = run_pelican(
        tmp_path / "b", content=content, data=data, settings="publishconf.py", env=env
    )
    assert result.returncode == 0, result.stderr
    assert f'action="{env["NEWSLETTER_ENDPOINT"]}"' in (tmp_path / "b" / "index.html").read_text()


def test_the_site_writes_the_thank_you_pages_the_service_redirects_to(tmp_path):
    """Renaming the page in pelicanconf alone would break every sign-up: the build says so."""
    import json

    from pelicanconf import LANGUAGES

    languages = json.loads(json.dumps(LANGUAGES))
    languages["en"]["paths"]["thanks"] = "thanks"
    result = run_pelican(tmp_path / "out", extra={"LANGUAGES": languages})
    assert result.returncode != 0
    assert "/en/newsletter/thanks/" in result.stderr
    assert "THANK_YOU_PAGES" in result.stderr
