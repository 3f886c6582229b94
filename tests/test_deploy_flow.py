"""The whole sign-up with the real pieces of a deployment, over loopback.

- The site as `make publish` builds it (publishconf.py, a data controller
  added to a copy of data/), served by tools/serve.py on one origin, as
  GitHub Pages would serve it;
- the service in production mode (deploy/newsletter.env.example, with this
  test's addresses), behind nginx with the deploy configuration and a
  self-signed certificate (tests/test_deploy.py's helpers) on another origin,
  its mail going to an SMTP sink;
- Chromium, which accepts that certificate (`--ignore-certificate-errors`,
  here only), signs up with the site's form across origins, follows the
  mailed confirmation link through the proxy, confirms, and unsubscribes.

The database is checked after every step.
"""

import contextlib
import http.client
import os
import shutil
import sqlite3
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import sync_playwright
from test_deploy import SECRET, TIMEOUT, MailSink, Proxy, Service, free_port, wait_until

from browser import CHROMIUM_FLAGS, StaticServer, chromium_path
from newsletter import consent
from newsletter.abuse import ip_hmac
from newsletter.texts import TEXTS
from pelicanconf import NEWSLETTER_PRIVACY_VERSION
from sitebuild import ROOT, run_pelican

pytestmark = pytest.mark.browser

CONTROLLER = os.path.join(ROOT, "tests", "fixtures", "privacy", "controller.yaml")


class Deployment:
    """The static site, the service behind nginx, and the mail they send."""

    def __init__(self, site, service, proxy, sink, endpoint):
        self.site, self.service, self.proxy, self.sink = site, service, proxy, sink
        self.endpoint = endpoint
        self.service_url = f"https://127.0.0.1:{proxy.https_port}"

    def subscriber(self, address):
        rows = self.service.query(
            "SELECT status, name, lang FROM subscribers WHERE email = ?", (address,)
        )
        return dict(zip(("status", "name", "lang"), rows[0], strict=True)) if rows else None

    def events(self, address):
        """[(event, how, page, privacy_version, consent_text_sha256, ip_hmac)], in order."""
        return self.service.query(
            "SELECT c.event, c.how, c.page, c.privacy_version, c.consent_text_sha256, c.ip_hmac"
            " FROM consent_events c JOIN subscribers s ON s.id = c.subscriber_id"
            " WHERE s.email = ? ORDER BY c.id",
            (address,),
        )

    def outbox(self, address):
        return self.service.query(
            "SELECT o.kind, o.state, o.base_url FROM outbox o"
            " JOIN subscribers s ON s.id = o.subscriber_id WHERE s.email = ? ORDER BY o.id",
            (address,),
        )

    def mail(self, address):
        """The confirmation mail's text (body, then List-Unsubscribe) and its two links."""
        confirm = self.service_url + self.sink.link("confirm", address, base=self.service_url)
        unsubscribe = self.service_url + self.sink.link(
            "unsubscribe", address, base=self.service_url
        )
        [text] = [text for recipients, text in self.sink.messages if address in recipients]
        return text, confirm, unsubscribe


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deployment")
    output = folder / "output"
    output.mkdir()
    data = folder / "data"
    shutil.copytree(os.path.join(ROOT, "data"), data)
    with (
        open(CONTROLLER, encoding="utf-8") as source,
        open(data / "project.yaml", "a", encoding="utf-8") as target,
    ):
        target.write("\n" + source.read())
    with contextlib.ExitStack() as stack:
        sink = MailSink()
        sink.controller.start()
        stack.callback(sink.controller.stop)
        # The site's origin must be known to the service, and the proxy's to both.
        site = stack.enter_context(StaticServer(str(output)))
        https_port = free_port()
        service_url = f"https://127.0.0.1:{https_port}"
        (folder / "service").mkdir()
        service = Service(
            folder / "service",
            sink.port,
            {"NEWSLETTER_SITE_URL": site.url, "NEWSLETTER_PUBLIC_URL": service_url},
        )
        stack.callback(service.stop)
        (folder / "nginx").mkdir()
        proxy = Proxy(folder / "nginx", service.port, https_port=https_port)
        stack.callback(proxy.stop)
        endpoint = f"{service_url}/subscribe"
        built = run_pelican(
            output,
            data=data,
            settings="publishconf.py",
            env={"SITEURL": site.url, "NEWSLETTER_ENDPOINT": endpoint},
        )
        assert built.returncode == 0, built.stderr
        yield Deployment(site, service, proxy, sink, endpoint)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path(),
            args=[*CHROMIUM_FLAGS, "--ignore-certificate-errors"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, javascript):
    """A page of a fresh browser context, with or without JavaScript."""
    context = browser.new_context(java_script_enabled=javascript)
    context.set_default_timeout(TIMEOUT * 1000)
    yield context.new_page()
    context.close()


def test_the_published_site_runs_in_production_behind_the_proxy(deployment):
    assert deployment.service.cli("stats").returncode == 0
    assert deployment.service.env["NEWSLETTER_MODE"] == "production"
    with urllib.request.urlopen(deployment.site.url + "/", timeout=TIMEOUT) as home:
        text = home.read().decode("utf-8")
    assert f'action="{deployment.endpoint}"' in text
    assert f'<link rel="canonical" href="{deployment.site.url}/"' in text
    status, headers, _ = deployment.proxy.request("GET", "/healthz")
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=63072000"


@pytest.mark.parametrize(
    ("javascript", "lang", "start"),
    [(True, "it", "/"), (False, "en", "/en/newsletter/")],
    ids=["with-javascript", "without-javascript"],
)
def test_sign_up_confirm_and_unsubscribe_across_origins(deployment, page, javascript, lang, start):
    site_url, service_url = deployment.site.url, deployment.service_url
    address = f"flow.{lang}@example.org"
    text = TEXTS[lang]
    proxy_ip = ip_hmac(SECRET, "127.0.0.1")

    # 1. The static site's form, posted to the service's origin through nginx.
    page.goto(site_url + start)
    assert page.get_attribute("form[data-newsletter]", "action") == deployment.endpoint
    page.fill("#nl-name", "Maria Rossi")
    page.fill("#nl-email", address)
    page.check("#nl-consent")
    page.click("form[data-newsletter] button[type=submit]")
    if javascript:  # sent in place, the answer shown by the form
        page.locator("[data-newsletter-status]").filter(has_text=text["signup_ok"]).wait_for()
        assert page.url == site_url + start
    else:  # a plain POST, answered with a redirect to the site's thank-you page
        page.wait_for_url(site_url + "/en/newsletter/thank-you/")
        assert page.locator("html").get_attribute("lang") == "en"
    wait_until(lambda: deployment.subscriber(address), message="the sign-up to be stored")
    assert deployment.subscriber(address) == {
        "status": "pending",
        "name": "Maria Rossi",
        "lang": lang,
    }
    assert deployment.events(address) == [
        (
            "given",
            "form",
            start,
            NEWSLETTER_PRIVACY_VERSION,
            consent.consent_text_hash(lang),
            proxy_ip,
        )
    ]

    # 2. The mail: links to the service under the proxy's address, never the service's own port.
    body, confirm, unsubscribe = deployment.mail(address)
    assert f"127.0.0.1:{deployment.service.port}" not in body
    assert body.rstrip().endswith(f"<{unsubscribe}>")  # the List-Unsubscribe header
    wait_until(
        lambda: deployment.outbox(address) == [("confirmation", "sent", service_url)],
        message="the outbox to record the mail as sent",
    )

    # 3. Opening the confirmation link changes nothing; its button confirms.
    answer = page.goto(confirm)
    assert answer.status == 200
    assert answer.headers["strict-transport-security"] == "max-age=63072000"  # nginx's
    assert page.locator("h1").inner_text() == text["confirm_title"]
    assert deployment.subscriber(address)["status"] == "pending"
    page.click("button[type=submit]")
    page.locator("h1").filter(has_text=text["confirmed_title"]).wait_for()
    assert page.url == confirm
    assert deployment.subscriber(address)["status"] == "confirmed"
    assert deployment.events(address)[1:] == [("confirmed", "link", None, None, None, proxy_ip)]

    # 4. Unsubscribing with one click.
    if javascript:
        # In the browser, from the link in the mail's text: the page's one button.
        page.goto(unsubscribe)
        assert page.locator("h1").inner_text() == text["unsubscribe_title"]
        assert deployment.subscriber(address)["status"] == "confirmed"
        page.click("button[type=submit]")
        page.locator("h1").filter(has_text=text["unsubscribed_title"]).wait_for()
        how = "page"
    else:
        # As a mail client does from the List-Unsubscribe header (RFC 8058): one POST.
        parts = urllib.parse.urlsplit(unsubscribe)
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, context=deployment.proxy.tls, timeout=TIMEOUT
        )
        try:
            connection.request(
                "POST",
                parts.path,
                "List-Unsubscribe=One-Click",
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            response = connection.getresponse()
            assert response.status == 200
            assert text["unsubscribed_title"] in response.read().decode("utf-8")
        finally:
            connection.close()
        how = "one-click"
    assert deployment.subscriber(address) == {"status": "unsubscribed", "name": None, "lang": lang}
    assert deployment.events(address)[2:] == [("withdrawn", how, None, None, None, None)]
    # The confirmation link now says it is no longer valid, and changes nothing.
    assert page.goto(confirm).status == 404
    assert deployment.subscriber(address)["status"] == "unsubscribed"
    with contextlib.closing(sqlite3.connect(deployment.service.db_path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    # nginx passed the sign-up on and logged it, but never the mailed links.
    assert deployment.proxy.request("GET", "/healthz?flow")[0] == 200
    wait_until(
        lambda: "/healthz?flow" in deployment.proxy.log("newsletter.access.log"),
        message="nginx's log",
    )
    access = deployment.proxy.log("newsletter.access.log")
    assert '"POST /subscribe HTTP/' in access
    for secret in (confirm.rsplit("/", 1)[1], unsubscribe.rsplit("/", 1)[1], "/confirm/", address):
        assert secret not in access, secret
