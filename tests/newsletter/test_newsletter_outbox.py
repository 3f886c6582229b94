"""The outbox: retries while SMTP is down, never a mail twice, crashes and their reports."""

import time

import pytest
from nl_support import SmtpSink, wait_until

from newsletter.outbox import backoff


@pytest.fixture
def own_sink():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def states(service):
    return dict(service.query("SELECT state, count(*) FROM outbox GROUP BY state"))


def test_smtp_down_then_up_delivers_every_mail_exactly_once(make_service, own_sink):
    service = make_service(smtp_port=own_sink.port, NEWSLETTER_RATE_LIMIT="1000/1")
    handler = own_sink.handler
    addresses = []

    def sign_up(label):
        address = f"{label}.{len(addresses)}@example.org"
        assert service.sign_up(address).status == 303
        addresses.append(address)

    # The server answers 451 to every recipient: each mail is retried, with backoff.
    handler.mode = "451"
    for _ in range(3):
        sign_up("temporary")
    wait_until(lambda: handler.refusals >= 9, message="451 retries")

    # Then it is down: connections are refused. (Refusing at RCPT for a moment
    # first, so that no message is cut off mid-DATA by the stop: that would,
    # rightly, be reported as uncertain instead of retried.)
    handler.mode = "451"
    refused_so_far = handler.refusals
    wait_until(lambda: handler.refusals >= refused_so_far + 3, message="451 again")
    own_sink.stop()
    for _ in range(2):
        sign_up("down")
    wait_until(
        lambda: (
            service.query(
                "SELECT count(*) FROM outbox WHERE last_error LIKE '%Connection refused%'"
            )[0][0]
            >= 1
        ),
        message="a refused connection",
    )
    time.sleep(0.5)  # a few more attempts while down
    assert own_sink.messages == []
    assert states(service) == {"pending": 5}  # nothing lost, nothing given up

    # Back up: everything arrives, once.
    handler.mode = "accept"
    own_sink.start()
    for address in addresses:
        own_sink.wait_for(address, timeout=15)
    time.sleep(1.0)  # several more polls: nothing is sent again
    for address in addresses:
        assert len(own_sink.to(address)) == 1, address
    assert len(own_sink.messages) == len(addresses)
    assert states(service) == {"sent": 5}
    attempts = dict(
        service.query(
            "SELECT s.email, o.attempts FROM outbox o JOIN subscribers s ON s.id = o.subscriber_id"
        )
    )
    assert all(attempts[address] > 1 for address in addresses[:3])


@pytest.mark.parametrize("mode", ["550", "550-rcpt"], ids=["after-data", "at-rcpt"])
def test_a_permanent_refusal_is_not_retried_and_is_reported(make_service, own_sink, mode):
    service = make_service(smtp_port=own_sink.port)
    own_sink.handler.mode = mode
    assert service.sign_up("refused@example.org").status == 303
    wait_until(lambda: states(service) == {"failed": 1}, message="failed")
    time.sleep(0.5)  # retries come after 0.05 s here: none may follow
    assert own_sink.handler.refusals == 1
    assert service.query("SELECT attempts FROM outbox") == [(1,)]
    report = service.cli("stats")
    assert report.returncode == 1
    assert "failed 1" in report.stdout
    assert "refused@example.org" in report.stdout
    assert "550" in report.stdout
    # Other mail keeps flowing.
    own_sink.handler.mode = "accept"
    assert service.sign_up("accepted@example.org").status == 303
    own_sink.wait_for("accepted@example.org")
    assert states(service) == {"failed": 1, "sent": 1}


def test_crash_between_sending_and_marking_sent_never_sends_twice(make_service, own_sink):
    service = make_service(smtp_port=own_sink.port)

    def crash(envelope):
        # The message is handed over; the service dies before hearing "250".
        service.kill()

    own_sink.handler.on_data = crash
    assert service.sign_up("crash@example.org").status == 303
    own_sink.wait_for("crash@example.org")
    wait_until(lambda: service.process.poll() is not None, message="the crash")
    own_sink.handler.on_data = None
    assert states(service) == {"sending": 1}

    # On restart, the half-sent mail is reported, not sent again.
    service.start()
    wait_until(lambda: states(service) == {"uncertain": 1}, message="uncertain")
    time.sleep(0.5)
    assert len(own_sink.to("crash@example.org")) == 1
    report = service.cli("stats")
    assert report.returncode == 0
    assert "uncertain 1" in report.stdout
    assert "crash@example.org" in report.stdout

    # The operator decides to send it again.
    (outbox_id,) = service.query("SELECT id FROM outbox")[0]
    requeued = service.cli("requeue", str(outbox_id))
    assert requeued.returncode == 0, requeued.stderr
    assert "1 mail(s) queued again" in requeued.stdout
    own_sink.wait_for("crash@example.org", count=2)
    wait_until(lambda: states(service) == {"sent": 1}, message="sent")


def test_lost_answer_after_data_is_reported_not_retried(make_service, own_sink):
    service = make_service(smtp_port=own_sink.port)
    own_sink.handler.mode = "drop"
    assert service.sign_up("lost-answer@example.org").status == 303
    wait_until(lambda: states(service) == {"uncertain": 1}, message="uncertain")
    own_sink.handler.mode = "accept"
    time.sleep(0.5)
    assert len(own_sink.to("lost-answer@example.org")) == 1
    # Other mail keeps flowing.
    assert service.sign_up("after@example.org").status == 303
    own_sink.wait_for("after@example.org")
    dismissed = service.cli("dismiss", "--uncertain")
    assert "1 mail(s) dismissed" in dismissed.stdout
    assert states(service) == {"dismissed": 1, "sent": 1}


def test_mail_is_given_up_after_the_maximum_and_reported(make_service, own_sink):
    service = make_service(smtp_port=own_sink.port, NEWSLETTER_RETRY_GIVE_UP="0.6")
    own_sink.handler.mode = "451"
    assert service.sign_up("never@example.org").status == 303
    wait_until(lambda: states(service) == {"failed": 1}, message="failed")
    report = service.cli("stats")
    assert "failed 1" in report.stdout
    assert "never@example.org" in report.stdout
    assert "451" in report.stdout
    own_sink.handler.mode = "accept"
    assert service.cli("requeue", "--failed").returncode == 0
    own_sink.wait_for("never@example.org")


def test_only_one_worker_at_a_time(make_service, own_sink):
    service = make_service(smtp_port=own_sink.port)
    busy = service.cli("worker", "--once")
    assert busy.returncode == 1
    assert "another outbox worker" in busy.stderr
    assert "Traceback" not in busy.stderr
    service.stop()
    # With the service gone, a one-off worker sends what is waiting.
    service.execute(
        "INSERT INTO subscribers (email, lang, status, created_at, updated_at)"
        " VALUES ('queued@example.org', 'en', 'pending', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')"
    )
    service.execute(
        "INSERT INTO outbox (subscriber_id, kind, lang, base_url, message_id, state, queued_at,"
        " next_attempt_at) SELECT id, 'confirmation', 'en', 'https://example.org', '<q@example.org>',"
        " 'pending', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), '2000-01-01T00:00:00.000000Z' FROM subscribers"
    )
    once = service.cli("worker", "--once")
    assert once.returncode == 0, once.stderr
    assert "sent 1" in once.stdout
    (mail,) = own_sink.wait_for("queued@example.org")
    assert mail.message["Message-ID"] == "<q@example.org>"
    assert mail.link("confirm").startswith("https://example.org/confirm/")


def test_backoff_grows_and_is_capped():
    assert [backoff(n, 30, 3600) for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert backoff(10_000, 30, 3600) == 3600
