"""Bots, forged requests, floods, oversized bodies and redirects, against the real server."""

import time

import pytest
from nl_support import SITE_URL, parse_page, unique_ip

from newsletter.consent import CONSENT_TEXT, THANK_YOU_PAGES
from newsletter.texts import TEXTS

THANK_YOU = {SITE_URL + page for page in THANK_YOU_PAGES.values()}


def now_ms():
    return int(time.time() * 1000)


def nothing_stored(service, address):
    return service.subscriber(address) is None


@pytest.mark.parametrize("trap", [{"nl_extra": "http://spam.example"}])  # the honeypot, filled
@pytest.mark.parametrize("lang", ["it", "en"])
def test_bots_get_the_same_303_and_nothing_is_stored(service, smtp_sink, address, trap, lang):
    # The time trap is no longer silent: see test_newsletter_hardening.py.
    fields = dict(trap)
    bot = service.sign_up(address, lang=lang, **fields)
    person = service.sign_up(f"human.{address}", lang=lang)
    assert bot.status == person.status == 303
    assert bot.header("location") == person.header("location") == SITE_URL + THANK_YOU_PAGES[lang]
    assert bot.body == person.body
    assert nothing_stored(service, address)
    assert service.subscriber(f"human.{address}")["status"] == "pending"
    # Script users see the same success message.
    json_bot = service.sign_up(address, lang=lang, headers={"Accept": "application/json"}, **fields)
    assert json_bot.status == 200
    assert '"ok":true' in json_bot.body.replace(" ", "")
    assert nothing_stored(service, address)
    smtp_sink.wait_for(f"human.{address}")
    assert smtp_sink.to(address) == []


@pytest.mark.parametrize(
    "ts",
    [None, "", "{slow}"],
    ids=["no-javascript", "empty", "filled-after-ten-seconds"],
)
def test_people_pass_the_time_trap(service, address, ts):
    fields = {"ts": ts.format(slow=now_ms() - 10_000) if ts else ts}
    assert service.sign_up(address, **fields).status == 303
    assert service.subscriber(address)["status"] == "pending"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:8000.evil.example"},
        {"Origin": "https://127.0.0.1:8000"},  # another scheme is another origin
        {"Origin": None, "Sec-Fetch-Site": "cross-site"},
        {"Origin": SITE_URL.replace("8000", "8999")},
    ],
)
def test_foreign_origins_are_rejected(service, address, headers):
    sent = {key: value for key, value in headers.items() if value is not None}
    request_headers = {"X-Forwarded-For": unique_ip(), **sent}
    form = {
        "email": address,
        "consent": "yes",
        "lang": "en",
        "page": "/en/",
        "privacy_version": "1",
    }
    reply = service.post("/subscribe", form, request_headers)
    assert reply.status == 403
    assert reply.header("access-control-allow-origin") is None
    page = parse_page(reply.body)
    assert page.lang == "en"
    assert len(page.h1) == 1
    assert nothing_stored(service, address)


@pytest.mark.parametrize(
    "headers",
    [
        {},  # an old browser: neither header
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-site"},  # the site on :8000, the service on another port
        {"Sec-Fetch-Site": "none"},
        {"Origin": SITE_URL, "Sec-Fetch-Site": "same-site"},
    ],
)
def test_posts_from_the_site_are_accepted(service, address, headers):
    form = {
        "email": address,
        "consent": "yes",
        "lang": "it",
        "page": "/",
        "privacy_version": "1",
    }
    reply = service.post("/subscribe", form, {"X-Forwarded-For": unique_ip(), **headers})
    assert reply.status == 303
    assert service.subscriber(address)["status"] == "pending"


def test_the_services_own_error_page_can_post_again(service, address):
    # The 422 page is served by the service itself and posts to it.
    reply = service.sign_up(
        address, headers={"Origin": service.base, "Sec-Fetch-Site": "same-origin"}
    )
    assert reply.status == 303


def test_rate_limit_per_client_with_retry_after(service, address):
    ip = unique_ip()
    statuses = [service.sign_up(f"{n}.{address}", ip=ip).status for n in range(5)]
    assert statuses == [303] * 5  # the shared service allows 5 a minute
    limited = service.sign_up(f"late.{address}", ip=ip)
    assert limited.status == 429
    assert 1 <= int(limited.header("retry-after")) <= 60
    assert nothing_stored(service, f"late.{address}")
    json_limited = service.sign_up(f"late.{address}", ip=ip, headers={"Accept": "application/json"})
    assert json_limited.status == 429
    assert json_limited.header("retry-after")
    # Other people are not affected.
    assert service.sign_up(f"other.{address}").status == 303


def test_forwarded_for_is_believed_only_from_trusted_proxies(make_service, smtp_sink, address):
    # No trusted proxies: X-Forwarded-For is ignored, everyone here is 127.0.0.1.
    untrusting = make_service(smtp_port=smtp_sink.port, NEWSLETTER_RATE_LIMIT="3/60")
    statuses = [untrusting.sign_up(f"{n}.{address}", ip=unique_ip()).status for n in range(4)]
    assert statuses == [303, 303, 303, 429]

    # Trusted proxies: the client is the last address that is not one of them,
    # whatever a client wrote further left.
    trusting = make_service(
        smtp_port=smtp_sink.port,
        NEWSLETTER_RATE_LIMIT="3/60",
        NEWSLETTER_TRUSTED_PROXIES="10.9.9.9, 127.0.0.0/8",
    )
    statuses = [
        trusting.sign_up(f"t{n}.{address}", ip=f"{unique_ip()}, 192.0.2.7, 10.9.9.9").status
        for n in range(4)
    ]
    assert statuses == [303, 303, 303, 429]  # all from 192.0.2.7
    assert trusting.sign_up(f"t5.{address}", ip="192.0.2.8, 10.9.9.9").status == 303


def test_request_bodies_have_a_size_limit(service, address):
    huge_name = "x" * 5000  # the shared service allows 4096 bytes
    reply = service.sign_up(address, name=huge_name)
    assert reply.status == 413
    assert nothing_stored(service, address)
    enormous = service.request(
        "POST",
        "/subscribe",
        body="a=" + "b" * 100_000,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": SITE_URL},
    )
    assert enormous.status == 413


@pytest.mark.parametrize(
    "fields",
    [
        {"lang": "https://evil.example/"},
        {"lang": "//evil.example"},
        {"page": "//evil.example/"},
        {"page": "https://evil.example/"},
        {"next": "https://evil.example/", "redirect": "https://evil.example/"},
        {"nl_extra": "filled", "lang": "//evil.example"},
    ],
)
def test_redirects_only_go_to_the_thank_you_pages(service, address, fields):
    reply = service.sign_up(address, **fields)
    if reply.status == 303:
        assert reply.header("location") in THANK_YOU
    else:
        # A tampered page address is an outdated form, shown again: never a redirect.
        assert reply.status == 422
        assert reply.header("location") is None
        assert "evil.example" not in reply.body


def test_invalid_input_gets_an_accessible_page_in_the_forms_language(service, address):
    reply = service.sign_up(
        "not an address",
        lang="en",
        name='<script>alert("x")</script>',
        consent=None,
        page="/en/partners/",
    )
    assert reply.status == 422
    assert reply.header("content-type").startswith("text/html")
    page = parse_page(reply.body)
    assert page.lang == "en"
    assert page.h1 == [TEXTS["en"]["signup_title"]]
    # An error summary that is announced, each error linked to its field.
    assert len(page.alerts) == 1
    assert ("#nl-email", TEXTS["en"]["email_invalid"]) in page.links
    assert ("#nl-consent", TEXTS["en"]["consent_required"]) in page.links
    # The form again, values kept (escaped), consent not ticked, every field labelled.
    assert page.forms == [("post", "/subscribe")]
    fields = {field.get("name"): field for field in page.inputs}
    assert fields["email"]["value"] == "not an address"
    assert fields["name"]["value"] == '<script>alert("x")</script>'
    assert "<script>" not in reply.body
    assert "checked" not in fields["consent"]
    assert fields["email"]["aria-invalid"] == "true"
    assert fields["lang"]["value"] == "en"
    assert fields["page"]["value"] == "/en/partners/"
    assert fields["privacy_version"]["value"] == "1"
    for field in page.inputs:
        if field.get("type") != "hidden":
            assert field["id"] in page.labels
    assert CONSENT_TEXT["en"] in reply.body
    assert (SITE_URL + "/en/privacy/", TEXTS["en"]["privacy_link"]) in page.links
    assert (SITE_URL + "/en/partners/", TEXTS["en"]["back_to_page"]) in page.links
    assert any(
        href == SITE_URL + "/theme/css/base.css"
        for tag, a in page.elements
        if tag == "link"
        for href in [a.get("href")]
    )
    assert nothing_stored(service, "not an address")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "x" * 101}, "name"),
        ({"name": "Mario\r\nBcc: victim@example.org"}, "name"),
        ({"name": "Mario\u202eoiraM"}, "name"),
        ({"email": ""}, "email"),
        ({"email": "mario@"}, "email"),
        ({"email": "mario@localhost"}, "email"),
        ({"consent": None}, "consent"),
        ({"consent": "no"}, "consent"),
        ({"page": "partners"}, "form"),
        ({"page": "/" + "p" * 300}, "form"),
        ({"privacy_version": ""}, "form"),
        ({"privacy_version": "1 OR 1=1"}, "form"),
    ],
)
def test_validation(service, address, fields, error):
    fields = {"email": address, **fields}
    email = fields.pop("email")
    reply = service.sign_up(email, headers={"Accept": "application/json"}, **fields)
    assert reply.status == 422
    assert f'"{error}"' in reply.body
    assert nothing_stored(service, address)


def test_accepted_edge_values(service, address):
    # 100 characters, accents, apostrophes: all fine. Unknown language: Italian.
    name = "Maria Grazia D'Alessandro-Müller " + "à" * 67
    assert len(name) == 100
    reply = service.sign_up(address.upper(), name=name, lang="fr")
    assert reply.header("location") == SITE_URL + THANK_YOU_PAGES["it"]
    stored = service.query(
        "SELECT email, name, lang FROM subscribers WHERE email = ? COLLATE NOCASE", (address,)
    )
    # The domain is normalized to lower case by email-validator.
    assert stored == [(address.upper().split("@")[0] + "@example.org", name, "it")]
