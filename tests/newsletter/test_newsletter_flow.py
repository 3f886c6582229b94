"""The whole sign-up flow against the real server, in both languages."""

import hashlib
import hmac
import json

import pytest
from nl_support import SECRET, SITE_URL, parse_page, unique_ip, wait_until

from newsletter.consent import CONSENT_TEXT, THANK_YOU_PAGES, consent_text_hash
from newsletter.texts import TEXTS


def ip_hmac(ip):
    key = hmac.new(SECRET.encode(), b"newsletter.ip-hmac.v1", hashlib.sha256).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("lang", ["it", "en"])
def test_whole_flow(service, smtp_sink, address, lang):
    ip = unique_ip()
    page = "/en/partners/" if lang == "en" else "/partner/"
    reply = service.sign_up(address, ip=ip, lang=lang, page=page, name="Anna Bianchi")

    # Without JavaScript: a 303 to the thank-you page in the form's language.
    assert reply.status == 303
    assert reply.header("location") == SITE_URL + THANK_YOU_PAGES[lang]

    # Stored as pending, with a consent record that proves what was agreed to.
    subscriber = service.subscriber(address)
    assert subscriber["status"] == "pending"
    assert subscriber["name"] == "Anna Bianchi"
    assert subscriber["lang"] == lang
    events = service.query(
        "SELECT event, lang, page, privacy_version, consent_text_sha256, ip_hmac, at"
        " FROM consent_events WHERE subscriber_id = ?",
        (subscriber["id"],),
    )
    assert len(events) == 1
    event, event_lang, event_page, version, text_hash, stored_ip, at = events[0]
    assert (event, event_lang, event_page, version) == ("given", lang, page, "1")
    assert text_hash == consent_text_hash(lang)
    assert text_hash == hashlib.sha256(CONSENT_TEXT[lang].encode()).hexdigest()
    assert stored_ip == ip_hmac(ip)
    assert at.endswith("Z")
    for path in (service.db_path, service.db_path + "-wal"):
        with open(path, "rb") as stored:
            assert ip.encode() not in stored.read()  # never the raw address

    # The confirmation mail, in the form's language.
    (mail,) = smtp_sink.wait_for(address)
    assert mail.message["Subject"] == TEXTS[lang]["mail_subject"]
    assert mail.message["Content-Language"] == lang
    assert mail.message["To"].addresses[0].addr_spec == address
    # Nothing typed into the form is repeated to an address not yet confirmed.
    assert mail.message["To"].addresses[0].display_name == ""
    assert "Anna Bianchi" not in mail.body
    assert mail.body.startswith(TEXTS[lang]["mail_greeting"])
    confirm_link = mail.link("confirm")
    assert confirm_link.startswith(service.base + "/confirm/")

    # Opening the link (as a mail scanner would) shows a button and changes nothing.
    shown = service.get(confirm_link)
    assert shown.status == 200
    document = parse_page(shown.body)
    assert document.lang == lang
    assert document.h1 == [TEXTS[lang]["confirm_title"]]
    assert document.forms == [("post", confirm_link.removeprefix(service.base))]
    assert document.buttons == [TEXTS[lang]["confirm_button"]]
    assert address in shown.body
    for _ in range(3):
        assert service.get(confirm_link).status == 200
        service.request("HEAD", confirm_link)
    assert service.subscriber(address)["status"] == "pending"

    # Pressing the button confirms.
    confirmed = service.post(confirm_link)
    assert confirmed.status == 200
    assert parse_page(confirmed.body).h1 == [TEXTS[lang]["confirmed_title"]]
    subscriber = service.subscriber(address)
    assert subscriber["status"] == "confirmed"
    assert subscriber["confirmed_at"] is not None
    kinds = [
        row[0]
        for row in service.query(
            "SELECT event FROM consent_events WHERE subscriber_id = ? ORDER BY id",
            (subscriber["id"],),
        )
    ]
    assert kinds == ["given", "confirmed"]
    # Pressing it again is harmless.
    assert service.post(confirm_link).status == 200
    assert service.subscriber(address)["status"] == "confirmed"

    # Every mail carries an unsubscribe link and the RFC 8058 headers.
    unsubscribe_link = mail.link("unsubscribe")
    assert mail.message["List-Unsubscribe"] == f"<{unsubscribe_link}>"
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page_reply = service.get(unsubscribe_link)
    assert page_reply.status == 200
    assert parse_page(page_reply.body).buttons == [TEXTS[lang]["unsubscribe_button"]]
    assert service.subscriber(address)["status"] == "confirmed"  # GET changed nothing

    # One-click: what a mail client POSTs to the List-Unsubscribe address.
    one_click = service.post(unsubscribe_link, {"List-Unsubscribe": "One-Click"})
    assert one_click.status == 200
    assert parse_page(one_click.body).h1 == [TEXTS[lang]["unsubscribed_title"]]
    subscriber = service.subscriber(address)
    assert subscriber["status"] == "unsubscribed"
    assert subscriber["name"] is None  # the name goes at once
    assert subscriber["unsubscribed_at"] is not None
    events = service.query(
        "SELECT event, how FROM consent_events WHERE subscriber_id = ? ORDER BY id",
        (subscriber["id"],),
    )
    assert events == [("given", "form"), ("confirmed", "link"), ("withdrawn", "one-click")]

    # An old confirmation link cannot sign the person up again.
    again = service.post(confirm_link)
    assert again.status == 404
    assert service.subscriber(address)["status"] == "unsubscribed"


def test_unsubscribe_page_button_works_too(service, smtp_sink, address):
    service.sign_up(address, lang="en")
    unsubscribe_link = smtp_sink.wait_for(address)[0].link("unsubscribe")
    reply = service.post(unsubscribe_link)  # the page's button: an empty form
    assert reply.status == 200
    assert service.subscriber(address)["status"] == "unsubscribed"
    assert service.query(
        "SELECT how FROM consent_events WHERE event = 'withdrawn' AND subscriber_id = ?",
        (service.subscriber(address)["id"],),
    ) == [("page",)]
    # Pending mail for someone who left is never sent.
    assert service.query(
        "SELECT count(*) FROM outbox WHERE subscriber_id = ? AND state = 'pending'",
        (service.subscriber(address)["id"],),
    ) == [(0,)]


def test_json_answers_for_the_sites_script(service, smtp_sink, address):
    headers = {"Accept": "application/json"}
    ok = service.sign_up(address, lang="en", headers=headers)
    assert ok.status == 200
    assert ok.header("content-type") == "application/json"
    assert json.loads(ok.body) == {"ok": True, "message": TEXTS["en"]["signup_ok"]}
    assert ok.header("access-control-allow-origin") == SITE_URL
    assert "Origin" in ok.header("vary")
    assert service.subscriber(address)["status"] == "pending"
    smtp_sink.wait_for(address)

    bad = service.sign_up(
        "not-an-address", lang="en", consent=None, name="x" * 101, headers=headers
    )
    assert bad.status == 422
    answer = json.loads(bad.body)
    assert answer["ok"] is False
    assert answer["errors"] == {
        "name": TEXTS["en"]["name_too_long"],
        "email": TEXTS["en"]["email_invalid"],
        "consent": TEXTS["en"]["consent_required"],
    }
    assert bad.header("access-control-allow-origin") == SITE_URL

    preflight = service.request("OPTIONS", "/subscribe", headers={"Origin": SITE_URL})
    assert preflight.status == 200
    assert preflight.header("access-control-allow-origin") == SITE_URL
    assert "POST" in preflight.header("access-control-allow-methods")


def test_same_answer_whatever_the_address_state(service, smtp_sink, address):
    """New, pending, confirmed and unsubscribed addresses all get the same answer."""
    states, answers = [], []

    def attempt():
        reply = service.sign_up(address, lang="en")
        answers.append((reply.status, reply.header("location"), reply.body))
        json_reply = service.sign_up(address, lang="en", headers={"Accept": "application/json"})
        answers.append((json_reply.status, json_reply.body))
        states.append(service.subscriber(address)["status"])

    attempt()  # new
    attempt()  # pending
    mail = smtp_sink.wait_for(address)[0]
    service.post(mail.link("confirm"))
    attempt()  # confirmed
    assert (
        service.subscriber(address)["status"] == "confirmed"
    )  # a confirmed address stays confirmed
    service.post(mail.link("unsubscribe"))
    attempt()  # unsubscribed: pending again
    assert states == ["pending", "pending", "confirmed", "pending"]
    html_answers = {a for a in answers if len(a) == 3}
    json_answers = {a for a in answers if len(a) == 2}
    assert html_answers == {(303, SITE_URL + THANK_YOU_PAGES["en"], "")}
    assert len(json_answers) == 1


def test_confirmed_subscriber_cannot_be_renamed_or_mailed_by_strangers(service, smtp_sink, address):
    service.sign_up(address, name="Vera")
    service.post(smtp_sink.wait_for(address)[0].link("confirm"))
    # Even long after the last mail, a confirmed address gets no new one.
    service.execute(
        "UPDATE subscribers SET last_mail_at = '2000-01-01T00:00:00.000000Z' WHERE email = ?",
        (address,),
    )
    assert service.sign_up(address, name="Impostore").status == 303
    assert service.subscriber(address)["name"] == "Vera"
    assert service.subscriber(address)["status"] == "confirmed"
    subscriber_id = service.subscriber(address)["id"]
    assert service.query(
        "SELECT count(*) FROM outbox WHERE subscriber_id = ?", (subscriber_id,)
    ) == [(1,)]
    assert len(smtp_sink.to(address)) == 1


def test_at_most_one_confirmation_mail_per_hour(service, smtp_sink, address):
    for _ in range(4):
        assert service.sign_up(address).status == 303
    smtp_sink.wait_for(address)
    subscriber_id = service.subscriber(address)["id"]
    assert service.query(
        "SELECT count(*) FROM outbox WHERE subscriber_id = ?", (subscriber_id,)
    ) == [(1,)]
    # Every attempt is still recorded as a consent given.
    assert service.query(
        "SELECT count(*) FROM consent_events WHERE subscriber_id = ?", (subscriber_id,)
    ) == [(4,)]
    # An hour later (the last mail moved back in time), another mail may go.
    service.execute(
        "UPDATE subscribers SET last_mail_at = '2000-01-01T00:00:00.000000Z' WHERE id = ?",
        (subscriber_id,),
    )
    assert service.sign_up(address).status == 303
    assert len(smtp_sink.wait_for(address, count=2)) == 2


def test_unsubscribed_address_signs_up_again(service, smtp_sink, address):
    service.sign_up(address, name="Primo")
    mail = smtp_sink.wait_for(address)[0]
    service.post(mail.link("unsubscribe"))
    service.execute(
        "UPDATE subscribers SET last_mail_at = '2000-01-01T00:00:00.000000Z' WHERE email = ?",
        (address,),
    )
    assert service.sign_up(address, name="Secondo", lang="en").status == 303
    subscriber = service.subscriber(address)
    assert (subscriber["status"], subscriber["name"], subscriber["lang"]) == (
        "pending",
        "Secondo",
        "en",
    )
    second = smtp_sink.wait_for(address, count=2)[1]
    assert second.message["Content-Language"] == "en"
    service.post(second.link("confirm"))
    assert service.subscriber(address)["status"] == "confirmed"


def test_bad_links(service, smtp_sink, address):
    service.sign_up(address, lang="en")
    mail = smtp_sink.wait_for(address)[0]
    confirm_token = mail.link("confirm").rsplit("/", 1)[1]
    unsubscribe_token = mail.link("unsubscribe").rsplit("/", 1)[1]
    # A token for one purpose opens nothing else (separate salts).
    assert service.post(f"/confirm/{unsubscribe_token}").status == 404
    assert service.post(f"/unsubscribe/{confirm_token}").status == 404
    # A damaged token is refused, in the token's language where it can be read.
    damaged = service.post(f"/confirm/{confirm_token[:-3]}xyz")
    assert damaged.status == 404
    assert parse_page(damaged.body).lang == "en"
    assert service.get("/confirm/garbage").status == 404
    assert service.subscriber(address)["status"] == "pending"


def test_expired_confirmation_link(make_service, smtp_sink, address):
    # Links valid for about a second.
    service = make_service(smtp_port=smtp_sink.port, NEWSLETTER_CONFIRM_DAYS=1 / 86400)
    service.sign_up(address, lang="en")
    link = smtp_sink.wait_for(address)[0].link("confirm")
    wait_until(lambda: service.get(link).status == 410, timeout=5)
    reply = service.post(link)
    assert reply.status == 410
    assert parse_page(reply.body).h1 == [TEXTS["en"]["expired_title"]]
    assert service.subscriber(address)["status"] == "pending"


def test_health_and_unknown_pages(service):
    assert service.get("/healthz").body == "ok\n"
    missing = service.get("/nowhere")
    assert missing.status == 404
    page = parse_page(missing.body)
    assert page.lang == "it"
    assert len(page.h1) == 1
    not_allowed = service.get("/subscribe")
    assert not_allowed.status == 405
    assert "POST" in not_allowed.header("allow")


def test_security_headers(service):
    reply = service.get("/healthz")
    assert reply.header("referrer-policy") == "no-referrer"
    assert reply.header("x-content-type-options") == "nosniff"
    assert "frame-ancestors 'none'" in reply.header("content-security-policy")
    assert reply.header("cache-control") == "no-store"
