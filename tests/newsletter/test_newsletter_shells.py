"""The service's own pages inside the site's page shells: the site's header,
EU emblem, footer and style, in the visitor's language (issue 22, part 4).

The shells come from a real build of the site (the session's `site`, built
by tests/sitebuild.py), served on a port of its own as the site would be.
"""

import html
import re
import time

import pytest
from markupsafe import escape
from nl_support import SITE_URL, Service, parse_page
from playwright.sync_api import sync_playwright

from browser import StaticServer, describe, launch, run_axe
from htmlpage import validate
from newsletter import shells
from newsletter.config import ConfigError
from newsletter.consent import PAGE_SHELLS
from newsletter.texts import ERRORS, TEXTS

STATEMENT = {"it": "Cofinanziato dall'Unione europea", "en": "Co-funded by the European Union"}
HOSTILE = '"Quoted" <script>alert(1)</script> & more'


@pytest.fixture(scope="module")
def dressed(site, tmp_path_factory, smtp_sink):
    """(the site's address, the service reading its shells from the built site)."""
    with StaticServer(site) as server:
        service = Service(
            tmp_path_factory.mktemp("shelled-newsletter"),
            {
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp_sink.port),
                "NEWSLETTER_TRUSTED_PROXIES": "127.0.0.1",
                "NEWSLETTER_SITE_URL": server.url,
                # The test client posts as the default site does.
                "NEWSLETTER_ALLOWED_ORIGINS": f"{server.url},{SITE_URL}",
                "NEWSLETTER_PAGE_SHELLS": site,
            },
        ).start()
        try:
            yield server.url, service
        finally:
            service.stop()


def assert_dressed(reply, lang, site_url, title):
    """The page is the site's: header with the EU emblem, footer, style; in `lang`."""
    text = reply.body
    page = parse_page(text)  # well formed, unique ids
    assert page.lang == lang
    assert len(page.h1) == 1
    assert f"<title>{escape(title)} – OpenSource14</title>" in text
    assert text.count("<title>") == 1
    assert '<header class="site-header">' in text
    assert f'<img class="eu-funding__emblem" src="{site_url}/theme/img/eu-emblem.svg"' in text
    statement = re.search(r'<span class="eu-funding__statement">([^<]*)</span>', text)
    assert html.unescape(statement[1]) == STATEMENT[lang]
    assert '<footer class="site-footer">' in text
    for sheet in ("base.css", "components.css"):
        assert f'<link rel="stylesheet" href="{site_url}/theme/css/{sheet}">' in text
    assert shells.MAIN_MARKER not in text
    assert "<script" not in text
    # Every address of the site is absolute: the page is on the service's origin.
    assert not re.search(r'\s(?:href|src)="/', text)
    return page


@pytest.mark.parametrize("lang", ["it", "en"])
def test_mailed_link_pages_are_dressed_as_the_site(dressed, smtp_sink, lang):
    site_url, service = dressed
    text = TEXTS[lang]
    address = f"dressed.{lang}@example.org"
    assert service.sign_up(address, lang=lang).status == 303
    mail = smtp_sink.wait_for(address)[0]

    confirm = service.get(mail.link("confirm"))
    assert confirm.status == 200
    page = assert_dressed(confirm, lang, site_url, text["confirm_title"])
    assert page.buttons == [text["confirm_button"]]
    assert address in confirm.body
    # The security headers are the service's own, the site's origin allowed for style only.
    policy = confirm.header("Content-Security-Policy")
    assert f"style-src {site_url};" in policy
    assert f"img-src {site_url};" in policy
    assert "script-src" not in policy
    assert "default-src 'none'" in policy

    confirmed = service.post(mail.link("confirm"))
    assert_dressed(confirmed, lang, site_url, text["confirmed_title"])
    already = service.get(mail.link("confirm"))
    assert_dressed(already, lang, site_url, text["already_title"])
    unsubscribe = service.get(mail.link("unsubscribe"))
    assert_dressed(unsubscribe, lang, site_url, text["unsubscribe_title"])
    unsubscribed = service.post(mail.link("unsubscribe"))
    assert_dressed(unsubscribed, lang, site_url, text["unsubscribed_title"])
    invalid = service.post(mail.link("confirm"))
    assert invalid.status == 404
    assert_dressed(invalid, lang, site_url, text["invalid_title"])


@pytest.mark.parametrize("lang", ["it", "en"])
def test_form_pages_are_dressed_and_escape_what_was_typed(dressed, lang):
    site_url, service = dressed
    text = TEXTS[lang]
    wrong = service.sign_up("nope", lang=lang, consent=None, name=HOSTILE)
    assert wrong.status == 422
    page = assert_dressed(
        wrong, lang, site_url, f"{text['error_summary_title']} – {text['signup_title']}"
    )
    assert "<script>alert(1)" not in wrong.body
    assert "&#34;Quoted&#34; &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in wrong.body
    assert [i["value"] for i in page.inputs if i.get("name") == "name"] == [HOSTILE]
    # The form posts back to the service, whose origin the browser must send.
    assert re.search(r'<meta name="referrer" content="same-origin">\s*</head>', wrong.body)

    fast = service.sign_up(
        "fast@example.org", lang=lang, name=HOSTILE, ts=str(int(time.time() * 1000))
    )
    assert fast.status == 422
    assert_dressed(fast, lang, site_url, text["too_fast_title"])
    assert "<script>alert(1)" not in fast.body


def test_errors_are_dressed_in_italian_with_english_after(dressed):
    site_url, service = dressed
    missing = service.get("/missing")
    assert missing.status == 404
    assert_dressed(missing, "it", site_url, ERRORS[404]["it"][0])
    assert '<div lang="en">' in missing.body
    not_allowed = service.get("/subscribe")
    assert not_allowed.status == 405
    assert_dressed(not_allowed, "it", site_url, ERRORS[405]["it"][0])


def test_a_dressed_page_meets_wcag_aa_with_the_sites_style_loaded(dressed, smtp_sink):
    site_url, service = dressed
    address = "dressed.axe@example.org"
    service.sign_up(address, lang="en")
    link = smtp_sink.wait_for(address)[0].link("confirm")
    path = re.sub(r"^https?://[^/]+", "", link)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            blocked = []
            page.on("console", lambda message: blocked.append(message.text))
            page.goto(service.base + path)
            # The Content-Security-Policy lets the site's style in: it is applied.
            sheets = page.evaluate("[...document.styleSheets].map(s => s.href)")
            assert f"{site_url}/theme/css/components.css" in sheets
            background = page.evaluate(
                "getComputedStyle(document.querySelector('.site-footer')).backgroundColor"
            )
            assert background not in ("rgba(0, 0, 0, 0)", "transparent")
            assert not [line for line in blocked if "Content Security Policy" in line]
            # axe is a script of its own, which the policy rightly blocks: let it in.
            checked = browser.new_context(bypass_csp=True).new_page()
            checked.goto(service.base + path)
            violations = run_axe(checked)
            assert violations == [], describe(violations)
        finally:
            browser.close()


def test_a_missing_shell_stops_the_service_with_one_line(dressed, tmp_path):
    _, service = dressed
    result = service.cli("serve", "--port", "0", NEWSLETTER_PAGE_SHELLS=str(tmp_path))
    assert result.returncode == 2
    assert "NEWSLETTER_PAGE_SHELLS: cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def write_shells(folder, text):
    for path in PAGE_SHELLS.values():
        target = folder.joinpath(*path.strip("/").split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


SHELL = (
    "<!doctype html><html><head><title>x</title>{extra}</head>"
    "<body><main>" + shells.MAIN_MARKER + "</main></body></html>"
)


def test_shells_are_refused_when_the_policy_would_block_their_style(tmp_path):
    write_shells(tmp_path, SHELL.format(extra='<link rel="stylesheet" href="/s.css">'))
    loaded = shells.load(str(tmp_path), "https://www.example.org")
    assert 'href="https://www.example.org/s.css"' in loaded["en"].fill("t", "", "m")

    write_shells(
        tmp_path, SHELL.format(extra='<link rel="stylesheet" href="https://cdn.example/s.css">')
    )
    with pytest.raises(ConfigError, match="not from the site's origin"):
        shells.load(str(tmp_path), "https://www.example.org")
    write_shells(tmp_path, SHELL.format(extra="<script>alert(1)</script>"))
    with pytest.raises(ConfigError, match="has a script"):
        shells.load(str(tmp_path), "https://www.example.org")
    write_shells(tmp_path, SHELL.replace(shells.MAIN_MARKER, "").format(extra=""))
    with pytest.raises(ConfigError, match="is not a page shell"):
        shells.load(str(tmp_path), "https://www.example.org")


def test_dressed_pages_are_valid_html(dressed, smtp_sink, tmp_path):
    _, service = dressed
    address = "dressed.valid@example.org"
    service.sign_up(address, lang="en")
    mail = smtp_sink.wait_for(address)[0]
    pages = {
        "confirm": service.get(mail.link("confirm")),
        "unsubscribe": service.get(mail.link("unsubscribe")),
        "invalid": service.sign_up("nope", lang="en", consent=None, name=HOSTILE),
        "not-found": service.get("/missing"),
    }
    for name, reply in pages.items():
        (tmp_path / f"{name}.html").write_text(reply.body, encoding="utf-8")
    returncode, errors = validate(tmp_path)
    assert errors == []
    assert returncode == 0
