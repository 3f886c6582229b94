"""The whole sign-up as a visitor goes through it: the built site's form in
Chromium, the real service behind it, the confirmation mail in an SMTP sink.

Without JavaScript the form is a plain POST answered by the thank-you page;
with JavaScript it is sent in place and the answer is shown next to it.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest
from nl_support import ROOT, Service, wait_until

from browser import StaticServer, describe, run_axe
from newsletter import consent
from newsletter.texts import TEXTS
from pelicanconf import NEWSLETTER_PRIVACY_VERSION
from sitebuild import run_pelican


@pytest.fixture(scope="module")
def live(tmp_path_factory, smtp_sink):
    """The site on one port and the service on another, as `make serve` runs them."""
    root = tmp_path_factory.mktemp("site-with-form") / "output"
    root.mkdir()
    with StaticServer(str(root)) as site:
        service = Service(
            tmp_path_factory.mktemp("site-form-service"),
            {
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp_sink.port),
                "NEWSLETTER_SITE_URL": site.url,
                "NEWSLETTER_MIN_FILL_SECONDS": "1",
            },
        ).start()
        try:
            result = run_pelican(
                root,
                extra={"NEWSLETTER_ENDPOINT": f"{service.base}/subscribe", "SEARCH_INDEX": False},
            )
            assert result.returncode == 0, result.stderr
            yield site, service
        finally:
            service.stop()


@pytest.fixture(scope="module")
def browser(chromium):
    """Here the browser alone: each test serves its own site."""
    return chromium


def fill(page, email, name="Maria Rossi"):
    page.fill("#nl-name", name)
    page.fill("#nl-email", email)
    page.check("#nl-consent")


def send_as_a_person(page):
    """Submit after the time trap (1 s here): a person takes longer than a bot."""
    page.wait_for_timeout(1100)
    page.click("form[data-newsletter] button[type=submit]")


def wait_for_status(page, text):
    page.locator("[data-newsletter-status]").filter(has_text=text).wait_for()


@pytest.mark.parametrize(
    ("lang", "start", "thanks"),
    [("it", "/eventi/", "/newsletter/grazie/"), ("en", "/en/events/", "/en/newsletter/thank-you/")],
)
def test_sign_up_and_confirm_without_javascript(live, browser, smtp_sink, lang, start, thanks):
    site, service = live
    address = f"no-js.{lang}@example.org"
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + start)
    fill(page, address)
    page.click("form[data-newsletter] button[type=submit]")
    page.wait_for_url(site.url + thanks)
    assert page.locator("html").get_attribute("lang") == lang
    assert describe(run_axe_with_js(browser, page.url)) == ""

    record = service.subscriber(address)
    assert record["status"] == "pending"
    assert record["lang"] == lang
    # The record proves what this page showed: its address, the notice's
    # version and the very wording next to the box.
    given = service.query(
        "SELECT c.page, c.privacy_version, c.consent_text_sha256 FROM consent_events c"
        " JOIN subscribers s ON s.id = c.subscriber_id WHERE s.email = ? AND c.event = 'given'",
        (address,),
    )
    assert given == [(start, NEWSLETTER_PRIVACY_VERSION, consent.consent_text_hash(lang))]

    mail = smtp_sink.wait_for(address)[0]
    page.goto(mail.link("confirm"))
    assert service.subscriber(address)["status"] == "pending"  # opening the link is not enough
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert TEXTS[lang]["confirmed_title"] in page.content()
    assert service.subscriber(address)["status"] == "confirmed"
    context.close()


def run_axe_with_js(browser, url):
    """axe needs scripts: look at the same page in a context that runs them."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    violations = run_axe(page)
    context.close()
    return violations


def test_sign_up_in_place_with_javascript(live, browser, smtp_sink):
    site, service = live
    address = "with-js@example.org"
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/")
    assert page.input_value("input[name=ts]") != ""  # the time trap is armed
    fill(page, address)
    page.click("form[data-newsletter] summary")
    page.check("#nl-territory-milano")
    page.check("#nl-territory-bergamo")
    send_as_a_person(page)
    wait_for_status(page, TEXTS["it"]["signup_ok"])
    assert page.url == site.url + "/"
    assert page.input_value("#nl-email") == ""  # the form is ready for someone else
    assert not page.is_checked("#nl-territory-milano")
    record = wait_until(lambda: service.subscriber(address), message="the sign-up to be stored")
    assert record["territories"] == "bergamo milano"
    assert smtp_sink.wait_for(address)[0].message["Subject"]
    context.close()


def test_errors_from_the_service_are_shown_at_the_field(live, browser):
    site, _service = live
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/en/newsletter/")
    # The browser accepts this address; the service does not (no dot in the domain).
    fill(page, "maria@localhost")
    send_as_a_person(page)
    error = page.locator("#nl-email-error")
    error.wait_for()
    assert error.inner_text() == TEXTS["en"]["email_invalid"]
    email = page.locator("#nl-email")
    assert email.get_attribute("aria-invalid") == "true"
    assert email.get_attribute("aria-describedby") == "nl-email-error"
    assert page.evaluate("document.activeElement.id") == "nl-email"
    assert describe(run_axe(page)) == ""

    # Fixed and sent again, the error goes away.
    page.fill("#nl-email", "maria.fixed@example.org")
    page.click("form[data-newsletter] button[type=submit]")
    wait_for_status(page, TEXTS["en"]["signup_ok"])
    assert page.locator("#nl-email-error").count() == 0
    assert email.get_attribute("aria-invalid") is None
    context.close()


def test_signing_up_with_the_keyboard_alone(live, browser):
    """Tab through the form (never into the hidden honeypot), tick with Space, send with Enter."""
    site, service = live
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + "/newsletter/")
    page.focus("#nl-name")
    page.keyboard.type("Luca Bianchi")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "nl-email"
    page.keyboard.type("keyboard.only@example.org")
    page.keyboard.press("Tab")  # the closed group of provinces: one stop, passed by
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "nl-consent"
    assert not page.locator("#nl-extra").is_visible()
    page.keyboard.press("Space")
    assert page.is_checked("#nl-consent")
    page.keyboard.press("Tab")  # the privacy notice link
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/privacy/"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(site.url + "/newsletter/grazie/")
    assert service.subscriber("keyboard.only@example.org")["name"] == "Luca Bianchi"
    context.close()


def test_provinces_open_with_the_keyboard_and_reach_the_service(live, browser):
    """The group is closed at first, opens with Enter on its summary, without JavaScript;
    a province ticked with Space is stored with the sign-up."""
    site, service = live
    address = "keyboard.provinces@example.org"
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + "/en/newsletter/")
    lodi = page.locator("#nl-territory-lodi")
    assert not lodi.is_visible()
    page.fill("#nl-email", address)
    page.focus("#nl-email")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Choose provinces"
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelector('form[data-newsletter] details').open")
    assert lodi.is_visible()
    for _ in range(12):  # through the boxes, in the order of the list
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "nl-territory-lodi":
            break
    assert page.evaluate("document.activeElement.id") == "nl-territory-lodi"
    page.keyboard.press("Space")
    assert lodi.is_checked()
    page.check("#nl-consent")
    page.click("form[data-newsletter] button[type=submit]")
    page.wait_for_url(site.url + "/en/newsletter/thank-you/")
    assert service.subscriber(address)["territories"] == "lodi"
    context.close()

    # Open, the group meets WCAG 2.1 AA too.
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/en/newsletter/")
    page.click("form[data-newsletter] summary")
    page.check("#nl-territory-milano")
    assert describe(run_axe(page)) == ""
    context.close()


def test_the_services_page_for_an_unknown_province_in_a_browser(live, browser):
    """A stale page offering a province the service no longer knows: the service's page
    says so, keeps the other boxes ticked, and meets WCAG 2.1 AA."""
    site, service = live
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + "/newsletter/")
    fill(page, "stale.page@example.org")
    page.click("form[data-newsletter] summary")
    page.check("#nl-territory-pavia")
    page.check("#nl-territory-lodi")
    page.evaluate("document.querySelector('#nl-territory-pavia').value = 'atlantide'")
    page.click("form[data-newsletter] button[type=submit]")
    page.wait_for_load_state()
    assert TEXTS["it"]["territory_unknown"] in page.locator(".error-summary").inner_text()
    assert page.is_checked("#nl-territory-lodi")
    assert not page.is_checked("#nl-territory-pavia")
    body = page.content()
    assert service.subscriber("stale.page@example.org") is None
    context.close()

    # axe runs as a script, which the service's policy blocks: the same page, served plain.
    context = browser.new_context()
    page = context.new_page()
    page.route(
        service.base + "/subscribe",
        lambda route: route.fulfill(body=body, content_type="text/html; charset=utf-8"),
    )
    page.goto(service.base + "/subscribe")
    assert describe(run_axe(page)) == ""
    context.close()


def test_a_form_sent_at_once_waits_out_the_time_trap(live, browser):
    """Autofill can fill the form in a moment: the script waits, silently, before sending."""
    site, service = live
    address = "autofilled@example.org"
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/en/")
    fill(page, address)
    # As if the page had just opened: autofill fills a form in no time.
    page.evaluate("document.querySelector('input[name=ts]').value = String(Date.now())")
    page.click("form[data-newsletter] button[type=submit]")
    wait_for_status(page, TEXTS["en"]["signup_ok"])
    assert page.locator(".newsletter-form__error").count() == 0
    assert wait_until(lambda: service.subscriber(address), message="the sign-up to be stored")
    context.close()


def test_a_clock_running_ahead_is_waited_out_too(live, browser):
    """The service tells the script its own time, and how long to wait."""
    site, service = live
    address = "clock-ahead@example.org"
    context = browser.new_context()
    context.add_init_script("(() => { const now = Date.now; Date.now = () => now() + 3600000; })()")
    page = context.new_page()
    page.goto(site.url + "/en/")
    fill(page, address)
    send_as_a_person(page)
    wait_for_status(page, TEXTS["en"]["signup_ok"])
    assert wait_until(lambda: service.subscriber(address), message="the sign-up to be stored")
    context.close()


def test_the_time_traps_page_in_a_browser(live, browser):
    """A form posted (not sent by the script) with a fresh `ts` gets the service's page:
    the form filled in again, which signs up once sent after a moment."""
    site, service = live
    address = "autofilled.posted@example.org"
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    def stamped(route):
        # The site's page, as if the script had stamped `ts` (by a clock running
        # a minute ahead) and then left the form alone.
        html = route.fetch().text()
        assert 'name="ts" value=""' in html
        ahead = str(int(time.time() * 1000) + 60_000)
        route.fulfill(
            body=html.replace('name="ts" value=""', f'name="ts" value="{ahead}"'),
            content_type="text/html; charset=utf-8",
        )

    page.route(site.url + "/en/", stamped)
    page.goto(site.url + "/en/")
    fill(page, address, name='<i>Maria</i> "Rossi"')
    page.click("form[data-newsletter] button[type=submit]")  # at once
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == TEXTS["en"]["too_fast_title"]
    assert page.input_value("#nl-email") == address
    assert page.input_value("#nl-name") == '<i>Maria</i> "Rossi"'
    assert page.is_checked("#nl-consent")
    assert service.subscriber(address) is None
    page.wait_for_timeout(1100)  # NEWSLETTER_MIN_FILL_SECONDS here
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/en/newsletter/thank-you/")
    assert service.subscriber(address)["name"] == '<i>Maria</i> "Rossi"'
    context.close()


def test_the_services_error_page_posts_again_in_a_browser(live, browser):
    """The service's own pages post back to it: a browser must send their origin."""
    site, service = live
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + "/en/newsletter/")
    fill(page, "maria@localhost")  # the browser takes it, the service does not
    page.click("form[data-newsletter] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == TEXTS["en"]["signup_title"]
    page.fill("#nl-email", "maria.again@example.org")
    page.check("#nl-consent")
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/en/newsletter/thank-you/")
    assert service.subscriber("maria.again@example.org")["status"] == "pending"
    context.close()


# Words that autofill (browsers' and password managers') looks for in a field's name or id.
AUTOFILL_WORDS = re.compile(
    r"name|mail|user|login|pass|phone|tel|mobile|fax|url|web|site|home|company|org|"
    r"address|street|city|town|zip|post|country|region|state|birth|card|cc|title|"
    r"first|last|given|family|nick|honorific|age|gender|sex",
    re.IGNORECASE,
)


@pytest.mark.parametrize("path", ["/", "/en/newsletter/"])
def test_the_honeypot_is_out_of_reach_of_autofill_and_assistive_technology(live, browser, path):
    site, _service = live
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + path)
    traps = page.locator("form[data-newsletter] input:not([type=hidden]):not([type=checkbox])")
    (trap,) = [
        traps.nth(n)
        for n in range(traps.count())
        if traps.nth(n).get_attribute("id") not in ("nl-name", "nl-email")
    ]
    for word in (trap.get_attribute("name"), trap.get_attribute("id")):
        assert not AUTOFILL_WORDS.search(word), word
    assert trap.get_attribute("autocomplete") == "off"
    assert trap.get_attribute("tabindex") == "-1"
    assert not trap.is_visible()
    assert trap.evaluate("input => input.closest('[aria-hidden=true][hidden]') !== null")
    context.close()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_serve_runs_the_service_beside_the_site(site, tmp_path):
    """What `make serve` runs: the site and, beside it, the service in development mode."""
    site_port, service_port = free_port(), free_port()
    data = tmp_path / "data"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "SMTP_"))},
        "NEWSLETTER_DB": str(data / "newsletter.sqlite3"),
    }
    command = [sys.executable, os.path.join(ROOT, "tools", "serve.py"), "--root", site]
    command += ["--port", str(site_port), "--newsletter-port", str(service_port)]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    site_url = f"http://127.0.0.1:{site_port}"
    try:
        form = {
            "email": "prova@example.org",
            "consent": "yes",
            "lang": "en",
            "page": "/en/",
            "privacy_version": "1",
        }

        def post():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", service_port, timeout=5)
                connection.request(
                    "POST",
                    "/subscribe",
                    urllib.parse.urlencode(form),
                    {"Origin": site_url, "Content-Type": "application/x-www-form-urlencoded"},
                )
                return connection.getresponse()
            except OSError:
                return None

        answer = wait_until(post, timeout=30, message="the service to answer")
        assert answer.status == 303
        thanks = answer.getheader("Location")
        assert thanks == site_url + "/en/newsletter/thank-you/"
        with urllib.request.urlopen(thanks) as page:
            assert page.status == 200
        mails = wait_until(lambda: list((data / "mail").glob("*.eml")), message="a mail")
        assert b"prova@example.org" in mails[0].read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=20)
    # Stopping the site stops the service too.
    wait_until(lambda: post() is None, timeout=20, message="the service to stop")


def test_make_devserver_builds_the_form_for_the_service_it_runs(tmp_path):
    """`make devserver` passes its service's address to every build it makes."""
    site_port, service_port = free_port(), free_port()
    output = tmp_path / "output"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "SMTP_"))},
        "NEWSLETTER_DB": str(tmp_path / "data" / "newsletter.sqlite3"),
    }
    command = [sys.executable, os.path.join(ROOT, "tools", "devserver.py"), "--output", str(output)]
    command += ["--port", str(site_port), "--newsletter-port", str(service_port)]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:

        def home():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{site_port}/", timeout=5) as page:
                    return page.read().decode("utf-8")
            except OSError:
                return None

        text = wait_until(home, timeout=120, message="the site to be built and served")
        assert f'action="http://127.0.0.1:{service_port}/subscribe"' in text

        def service():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", service_port, timeout=5)
                connection.request("GET", "/healthz")
                return connection.getresponse().status
            except OSError:
                return None

        assert wait_until(service, timeout=30, message="the service to answer") == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
    # Stopping the preview stops the service too.
    wait_until(lambda: service() is None, timeout=20, message="the service to stop")
