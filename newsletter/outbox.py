"""The outbox worker: sends queued mail, at most once, and never loses any.

A mail goes through these states:

    pending ──claim──> sending ──accepted──> sent
       ^                  │
       └─4xx/down─────────┤      (back to pending, later: exponential backoff)
                          ├──5xx───────────> failed     (reported by `stats`)
                          ├──too old───────> failed     (reported by `stats`)
                          └──answer lost───> uncertain  (reported by `stats`)

A 5xx answer is the server's final word on that message: sending it again
would only look like spam.

A row is claimed (state `sending`, committed) before the SMTP transaction
and marked `sent` after it. If the process dies in between, nobody knows
whether the server took the mail; the row stays `sending`, and the next
worker to start marks it `uncertain` instead of sending it again. So a crash
can leave a mail unsent-and-reported, but can never send it twice. An
operator decides with `requeue` or `dismiss`.

Only one worker runs at a time, whichever process it lives in: it holds an
exclusive lock on a file next to the database. The operating system drops
the lock when its holder dies (even by SIGKILL), so a row in `sending` seen
by a new lock holder can only belong to a dead worker.
"""

import contextlib
import datetime
import fcntl
import logging
import os
import select
import threading
import time

from newsletter import db
from newsletter.mail import (
    DeliveryUncertain,
    FileSink,
    MessageRejected,
    SmtpTransport,
    TransportUnavailable,
    compose_confirmation,
)
from newsletter.tokens import Tokens

log = logging.getLogger(__name__)

# The longest a waiting worker goes without a heartbeat.
HEARTBEAT_SECONDS = 1.0
INTERRUPTED = "the worker stopped while sending this mail: it may or may not have been delivered"


class WorkerBusy(Exception):
    """Another worker holds the lock."""


def make_transport(config):
    if config.smtp is not None:
        return SmtpTransport(config.smtp, config.mail_from)
    return FileSink(config.mail_folder)


def backoff(attempt, base, cap):
    """Seconds to wait after the `attempt`-th failure: base, 2·base, 4·base… up to cap."""
    return min(cap, base * 2 ** max(0, min(attempt - 1, 60)))


class WorkerLock:
    def __init__(self, db_path):
        self.path = db_path + ".outbox-lock"
        self._handle = None

    def acquire(self):
        """Take the lock if it is free; return whether we hold it."""
        if self._handle is not None:
            return True
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = open(descriptor, "r+b")  # noqa: SIM115 - held open for as long as the lock
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self):
        handle, self._handle = self._handle, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


class Worker:
    def __init__(self, config, transport=None, wake_fd=None, heartbeat=None):
        self.config = config
        # Called whenever the worker goes round its loop, so that /healthz can
        # tell a stuck worker (see health.py); at least once a second.
        self._heartbeat = heartbeat or (lambda: None)
        # Readable when the writer process has queued mail (see writer.py).
        self._wake_fd = wake_fd
        # stop() writes to this pipe, which ends any wait at once.
        self._stop_read, self._stop_write = os.pipe()
        os.set_blocking(self._stop_write, False)
        self.transport = transport or make_transport(config)
        self.tokens = Tokens(config.secret, config.confirm_max_age, config.secret_fallbacks)
        self.lock = WorkerLock(config.db_path)
        self._stop = threading.Event()
        self._conn = None
        self._failures = 0  # consecutive times the server was unavailable
        self._paused_until = 0.0  # monotonic time before which we do not knock again

    # -- the two ways of running -------------------------------------------

    def run_once(self):
        """Send everything that is due now, then return counts. Raises WorkerBusy."""
        if not self.lock.acquire():
            raise WorkerBusy(f"another outbox worker holds {self.lock.path}")
        try:
            self._start()
            return self._pass()
        finally:
            self._finish()

    def run_forever(self):
        """Keep sending until stop() is called. Waits its turn if another worker runs."""
        while not self._stop.is_set():
            self._heartbeat()
            if not self.lock.acquire():
                self._sleep(self.config.poll_seconds)
                continue
            try:
                self._start()
                while not self._stop.is_set():
                    self._pass()
                    self._wait()
            except Exception:
                # Keep the service up; a fresh start (which re-reads every
                # row, and marks our own half-sent one uncertain) follows.
                log.exception("outbox worker failed; restarting in %s s", self.config.poll_seconds)
                self._sleep(self.config.poll_seconds)
            finally:
                self._finish()

    def stop(self):
        """Stop after the current mail. Safe to call from a signal handler."""
        self._stop.set()
        with contextlib.suppress(BlockingIOError):
            os.write(self._stop_write, b"!")

    # -- internals --------------------------------------------------------------

    def _start(self):
        self._conn = db.connect(self.config.db_path)
        with db.transaction(self._conn):
            stranded = self._conn.execute(
                "UPDATE outbox SET state = 'uncertain', finished_at = ?, last_error = ?"
                " WHERE state = 'sending'",
                (db.iso(db.now()), INTERRUPTED),
            ).rowcount
        if stranded:
            log.warning(
                "%d mail(s) were being sent when a worker stopped: marked uncertain", stranded
            )

    def _finish(self):
        self.transport.close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self.lock.release()

    def _wait(self):
        """Sleep until the next mail is due, mail is queued, or we are stopped."""
        now = time.monotonic()
        if self._paused_until > now:
            self._sleep(self._paused_until - now, wake=False)
            return
        delay = self.config.poll_seconds
        due = self._conn.execute(
            "SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'"
        ).fetchone()[0]
        if due is not None:
            delay = min(delay, max(0.0, (db.parse_iso(due) - db.now()).total_seconds()))
        self._sleep(delay)

    def _sleep(self, seconds, wake=True):
        deadline = time.monotonic() + seconds
        watched = [self._stop_read]
        if wake and self._wake_fd is not None:
            watched.append(self._wake_fd)
        while not self._stop.is_set():
            self._heartbeat()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready = select.select(watched, [], [], min(left, HEARTBEAT_SECONDS))[0]
            if self._wake_fd in ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_fd, 4096)
                return
            if ready:
                return

    def _pass(self):
        """Send every due mail, one transaction per mail. Returns what happened."""
        counts = {"sent": 0, "retry": 0, "failed": 0, "uncertain": 0, "cancelled": 0}
        if time.monotonic() < self._paused_until:
            return counts
        counts["failed"] += self._give_up_stale()
        finished = None
        opened = False
        try:
            while not self._stop.is_set():
                self._heartbeat()
                if not opened:
                    if not self._anything_due():
                        break
                    # Connect before claiming: while the server is down, no
                    # row changes state, and every one waits its turn intact.
                    try:
                        self.transport.open()
                    except TransportUnavailable as error:
                        self._pause(str(error))
                        self._note_on_due_rows(str(error))
                        break
                    opened = True
                row = self._advance(finished)
                finished = None
                if row is None:
                    break
                outbox_id, attempts, queued_at = row["id"], row["attempts"], row["queued_at"]
                if row["status"] != "pending":
                    finished = (outbox_id, "cancelled", None)
                    counts["cancelled"] += 1
                    continue
                message, links = self._render(row)
                try:
                    self.transport.send(message, links)
                except MessageRejected as error:
                    if error.permanent:
                        finished = (outbox_id, "failed", f"refused: {error}")
                        counts["failed"] += 1
                        log.error("mail %d refused for good: %s", outbox_id, error)
                        continue
                    finished = self._retry_later(outbox_id, attempts, queued_at, str(error))
                    counts["failed" if finished[1] == "failed" else "retry"] += 1
                    log.warning("mail %d refused (attempt %d): %s", outbox_id, attempts, error)
                    continue
                except TransportUnavailable as error:
                    # Not this message's fault: it goes back, the attempt
                    # uncounted, and the whole worker pauses.
                    opened = False
                    self._pause(str(error))
                    finished = self._put_back(outbox_id, attempts, queued_at, str(error))
                    counts["failed" if finished[1] == "failed" else "retry"] += 1
                    break
                except DeliveryUncertain as error:
                    finished = (outbox_id, "uncertain", str(error))
                    counts["uncertain"] += 1
                    log.error("mail %d may or may not have been delivered: %s", outbox_id, error)
                    opened = False
                    continue
                self._failures = 0
                finished = (outbox_id, "sent", None)
                counts["sent"] += 1
        finally:
            if finished is not None:
                self._advance(finished, claim=False)
            if opened:
                self.transport.close()
        return counts

    def _anything_due(self):
        now = db.iso(db.now())
        return (
            self._conn.execute(
                "SELECT 1 FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? LIMIT 1",
                (now,),
            ).fetchone()
            is not None
        )

    def _note_on_due_rows(self, error):
        """Tell operators (`stats`) why due mail is waiting, without counting an attempt."""
        now = db.iso(db.now())
        with db.transaction(self._conn):
            self._conn.execute(
                "UPDATE outbox SET last_error = ? WHERE state = 'pending' AND next_attempt_at <= ?",
                (f"mail server unavailable: {error}", now),
            )

    def _advance(self, finished, claim=True):
        """Record how the last mail went and claim the next, in one commit (one fsync per mail)."""
        now = db.iso(db.now())
        conn = self._conn
        with db.transaction(conn):
            if finished is not None:
                outbox_id, state, error = finished[:3]
                if state == "pending":
                    conn.execute(
                        "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ?,"
                        " attempts = ? WHERE id = ?",
                        (finished[3], error, finished[4], outbox_id),
                    )
                else:
                    conn.execute(
                        "UPDATE outbox SET state = ?, finished_at = ?, last_error = ? WHERE id = ?",
                        (state, now, error, outbox_id),
                    )
            if not claim:
                return None
            row = conn.execute(
                "SELECT o.id, o.lang, o.base_url, o.message_id, o.attempts, o.queued_at,"
                " s.email, s.status FROM outbox o JOIN subscribers s ON s.id = o.subscriber_id"
                " WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
                " ORDER BY o.next_attempt_at, o.id LIMIT 1",
                (now,),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_at = ? WHERE id = ?",
                (now, row[0]),
            )
        keys = (
            "id",
            "lang",
            "base_url",
            "message_id",
            "attempts",
            "queued_at",
            "email",
            "status",
        )
        claimed = dict(zip(keys, row, strict=True))
        claimed["attempts"] += 1
        return claimed

    def _render(self, row):
        base = row["base_url"]
        confirm_url = f"{base}/confirm/{self.tokens.confirm_token(row['email'], row['lang'])}"
        unsubscribe_url = (
            f"{base}/unsubscribe/{self.tokens.unsubscribe_token(row['email'], row['lang'])}"
        )
        message = compose_confirmation(
            mail_from=self.config.mail_from,
            to=row["email"],
            lang=row["lang"],
            message_id=row["message_id"],
            confirm_url=confirm_url,
            unsubscribe_url=unsubscribe_url,
            site_url=self.config.site_url,
            days=self.config.confirm_max_age / 86400,
        )
        return message, {"confirm": confirm_url, "unsubscribe": unsubscribe_url}

    def _retry_later(self, outbox_id, attempts, queued_at, error):
        wait = backoff(attempts, self.config.retry_base, self.config.retry_cap)
        return self._reschedule(outbox_id, attempts, queued_at, error, wait)

    def _put_back(self, outbox_id, attempts, queued_at, error):
        wait = max(0.0, self._paused_until - time.monotonic())
        return self._reschedule(outbox_id, attempts - 1, queued_at, error, wait)

    def _reschedule(self, outbox_id, attempts, queued_at, error, wait):
        now = db.now()
        if (now - db.parse_iso(queued_at)).total_seconds() + wait > self.config.retry_give_up:
            log.error("mail %d failed for good: %s", outbox_id, error)
            return (outbox_id, "failed", f"gave up: {error}")
        return (
            outbox_id,
            "pending",
            error,
            db.iso(now + datetime.timedelta(seconds=wait)),
            attempts,
        )

    def _pause(self, error):
        self._failures += 1
        wait = backoff(self._failures, self.config.retry_base, self.config.retry_cap)
        self._paused_until = time.monotonic() + wait
        log.warning("mail server unavailable (%s); next try in %.1f s", error, wait)

    def _give_up_stale(self):
        """Mail queued too long ago (e.g. the server was down for days) is marked failed."""
        cutoff = db.now() - datetime.timedelta(seconds=self.config.retry_give_up)
        with db.transaction(self._conn):
            return self._conn.execute(
                "UPDATE outbox SET state = 'failed', finished_at = ?,"
                " last_error = 'gave up: ' || coalesce(last_error, 'never sent')"
                " WHERE state = 'pending' AND queued_at < ?",
                (db.iso(db.now()), db.iso(cutoff)),
            ).rowcount
