"""What sign-ups, confirmations and unsubscriptions change in the database.

Each function runs inside a transaction opened by its caller (the group
commit writer for the web application, `db.transaction` for the command
line), so a sign-up, its consent record and its confirmation mail are
committed together or not at all.
"""

import datetime
import email.utils

from newsletter import db
from newsletter.consent import consent_text_hash
from newsletter.forms import mailbox


def record_signup(conn, signup, *, ip_hmac, base_url, mail_domain, resend_interval, at=None):
    """Store a sign-up, its consent record and, if due, its confirmation mail.

    Whatever the address's state, the visitor gets the same answer; what
    happens here differs (the rules live in the `signups_insert` trigger, see
    db.py, so that a sign-up is a single statement):
    - new or unsubscribed: pending, with this sign-up's name, language and
      provinces;
    - pending: the name, language and provinces stay those of the first
      sign-up, so the link already mailed confirms what its owner chose, not
      what someone posted afterwards;
    - in all three cases, a new consent record (with the provinces this
      sign-up chose), and a confirmation mail unless
      one went to the same mailbox (the address without its +tag) less than
      `resend_interval` seconds ago: nobody can flood an inbox through our form;
    - confirmed: nothing changes and no mail is sent, so a stranger cannot
      rename a subscriber, change their provinces or pester them.
    """
    at = at or db.now()
    conn.execute(
        "INSERT INTO signups (email, mailbox, name, lang, territories, page, privacy_version,"
        " consent_text_sha256, ip_hmac, base_url, message_id, at, mail_cutoff)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            signup.email,
            mailbox(signup.email),
            signup.name,
            signup.lang,
            join_territories(signup.territories),
            signup.page,
            signup.privacy_version,
            consent_text_hash(signup.lang),
            ip_hmac,
            base_url,
            # Fixed now, so every retry of this mail carries the same Message-ID.
            email.utils.make_msgid("confirm", domain=mail_domain),
            db.iso(at),
            db.iso(at - datetime.timedelta(seconds=resend_interval)),
        ),
    )


def join_territories(ids):
    """Province ids as stored: once each, separated by single spaces; '' for none."""
    return " ".join(dict.fromkeys(ids))


def status(conn, address):
    """'pending', 'confirmed', or 'gone' (unsubscribed, or not stored at all)."""
    row = conn.execute("SELECT status FROM subscribers WHERE email = ?", (address,)).fetchone()
    return "gone" if row is None or row[0] == "unsubscribed" else row[0]


def confirm(conn, address, *, ip_hmac, at=None):
    """Confirm a pending address. Returns 'confirmed', 'already' or 'gone'.

    Only a pending address can be confirmed: after an unsubscription (or an
    erasure) an old confirmation link must not sign anyone up again.
    """
    stamp = db.iso(at or db.now())
    row = conn.execute("SELECT id, status FROM subscribers WHERE email = ?", (address,)).fetchone()
    if row is None or row[1] == "unsubscribed":
        return "gone"
    if row[1] == "confirmed":
        return "already"
    conn.execute(
        "UPDATE subscribers SET status = 'confirmed', confirmed_at = ?, updated_at = ? WHERE id = ?",
        (stamp, stamp, row[0]),
    )
    # The record of the confirmation says which provinces were confirmed.
    conn.execute(
        "INSERT INTO consent_events (subscriber_id, event, at, how, ip_hmac, territories)"
        " SELECT id, 'confirmed', ?, 'link', ?, territories FROM subscribers WHERE id = ?",
        (stamp, ip_hmac, row[0]),
    )
    # Further confirmation mails would only confuse.
    conn.execute(
        "UPDATE outbox SET state = 'cancelled', finished_at = ? WHERE subscriber_id = ? AND state = 'pending'",
        (stamp, row[0]),
    )
    return "confirmed"


def unsubscribe(conn, address, *, how, at=None):
    """Withdraw consent: the name and provinces go at once; address and records stay as proof.

    Returns True if something changed. Unknown addresses are fine: the page
    says the same either way.
    """
    stamp = db.iso(at or db.now())
    row = conn.execute("SELECT id, status FROM subscribers WHERE email = ?", (address,)).fetchone()
    if row is None or row[1] == "unsubscribed":
        return False
    conn.execute(
        "UPDATE subscribers SET status = 'unsubscribed', name = NULL, territories = '',"
        " unsubscribed_at = ?, updated_at = ? WHERE id = ?",
        (stamp, stamp, row[0]),
    )
    conn.execute(
        "INSERT INTO consent_events (subscriber_id, event, at, how) VALUES (?, 'withdrawn', ?, ?)",
        (row[0], stamp, how),
    )
    conn.execute(
        "UPDATE outbox SET state = 'cancelled', finished_at = ? WHERE subscriber_id = ? AND state = 'pending'",
        (stamp, row[0]),
    )
    return True
