"""How long data is kept, and erasure on request.

- A sign-up never confirmed is deleted after `pending_days` (default 30):
  without confirmation there is no consent to keep proof of.
- After an unsubscription only the address and the consent and withdrawal
  records are kept (the name is erased at once), for 24 months, to prove
  both; then everything about the address goes.
- When the project has ended (NEWSLETTER_PROJECT_END), everything is deleted
  12 months later.
- Sent mail leaves a row in the outbox; those rows go after `pending_days`.

Deleting a subscriber deletes their consent records and outbox rows with it
(foreign keys with ON DELETE CASCADE).
"""

import calendar
import datetime

from newsletter import db

UNSUBSCRIBED_MONTHS = 24
AFTER_PROJECT_MONTHS = 12
PENDING_DAYS = 30


def months_before(moment, months):
    return add_months(moment, -months)


def add_months(moment, months):
    """Same day of the month, `months` later; clamped to the month's last day."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def purge(conn, *, now=None, pending_days=PENDING_DAYS, project_end=None):
    """Apply the retention rules inside the caller's transaction; return counts."""
    now = now or db.now()
    counts = {}
    pending_cutoff = db.iso(now - datetime.timedelta(days=pending_days))
    counts["pending"] = conn.execute(
        "DELETE FROM subscribers WHERE status = 'pending' AND updated_at < ?", (pending_cutoff,)
    ).rowcount
    counts["unsubscribed"] = conn.execute(
        "DELETE FROM subscribers WHERE status = 'unsubscribed' AND unsubscribed_at < ?",
        (db.iso(months_before(now, UNSUBSCRIBED_MONTHS)),),
    ).rowcount
    counts["project_ended"] = 0
    if project_end is not None and now.date() >= add_months(project_end, AFTER_PROJECT_MONTHS):
        counts["project_ended"] = conn.execute("DELETE FROM subscribers").rowcount
    counts["mail_log"] = conn.execute(
        "DELETE FROM outbox WHERE state IN ('sent', 'cancelled', 'dismissed') AND finished_at < ?",
        (pending_cutoff,),
    ).rowcount
    return counts


def erase(conn, address):
    """Delete everything about one address (GDPR art. 17). Returns rows deleted, by table."""
    row = conn.execute("SELECT id FROM subscribers WHERE email = ?", (address,)).fetchone()
    if row is None:
        return {}
    counts = {
        "consent_events": conn.execute(
            "DELETE FROM consent_events WHERE subscriber_id = ?", row
        ).rowcount,
        "outbox": conn.execute("DELETE FROM outbox WHERE subscriber_id = ?", row).rowcount,
    }
    counts["subscribers"] = conn.execute("DELETE FROM subscribers WHERE id = ?", row).rowcount
    return counts
