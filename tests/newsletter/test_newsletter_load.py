"""Concurrency and crashes: nothing acknowledged is ever lost."""

import os
import re
import resource
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from nl_support import SmtpSink, wait_until


def test_200_concurrent_unique_sign_ups(service, smtp_sink):
    addresses = [f"crowd.{n}@example.org" for n in range(200)]
    start = threading.Barrier(200)

    def sign_up(address):
        start.wait()  # all 200 at once
        return service.sign_up(address).status

    with ThreadPoolExecutor(max_workers=200) as pool:
        statuses = list(pool.map(sign_up, addresses))

    assert statuses == [303] * 200
    assert service.query("SELECT count(*) FROM subscribers WHERE email LIKE 'crowd.%'") == [(200,)]
    assert service.query(
        "SELECT count(*) FROM outbox o JOIN subscribers s ON s.id = o.subscriber_id"
        " WHERE s.email LIKE 'crowd.%'"
    ) == [(200,)]
    wait_until(
        lambda: len([m for m in smtp_sink.messages if m.recipients[0].startswith("crowd.")]) >= 200,
        timeout=30,
        message="200 mails",
    )
    delivered = [
        m.recipients[0] for m in smtp_sink.messages if m.recipients[0].startswith("crowd.")
    ]
    assert sorted(delivered) == sorted(addresses)  # each once


def test_sigkill_during_load_loses_no_acknowledged_sign_up(make_service):
    sink = SmtpSink()
    sink.start()
    try:
        service = make_service(smtp_port=sink.port, NEWSLETTER_RATE_LIMIT="100000/1")
        acknowledged, failed = [], []
        lock = threading.Lock()
        stop = threading.Event()

        def client(number):
            n = 0
            while not stop.is_set():
                address = f"load.{number}.{n}@example.org"
                n += 1
                try:
                    status = service.sign_up(address).status
                except OSError:
                    with lock:
                        failed.append(address)
                    return  # the server is gone
                with lock:
                    (acknowledged if status == 303 else failed).append(address)

        threads = [threading.Thread(target=client, args=(number,)) for number in range(16)]
        for thread in threads:
            thread.start()
        wait_until(lambda: len(acknowledged) >= 150, timeout=30, message="load")
        service.kill()  # SIGKILL, mid-load
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert len(acknowledged) >= 150

        # The database is intact and holds every sign-up that got its 303.
        conn = sqlite3.connect(service.db_path)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {row[0] for row in conn.execute("SELECT email FROM subscribers")}
        with_mail = {
            row[0]
            for row in conn.execute(
                "SELECT s.email FROM outbox o JOIN subscribers s ON s.id = o.subscriber_id"
            )
        }
        with_consent = {
            row[0]
            for row in conn.execute(
                "SELECT s.email FROM consent_events c JOIN subscribers s ON s.id = c.subscriber_id"
            )
        }
        conn.close()
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} acknowledged sign-ups lost"
        # A sign-up, its consent record and its mail are one transaction: all or nothing.
        assert stored == with_mail == with_consent

        # The service starts again on the same database, and every mail goes out
        # once, except at most one that was in flight when the process died:
        # that one is reported as uncertain, not sent again.
        service.start()
        assert service.sign_up("after.crash@example.org").status == 303
        wait_until(
            lambda: (
                service.query("SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')")
                == [(0,)]
            ),
            timeout=60,
            message="the outbox to drain",
        )
        states = dict(service.query("SELECT state, count(*) FROM outbox GROUP BY state"))
        assert states.get("uncertain", 0) <= 1
        # Read again: a commit that reached the WAL but not its index before the
        # kill (never acknowledged) shows up once SQLite recovers the WAL.
        stored_now = {row[0] for row in service.query("SELECT email FROM subscribers")}
        assert stored | {"after.crash@example.org"} <= stored_now
        assert states["sent"] + states.get("uncertain", 0) == len(stored_now)
        uncertain = {
            row[0]
            for row in service.query(
                "SELECT s.email FROM outbox o JOIN subscribers s ON s.id = o.subscriber_id"
                " WHERE o.state = 'uncertain'"
            )
        }
        recipients = [m.recipients[0] for m in sink.messages]
        assert len(recipients) == len(set(recipients))  # nobody got two mails
        assert set(acknowledged) - uncertain <= set(recipients)
        assert "after.crash@example.org" in recipients
    finally:
        sink.stop()


def test_a_dead_writer_is_replaced_and_nothing_is_acknowledged_falsely(make_service):
    service = make_service(NEWSLETTER_RATE_LIMIT="100000/1")
    # The parent logs each child after forking it, so the web process may
    # already answer before the writer's line reaches the log.
    wait_until(
        lambda: re.search(r"started the writer process, pid (\d+)", service.log()),
        timeout=10,
        message="the writer process to be logged",
    )
    writer_pid = int(re.search(r"started the writer process, pid (\d+)", service.log()).group(1))
    assert service.sign_up("before@example.org").status == 303

    os.kill(writer_pid, signal.SIGKILL)
    answers = {}
    deadline = time.monotonic() + 20
    n = 0
    while time.monotonic() < deadline:
        address = f"during.{n}@example.org"
        n += 1
        answers[address] = service.sign_up(address).status
        if n > 5 and answers[address] == 303 and "starting another" in service.log():
            break
    assert set(answers.values()) <= {303, 503}  # never anything else
    assert answers[address] == 303  # a new writer took over
    assert "newsletter writer process exited" in service.log()
    stored = {row[0] for row in service.query("SELECT email FROM subscribers")}
    acknowledged = {a for a, status in answers.items() if status == 303}
    assert acknowledged | {"before@example.org"} <= stored


def test_a_full_disk_gets_503_and_loses_nothing(make_service):
    """The writer may not grow its files (as on a full disk): sign-ups get a
    503 that says to try later, nothing acknowledged is lost, and the
    service writes again as soon as there is room, without a restart."""
    service = make_service(NEWSLETTER_RATE_LIMIT="100000/1")
    pid = wait_until(
        lambda: re.search(r"started the writer process, pid (\d+)", service.log()),
        message="the writer process to be logged",
    )
    writer_pid = int(pid.group(1))
    assert service.sign_up("before.full@example.org").status == 303
    wal = service.db_path + "-wal"
    room = max(os.path.getsize(service.db_path), os.path.getsize(wal)) + 32 * 1024
    unlimited = resource.RLIM_INFINITY
    resource.prlimit(writer_pid, resource.RLIMIT_FSIZE, (room, unlimited))
    try:
        answers = {}
        for n in range(400):
            address = f"full.{n}@example.org"
            reply = service.sign_up(address)
            answers[address] = reply.status
            if list(answers.values())[-3:] == [503] * 3:
                break
        assert set(answers.values()) <= {303, 503}
        assert 503 in answers.values(), "the size limit was never reached"
        assert reply.header("Retry-After")
    finally:
        resource.prlimit(writer_pid, resource.RLIMIT_FSIZE, (unlimited, unlimited))
    assert "database write failed" in service.log()

    assert service.sign_up("after.full@example.org").status == 303
    stored = {row[0] for row in service.query("SELECT email FROM subscribers")}
    acknowledged = {address for address, status in answers.items() if status == 303}
    assert acknowledged | {"before.full@example.org", "after.full@example.org"} <= stored
    assert service.query("PRAGMA integrity_check") == [("ok",)]
