"""The confirmation mail's headers: no injection, proper encoding, international addresses."""

import pytest

from newsletter.mail import compose_confirmation


def compose(**overrides):
    arguments = {
        "mail_from": "OpenSource14 <newsletter@example.org>",
        "to": "anna@example.org",
        "lang": "it",
        "message_id": "<1@example.org>",
        "confirm_url": "https://example.org/confirm/" + "a" * 120,
        "unsubscribe_url": "https://example.org/unsubscribe/" + "b" * 120,
        "site_url": "https://example.org",
        "days": 7,
    }
    return compose_confirmation(**{**arguments, **overrides})


@pytest.mark.parametrize(
    "to", ["anna@example.org\r\nBcc: victim@example.org", "anna@example.org\nX-Evil: 1"]
)
def test_line_breaks_never_reach_a_header(to):
    # The form refuses such addresses already; the mail package refuses them again.
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        compose(to=to)


def test_long_unsubscribe_address_is_not_folded_or_encoded():
    raw = compose().as_bytes()
    header = next(line for line in raw.split(b"\r\n") if line.startswith(b"List-Unsubscribe:"))
    assert header == b"List-Unsubscribe: <https://example.org/unsubscribe/" + b"b" * 120 + b">"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    body_lines = raw.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
    assert max(len(line) for line in body_lines) <= 76  # quoted-printable's limit
    assert raw.isascii()


def test_tricky_names_never_reach_the_mail(service, smtp_sink, address):
    name = 'Evil "x" <evil@attacker.example>, other@attacker.example; Bcc: z@attacker.example'
    assert service.sign_up(address, name=name).status == 303
    (mail,) = smtp_sink.wait_for(address)
    assert mail.recipients == [address]
    (recipient,) = mail.message["To"].addresses
    assert recipient.addr_spec == address
    assert recipient.display_name == ""
    assert b"attacker.example" not in mail.raw
    assert mail.message["Bcc"] is None
    assert smtp_sink.to("evil@attacker.example") == smtp_sink.to("other@attacker.example") == []


@pytest.mark.parametrize(
    ("typed", "delivered_to"),
    [
        ("zoë@example.org", "zoë@example.org"),  # SMTPUTF8
        ("anna@bücher.de", "anna@xn--bcher-kva.de"),  # IDNA domain
    ],
)
def test_international_addresses(service, smtp_sink, typed, delivered_to):
    assert service.sign_up(typed, name="Zoë Núñez").status == 303
    (mail,) = smtp_sink.wait_for(delivered_to)
    assert mail.recipients == [delivered_to]
    assert "Zoë Núñez" not in mail.body
    assert mail.link("confirm")
