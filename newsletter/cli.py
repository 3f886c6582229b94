"""The operators' command line: `python -m newsletter COMMAND`.

Settings come from the same environment variables as the service (see
docs/newsletter.md). When something is wrong, a command says so in one line
and exits non-zero, without a traceback.
"""

import argparse
import dataclasses
import datetime
import logging
import os
import signal
import sqlite3
import sys

from email_validator import EmailNotValidError, validate_email

from newsletter import config as settings
from newsletter import db, export, retention, subscriptions
from newsletter.tokens import Tokens

# `stats` alerts about mail still unsent this many seconds after it was queued.
STATS_MAX_WAIT = 3600.0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.command in ("serve", "worker") else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = settings.from_env()
        if args.command in ("serve", "worker"):
            config.check_can_send_mail()
        db.initialize(config.db_path)
        if config.secret is None:
            config = dataclasses.replace(config, secret=db.development_secret(config.db_path))
        return args.run(config, args)
    except settings.ConfigError as error:
        print(f"newsletter: {error}", file=sys.stderr)
        return 2
    except (sqlite3.Error, OSError) as error:
        print(f"newsletter: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m newsletter", description="The OpenSource14 newsletter sign-up service."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web service (and the outbox worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument(
        "--processes",
        type=int,
        help="serve from this many processes, e.g. one per CPU core (default: NEWSLETTER_PROCESSES or 1)",
    )
    serve.add_argument(
        "--no-worker", action="store_true", help="do not send mail from this process (run `worker`)"
    )
    serve.set_defaults(run=run_serve)

    worker = commands.add_parser("worker", help="send queued mail")
    worker.add_argument("--once", action="store_true", help="send what is due now, then exit")
    worker.set_defaults(run=run_worker)

    exporter = commands.add_parser("export", help="subscribers as CSV (confirmed only by default)")
    exporter.add_argument("--all", action="store_true", help="everyone, with a status column")
    exporter.add_argument("--output", "-o", help="write to this file (default: standard output)")
    exporter.add_argument(
        "--territory",
        metavar="ID",
        help="only those who chose this province (an id of NEWSLETTER_TERRITORIES, e.g. lodi)",
    )
    exporter.set_defaults(run=run_export)

    erase = commands.add_parser("erase", help="delete everything about an address (GDPR erasure)")
    erase.add_argument("email")
    erase.set_defaults(run=run_erase)

    leave = commands.add_parser(
        "unsubscribe", help="unsubscribe an address, e.g. on request by mail"
    )
    leave.add_argument("email")
    leave.set_defaults(run=run_unsubscribe)

    stats = commands.add_parser(
        "stats",
        help="counts, and mail that needs attention (exit status 1 if any: for cron alerts)",
    )
    stats.add_argument(
        "--max-wait",
        type=float,
        default=STATS_MAX_WAIT,
        metavar="SECONDS",
        help=f"alert about mail unsent after this long (default {STATS_MAX_WAIT:.0f})",
    )
    stats.set_defaults(run=run_stats)

    purge = commands.add_parser("purge", help="delete data past its retention period")
    purge.add_argument(
        "--pending-days",
        type=int,
        default=retention.PENDING_DAYS,
        help=f"delete sign-ups unconfirmed for this many days (default {retention.PENDING_DAYS})",
    )
    purge.set_defaults(run=run_purge)

    for name, verb in (("requeue", "send again"), ("dismiss", "stop reporting")):
        command = commands.add_parser(name, help=f"{verb} uncertain or failed mail")
        command.add_argument(
            "ids", nargs="*", type=int, metavar="ID", help="outbox ids (see stats)"
        )
        command.add_argument("--uncertain", action="store_true", help="every uncertain mail")
        command.add_argument("--failed", action="store_true", help="every failed mail")
        command.set_defaults(run=run_resolve, action=name)
    return parser


# -- commands -----------------------------------------------------------------


def run_serve(config, args):
    from newsletter.server import serve  # imports Flask and waitress only when serving

    if not config.production:
        print("newsletter: development mode: do not expose this to the internet", file=sys.stderr)
    processes = args.processes or config.processes
    if not 1 <= processes <= 64:
        raise settings.ConfigError("--processes must be between 1 and 64")
    shells = None
    if config.page_shells:
        from newsletter import shells as page_shells

        # Read once, before the web processes start: they all serve the same.
        shells = page_shells.load(config.page_shells, config.site_url)
    serve(
        config,
        args.host,
        args.port,
        processes=processes,
        run_worker=not args.no_worker,
        shells=shells,
    )
    return 0


def run_worker(config, args):
    from newsletter.outbox import Worker, WorkerBusy

    worker = Worker(config)
    if args.once:
        try:
            counts = worker.run_once()
        except WorkerBusy as error:
            print(f"newsletter: {error}", file=sys.stderr)
            return 1
        print(", ".join(f"{key} {value}" for key, value in counts.items()))
        return 0
    signal.signal(signal.SIGTERM, lambda signum, frame: worker.stop())
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        worker.stop()
    return 0


def run_export(config, args):
    known = [territory.id for territory in config.territories]
    if args.territory is not None and args.territory not in known:
        print(
            f"newsletter: unknown territory {args.territory!r}: use one of {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    tokens = Tokens(config.secret, config.confirm_max_age, config.secret_fallbacks)
    base = config.public_url

    def unsubscribe_url(email, lang):
        return f"{base}/unsubscribe/{tokens.unsubscribe_token(email, lang)}"

    if base is None:
        print(
            "newsletter: NEWSLETTER_PUBLIC_URL is not set: the unsubscribe_url column is empty",
            file=sys.stderr,
        )
    conn = db.connect(config.db_path)
    try:
        if args.output:
            # Personal data: readable by the operator only.
            descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(descriptor, "w", encoding="utf-8", newline="") as out:
                count = export.write_csv(
                    conn,
                    out,
                    everyone=args.all,
                    unsubscribe_url=base and unsubscribe_url,
                    territory=args.territory,
                )
            print(f"newsletter: {count} subscriber(s) written to {args.output}", file=sys.stderr)
        else:
            export.write_csv(
                conn,
                sys.stdout,
                everyone=args.all,
                unsubscribe_url=base and unsubscribe_url,
                territory=args.territory,
            )
    finally:
        conn.close()
    return 0


def run_erase(config, args):
    address = normalized(args.email)
    counts = in_transaction(config, retention.erase, address)
    if not counts:
        print(f"newsletter: nothing stored about {address}")
        return 0
    print(
        f"newsletter: erased {address}: " + ", ".join(f"{table} {n}" for table, n in counts.items())
    )
    return 0


def run_unsubscribe(config, args):
    address = normalized(args.email)
    changed = in_transaction(config, subscriptions.unsubscribe, address, how="operator")
    print(f"newsletter: {address} " + ("unsubscribed" if changed else "was not subscribed"))
    return 0


def run_stats(config, args):
    """Print the counts; exit 1 when mail waits too long or has failed, so cron can alert."""
    if not args.max_wait >= 0:
        raise settings.ConfigError("--max-wait must be 0 or more seconds")
    cutoff = db.iso(db.now() - datetime.timedelta(seconds=args.max_wait))
    conn = db.connect(config.db_path)
    try:
        late = conn.execute(
            "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending') AND queued_at < ?",
            (cutoff,),
        ).fetchone()[0]
        subscribers = dict(conn.execute("SELECT status, count(*) FROM subscribers GROUP BY status"))
        mails = dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state"))
        oldest = conn.execute(
            "SELECT min(queued_at) FROM outbox WHERE state = 'pending'"
        ).fetchone()[0]
        attention = conn.execute(
            "SELECT o.id, o.state, s.email, o.queued_at, o.attempts, o.last_error FROM outbox o"
            " JOIN subscribers s ON s.id = o.subscriber_id"
            " WHERE o.state IN ('uncertain', 'failed') ORDER BY o.id"
        ).fetchall()
    finally:
        conn.close()
    print(
        "subscribers: "
        + ", ".join(
            f"{s} {subscribers.get(s, 0)}" for s in ("confirmed", "pending", "unsubscribed")
        )
    )
    states = ("pending", "sending", "sent", "failed", "uncertain", "cancelled", "dismissed")
    print("mail: " + ", ".join(f"{s} {mails.get(s, 0)}" for s in states))
    if oldest:
        print(f"oldest mail waiting: queued {oldest}")
    for outbox_id, state, email, queued_at, attempts, error in attention:
        print(
            f"  {state} #{outbox_id} to {email}, queued {queued_at}, {attempts} attempt(s): {error}"
        )
    if attention:
        print(
            "  (decide with `python -m newsletter requeue ID` or `python -m newsletter dismiss ID`)"
        )
    alerts = []
    if late:
        alerts.append(f"{late} mail(s) waiting for more than {args.max_wait:g} s")
    if mails.get("failed"):
        alerts.append(f"{mails['failed']} mail(s) failed")
    for alert in alerts:
        print(f"ALERT: {alert}")
    return 1 if alerts else 0


def run_purge(config, args):
    counts = in_transaction(
        config, retention.purge, pending_days=args.pending_days, project_end=config.project_end
    )
    print(
        f"newsletter: deleted {counts['pending']} unconfirmed sign-up(s), "
        f"{counts['unsubscribed']} unsubscribed record(s) past 24 months, "
        f"{counts['project_ended']} record(s) after the project's end, "
        f"{counts['mail_log']} old outbox row(s)"
    )
    return 0


def run_resolve(config, args):
    states = [
        state
        for state, chosen in (("uncertain", args.uncertain), ("failed", args.failed))
        if chosen
    ]
    if not states and not args.ids:
        print("newsletter: name outbox ids, or --uncertain and/or --failed", file=sys.stderr)
        return 2

    def resolve(conn):
        where = " OR ".join(["state = ?"] * len(states) + ["id = ?"] * len(args.ids))
        now = db.iso(db.now())
        if args.action == "requeue":
            sql = (
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, queued_at = ?, attempts = 0"
                f" WHERE state IN ('uncertain', 'failed') AND ({where})"
            )
            params = [now, now]
        else:
            sql = f"UPDATE outbox SET state = 'dismissed', finished_at = ? WHERE state IN ('uncertain', 'failed') AND ({where})"
            params = [now]
        return conn.execute(sql, [*params, *states, *args.ids]).rowcount

    count = in_transaction(config, resolve)
    done = "queued again" if args.action == "requeue" else "dismissed"
    print(f"newsletter: {count} mail(s) {done}")
    return 0


# -- helpers ---------------------------------------------------------------------


def normalized(address):
    """The address as the service stores it, so the operator may type it loosely."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return address.strip()


def in_transaction(config, function, *args, **kwargs):
    conn = db.connect(config.db_path)
    try:
        with db.transaction(conn):
            result = function(conn, *args, **kwargs)
        # Push the change out of the write-ahead log, so erased data does not
        # linger there (best effort: a busy database is checkpointed later).
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return result
    finally:
        conn.close()
