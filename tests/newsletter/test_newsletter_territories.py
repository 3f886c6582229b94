"""Sign-ups by province: the site's form offers the provinces of its data, the
service stores the choice with the consent record, and refuses ids it does not know."""

import html
import io
import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml
from nl_support import ROOT, parse_page, province_group

from htmlpage import url_to_file
from newsletter import db, subscriptions, territories
from newsletter.config import ConfigError, from_env
from newsletter.export import write_csv
from newsletter.forms import Signup
from newsletter.texts import TEXTS
from sitebuild import copy_project_sources, run_pelican

with open(os.path.join(ROOT, "data", "territories.yaml"), encoding="utf-8") as _handle:
    DATA_IDS = [record["id"] for record in yaml.safe_load(_handle)]

# One more territory than the project's, with a name of its own in each language.
FIXTURE_TERRITORY = """
- id: provincia-di-prova
  name:
    it: Provincia di prova
    en: Test province
"""
SUMMARIES = {"it": "Scegli le province", "en": "Choose provinces"}
FORM_PAGES = {"it": ["/", "/newsletter/"], "en": ["/en/", "/en/newsletter/"]}


def expected_name(record, lang):
    """The label a territory of the data gets: (text, lang attribute or None)."""
    names = record["name"] if isinstance(record["name"], dict) else {"it": record["name"]}
    if names.get(lang):
        return names[lang], None
    return names["it"], "it"


def given_territories(service, address, event="given"):
    return [
        row[0]
        for row in service.query(
            "SELECT c.territories FROM consent_events c JOIN subscribers s"
            " ON s.id = c.subscriber_id WHERE s.email = ? AND c.event = ? ORDER BY c.id",
            (address, event),
        )
    ]


# -- the site's form ------------------------------------------------------------------


@pytest.fixture(scope="module")
def province_site(tmp_path_factory):
    """The site built with a territory more than the project's data."""
    root = tmp_path_factory.mktemp("provinces")
    content, data = copy_project_sources(root / "sources")
    path = os.path.join(data, "territories.yaml")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(FIXTURE_TERRITORY)
    with open(path, encoding="utf-8") as handle:
        records = yaml.safe_load(handle)
    output = root / "output"
    result = run_pelican(output, content=content, data=data, extra={"SEARCH_INDEX": False})
    assert result.returncode == 0, result.stdout + result.stderr
    return str(output), records


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_form_offers_the_provinces_of_the_data_none_ticked(province_site, lang):
    output, records = province_site
    assert records[-1]["id"] == "provincia-di-prova"
    for path in FORM_PAGES[lang]:
        with open(url_to_file(output, path), encoding="utf-8") as handle:
            text = handle.read()
        group = province_group(text)
        assert [box["value"] for box in group.boxes] == [r["id"] for r in records], path
        for box, record in zip(group.boxes, records, strict=True):
            assert box["type"] == "checkbox"
            assert not box["checked"], f"{path}: {box['value']} is ticked"
            assert box["id"] == f"nl-territory-{record['id']}"
            assert group.label(box) == expected_name(record, lang), path
            # Inside the group's fieldset, in the part that opens and closes.
            ancestors = box["ancestors"]
            assert "fieldset" in ancestors
            assert "details" in ancestors[ancestors.index("fieldset") :]
        assert group.legends == [TEXTS[lang]["territories_legend"]]
        assert group.summaries == [SUMMARIES[lang]]
        # The service's own form page says the same.
        assert TEXTS[lang]["territories_hint"] in html.unescape(text)
        assert text.count('id="nl-territory-') == len(records)
    # Names in the page's language, from the data.
    labels = {box["value"]: group.label(box)[0] for box in group.boxes}
    assert (labels["provincia-di-prova"], labels["milano"]) == {
        "it": ("Provincia di prova", "Milano"),
        "en": ("Test province", "Milan"),
    }[lang]


# -- the service's settings ------------------------------------------------------------


def test_the_service_accepts_the_ids_of_the_checkouts_data_by_default():
    config = from_env({})
    assert [territory.id for territory in config.territories] == DATA_IDS
    milano = {t.id: t for t in config.territories}["milano"]
    assert (milano.name("it"), milano.name("en")) == (("Milano", "it"), ("Milan", "en"))


def test_a_setting_narrows_the_list_in_the_forms_order():
    config = from_env({"NEWSLETTER_TERRITORIES": " lodi, bergamo "})
    assert [territory.id for territory in config.territories] == ["bergamo", "lodi"]


def run_serve(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "SMTP_"))}
    return subprocess.run(
        [sys.executable, "-m", "newsletter", "serve", "--port", "0"],
        cwd=ROOT,
        env={**clean, "NEWSLETTER_DB": str(tmp_path / "n.sqlite3"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        (
            "bergamo,atlantide",
            "NEWSLETTER_TERRITORIES: 'atlantide' is not a territory of data/territories.yaml",
        ),
        ("Bergamo", "NEWSLETTER_TERRITORIES: 'Bergamo' is not a territory id"),
        ("lodi,pavia,lodi", "NEWSLETTER_TERRITORIES lists 'lodi' twice"),
        (",", "NEWSLETTER_TERRITORIES lists no territory"),
    ],
)
def test_a_bad_setting_stops_the_service_at_start(tmp_path, setting, complaint):
    result = run_serve(tmp_path, NEWSLETTER_TERRITORIES=setting)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1  # one line
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "n.sqlite3").exists()  # refused before touching anything


def test_without_the_data_file_the_setting_is_needed(tmp_path):
    missing = str(tmp_path / "territories.yaml")
    with pytest.raises(territories.TerritoryError, match="NEWSLETTER_TERRITORIES is not set"):
        territories.from_setting(None, missing)
    found = territories.from_setting("lodi,pavia", missing)
    assert [(t.id, t.name("en")) for t in found] == [
        ("lodi", ("lodi", "it")),
        ("pavia", ("pavia", "it")),
    ]


@pytest.mark.parametrize(
    "text", ["- id: lodi\n  name: [Lodi\n", "id: lodi\n", "- id: Lodi\n  name: Lodi\n", "- id: x\n"]
)
def test_a_broken_data_file_is_reported(tmp_path, text):
    path = tmp_path / "territories.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(territories.TerritoryError, match=str(path)):
        territories.from_setting(None, str(path))


def test_config_errors_are_one_line():
    with pytest.raises(ConfigError) as caught:
        from_env({"NEWSLETTER_TERRITORIES": "nowhere"})
    assert "\n" not in str(caught.value)
    assert "bergamo, brescia" in str(caught.value)  # says which ids there are


# -- sign-ups ------------------------------------------------------------------------


def test_a_sign_up_with_two_provinces_is_stored_with_its_consent(service, smtp_sink, address):
    reply = service.sign_up(address, territory=["milano", "bergamo", "milano"])
    assert reply.status == 303
    # Once each, in the form's order.
    assert service.subscriber(address)["territories"] == "bergamo milano"
    assert given_territories(service, address) == ["bergamo milano"]
    service.post(smtp_sink.wait_for(address)[0].link("confirm"))
    assert service.subscriber(address)["status"] == "confirmed"
    assert given_territories(service, address, "confirmed") == ["bergamo milano"]


def test_a_sign_up_without_provinces_stores_none(service, address):
    assert service.sign_up(address).status == 303
    assert service.subscriber(address)["territories"] == ""
    assert given_territories(service, address) == [""]


def test_the_json_answer_names_the_field(service, address):
    reply = service.sign_up(
        address, territory=["lodi", "atlantide"], headers={"Accept": "application/json"}
    )
    assert reply.status == 422
    assert json.loads(reply.body) == {
        "ok": False,
        "errors": {"territory": TEXTS["it"]["territory_unknown"]},
    }
    assert service.subscriber(address) is None


@pytest.mark.parametrize("lang", ["it", "en"])
def test_an_unknown_province_gets_the_form_back_with_the_boxes_ticked(service, address, lang):
    reply = service.sign_up(
        address, lang=lang, name="Anna", consent=None, territory=["milano", "atlantide", "lodi"]
    )
    assert reply.status == 422
    assert service.subscriber(address) is None
    page = parse_page(reply.body)
    text = TEXTS[lang]
    message = text["territory_unknown"]
    # Listed in the summary, before the consent's, linked to the group's first box.
    assert [link for link in page.links if link[0].startswith("#nl-")] == [
        ("#nl-territory-bergamo", message),
        ("#nl-consent", text["consent_required"]),
    ]
    group = province_group(reply.body)
    assert [box["value"] for box in group.boxes] == DATA_IDS
    assert [box["value"] for box in group.boxes if box["checked"]] == ["lodi", "milano"]
    assert group.legends == [text["territories_legend"]]
    assert group.summaries == []  # the service's page shows the group open
    # The message and the hint are read with the group.
    assert group.describedby[0] == ["nl-territories-hint", "nl-territory-error"]
    assert group.texts["nl-territories-hint"] == text["territories_hint"]
    assert group.texts["nl-territory-error"] == message
    milan = next(box for box in group.boxes if box["value"] == "milano")
    bergamo = group.boxes[0]
    assert group.label(milan) == ({"it": "Milano", "en": "Milan"}[lang], None)
    assert group.label(bergamo) == ("Bergamo", None if lang == "it" else "it")
    fields = {field.get("name"): field for field in page.inputs}
    assert fields["email"]["value"] == address
    assert fields["name"]["value"] == "Anna"


def test_the_time_traps_page_keeps_the_provinces_ticked(service, address):
    reply = service.sign_up(address, territory=["pavia", "lodi"], ts=str(int(time.time() * 1000)))
    assert reply.status == 422
    group = province_group(reply.body)
    assert [box["value"] for box in group.boxes if box["checked"]] == ["lodi", "pavia"]
    assert "nl-territory-error" not in group.texts
    assert service.subscriber(address) is None


def test_a_narrower_setting_accepts_only_its_provinces(make_service, address):
    narrow = make_service(NEWSLETTER_TERRITORIES="lodi,bergamo")
    refused = narrow.sign_up(address, territory=["milano"])
    assert refused.status == 422
    assert [box["value"] for box in province_group(refused.body).boxes] == ["bergamo", "lodi"]
    assert narrow.sign_up(address, territory=["lodi"]).status == 303
    assert narrow.subscriber(address)["territories"] == "lodi"


def test_a_second_sign_up_keeps_what_the_mailed_link_confirms(service, smtp_sink, address):
    """Pending: the provinces stay those of the sign-up the link was mailed for, as its
    name and language do; each consent record holds what its own form said. Confirmed:
    nothing changes. Unsubscribed: the provinces go with the name; signing up again
    starts afresh."""
    assert service.sign_up(address, name="Prima", territory=["lodi"]).status == 303
    assert service.sign_up(address, name="Seconda", territory=["pavia", "como"]).status == 303
    record = service.subscriber(address)
    assert (record["name"], record["territories"]) == ("Prima", "lodi")
    assert given_territories(service, address) == ["lodi", "como pavia"]

    (mail,) = smtp_sink.wait_for(address)
    service.post(mail.link("confirm"))
    assert service.subscriber(address)["territories"] == "lodi"
    assert given_territories(service, address, "confirmed") == ["lodi"]

    assert service.sign_up(address, territory=["sondrio"]).status == 303
    assert service.subscriber(address)["territories"] == "lodi"
    assert given_territories(service, address) == ["lodi", "como pavia"]

    service.post(mail.link("unsubscribe"))
    record = service.subscriber(address)
    assert (record["status"], record["name"], record["territories"]) == ("unsubscribed", None, "")
    # The proof of what was consented to stays.
    assert given_territories(service, address) == ["lodi", "como pavia"]

    assert service.sign_up(address, name="Terza", territory=["sondrio"]).status == 303
    record = service.subscriber(address)
    assert (record["status"], record["territories"]) == ("pending", "sondrio")


# -- the database -------------------------------------------------------------------


def test_a_version_2_database_is_upgraded_in_place(tmp_path):
    path = str(tmp_path / "v2.sqlite3")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for statement in db._statements(db.SCHEMA):  # the tables of version 1, then 2
        conn.execute(statement)
    db.MIGRATIONS[2](conn)
    conn.execute("PRAGMA user_version = 2")
    at = db.iso(db.now())
    for address, name in (("vecchia@example.org", "Vecchia"), ("attesa@example.org", "Attesa")):
        # A sign-up as version 2 stored it: its subscriber and its consent record.
        row_id = conn.execute(
            "INSERT INTO subscribers (email, mailbox, name, lang, status, created_at, updated_at)"
            " VALUES (?, ?, ?, 'it', 'pending', ?, ?)",
            (address, address, name, at, at),
        ).lastrowid
        conn.execute(
            "INSERT INTO consent_events (subscriber_id, event, at, how, lang, page,"
            " privacy_version, consent_text_sha256, ip_hmac)"
            " VALUES (?, 'given', ?, 'form', 'it', '/', '1', 'h', 'x')",
            (row_id, at),
        )
    conn.execute(
        "UPDATE subscribers SET status = 'confirmed', confirmed_at = ? WHERE name = 'Vecchia'",
        (at,),
    )
    conn.execute("COMMIT")
    conn.close()

    db.initialize(path)
    db.initialize(path)  # once upgraded, nothing more to do
    conn = db.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone() == (db.SCHEMA_VERSION,) == (3,)
    assert conn.execute(
        "SELECT email, name, status, territories FROM subscribers ORDER BY id"
    ).fetchall() == [
        ("vecchia@example.org", "Vecchia", "confirmed", ""),
        ("attesa@example.org", "Attesa", "pending", ""),
    ]
    # The old records' forms did not ask: NULL, not "none chosen".
    assert conn.execute("SELECT territories FROM consent_events").fetchall() == [(None,), (None,)]

    def sign_up(address, ids):
        signup = Signup(
            email=address,
            name="Nuova",
            lang="en",
            page="/en/",
            privacy_version="2",
            territories=ids,
        )
        with db.transaction(conn):
            subscriptions.record_signup(
                conn, signup, ip_hmac="y", base_url="https://example.org",
                mail_domain="example.org", resend_interval=3600,
            )  # fmt: skip

    sign_up("nuova@example.org", ("lodi", "pavia"))
    sign_up("attesa@example.org", ("lodi",))  # pending: keeps what it had
    rows = conn.execute(
        "SELECT s.email, s.territories, c.territories FROM consent_events c"
        " JOIN subscribers s ON s.id = c.subscriber_id WHERE c.id > 2 ORDER BY c.id"
    ).fetchall()
    assert rows == [
        ("nuova@example.org", "lodi pavia", "lodi pavia"),
        ("attesa@example.org", "", "lodi"),
    ]
    with db.transaction(conn):
        subscriptions.confirm(conn, "nuova@example.org", ip_hmac="z")
    out = io.StringIO()
    assert write_csv(conn, out, territory="pavia") == 1
    assert out.getvalue().splitlines()[1].startswith("nuova@example.org,Nuova,en,")
    assert out.getvalue().splitlines()[1].endswith(",lodi pavia")
    conn.close()
