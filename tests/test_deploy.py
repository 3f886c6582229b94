"""The deployment kit in deploy/, run for real where this machine allows.

- nginx with a configuration derived from deploy/nginx/newsletter.conf (only
  addresses, ports, certificate and log paths changed; a self-signed
  certificate from the openssl command), in front of the real service, over
  loopback: sign-ups pass through it, large bodies stop at it, the
  connection cap holds, and token addresses never reach its logs. nginx and
  openssl are required, not optional: `.ci/run` installs them.
- The systemd units: `systemd-analyze verify` and `security` when
  systemd-analyze exists; their settings in any case.
- deploy/backup.py: consistent copies of a database being written to, that
  the service can open again, and N days of them kept.
"""

import contextlib
import datetime
import email
import email.policy
import http.client
import multiprocessing
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest
from aiosmtpd.controller import Controller

from newsletter import config as settings
from newsletter import db
from newsletter.abuse import ip_hmac
from newsletter.consent import THANK_YOU_PAGES

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "newsletter"))
from nl_support import site_form

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPLOY = os.path.join(ROOT, "deploy")
NGINX_CONF = os.path.join(DEPLOY, "nginx", "newsletter.conf")
ENV_EXAMPLE = os.path.join(DEPLOY, "newsletter.env.example")
BACKUP = os.path.join(DEPLOY, "backup.py")
ADMIN = os.path.join(DEPLOY, "newsletter-admin")

SERVICE_NAME = "newsletter.example.org"
SECRET = "deploy-test-secret-" + "0123456789abcdef" * 3
TIMEOUT = 20.0

SERVICE_UNITS = sorted(name for name in os.listdir(DEPLOY) if name.endswith(".service"))
TIMERS = sorted(name for name in os.listdir(DEPLOY) if name.endswith(".timer"))


def wait_until(condition, timeout=TIMEOUT, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {message}")


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- systemd units ------------------------------------------------------------------


def unit(name):
    """{section: {key: [values]}} of a unit file (keys may repeat)."""
    sections = {}
    current = None
    for number, line in enumerate(read(os.path.join(DEPLOY, name)).splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{name}:{number}: a setting before any [section]"
        assert "=" in line, f"{name}:{number}: not KEY=VALUE: {line}"
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def environment_file(path):
    """The variables a systemd EnvironmentFile sets (the simple forms only)."""
    values = {}
    for line in read(path).splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def copies_for_systemd_analyze(folder):
    """The units with their paths pointing at this checkout, so that commands exist."""
    for name in SERVICE_UNITS + TIMERS:
        text = read(os.path.join(DEPLOY, name))
        text = text.replace("/opt/newsletter/.venv/bin/python", sys.executable)
        text = text.replace("/opt/newsletter", ROOT)
        (folder / name).write_text(text, encoding="utf-8")
    return [str(folder / name) for name in SERVICE_UNITS + TIMERS]


def test_the_kit_has_the_service_and_a_timer_for_purge_and_backup():
    assert "newsletter.service" in SERVICE_UNITS
    for task in ("newsletter-purge", "newsletter-backup", "newsletter-check"):
        assert f"{task}.service" in SERVICE_UNITS
        assert f"{task}.timer" in TIMERS
    for timer in TIMERS:
        assert timer.replace(".timer", ".service") in SERVICE_UNITS, f"{timer} starts nothing"
        sections = unit(timer)
        assert sections["Timer"]["OnCalendar"], timer
        assert sections["Timer"]["Persistent"] == ["yes"], timer
        assert sections["Install"]["WantedBy"] == ["timers.target"], timer


@pytest.mark.parametrize("name", SERVICE_UNITS)
def test_every_unit_runs_as_the_service_user_in_a_sandbox(name):
    service = unit(name)["Service"]
    expected = {
        "User": ["newsletter"],
        "Group": ["newsletter"],
        "WorkingDirectory": ["/opt/newsletter"],
        "NoNewPrivileges": ["yes"],
        "ProtectSystem": ["strict"],
        "ProtectHome": ["yes"],
        "PrivateTmp": ["yes"],
        "PrivateDevices": ["yes"],
        "UMask": ["0077"],
        "StateDirectoryMode": ["0700"],
        "CapabilityBoundingSet": [""],
        "RestrictNamespaces": ["yes"],
        "RestrictSUIDSGID": ["yes"],
        "SystemCallArchitectures": ["native"],
    }
    for key, values in expected.items():
        assert service.get(key) == values, f"{name}: {key}={service.get(key)}"
    assert "newsletter" in service["StateDirectory"][0].split(), name
    assert service["SystemCallFilter"][0] == "@system-service", name
    assert service["ExecStart"][0].startswith("/opt/newsletter/.venv/bin/python "), name
    families = service["RestrictAddressFamilies"][0].split()
    assert set(families) <= {"AF_UNIX", "AF_INET", "AF_INET6"}, name


def test_the_service_unit_restarts_on_failure_but_not_on_bad_settings():
    sections = unit("newsletter.service")
    service = sections["Service"]
    assert service["ExecStart"] == [
        "/opt/newsletter/.venv/bin/python -m newsletter serve --host 127.0.0.1 --port 8001"
    ]
    assert service["Restart"] == ["on-failure"]
    # `python -m newsletter` exits 2 on a settings error (newsletter/cli.py).
    assert service["RestartPreventExitStatus"] == ["2"]
    assert service["EnvironmentFile"] == ["/etc/newsletter/newsletter.env"]
    assert service["StateDirectory"] == ["newsletter"]
    assert sections["Install"]["WantedBy"] == ["multi-user.target"]
    # nginx passes requests to the address the service listens on.
    assert "server 127.0.0.1:8001;" in read(NGINX_CONF)


def test_the_tasks_run_the_commands_they_are_named_for():
    for name, command in (("purge", "purge"), ("check", "stats")):
        service = unit(f"newsletter-{name}.service")["Service"]
        assert service["Type"] == ["oneshot"]
        assert service["ExecStart"] == [f"/opt/newsletter/.venv/bin/python -m newsletter {command}"]
        assert service["EnvironmentFile"] == ["/etc/newsletter/newsletter.env"]
        # They need no network: the database is a file.
        assert service["PrivateNetwork"] == ["yes"]
    backup = unit("newsletter-backup.service")["Service"]
    database = environment_file(ENV_EXAMPLE)["NEWSLETTER_DB"]
    assert backup["ExecStart"] == [
        "/opt/newsletter/.venv/bin/python /opt/newsletter/deploy/backup.py --keep-days 14 "
        f"{database} /var/lib/newsletter-backups"
    ]
    assert backup["StateDirectory"] == ["newsletter newsletter-backups"]
    # The backup needs no secret: it does not read the settings file.
    assert "EnvironmentFile" not in backup


def test_the_settings_example_is_a_production_configuration_the_service_reads():
    env = environment_file(ENV_EXAMPLE)
    source = read(os.path.join(ROOT, "newsletter", "config.py"))
    for name in env:
        assert f'"{name}"' in source, f"{name} in {ENV_EXAMPLE} is not read by newsletter/config.py"
    # The database lies in the units' state directory.
    assert os.path.dirname(env["NEWSLETTER_DB"]) == "/var/lib/newsletter"
    config = settings.from_env({**env, "NEWSLETTER_SECRET": SECRET})
    assert config.production
    # Links in the mails point at the service under its own name, not at the site.
    assert config.public_url == f"https://{SERVICE_NAME}"
    assert config.site_url == "https://www.example.org"
    assert config.allowed_origins == {"https://www.example.org"}
    assert [str(network) for network in config.trusted_proxies] == ["127.0.0.1/32"]
    assert env["NEWSLETTER_SECRET"] == "change-me", "the example must not hold a real secret"
    with pytest.raises(settings.ConfigError, match="too short"):
        settings.from_env(env)


def test_the_admin_command_runs_like_the_service():
    text = read(ADMIN)
    service = unit("newsletter.service")["Service"]
    for key in ("User", "Group", "WorkingDirectory", "EnvironmentFile", "UMask"):
        assert f"--property={key}={service[key][0]}" in text, key
    assert '/opt/newsletter/.venv/bin/python -m newsletter "$@"' in text
    assert os.access(ADMIN, os.X_OK)
    result = subprocess.run(["sh", "-n", ADMIN], capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr


def test_systemd_analyze_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        # No systemd here: the tests above have read the units as INI files.
        return
    files = copies_for_systemd_analyze(tmp_path)
    result = subprocess.run([analyze, "verify", *files], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # verify only warns about unknown keys and bad values: any word is a failure.
    complaints = [
        line for line in (result.stdout + result.stderr).splitlines() if "newsletter" in line
    ]
    assert not complaints, "\n".join(complaints)
    for path in files:
        if path.endswith(".service"):
            # Exposure 2.0 of 10 at most ("OK" or "SAFE").
            result = subprocess.run(
                [analyze, "security", "--offline=yes", "--threshold=20", path],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr


# -- nginx in front of the service ----------------------------------------------------


def required_tool(name):
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        pytest.fail(
            f"{name} is not installed: the deployment tests run it "
            f"(apt-get install {name}; .ci/run does so when it runs as root)"
        )
    return found


class MailSink:
    """An SMTP server on loopback keeping every message."""

    def __init__(self):
        self.messages = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = f"{message.get_content()}\n{message['List-Unsubscribe']}"
        self.messages.append((list(envelope.rcpt_tos), text))
        return "250 OK"

    def link(self, kind, address, base=f"https://{SERVICE_NAME}"):
        """The path of the first `kind` link mailed to `address`, on the service at `base`."""
        pattern = re.compile(rf"{re.escape(base)}(/{kind}/[^\s>]+)")

        def find():
            for recipients, text in list(self.messages):
                if address in recipients and (match := pattern.search(text)):
                    return match.group(1)
            return None

        return wait_until(find, message=f"a mail to {address} with a {kind} link")


class Service:
    """`python -m newsletter serve` with the example settings, on a free loopback port.

    `settings` replace some of them (e.g. the site's and the service's addresses).
    """

    def __init__(self, folder, smtp_port, settings=None):
        self.db_path = str(folder / "newsletter.sqlite3")
        self.log_path = str(folder / "service.log")
        env = environment_file(ENV_EXAMPLE)
        for name in ("SMTP_USER", "SMTP_PASSWORD"):
            env.pop(name)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "SMTP_"))},
            **env,
            "PYTHONPATH": ROOT,
            "NEWSLETTER_SECRET": SECRET,
            "NEWSLETTER_DB": self.db_path,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_SECURITY": "none",
            # Every test request comes from 127.0.0.1: no rate limit in the way.
            "NEWSLETTER_RATE_LIMIT": "10000/60",
            "NEWSLETTER_POLL_SECONDS": "0.1",
            **(settings or {}),
        }
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "newsletter", "serve", "--host", "127.0.0.1", "--port", "0"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def port():
            if self.process.poll() is not None:
                raise AssertionError(f"the service did not start:\n{read(self.log_path)}")
            match = re.search(r"listening on http://127\.0\.0\.1:(\d+)/ ", read(self.log_path))
            return match and int(match.group(1))

        self.port = wait_until(port, message="the service to listen")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def cli(self, *args, **env):
        return subprocess.run(
            [sys.executable, "-m", "newsletter", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def query(self, sql, params=()):
        with contextlib.closing(sqlite3.connect(self.db_path)) as conn:
            return conn.execute(sql, params).fetchall()


def derived_nginx_conf(text, **paths):
    """deploy/nginx/newsletter.conf with addresses, ports and paths for this test."""
    changes = [
        ("listen 80;", f"listen 127.0.0.1:{paths['http_port']};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{paths['https_port']} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("server 127.0.0.1:8001;", f"server 127.0.0.1:{paths['service_port']};"),
        (f"/etc/letsencrypt/live/{SERVICE_NAME}/fullchain.pem", paths["certificate"]),
        (f"/etc/letsencrypt/live/{SERVICE_NAME}/privkey.pem", paths["key"]),
        ("root /var/www/html;", f"root {paths['acme']};"),
        ("/var/log/nginx/", paths["logs"] + "/"),
    ]
    for old, new in changes:
        assert old in text, f"{NGINX_CONF} no longer says {old!r}: update derived_nginx_conf()"
        text = text.replace(old, new)
    return text


# The rest of Debian's /etc/nginx/nginx.conf that matters around sites-enabled/:
# settings there and in the site's file must not clash.
NGINX_MAIN = """\
{user}
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log;
events {{
    worker_connections 256;
}}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log {folder}/logs/access.log;
    error_log {folder}/logs/error.log;
    gzip on;
    client_body_temp_path {folder}/temp/body;
    proxy_temp_path {folder}/temp/proxy;
    fastcgi_temp_path {folder}/temp/fastcgi;
    uwsgi_temp_path {folder}/temp/uwsgi;
    scgi_temp_path {folder}/temp/scgi;
    include {folder}/newsletter.conf;
}}
"""


class Proxy:
    """nginx with the derived configuration, in the foreground.

    `https_port`: where it serves the service (default: a free port); `workers`:
    its worker_processes (Debian's nginx.conf says `auto`; one is enough for tests).
    """

    def __init__(self, folder, service_port, https_port=None, workers=1):
        nginx = required_tool("nginx")
        openssl = required_tool("openssl")
        self.folder = folder
        for name in ("logs", "temp", "acme/.well-known/acme-challenge"):
            (folder / name).mkdir(parents=True)
        self.certificate = str(folder / "certificate.pem")
        key = str(folder / "key.pem")
        made = subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "2", "-subj", f"/CN={SERVICE_NAME}",
             "-addext", f"subjectAltName=DNS:{SERVICE_NAME}",
             "-keyout", key, "-out", self.certificate],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        self.http_port = free_port()
        self.https_port = https_port or free_port()
        (folder / "newsletter.conf").write_text(
            derived_nginx_conf(
                read(NGINX_CONF),
                http_port=self.http_port,
                https_port=self.https_port,
                service_port=service_port,
                certificate=self.certificate,
                key=key,
                acme=str(folder / "acme"),
                logs=str(folder / "logs"),
            ),
            encoding="utf-8",
        )
        # As root, nginx's workers would run as nobody, who cannot enter pytest's folders.
        user = "user root;" if os.geteuid() == 0 else ""
        main = folder / "nginx.conf"
        main.write_text(
            NGINX_MAIN.format(user=user, folder=folder, workers=workers), encoding="utf-8"
        )
        command = [nginx, "-p", str(folder), "-c", str(main), "-e", str(folder / "logs/error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(
            [*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        wait_until(self.listening, message="nginx to listen")
        self.tls = ssl.create_default_context(cafile=self.certificate)
        # The certificate names newsletter.example.org; we connect to 127.0.0.1.
        self.tls.check_hostname = False

    def listening(self):
        if self.process.poll() is not None:
            raise AssertionError(f"nginx stopped: {self.process.stderr.read().decode()}")
        try:
            for port in (self.http_port, self.https_port):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    def stop(self):
        self.process.send_signal(signal.SIGQUIT)  # graceful: logs written, workers done
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def request(self, method, path, body=None, headers=None, tls=True):
        if tls:
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.https_port, context=self.tls, timeout=TIMEOUT
            )
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=TIMEOUT)
        try:
            connection.request(
                method, path, body=body, headers={"Host": SERVICE_NAME, **(headers or {})}
            )
            response = connection.getresponse()
            return (
                response.status,
                dict(response.getheaders()),
                response.read().decode("utf-8", "replace"),
            )
        finally:
            connection.close()

    def sign_up(self, address, headers=None):
        form = site_form(address)
        return self.request(
            "POST",
            "/subscribe",
            urllib.parse.urlencode(form),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": "https://www.example.org",
                **(headers or {}),
            },
        )

    def log(self, name):
        path = self.folder / "logs" / name
        return read(path) if path.exists() else ""


@pytest.fixture(scope="module")
def sink():
    mail = MailSink()
    mail.controller.start()
    yield mail
    mail.controller.stop()


@pytest.fixture(scope="module")
def service(tmp_path_factory, sink):
    running = Service(tmp_path_factory.mktemp("service"), sink.port)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory, service):
    running = Proxy(tmp_path_factory.mktemp("nginx"), service.port)
    yield running
    running.stop()


def test_a_sign_up_goes_through_the_proxy_from_the_clients_address(proxy, service, sink):
    address = "through.proxy@example.org"
    # A client cannot choose the address the service sees: nginx replaces the header.
    status, headers, _ = proxy.sign_up(address, {"X-Forwarded-For": "203.0.113.9"})
    assert status == 303
    assert headers["Location"] == "https://www.example.org" + THANK_YOU_PAGES["it"]
    assert headers["Strict-Transport-Security"] == "max-age=63072000"
    assert headers["Referrer-Policy"] == "no-referrer"  # the service's own headers pass
    [(status_, hashed)] = service.query(
        "SELECT s.status, c.ip_hmac FROM subscribers s JOIN consent_events c"
        " ON c.subscriber_id = s.id WHERE s.email = ?",
        (address,),
    )
    assert status_ == "pending"
    assert hashed == ip_hmac(SECRET, "127.0.0.1") != ip_hmac(SECRET, "203.0.113.9")
    # The mail links to the service under its own name.
    assert sink.link("confirm", address).startswith("/confirm/")


def test_the_sites_script_gets_json_with_cors_through_the_proxy(proxy):
    status, headers, body = proxy.sign_up("json.proxy@example.org", {"Accept": "application/json"})
    assert status == 200, body
    assert '"ok":true' in body.replace(" ", "")
    assert headers["Access-Control-Allow-Origin"] == "https://www.example.org"


def test_large_bodies_stop_at_the_proxy(proxy):
    form = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": "https://www.example.org",
    }
    status, headers, body = proxy.request("POST", "/subscribe", "email=" + "a" * 64_000, form)
    assert status == 413
    assert "nginx" in body
    assert "Content-Security-Policy" not in headers
    # Between the service's limit (8 KiB) and nginx's, the service answers with its page.
    status, headers, body = proxy.request("POST", "/subscribe", "email=" + "a" * 12_000, form)
    assert status == 413
    assert "Content-Security-Policy" in headers


def test_plain_http_is_redirected_and_serves_certificate_challenges(proxy):
    status, headers, _ = proxy.request("GET", "/healthz?from=http", tls=False)
    assert status == 301
    assert headers["Location"] == f"https://{SERVICE_NAME}/healthz?from=http"
    challenge = proxy.folder / "acme/.well-known/acme-challenge/probe"
    challenge.write_text("token-for-the-ca", encoding="utf-8")
    status, _, body = proxy.request("GET", "/.well-known/acme-challenge/probe", tls=False)
    assert (status, body) == (200, "token-for-the-ca")


def test_the_connection_cap_holds(proxy):
    cap = int(re.search(r"limit_conn newsletter_conn (\d+);", read(NGINX_CONF)).group(1))
    held = []
    try:
        # Requests whose body never comes: each holds a connection until the body timeout.
        for _ in range(cap):
            raw = socket.create_connection(("127.0.0.1", proxy.https_port), timeout=TIMEOUT)
            connection = proxy.tls.wrap_socket(raw)
            held.append(connection)
            connection.sendall(
                f"POST /subscribe HTTP/1.1\r\nHost: {SERVICE_NAME}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n".encode()
            )
        wait_until(
            lambda: proxy.request("GET", "/healthz")[0] == 429,
            message=f"a request beyond {cap} connections to be refused",
        )
    finally:
        for connection in held:
            connection.close()
    wait_until(lambda: proxy.request("GET", "/healthz")[0] == 200, message="the cap to free up")


def test_token_addresses_never_reach_the_proxys_logs(proxy, sink):
    address = "private.links@example.org"
    assert proxy.sign_up(address)[0] == 303
    confirm = sink.link("confirm", address)
    unsubscribe = sink.link("unsubscribe", address)
    token = confirm.rsplit("/", 1)[1]
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    status, _, body = proxy.request("GET", confirm)
    assert status == 200
    assert "<form" in body
    assert proxy.request("POST", confirm, "", form)[0] == 200
    assert proxy.request("GET", unsubscribe)[0] == 200
    assert proxy.request("POST", unsubscribe, "List-Unsubscribe=One-Click", form)[0] == 200
    # The same addresses spelled otherwise, over http, and refused for their size.
    proxy.request("GET", "/" + confirm)
    proxy.request("GET", confirm.replace("/confirm/", "/%63onfirm/"))
    assert proxy.request("GET", confirm, tls=False)[0] == 301
    assert proxy.request("POST", unsubscribe, "x=" + "a" * 64_000, form)[0] == 413
    # Other requests are logged; the last one tells when the log is complete.
    assert proxy.request("GET", "/healthz?last")[0] == 200
    wait_until(lambda: "/healthz?last" in proxy.log("newsletter.access.log"), message="the log")

    access = proxy.log("newsletter.access.log")
    assert '"POST /subscribe HTTP/1.1" 303' in access
    for secret in (
        token,
        unsubscribe.rsplit("/", 1)[1],
        "/confirm/",
        "/unsubscribe/",
        "onfirm/",
        address,
    ):
        for name in ("newsletter.access.log", "newsletter.error.log", "access.log", "error.log"):
            assert secret not in proxy.log(name), f"{secret!r} in nginx's {name}"


def test_a_backup_of_the_live_database_restores(proxy, service, tmp_path):
    stop = threading.Event()
    answers = []

    def sign_ups():
        number = 0
        while not stop.is_set():
            number += 1
            answers.append(proxy.sign_up(f"during.backup.{number}@example.org")[0])

    writer = threading.Thread(target=sign_ups)
    writer.start()
    try:
        wait_until(lambda: len(answers) >= 5, message="sign-ups to flow")
        result = subprocess.run(
            [sys.executable, BACKUP, service.db_path, str(tmp_path / "backups")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        stop.set()
        writer.join(timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert set(answers) == {303}
    [copy] = os.listdir(tmp_path / "backups")
    copy = str(tmp_path / "backups" / copy)
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        # Each sign-up is one transaction: in the copy whole, with its consent and its mail.
        counts = conn.execute(
            "SELECT count(DISTINCT s.id), count(DISTINCT c.subscriber_id),"
            " count(DISTINCT o.subscriber_id)"
            " FROM subscribers s LEFT JOIN consent_events c ON c.subscriber_id = s.id"
            " LEFT JOIN outbox o ON o.subscriber_id = s.id WHERE s.email LIKE 'during.backup.%'"
        ).fetchone()
    assert counts[0] == counts[1] == counts[2] >= 5
    # Restoring is putting the copy in the database's place: the service's commands read it.
    export = service.cli("export", "--all", NEWSLETTER_DB=copy)
    assert export.returncode == 0, export.stderr
    assert "during.backup.1@example.org" in export.stdout


# -- deploy/backup.py on its own -------------------------------------------------------


def run_backup(*args):
    return subprocess.run(
        [sys.executable, BACKUP, *map(str, args)], capture_output=True, text=True, timeout=120
    )


def _write_pairs(path, ready, stop, progress):
    """Commit rows in pairs, for ever: a consistent copy always holds whole pairs."""
    conn = db.connect(path)
    padding = b"x" * 1000
    while not stop.is_set():
        with db.transaction(conn):
            conn.execute("INSERT INTO a (pad) VALUES (?)", (padding,))
            conn.execute("INSERT INTO b (pad) VALUES (?)", (padding,))
        progress.value += 1
        ready.set()
    conn.close()


def test_backups_are_consistent_while_the_database_is_written(tmp_path):
    path = str(tmp_path / "live.sqlite3")
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, pad BLOB)")
        conn.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, pad BLOB)")
        # A few megabytes, so that a copy takes a while.
        conn.execute("BEGIN")
        for _ in range(3000):
            conn.execute("INSERT INTO a (pad) VALUES (randomblob(1000))")
            conn.execute("INSERT INTO b (pad) VALUES (randomblob(1000))")
        conn.execute("COMMIT")
    context = multiprocessing.get_context("spawn")
    ready, stop, progress = context.Event(), context.Event(), context.Value("q", 0)
    writer = context.Process(target=_write_pairs, args=(path, ready, stop, progress))
    writer.start()
    try:
        assert ready.wait(TIMEOUT), "the writer did not start"
        pairs = []
        for run in range(3):
            folder = tmp_path / f"backups-{run}"
            before = progress.value
            result = run_backup(path, folder)
            assert result.returncode == 0, result.stderr
            assert progress.value > before, "the writer was stopped by the backup"
            [name] = os.listdir(folder)
            assert re.fullmatch(r"newsletter-\d{8}T\d{6}Z\.sqlite3", name)
            copy = folder / name
            assert copy.stat().st_mode & 0o777 == 0o600
            with contextlib.closing(sqlite3.connect(copy)) as conn:
                assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
                count_a = conn.execute("SELECT count(*) FROM a").fetchone()[0]
                count_b = conn.execute("SELECT count(*) FROM b").fetchone()[0]
            assert count_a == count_b >= 3000
            pairs.append(count_a)
    finally:
        stop.set()
        writer.join(timeout=TIMEOUT)
    assert pairs == sorted(pairs)
    assert pairs[0] < pairs[-1]


def test_backups_older_than_n_days_are_deleted(tmp_path):
    database = tmp_path / "newsletter.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
    folder = tmp_path / "backups"
    folder.mkdir()
    now = datetime.datetime.now(datetime.UTC)

    def name(days_ago, suffix=""):
        taken = now - datetime.timedelta(days=days_ago)
        return f"newsletter-{taken:%Y%m%dT%H%M%SZ}.sqlite3{suffix}"

    old, older, recent = name(8), name(30), name(6)
    leftover = name(0.1, ".partial")
    others = ["notes.txt", "newsletter-manual.sqlite3"]
    for file in (old, older, recent, leftover, *others):
        (folder / file).write_bytes(b"")
    result = run_backup("--keep-days", 7, database, folder)
    assert result.returncode == 0, result.stderr
    assert "deleted 3 older file(s)" in result.stdout
    left = sorted(os.listdir(folder))
    [new] = [file for file in left if file not in (recent, *others)]
    assert new > recent
    assert left == sorted([recent, new, *others])


def test_a_backup_fails_loudly_without_a_database(tmp_path):
    folder = tmp_path / "backups"
    result = run_backup(tmp_path / "missing.sqlite3", folder)
    assert result.returncode == 1
    assert result.stderr.startswith("backup: failed: no database at ")
    assert not (tmp_path / "missing.sqlite3").exists()
    assert not folder.exists() or not os.listdir(folder)
    assert run_backup("--keep-days", 0, tmp_path / "x", folder).returncode == 2
