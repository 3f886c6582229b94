"""Subscribers as CSV, for the mailing tool that sends the newsletter itself.

Spreadsheets run any cell that starts with `=`, `+`, `-` or `@` (and a few
look-alikes) as a formula, so a name like `=HYPERLINK(...)` typed into our
form could run on an operator's computer. Such cells get a leading
apostrophe, which spreadsheets show as text and mailing tools keep.
"""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

# `territories`: the ids of the provinces chosen (data/territories.yaml),
# separated by single spaces, in the form's order; empty for none.
COLUMNS = ["email", "name", "language", "confirmed_at", "unsubscribe_url", "territories"]


def neutralize(value):
    value = "" if value is None else str(value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(conn, out, *, everyone=False, unsubscribe_url=None, territory=None):
    """Write the subscribers to `out`; return how many rows.

    By default only confirmed subscribers, the only people the newsletter
    may be sent to. `everyone` adds pending and unsubscribed addresses, with
    a status column. `unsubscribe_url(email, lang)`, if given, fills a column
    with each person's own unsubscribe link, for the newsletter's footer.
    `territory`, an id, keeps only those who chose that province (an
    invitation to a meeting there).
    """
    columns = COLUMNS + (["status"] if everyone else [])
    query = "SELECT email, name, lang, confirmed_at, territories, status FROM subscribers"
    conditions, params = [], []
    if not everyone:
        conditions.append("status = 'confirmed'")
    if territory is not None:
        # Whole ids only: `milano` must not match a `milano-est`.
        conditions.append("instr(' ' || territories || ' ', ' ' || ? || ' ') > 0")
        params.append(territory)
    if conditions:
        query += " WHERE " + " AND ".join(conditions)
    query += " ORDER BY id"
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for email, name, lang, confirmed_at, territories, status in conn.execute(query, params):
        link = unsubscribe_url(email, lang) if unsubscribe_url and status != "unsubscribed" else ""
        row = [email, name, lang, _timestamp(confirmed_at), link, territories]
        if everyone:
            row.append(status)
        writer.writerow([neutralize(value) for value in row])
        count += 1
    return count


def _timestamp(value):
    # 2025-11-25T02:43:00.123456Z -> 2025-11-25T02:43:00Z: what importers expect.
    return f"{value[:19]}Z" if value else ""
