"""The operators' command line: settings checks, export, erasure, retention, development mode."""

import csv
import datetime
import io
import os
import subprocess
import sys

import pytest
from nl_support import ROOT, SECRET, wait_until

from newsletter import cli, db, subscriptions
from newsletter.export import neutralize
from newsletter.forms import Signup
from newsletter.tokens import Tokens

NOW = datetime.datetime.now(datetime.UTC)


def run_module(args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "SMTP_"))}
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "NEWSLETTER_MODE": "production",
    "NEWSLETTER_SITE_URL": "https://opensource14.example",
    "NEWSLETTER_PUBLIC_URL": "https://opensource14.example",
    "SMTP_HOST": "127.0.0.1",
    "SMTP_FROM": "OpenSource14 <newsletter@opensource14.example>",
}


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "NEWSLETTER_SECRET must be set"),
        ({"NEWSLETTER_SECRET": "short"}, "NEWSLETTER_SECRET is too short"),
        ({"NEWSLETTER_SECRET": SECRET, "SMTP_HOST": ""}, "SMTP_HOST is required"),
        (
            {"NEWSLETTER_SECRET": SECRET, "NEWSLETTER_SITE_URL": ""},
            "NEWSLETTER_SITE_URL must be set",
        ),
        ({"NEWSLETTER_SECRET": SECRET, "NEWSLETTER_RATE_LIMIT": "lots"}, "NEWSLETTER_RATE_LIMIT"),
    ],
)
def test_production_refuses_to_start_without_what_it_needs(tmp_path, env, complaint):
    settings = {**PRODUCTION, "NEWSLETTER_DB": str(tmp_path / "n.sqlite3"), **env}
    result = run_module(["serve", "--port", "0"], {k: v for k, v in settings.items() if v})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1  # one line
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "n.sqlite3").exists()  # refused before touching anything


@pytest.fixture
def operator(monkeypatch, capsys, tmp_path):
    """Runs `python -m newsletter ...` in this process, on a database of its own."""
    for name in list(os.environ):
        if name.startswith(("NEWSLETTER_", "SMTP_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NEWSLETTER_DB", str(tmp_path / "newsletter.sqlite3"))
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    monkeypatch.setenv("NEWSLETTER_PUBLIC_URL", "https://opensource14.example")

    class Operator:
        db_path = str(tmp_path / "newsletter.sqlite3")

        def __call__(self, *args):
            code = cli.main(list(args))
            captured = capsys.readouterr()
            return code, captured.out, captured.err

        def add(self, email, status="pending", at=NOW, name="Nome", lang="it", territories=()):
            """A sign-up (and its confirmation or withdrawal) as it happened at `at`."""
            conn = db.connect(self.db_path)
            signup = Signup(
                email=email,
                name=name,
                lang=lang,
                page="/",
                privacy_version="1",
                territories=territories,
            )
            with db.transaction(conn):
                subscriptions.record_signup(
                    conn,
                    signup,
                    ip_hmac="x",
                    base_url="https://opensource14.example",
                    mail_domain="example.org",
                    resend_interval=3600,
                    at=at,
                )
                if status in ("confirmed", "unsubscribed"):
                    subscriptions.confirm(conn, email, ip_hmac="x", at=at)
                if status == "unsubscribed":
                    subscriptions.unsubscribe(conn, email, how="page", at=at)
            conn.close()

        def rows(self, sql, params=()):
            conn = db.connect(self.db_path)
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()

    operator = Operator()
    db.initialize(operator.db_path)
    return operator


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_export_confirmed_only_by_default(operator):
    operator.add("confermata@example.org", "confirmed", name="Carla")
    operator.add("attesa@example.org", "pending")
    operator.add("uscita@example.org", "unsubscribed")
    code, out, _ = operator("export")
    assert code == 0
    rows = read_csv(out)
    assert [row["email"] for row in rows] == ["confermata@example.org"]
    assert list(rows[0]) == [
        "email",
        "name",
        "language",
        "confirmed_at",
        "unsubscribe_url",
        "territories",
    ]
    assert rows[0]["name"] == "Carla"
    assert rows[0]["language"] == "it"
    assert datetime.datetime.fromisoformat(rows[0]["confirmed_at"].replace("Z", "+00:00"))
    token = rows[0]["unsubscribe_url"].removeprefix("https://opensource14.example/unsubscribe/")
    assert Tokens(SECRET, 60).read_unsubscribe(token) == ("confermata@example.org", "it")

    code, out, _ = operator("export", "--all")
    everyone = {row["email"]: row for row in read_csv(out)}
    assert {e: r["status"] for e, r in everyone.items()} == {
        "confermata@example.org": "confirmed",
        "attesa@example.org": "pending",
        "uscita@example.org": "unsubscribed",
    }
    assert everyone["uscita@example.org"]["name"] == ""  # erased at unsubscription
    assert everyone["uscita@example.org"]["unsubscribe_url"] == ""


def test_export_gives_the_provinces_chosen(operator):
    operator.add("due@example.org", "confirmed", territories=("lodi", "milano"))
    operator.add("nessuna@example.org", "confirmed")
    code, out, _ = operator("export")
    assert code == 0
    assert {row["email"]: row["territories"] for row in read_csv(out)} == {
        "due@example.org": "lodi milano",
        "nessuna@example.org": "",
    }


def test_export_for_one_province(operator, tmp_path, monkeypatch):
    """An invitation to a meeting in a province: the confirmed subscribers who chose it."""
    operator.add("lodi.pavia@example.org", "confirmed", territories=("lodi", "pavia"))
    operator.add("pavia@example.org", "confirmed", territories=("pavia",))
    operator.add("lodi.attesa@example.org", "pending", territories=("lodi",))
    operator.add("lodi.uscita@example.org", "unsubscribed", territories=("lodi",))
    operator.add("nessuna@example.org", "confirmed")

    def emails(*args):
        code, out, err = operator("export", *args)
        assert code == 0, err
        return [row["email"] for row in read_csv(out)]

    assert emails("--territory", "lodi") == ["lodi.pavia@example.org"]
    assert emails("--territory", "pavia") == ["lodi.pavia@example.org", "pavia@example.org"]
    assert emails("--territory", "sondrio") == []
    # With --all, the pending too; not who left (their provinces went with them).
    assert emails("--all", "--territory", "lodi") == [
        "lodi.pavia@example.org",
        "lodi.attesa@example.org",
    ]
    target = tmp_path / "lodi.csv"
    code, _, err = operator("export", "--territory", "lodi", "-o", str(target))
    assert (code, "1 subscriber(s)" in err) == (0, True)

    code, out, err = operator("export", "--territory", "atlantide")
    assert code == 2
    assert out == ""
    assert "unknown territory 'atlantide': use one of bergamo, brescia" in err
    assert err.count("\n") == 1
    # A setting narrower than the data is the list.
    monkeypatch.setenv("NEWSLETTER_TERRITORIES", "lodi")
    assert operator("export", "--territory", "pavia")[0] == 2
    assert emails("--territory", "lodi") == ["lodi.pavia@example.org"]


def test_export_to_a_file_readable_by_the_operator_only(operator, tmp_path):
    operator.add("file@example.org", "confirmed")
    target = tmp_path / "export.csv"
    code, _, err = operator("export", "--output", str(target))
    assert code == 0
    assert "1 subscriber(s)" in err
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert read_csv(target.read_text(encoding="utf-8"))[0]["email"] == "file@example.org"


def test_export_neutralizes_formula_injection(operator, service, smtp_sink, monkeypatch):
    names = ['=HYPERLINK("http://evil.example","x")', "+SUM(1,2)", "-2+3", "@cmd", "Anna"]
    for n, name in enumerate(names):
        address = f"formula.{n}@example.org"
        assert service.sign_up(address, name=name).status == 303
        service.post(smtp_sink.wait_for(address)[0].link("confirm"))
    # An address may itself start with a formula character.
    assert service.sign_up("=1+1@example.org", name="Uguale").status == 303
    service.post(smtp_sink.wait_for("=1+1@example.org")[0].link("confirm"))

    monkeypatch.setenv("NEWSLETTER_DB", service.db_path)
    code, out, _ = operator("export")
    assert code == 0
    rows = {row["email"]: row for row in read_csv(out)}
    exported = [rows[f"formula.{n}@example.org"]["name"] for n in range(len(names))]
    assert exported == ["'" + name for name in names[:4]] + ["Anna"]
    assert "'=1+1@example.org" in rows
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@1", "\t=1", "\r=1", "＝1"])
def test_neutralize(value):
    assert neutralize(value) == "'" + value
    assert neutralize("Mario") == "Mario"
    assert neutralize(None) == ""


def test_erase_removes_everything_about_an_address(operator, service, smtp_sink, monkeypatch):
    keep, erase = "resta@example.org", "cancellami@example.org"
    for address in (keep, erase):
        assert service.sign_up(address).status == 303
        service.post(smtp_sink.wait_for(address)[0].link("confirm"))
    subscriber_id = service.subscriber(erase)["id"]
    monkeypatch.setenv("NEWSLETTER_DB", service.db_path)
    code, out, _ = operator("erase", " CancellaMi@Example.ORG ")
    assert code == 0
    assert "erased CancellaMi@example.org: consent_events 2, outbox 1, subscribers 1" in out
    assert service.subscriber(erase) is None
    for table in ("consent_events", "outbox"):
        assert service.query(
            f"SELECT count(*) FROM {table} WHERE subscriber_id = ?", (subscriber_id,)
        ) == [(0,)]
    assert service.subscriber(keep)["status"] == "confirmed"
    # Erased means gone from the files too, not merely unlinked.
    for path in (service.db_path, service.db_path + "-wal"):
        with open(path, "rb") as stored:
            assert b"cancellami@example.org" not in stored.read().lower()
    code, out, _ = operator("erase", erase)
    assert "nothing stored" in out


def test_operator_can_unsubscribe_someone(operator):
    operator.add("per-posta@example.org", "confirmed", name="Gino")
    code, out, _ = operator("unsubscribe", "per-posta@example.org")
    assert code == 0
    assert "unsubscribed" in out
    assert operator.rows("SELECT status, name FROM subscribers") == [("unsubscribed", None)]
    assert operator.rows("SELECT how FROM consent_events WHERE event = 'withdrawn'") == [
        ("operator",)
    ]


def test_purge_applies_the_retention_rules(operator, monkeypatch):
    days = datetime.timedelta(days=1)
    operator.add("attesa-vecchia@example.org", "pending", at=NOW - 31 * days)
    operator.add("attesa-recente@example.org", "pending", at=NOW - 29 * days)
    operator.add("uscita-vecchia@example.org", "unsubscribed", at=NOW - 740 * days)
    operator.add("uscita-recente@example.org", "unsubscribed", at=NOW - 700 * days)
    operator.add("fedele@example.org", "confirmed", at=NOW - 1000 * days)
    operator.rows("SELECT 1")
    conn = db.connect(operator.db_path)
    conn.execute("UPDATE outbox SET state = 'sent', finished_at = queued_at")
    conn.close()

    code, out, _ = operator("purge")
    assert code == 0
    remaining = {row[0] for row in operator.rows("SELECT email FROM subscribers")}
    assert remaining == {
        "attesa-recente@example.org",
        "uscita-recente@example.org",
        "fedele@example.org",
    }
    assert "deleted 1 unconfirmed sign-up(s), 1 unsubscribed record(s)" in out
    # Consent records go with their subscriber, and old outbox rows go too.
    assert operator.rows(
        "SELECT count(*) FROM consent_events WHERE subscriber_id NOT IN (SELECT id FROM subscribers)"
    ) == [(0,)]
    assert operator.rows("SELECT count(*) FROM outbox") == [(1,)]  # the recent pending one
    assert operator("purge", "--pending-days", "10")[0] == 0
    assert {row[0] for row in operator.rows("SELECT email FROM subscribers")} == {
        "uscita-recente@example.org",
        "fedele@example.org",
    }

    # Twelve months after the project's end, nothing is kept.
    monkeypatch.setenv("NEWSLETTER_PROJECT_END", (NOW - 300 * days).date().isoformat())
    operator("purge")
    assert len(operator.rows("SELECT email FROM subscribers")) == 2
    monkeypatch.setenv("NEWSLETTER_PROJECT_END", (NOW - 370 * days).date().isoformat())
    code, out, _ = operator("purge")
    assert "2 record(s) after the project's end" in out
    assert operator.rows("SELECT count(*) FROM subscribers") == [(0,)]
    assert operator.rows("SELECT count(*) FROM consent_events") == [(0,)]


def test_stats(operator):
    operator.add("a@example.org", "confirmed")
    operator.add("b@example.org", "pending")
    code, out, _ = operator("stats")
    assert code == 0
    assert "subscribers: confirmed 1, pending 1, unsubscribed 0" in out
    # The confirmed address's mail was cancelled when it confirmed.
    assert "mail: pending 1, sending 0, sent 0, failed 0, uncertain 0, cancelled 1" in out
    assert "oldest mail waiting" in out


def test_stats_exits_non_zero_when_mail_waits_too_long_or_failed(operator):
    """So that a cron job (or any monitor) can alert: `stats` exits 1 when mail needs someone."""
    hours = datetime.timedelta(hours=1)
    operator.add("fresh@example.org")  # queued just now
    code, out, _ = operator("stats")
    assert code == 0
    assert "ALERT" not in out

    operator.add("slow@example.org", at=NOW - 2 * hours)  # still unsent after two hours
    code, out, _ = operator("stats")
    assert code == 1
    assert "ALERT: 1 mail(s) waiting for more than 3600 s" in out
    # The threshold is the operator's choice.
    assert operator("stats", "--max-wait", str(3 * 3600))[0] == 0
    code, out, _ = operator("stats", "--max-wait", "0")
    assert code == 1
    assert "ALERT: 2 mail(s) waiting for more than 0 s" in out

    conn = db.connect(operator.db_path)
    conn.execute("UPDATE outbox SET state = 'sent' WHERE state = 'pending'")
    conn.execute(
        "UPDATE outbox SET state = 'failed', last_error = '550 5.1.1 no such user'"
        " WHERE subscriber_id = (SELECT id FROM subscribers WHERE email = 'slow@example.org')"
    )
    conn.close()
    code, out, _ = operator("stats")
    assert code == 1
    assert "ALERT: 1 mail(s) failed" in out
    assert "failed #" in out
    assert "slow@example.org" in out
    assert "550 5.1.1 no such user" in out
    # Once an operator has decided, the alert stops.
    assert operator("dismiss", "--failed")[0] == 0
    code, out, _ = operator("stats")
    assert code == 0
    assert "ALERT" not in out


def test_development_mode_needs_nothing_and_prints_the_links(make_service, tmp_path):
    data = tmp_path / "fresh" / "data"
    service = make_service(
        NEWSLETTER_DB=str(data / "newsletter.sqlite3"),
        NEWSLETTER_SECRET="",
        SMTP_FROM="",
    )
    service.db_path = str(data / "newsletter.sqlite3")
    assert "development mode" in service.log()
    assert (data / ".gitignore").read_text().strip().endswith("*")  # never committed by mistake
    assert service.sign_up("prova@example.org", lang="en").status == 303
    mails = wait_until(lambda: list((data / "mail").glob("*.eml")), message="an .eml file")
    assert b"Please confirm your subscription" in mails[0].read_bytes()
    confirm = wait_until(
        lambda: next((w for w in service.log().split() if "/confirm/" in w), None),
        message="the printed link",
    )
    assert "unsubscribe: http://127.0.0.1" in service.log()
    assert service.post(confirm).status == 200
    assert service.subscriber("prova@example.org")["status"] == "confirmed"
    # The development secret lives in the database, so links survive a restart.
    service.stop()
    service.start()
    assert service.post(confirm).status == 200
