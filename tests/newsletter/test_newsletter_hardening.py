"""What probing the service found, each fixed: pending sign-ups nobody else can
change, mail that repeats nothing a stranger typed, one mail an hour per
mailbox, the time trap that explains itself, a honeypot out of autofill's
reach, and a used confirmation link that says so."""

import datetime
import html
import json
import re
import sqlite3
import time

import pytest
from nl_support import parse_page, unique_ip

from newsletter import db, subscriptions
from newsletter.forms import Signup
from newsletter.texts import TEXTS


def now_ms():
    return int(time.time() * 1000)


def test_a_second_sign_up_changes_nothing_of_a_pending_one(service, smtp_sink, address):
    assert service.sign_up(address, name="Anna", lang="en").status == 303
    first = smtp_sink.wait_for(address)[0]
    # Someone else posts the same address with other words.
    assert service.sign_up(address, name="Impostore", lang="it").status == 303
    subscriber = service.subscriber(address)
    assert (subscriber["name"], subscriber["lang"]) == ("Anna", "en")
    # Even once another mail may go (an hour later), in the language asked for first.
    service.execute(
        "UPDATE subscribers SET last_mail_at = '2000-01-01T00:00:00.000000Z' WHERE email = ?",
        (address,),
    )
    assert service.sign_up(address, name="Impostore", lang="it").status == 303
    second = smtp_sink.wait_for(address, count=2)[1]
    assert second.message["Content-Language"] == "en"
    # The link confirms what its owner typed.
    assert service.post(first.link("confirm")).status == 200
    subscriber = service.subscriber(address)
    assert (subscriber["status"], subscriber["name"], subscriber["lang"]) == (
        "confirmed",
        "Anna",
        "en",
    )
    # Each attempt is still on record as consent given, in its own language.
    assert service.query(
        "SELECT lang FROM consent_events WHERE subscriber_id = ? AND event = 'given' ORDER BY id",
        (subscriber["id"],),
    ) == [("en",), ("it",), ("it",)]


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_confirmation_mail_repeats_nothing_typed_into_the_form(
    service, smtp_sink, address, lang
):
    name = "You won! Claim it at https://evil.example/prize"
    assert service.sign_up(address, name=name, lang=lang).status == 303
    (mail,) = smtp_sink.wait_for(address)
    (recipient,) = mail.message["To"].addresses
    assert recipient.display_name == ""
    assert recipient.addr_spec == address
    assert mail.body.splitlines()[0] == TEXTS[lang]["mail_greeting"]
    for text in (mail.raw.decode("ascii", "replace"), mail.body):
        assert "evil.example" not in text
        assert "You won" not in text
    # The name is kept for the newsletter, once confirmed.
    assert service.subscriber(address)["name"] == name


def test_one_mail_an_hour_per_mailbox_whatever_the_tag(service, smtp_sink, address):
    local, domain = address.split("@")
    tagged = [f"{local}+1@{domain}", f"{local}+2@{domain}", f"{local.upper()}+x@{domain}", address]
    for each in tagged:
        assert service.sign_up(each).status == 303
    smtp_sink.wait_for(tagged[0])
    rows = service.query(
        "SELECT s.email FROM outbox o JOIN subscribers s ON s.id = o.subscriber_id"
        " WHERE s.email LIKE ?",
        (f"{local}%@{domain}",),
    )
    assert rows == [(tagged[0],)]
    assert len(service.query("SELECT 1 FROM subscribers WHERE email LIKE ?", (f"{local}%",))) == 4
    # Another mailbox is another mailbox.
    assert service.sign_up(f"{local}.other@{domain}").status == 303
    smtp_sink.wait_for(f"{local}.other@{domain}")
    time.sleep(0.3)
    assert sum(len(smtp_sink.to(each)) for each in tagged) == 1


def test_a_database_of_the_previous_version_gets_the_mailbox_limit(tmp_path):
    path = str(tmp_path / "old.sqlite3")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for statement in db._statements(db.SCHEMA):  # version 1, as first released
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    an_hour_ago = db.iso(db.now() - datetime.timedelta(minutes=59))
    conn.execute(
        "INSERT INTO subscribers (email, lang, status, created_at, updated_at, last_mail_at)"
        " VALUES ('Old+news@example.org', 'it', 'pending', ?, ?, ?)",
        (an_hour_ago, an_hour_ago, an_hour_ago),
    )
    conn.execute("COMMIT")
    conn.close()

    db.initialize(path)
    conn = db.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (db.SCHEMA_VERSION,)
    assert conn.execute("SELECT mailbox FROM subscribers").fetchall() == [("old@example.org",)]
    with db.transaction(conn):
        subscriptions.record_signup(
            conn,
            Signup(
                email="old+other@example.org", name=None, lang="en", page="/", privacy_version="1"
            ),
            ip_hmac="x",
            base_url="https://example.org",
            mail_domain="example.org",
            resend_interval=3600,
        )
    assert conn.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM subscribers").fetchone() == (2,)
    conn.close()


TOO_FAST = {
    "at-once": lambda: str(now_ms() - 500),
    "in-the-future": lambda: str(now_ms() + 60_000),  # the visitor's clock is ahead
    "not-a-number": lambda: "yesterday-ish",
    "not-a-whole-number": lambda: "1e12",
}


@pytest.mark.parametrize("ts", TOO_FAST.values(), ids=TOO_FAST.keys())
@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_time_trap_explains_itself_without_javascript(service, smtp_sink, address, lang, ts):
    name = '<b>"Anna" & co</b>'
    reply = service.sign_up(address, name=name, lang=lang, page="/partner/", ts=ts())
    assert reply.status == 422
    assert reply.header("location") is None  # not thanked
    page = parse_page(reply.body)
    text = TEXTS[lang]
    assert page.lang == lang
    assert page.h1 == [text["too_fast_title"]]
    assert text["too_fast_body"] in html.unescape(reply.body)
    # The form again, filled in, with one button.
    assert page.forms == [("post", "/subscribe")]
    assert page.buttons == [text["submit"]]
    fields = {field.get("name"): field for field in page.inputs}
    assert fields["name"]["value"] == name
    assert "<b>" not in reply.body  # escaped
    assert fields["email"]["value"] == address
    assert "checked" in fields["consent"]  # as the visitor sent it
    assert (fields["lang"]["value"], fields["page"]["value"]) == (lang, "/partner/")
    assert fields["privacy_version"]["value"] == "1"
    assert abs(int(fields["ts"]["value"]) - now_ms()) < 5000  # the service's own clock
    assert service.subscriber(address) is None
    assert smtp_sink.to(address) == []


def resend(service, reply):
    """Press the button of a page the service sent: its form, as it stands."""
    page = parse_page(reply.body)
    form = {
        field["name"]: field.get("value", "")
        for field in page.inputs
        if field.get("type") != "checkbox" or "checked" in field
    }
    return service.post(
        "/subscribe", form, {"Origin": service.base, "X-Forwarded-For": unique_ip()}
    )


def test_the_time_trap_page_signs_up_once_a_person_has_had_time(service, smtp_sink, address):
    reply = service.sign_up(address, ts=str(now_ms() + 3_600_000))  # a clock an hour ahead
    assert reply.status == 422
    assert resend(service, reply).status == 422  # pressed at once: still too fast
    assert service.subscriber(address) is None
    time.sleep(3.1)  # NEWSLETTER_MIN_FILL_SECONDS
    again = resend(service, reply)
    assert again.status == 303
    assert service.subscriber(address)["status"] == "pending"
    smtp_sink.wait_for(address)


def test_the_time_trap_tells_the_sites_script_when_to_send_again(service, address):
    reply = service.sign_up(
        address, lang="en", ts=str(now_ms() - 500), headers={"Accept": "application/json"}
    )
    assert reply.status == 422
    answer = json.loads(reply.body)
    assert answer["ok"] is False
    assert answer["errors"] == {"form": TEXTS["en"]["too_fast_retry"]}
    assert answer["retry"]["after"] == 3
    assert abs(int(answer["retry"]["ts"]) - now_ms()) < 5000
    assert service.subscriber(address) is None


# Words that autofill (browsers' and password managers') looks for in a field's name or id.
AUTOFILL_WORDS = re.compile(
    r"name|mail|user|login|pass|phone|tel|mobile|fax|url|web|site|home|company|org|"
    r"address|street|city|town|zip|post|country|region|state|birth|card|cc|title|"
    r"first|last|given|family|nick|honorific|age|gender|sex",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    "trap",
    [
        {"nl_extra": "http://spam.example"},  # the honeypot, filled
        {"website": "http://spam.example"},  # its old name, from a cached page
    ],
)
def test_a_filled_honeypot_is_thanked_and_forgotten(service, smtp_sink, address, trap):
    reply = service.sign_up(address, **trap)
    assert reply.status == 303
    assert service.subscriber(address) is None
    json_reply = service.sign_up(address, headers={"Accept": "application/json"}, **trap)
    assert json_reply.status == 200
    assert service.subscriber(address) is None


def test_the_services_own_form_keeps_its_honeypot_from_autofill(service, address):
    reply = service.sign_up(address, consent=None)
    assert reply.status == 422
    page = parse_page(reply.body)
    (trap,) = [field for field in page.inputs if field["name"] == "nl_extra"]
    assert not AUTOFILL_WORDS.search(trap["name"])
    assert not AUTOFILL_WORDS.search(trap["id"])
    assert trap["autocomplete"] == "off"
    assert trap["tabindex"] == "-1"
    assert re.search(
        r'<div hidden aria-hidden="true">\s*<label for="nl-extra">[^<]*</label>\s*<input [^>]*id="nl-extra"',
        reply.body,
    )


@pytest.mark.parametrize("lang", ["it", "en"])
def test_a_used_confirmation_link_says_the_address_is_confirmed(service, smtp_sink, address, lang):
    assert service.sign_up(address, lang=lang).status == 303
    link = smtp_sink.wait_for(address)[0].link("confirm")
    assert service.post(link).status == 200
    text = TEXTS[lang]
    for reply in (service.get(link), service.post(link)):
        assert reply.status == 200
        page = parse_page(reply.body)
        assert page.lang == lang
        assert page.h1 == [text["already_title"]]
        assert page.forms == []  # nothing to press
        assert address in reply.body
    assert service.subscriber(address)["status"] == "confirmed"
