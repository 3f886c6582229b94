"""The SQLite database: schema, connections, transactions, timestamps.

Durability settings are the point of this module. WAL lets readers go on
while one writer commits; synchronous=FULL makes every COMMIT reach the disk
before it returns, so a sign-up acknowledged with a 303 survives a crash or a
power cut. Writes start with BEGIN IMMEDIATE, which takes the write lock up
front: a transaction that reads and then writes cannot fail half-way with
SQLITE_BUSY, it waits (busy_timeout) for its turn instead.

The database holds personal data: its folder, when the service creates it,
is private to the service's user (0700), and so is the file (0600; SQLite
gives its -wal and -shm files the same mode).
"""

import contextlib
import datetime
import os
import secrets
import sqlite3
import stat

from newsletter.forms import mailbox

BUSY_TIMEOUT_MS = 10_000
SCHEMA_VERSION = 3

# The tables as first released (version 1). MIGRATIONS, below, bring them to
# SCHEMA_VERSION, then SIGNUPS adds the sign-up view: new and old databases
# go through the very same steps.
SCHEMA = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per address. `name` is erased as soon as someone unsubscribes.
CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT,
    lang TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    confirmed_at TEXT,
    unsubscribed_at TEXT,
    last_mail_at TEXT
);

-- The proof of consent and of its withdrawal: what was agreed to, where and
-- when. The IP address is only ever stored as an HMAC.
CREATE TABLE consent_events (
    id INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    event TEXT NOT NULL CHECK (event IN ('given', 'confirmed', 'withdrawn')),
    at TEXT NOT NULL,
    how TEXT NOT NULL,
    lang TEXT,
    page TEXT,
    privacy_version TEXT,
    consent_text_sha256 TEXT,
    ip_hmac TEXT
);
CREATE INDEX consent_events_subscriber ON consent_events (subscriber_id);

-- Mails to send, written in the same transaction as the change that needs
-- them. The message itself is rendered when it is sent, so no copy of a
-- name outlives an unsubscription here.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('confirmation')),
    lang TEXT NOT NULL,
    base_url TEXT NOT NULL,
    message_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (
        state IN ('pending', 'sending', 'sent', 'uncertain', 'failed', 'cancelled', 'dismissed')
    ),
    attempts INTEGER NOT NULL DEFAULT 0,
    queued_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    claimed_at TEXT,
    finished_at TEXT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_subscriber ON outbox (subscriber_id);
"""


# Version 2: the one-mail-an-hour limit counts a mailbox (the address without
# its +tag), and a second sign-up no longer changes a pending one (SIGNUPS).
def _to_version_2(conn):
    conn.execute("ALTER TABLE subscribers ADD COLUMN mailbox TEXT")
    for row_id, address in conn.execute("SELECT id, email FROM subscribers").fetchall():
        conn.execute("UPDATE subscribers SET mailbox = ? WHERE id = ?", (mailbox(address), row_id))
    conn.execute("CREATE INDEX subscribers_mailbox ON subscribers (mailbox)")


# Version 3: the provinces a sign-up chose (ids separated by single spaces,
# '' for none), on the subscriber (what the export gives) and on each consent
# record given or confirmed with the form that offered them (NULL on older
# records: their form did not ask).
def _to_version_3(conn):
    conn.execute("ALTER TABLE subscribers ADD COLUMN territories TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE consent_events ADD COLUMN territories TEXT")


# version -> the step that makes it from the version before.
MIGRATIONS = {2: _to_version_2, 3: _to_version_3}

# A sign-up is one INSERT into this view; the trigger applies the rules (see
# subscriptions.record_signup). One statement instead of five matters under
# load: the single writer thread gives up Python's global lock around every
# statement, and may wait to get it back. They hold no data, so every schema
# change replaces them with this, the current version's, definition; a change
# to them alone needs a new SCHEMA_VERSION too, to reach existing databases.
SIGNUPS = """
DROP TRIGGER IF EXISTS signups_insert;
DROP VIEW IF EXISTS signups;

CREATE VIEW signups AS SELECT
    NULL AS email, NULL AS mailbox, NULL AS name, NULL AS lang, NULL AS territories,
    NULL AS page, NULL AS privacy_version, NULL AS consent_text_sha256, NULL AS ip_hmac,
    NULL AS base_url, NULL AS message_id, NULL AS at, NULL AS mail_cutoff;

CREATE TRIGGER signups_insert INSTEAD OF INSERT ON signups
-- A confirmed address stays as it is: no new name or provinces, no mail, nothing.
WHEN NOT EXISTS (SELECT 1 FROM subscribers WHERE email = NEW.email AND status = 'confirmed')
BEGIN
    -- New or unsubscribed: (again) pending, with this sign-up's name, language
    -- and provinces. Pending: they stay as they were, so that the link
    -- already mailed confirms what was chosen when it was asked for,
    -- whoever posts the address again.
    INSERT INTO subscribers (
        email, mailbox, name, lang, territories, status, created_at, updated_at
    )
    VALUES (
        NEW.email, NEW.mailbox, NEW.name, NEW.lang, NEW.territories, 'pending', NEW.at, NEW.at
    )
    ON CONFLICT (email) DO UPDATE SET
        name = CASE WHEN status = 'pending' THEN name ELSE excluded.name END,
        lang = CASE WHEN status = 'pending' THEN lang ELSE excluded.lang END,
        territories = CASE WHEN status = 'pending' THEN territories ELSE excluded.territories END,
        mailbox = excluded.mailbox, status = 'pending',
        updated_at = excluded.updated_at, unsubscribed_at = NULL;
    -- Each sign-up's record holds what its own form said.
    INSERT INTO consent_events (
        subscriber_id, event, at, how, lang, page, privacy_version, consent_text_sha256, ip_hmac,
        territories
    )
    SELECT id, 'given', NEW.at, 'form', NEW.lang, NEW.page, NEW.privacy_version,
           NEW.consent_text_sha256, NEW.ip_hmac, NEW.territories
    FROM subscribers WHERE email = NEW.email;
    -- At most one confirmation mail per mailbox per interval, in the
    -- language that will be confirmed.
    INSERT INTO outbox (
        subscriber_id, kind, lang, base_url, message_id, state, queued_at, next_attempt_at
    )
    SELECT id, 'confirmation', lang, NEW.base_url, NEW.message_id, 'pending', NEW.at, NEW.at
    FROM subscribers
    WHERE email = NEW.email AND NOT EXISTS (
        SELECT 1 FROM subscribers WHERE mailbox = NEW.mailbox AND last_mail_at > NEW.mail_cutoff
    );
    UPDATE subscribers SET last_mail_at = NEW.at
    WHERE email = NEW.email AND NOT EXISTS (
        SELECT 1 FROM subscribers WHERE mailbox = NEW.mailbox AND last_mail_at > NEW.mail_cutoff
    );
END;
"""


def now():
    return datetime.datetime.now(datetime.UTC)


def iso(moment):
    """A UTC timestamp as fixed-width text, so that SQL can compare it as a string."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.UTC)


def connect(path):
    """A connection in autocommit mode: transactions are opened explicitly."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # Deleted rows are overwritten, not just unlinked: erased means erased.
    conn.execute("PRAGMA secure_delete = ON")
    return conn


@contextlib.contextmanager
def transaction(conn):
    """BEGIN IMMEDIATE … COMMIT, rolled back if the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def initialize(path):
    """Create the database (and its folder) if needed and bring the schema up to date."""
    _create_private(path)
    conn = connect(path)
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise sqlite3.OperationalError(f"cannot switch {path} to WAL mode (got {mode})")
        with transaction(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.OperationalError(
                    f"{path} was made by a newer version of the service (schema {version})"
                )
            if version == 0:
                # Statement by statement: executescript() would commit first,
                # and the schema must appear whole or not at all.
                for statement in _statements(SCHEMA):
                    conn.execute(statement)
                version = 1
            if version < SCHEMA_VERSION:
                for step in range(version + 1, SCHEMA_VERSION + 1):
                    MIGRATIONS[step](conn)
                for statement in _statements(SIGNUPS):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    finally:
        conn.close()


def _create_private(path):
    """The folder (0700) and an empty database file (0600), unless they exist."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)  # whatever the umask
        # A folder we create only holds data that must never be committed.
        with open(os.path.join(folder, ".gitignore"), "w", encoding="utf-8") as handle:
            handle.write(
                "# Created by the newsletter service: personal data, never commit it.\n*\n"
            )
    try:
        # SQLite would create the file readable by everyone (0644 under the
        # usual umask); an empty file is an empty database to it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def exposed(path):
    """Warnings about a database (or its folder) that other users may read."""
    folder = os.path.dirname(os.path.abspath(path))
    found = []
    for target, problem, fix in (
        (folder, "can be entered by other users", "700"),
        (path, "can be read by other users", "600"),
    ):
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(os.stat(target).st_mode)
            if mode & 0o077:
                found.append(f"{target} {problem} (mode {mode:o}): chmod {fix} it")
    return found


def _statements(script):
    """Split a script into complete statements (a trigger's body holds semicolons)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            yield statement
            statement = ""


def development_secret(path):
    """The secret a development database generated for itself on first use.

    Development mode needs no configuration, yet tokens must survive a
    restart; so the first run stores a random secret in the database itself.
    Production never uses this: it refuses to start without NEWSLETTER_SECRET.
    """
    conn = connect(path)
    try:
        with transaction(conn):
            row = conn.execute("SELECT value FROM meta WHERE key = 'development_secret'").fetchone()
            if row:
                return row[0]
            value = secrets.token_urlsafe(32)
            conn.execute("INSERT INTO meta (key, value) VALUES ('development_secret', ?)", (value,))
            return value
    finally:
        conn.close()
