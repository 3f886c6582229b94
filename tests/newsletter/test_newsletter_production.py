"""Production mode: the settings it refuses, health checks, secret rotation, file
modes, untrusted proxy headers and the web server's limits."""

import http.client
import os
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest
from nl_support import ROOT, SECRET, SITE_URL, wait_until

from newsletter import db
from newsletter.tokens import Tokens

PRODUCTION = {
    "NEWSLETTER_MODE": "production",
    "NEWSLETTER_SECRET": SECRET,
    "NEWSLETTER_SITE_URL": "https://opensource14.example",
    "NEWSLETTER_PUBLIC_URL": "https://opensource14.example",
    "SMTP_HOST": "127.0.0.1",
    "SMTP_FROM": "OpenSource14 <newsletter@opensource14.example>",
}


def serve_production(tmp_path, env):
    """`serve` with production settings changed by `env` (an empty value removes one)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "SMTP_"))}
    settings = {**PRODUCTION, "NEWSLETTER_DB": str(tmp_path / "n.sqlite3"), **env}
    try:
        return subprocess.run(
            [sys.executable, "-m", "newsletter", "serve", "--port", "0"],
            cwd=ROOT,
            env={**clean, **{key: value for key, value in settings.items() if value}},
            capture_output=True,
            text=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the service started with {env}")


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        (
            {"NEWSLETTER_PUBLIC_URL": ""},
            "NEWSLETTER_PUBLIC_URL must be set in production mode",
        ),
        (
            {"NEWSLETTER_ALLOWED_ORIGINS": "https://elsewhere.example"},
            "NEWSLETTER_ALLOWED_ORIGINS must include the site's origin, https://opensource14.example",
        ),
        (
            {"NEWSLETTER_ALLOWED_ORIGINS": " , "},
            "NEWSLETTER_ALLOWED_ORIGINS lists no origin",
        ),
        (
            {"NEWSLETTER_ALLOWED_ORIGINS": "opensource14.example"},
            "'opensource14.example' is not an origin",
        ),
        (
            {"NEWSLETTER_SECRET_FALLBACKS": "old-and-short"},
            "NEWSLETTER_SECRET_FALLBACKS: every secret needs at least 32 characters",
        ),
    ],
)
def test_production_refuses_to_start_with_these_settings(tmp_path, env, complaint):
    result = serve_production(tmp_path, env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr  # one line
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "n.sqlite3").exists()  # refused before touching anything


def test_production_starts_with_its_site_among_the_allowed_origins(make_service, smtp_sink):
    service = make_service(
        smtp_port=smtp_sink.port,
        NEWSLETTER_MODE="production",
        NEWSLETTER_PUBLIC_URL="http://127.0.0.1:8001",
        NEWSLETTER_ALLOWED_ORIGINS=f"https://other.example, {SITE_URL}/",
    )
    assert "production mode" in service.log()
    assert service.get("/healthz").status == 200
    assert service.sign_up("production@example.org").status == 303
    link = smtp_sink.wait_for("production@example.org")[0].link("confirm")
    assert link.startswith("http://127.0.0.1:8001/confirm/")  # never the request's host


def test_old_links_keep_working_after_the_secret_changes(make_service, smtp_sink, address):
    service = make_service(smtp_port=smtp_sink.port)
    assert service.sign_up(address, lang="en").status == 303
    old = smtp_sink.wait_for(address)[0]

    new_secret = "the-new-secret-" + "n" * 40
    service.stop()
    service.env.update(
        NEWSLETTER_SECRET=new_secret,
        # In any order: the service puts NEWSLETTER_SECRET last, the key that signs.
        NEWSLETTER_SECRET_FALLBACKS=f"an-even-older-secret-{'o' * 30}, {SECRET}",
    )
    service.start()
    assert service.get(old.link("confirm")).status == 200
    assert service.post(old.link("confirm")).status == 200
    assert service.subscriber(address)["status"] == "confirmed"
    assert service.get(old.link("unsubscribe")).status == 200

    # New mail is signed with the new secret alone.
    other = f"other.{address}"
    assert service.sign_up(other, lang="en").status == 303
    token = smtp_sink.wait_for(other)[0].link("unsubscribe").rsplit("/", 1)[1]
    assert Tokens(new_secret, 60).read_unsubscribe(token) == (other, "en")

    # Once the old secret is dropped from the fallbacks, its links stop working.
    service.stop()
    service.env.pop("NEWSLETTER_SECRET_FALLBACKS")
    service.start()
    assert service.get(old.link("unsubscribe")).status == 404
    assert service.post(old.link("unsubscribe")).status == 404
    assert service.subscriber(address)["status"] == "confirmed"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_is_created_private(make_service, smtp_sink, tmp_path):
    data = tmp_path / "new" / "data"
    service = make_service(smtp_port=smtp_sink.port, NEWSLETTER_DB=str(data / "n.sqlite3"))
    service.db_path = str(data / "n.sqlite3")
    assert service.sign_up("private@example.org").status == 303
    smtp_sink.wait_for("private@example.org")
    assert oct(mode(data)) == oct(0o700)
    for suffix in ("", "-wal", "-shm", ".outbox-lock"):
        assert oct(mode(service.db_path + suffix)) == oct(0o600), suffix


def test_the_command_line_creates_the_database_private_too(tmp_path):
    path = tmp_path / "made-by-cli" / "n.sqlite3"
    previous = os.umask(0o022)  # the usual umask: files 0644, folders 0755
    try:
        db.initialize(str(path))
        conn = db.connect(str(path))
        conn.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
        conn.close()
    finally:
        os.umask(previous)
    assert oct(mode(path.parent)) == oct(0o700)
    assert oct(mode(path)) == oct(0o600)


def test_a_database_others_can_read_is_reported_at_start(make_service, tmp_path):
    data = tmp_path / "shared"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    path = data / "n.sqlite3"
    db.initialize(str(path))
    os.chmod(path, 0o644)
    service = make_service(NEWSLETTER_DB=str(path))
    log = service.log()
    assert f"{path} can be read by other users" in log
    assert f"{data} can be entered by other users" in log


def test_forwarded_for_from_an_untrusted_peer_is_logged(make_service, smtp_sink):
    untrusting = make_service(smtp_port=smtp_sink.port)
    for n in range(3):
        assert untrusting.sign_up(f"xff.{n}@example.org", ip="192.0.2.55").status == 303
    wait_until(
        lambda: "X-Forwarded-For" in untrusting.log(),
        message="a warning about X-Forwarded-For",
    )
    log = untrusting.log()
    assert "NEWSLETTER_TRUSTED_PROXIES" in log
    assert log.count("X-Forwarded-For") == 1  # once, not once per request
    assert "192.0.2.55" not in log  # no IP addresses in the log

    trusting = make_service(smtp_port=smtp_sink.port, NEWSLETTER_TRUSTED_PROXIES="127.0.0.1")
    assert trusting.sign_up("xff.trusted@example.org", ip="192.0.2.56").status == 303
    smtp_sink.wait_for("xff.trusted@example.org")
    assert "X-Forwarded-For" not in trusting.log()


def health(service):
    reply = service.get("/healthz")
    return reply.status, reply.body


def test_health_fails_while_the_writer_or_the_worker_is_stuck_or_dead(make_service, smtp_sink):
    service = make_service(smtp_port=smtp_sink.port, NEWSLETTER_STUCK_SECONDS="2")
    assert health(service) == (200, "ok\n")

    for role in ("writer", "outbox"):
        pid = service.pid(role)
        os.kill(pid, signal.SIGSTOP)  # stuck: alive, but not going round its loop
        try:
            _status, body = wait_until(
                lambda: (answer := health(service))[0] == 503 and answer,
                message=f"/healthz to notice the stuck {role}",
            )
            assert role in body
            assert "no sign of life" in body
        finally:
            os.kill(pid, signal.SIGCONT)
        wait_until(lambda: health(service)[0] == 200, message=f"the {role} to recover")

    # Dead: reported at once, until the supervisor's replacement is running.
    outbox = service.pid("outbox")
    os.kill(outbox, signal.SIGKILL)
    _status, body = wait_until(
        lambda: (answer := health(service))[0] == 503 and answer,
        interval=0.005,
        message="/healthz to notice the dead worker",
    )
    assert "outbox worker: not running" in body
    wait_until(lambda: health(service)[0] == 200, message="a new worker")
    assert service.pid("outbox") != outbox
    assert service.sign_up("after.health@example.org").status == 303
    smtp_sink.wait_for("after.health@example.org")


def test_health_leaves_out_the_worker_with_no_worker(make_service):
    """`serve --no-worker`: the worker runs elsewhere, /healthz answers for the writer."""
    service = make_service(args=["--no-worker"], NEWSLETTER_STUCK_SECONDS="1")
    time.sleep(2)  # longer than NEWSLETTER_STUCK_SECONDS
    assert health(service) == (200, "ok\n")
    os.kill(service.pid("writer"), signal.SIGSTOP)
    try:
        wait_until(lambda: health(service)[0] == 503, message="/healthz to notice")
    finally:
        os.kill(service.pid("writer"), signal.SIGCONT)


def test_idle_connections_are_closed(make_service):
    service = make_service(NEWSLETTER_CHANNEL_TIMEOUT="1")
    with socket.create_connection(("127.0.0.1", service.port), timeout=15) as connection:
        # A request that never finishes, as a slow client's.
        connection.sendall(b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\na=")
        started = time.monotonic()
        try:
            rest = connection.recv(1024)
        except ConnectionResetError:
            rest = b""
        assert rest == b""  # closed, unanswered
        assert time.monotonic() - started < 10


def test_connections_beyond_the_limit_wait_their_turn(make_service):
    service = make_service(NEWSLETTER_CONNECTION_LIMIT="2")
    idle = [socket.create_connection(("127.0.0.1", service.port))]
    try:
        time.sleep(0.3)
        assert service.get("/healthz").status == 200  # the second connection
        idle.append(socket.create_connection(("127.0.0.1", service.port)))
        time.sleep(0.5)  # let the server take it in
        late = http.client.HTTPConnection("127.0.0.1", service.port, timeout=1.5)
        late.request("GET", "/healthz")  # taken by the kernel, not by the server
        with pytest.raises(TimeoutError):
            late.getresponse()
        late.close()
    finally:
        for connection in idle:
            connection.close()
    assert service.get("/healthz").status == 200
