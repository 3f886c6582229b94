"""Running the service: a few processes, each with one job.

    supervisor ─┬─ web process × N   waitress + Flask, on one shared listening socket
                ├─ writer process    every database write from the web (writer.py)
                └─ outbox worker     sends the mail (outbox.py)

Python runs one thread at a time per process, so the work is split where
it would otherwise queue: N web processes use N CPU cores (the kernel hands
each new connection to one of them), and the writer, which must never wait,
has a process to itself. The web processes share the rate limiter and the
heartbeats of the writer and the worker (memory maps created before they are
forked; see health.py). The supervisor only watches: it restarts a process
that dies, and on SIGTERM or Ctrl-C stops the web processes first, so that
requests in flight still reach the writer.

Waitress closes connections idle for NEWSLETTER_CHANNEL_TIMEOUT and takes at
most NEWSLETTER_CONNECTION_LIMIT at a time per web process (the rest wait in
the listening queue). A client sending a byte now and then is not idle,
though: the service must sit behind a reverse proxy that buffers whole
requests before passing them on (see docs/newsletter.md).
"""

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

import waitress

from newsletter import db
from newsletter.abuse import RateLimiter
from newsletter.app import create_app
from newsletter.health import Heartbeats
from newsletter.outbox import Worker
from newsletter.writer import WriterClient, run_writer_process

log = logging.getLogger(__name__)

BACKLOG = 2048
STOP_TIMEOUT = 30.0


def serve(config, host, port, *, processes=1, run_worker=True, shells=None):
    """Serve until SIGTERM or Ctrl-C; `shells` are the site's page shells (shells.py), if any."""
    for warning in db.exposed(config.db_path):
        log.warning("%s", warning)
    listener = socket.create_server((host, port), backlog=BACKLOG)
    # Created before forking, so that every web process shares the counters.
    limiter = RateLimiter(config.rate_limit, config.rate_period, config.secret)
    heartbeats = Heartbeats()
    watched = ("writer", "outbox") if run_worker else ("writer",)
    # The writer's socket lives in a folder only this user can enter.
    private = tempfile.mkdtemp(prefix="newsletter-")
    address = os.path.join(private, "writer.sock")
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)

    roles = {
        "writer": lambda: run_writer_process(
            config.db_path, address, wake_write, heartbeats.beater("writer")
        )
    }
    if run_worker:
        roles["outbox"] = lambda: _run_worker(config, wake_read, heartbeats.beater("outbox"))
    for number in range(1, processes + 1):
        roles[f"web-{number}"] = lambda: _run_web(
            config, listener, limiter, address, heartbeats, watched, shells
        )

    mail = (
        f"SMTP {config.smtp.host}:{config.smtp.port}"
        if config.smtp
        else f"files in {config.mail_folder}"
    )
    print(
        f"newsletter: {config.mode} mode, listening on http://{host}:{listener.getsockname()[1]}/ "
        f"({processes} web process{'es' if processes > 1 else ''}), "
        f"database {config.db_path}, mail: {mail}, "
        f"pages: {'in the site shells of ' + config.page_shells if shells else 'plain'}",
        file=sys.stderr,
        flush=True,
    )
    try:
        _supervise(roles, heartbeats)
    finally:
        listener.close()
        os.close(wake_read)
        os.close(wake_write)
        shutil.rmtree(private, ignore_errors=True)


def _run_web(config, listener, limiter, writer_address, heartbeats=None, watched=(), shells=None):
    app = create_app(config, WriterClient(writer_address), limiter, heartbeats, watched, shells)
    server = waitress.create_server(
        app,
        sockets=[listener],
        threads=config.threads,
        # Idle connections are closed, checked for every few seconds; beyond
        # the limit, new connections wait in the listening queue.
        channel_timeout=config.channel_timeout,
        cleanup_interval=max(1, min(30, config.channel_timeout // 2)),
        # Waitress counts its own listening socket and wake-up pipe as two.
        connection_limit=config.connection_limit + 2,
        # Waitress buffers a whole body before the application sees it; stop
        # oversized ones early. The application's own, tighter limit answers
        # with a proper page.
        max_request_body_size=config.max_body * 4,
        # We judge X-Forwarded-For ourselves (abuse.client_ip), against a list
        # of proxies; waitress would otherwise drop it before we see it.
        clear_untrusted_proxy_headers=False,
        ident="newsletter",
    )
    # Waitress warns on every queued request under load; that is not news.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()  # returns on SystemExit or KeyboardInterrupt
    finally:
        server.close()


def _run_worker(config, wake_fd, heartbeat=None):
    worker = Worker(config, wake_fd=wake_fd, heartbeat=heartbeat)
    signal.signal(signal.SIGTERM, lambda signum, frame: worker.stop())
    signal.signal(signal.SIGINT, lambda signum, frame: worker.stop())
    worker.run_forever()


class _Stop(Exception):
    pass


def _supervise(roles, heartbeats=None):
    parent = os.getpid()
    running = {}  # pid -> role
    signals = {signal.SIGTERM, signal.SIGINT}

    def spawn(role):
        # No stop signal may land between fork() and noting the child down.
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        pid = os.fork()
        if pid:
            running[pid] = role
            signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)
            log.info("started the %s process, pid %d", role, pid)
            return
        # The child must never return into the parent's code.
        code = 0
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)
            _die_with(parent)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            roles[role]()
        except (SystemExit, KeyboardInterrupt):
            pass
        except BaseException:  # reported; the supervisor starts another
            log.exception("newsletter %s process failed", role)
            code = 1
        finally:
            logging.shutdown()
            os._exit(code)

    def stop(signum, frame):
        raise _Stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for role in roles:
            spawn(role)
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            role = running.pop(pid, None)
            if role is None:
                continue
            if heartbeats is not None and role in ("writer", "outbox"):
                heartbeats.dead(role)  # /healthz fails until the new one runs
            log.error(
                "newsletter %s process exited (%s); starting another",
                role,
                os.waitstatus_to_exitcode(status),
            )
            time.sleep(1)
            spawn(role)
    except _Stop:
        pass
    for number in signals:
        signal.signal(number, signal.SIG_IGN)
    # Web processes first, so that what they are answering still gets written.
    for wanted in (lambda r: r.startswith("web-"), lambda r: r == "writer", lambda r: True):
        _stop_children(running, [pid for pid, role in running.items() if wanted(role)])


def _stop_children(running, pids):
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for pid in pids:
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        running.pop(pid, None)


def _die_with(parent):
    """Stop this process when the supervisor goes, even if it was killed outright (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the supervisor died before prctl took effect
        raise SystemExit(0)
