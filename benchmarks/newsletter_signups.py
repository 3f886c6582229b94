"""How many sign-ups per second the newsletter service sustains, against the disk's limit.

    .venv/bin/python benchmarks/newsletter_signups.py [--seconds 10] [--clients 32] [--through-nginx]

Measures, in one run and on the same disk:

1. this machine's raw rate of single-row durable SQLite commits (WAL,
   synchronous=FULL, one INSERT per BEGIN IMMEDIATE … COMMIT, one thread):
   the most a service that committed every sign-up on its own could reach;
2. the real service (`python -m newsletter serve`, in production mode, one
   web process per CPU, its outbox worker mailing an SMTP sink), under 32
   concurrent clients posting unique sign-ups over keep-alive connections:
   sign-ups per second, p50 and p99 latency, and the ratio to (1) — the
   target is at least 50%;
3. the storage path alone: the writer process (newsletter/writer.py) fed
   the same sign-ups directly by 32 concurrent clients, without HTTP, to
   show how much of the limit in (2) is the database's.

Then it checks that every acknowledged sign-up is in the database and that
`PRAGMA integrity_check` passes. Everything shares this machine's CPUs: the
load generator, the SMTP sink, nginx and the service.
"""

import argparse
import asyncio
import itertools
import json
import os
import pathlib
import socket
import sqlite3
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from newsletter import db  # noqa: E402

SITE = "http://127.0.0.1:8000"
SECRET = "benchmark-secret-" + "x" * 32
FRAME = struct.Struct("!I")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def person(n):
    return {
        "name": f"Persona {n}",
        "email": f"persona.{n}@example.org",
        "lang": "it" if n % 2 else "en",
        "page": "/newsletter/",
        "privacy_version": "1",
    }


# -- 1. the disk ------------------------------------------------------------------------


def raw_commit_rate(folder, seconds):
    """Single-row durable commits per second, as fast as one thread can go."""
    conn = sqlite3.connect(os.path.join(folder, "raw.sqlite3"), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, value TEXT NOT NULL)")
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO rows (value) VALUES (?)", (f"row {count}",))
        conn.execute("COMMIT")
        count += 1
    rate = count / (time.perf_counter() - start)
    conn.close()
    return rate


# -- 2. the service over HTTP ----------------------------------------------------------------


def start_smtp_sink(port):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_service(folder, port, smtp_port, processes, worker, public_url=None, proxied=False):
    env = dict(
        os.environ,
        PYTHONPATH=ROOT,
        NEWSLETTER_MODE="production",
        NEWSLETTER_SECRET=SECRET,
        NEWSLETTER_DB=os.path.join(folder, "newsletter.sqlite3"),
        NEWSLETTER_SITE_URL=SITE,
        NEWSLETTER_PUBLIC_URL=public_url or f"http://127.0.0.1:{port}",
        NEWSLETTER_RATE_LIMIT="100000000/1",  # every client is on this machine here
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_FROM="OpenSource14 <newsletter@example.org>",
    )
    if proxied:  # nginx on this machine, as in deploy/newsletter.env.example
        env["NEWSLETTER_TRUSTED_PROXIES"] = "127.0.0.1"
    command = [sys.executable, "-m", "newsletter", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--processes", str(processes)]
    if not worker:
        command.append("--no-worker")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the service did not start: " + process.stderr.read().decode())


class Target:
    """Where the load goes: the service itself, or nginx in front of it over TLS."""

    def __init__(self, port, tls=None, host=None):
        self.port = port
        self.tls = tls
        self.host = host or f"127.0.0.1:{port}"

    def connect(self, number):
        if self.tls is None:
            return asyncio.open_connection("127.0.0.1", self.port)
        # Through nginx each client has an address of its own, as visitors do: the
        # deploy configuration caps concurrent connections per address.
        source = f"127.0.{1 + number // 250}.{2 + number % 250}"
        return asyncio.open_connection(
            "127.0.0.1",
            self.port,
            ssl=self.tls,
            server_hostname=self.host,
            local_addr=(source, 0),
        )


async def http_client(target, number, numbers, stop_at, latencies, statuses):
    """One visitor after another on a keep-alive connection, until the time is up."""
    reader, writer = await target.connect(number)
    try:
        while time.perf_counter() < stop_at:
            body = urllib.parse.urlencode(
                {**person(next(numbers)), "consent": "yes", "website": ""}
            ).encode()
            request = (
                f"POST /subscribe HTTP/1.1\r\nHost: {target.host}\r\nOrigin: {SITE}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            sent = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            close = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - sent)
            statuses.append(int(head.split(b" ", 2)[1]))
            if close:  # e.g. nginx's keepalive_requests: a new connection, as a browser would
                writer.close()
                reader, writer = await target.connect(number)
    finally:
        writer.close()


async def http_load(target, clients, seconds, first_number):
    latencies, statuses = [], []
    numbers = itertools.count(first_number)
    stop_at = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(
        *(
            http_client(target, number, numbers, stop_at, latencies, statuses)
            for number in range(clients)
        )
    )
    return latencies, statuses, time.perf_counter() - start


def start_nginx(folder, service_port, https_port):
    """nginx with the deploy configuration in front of the service, as tests/test_deploy.py runs it."""
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from test_deploy import SERVICE_NAME, Proxy

    proxy_folder = pathlib.Path(folder) / "nginx"
    proxy_folder.mkdir()
    # One worker per CPU, as Debian's nginx.conf (`worker_processes auto`).
    proxy = Proxy(proxy_folder, service_port, https_port=https_port, workers="auto")
    tls = ssl.create_default_context(cafile=proxy.certificate)
    return proxy, Target(https_port, tls=tls, host=SERVICE_NAME)


# -- 3. the writer process alone -----------------------------------------------------------


async def writer_client(address, numbers, stop_at, latencies, answers):
    reader, writer = await asyncio.open_unix_connection(address)
    try:
        while time.perf_counter() < stop_at:
            message = {
                "op": "signup",
                "params": {
                    "signup": person(next(numbers)),
                    "ip_hmac": "0" * 64,
                    "base_url": "http://127.0.0.1",
                    "mail_domain": "example.org",
                    "resend_interval": 3600,
                },
            }
            data = json.dumps(message).encode()
            sent = time.perf_counter()
            writer.write(FRAME.pack(len(data)) + data)
            (length,) = FRAME.unpack(await reader.readexactly(FRAME.size))
            answers.append(json.loads(await reader.readexactly(length)))
            latencies.append(time.perf_counter() - sent)
    finally:
        writer.close()


def writer_alone(folder, clients, seconds):
    path = os.path.join(folder, "writer-alone.sqlite3")
    db.initialize(path)
    address = os.path.join(folder, "writer.sock")
    code = f"from newsletter.writer import run_writer_process; run_writer_process({path!r}, {address!r}, None)"
    process = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        while not os.path.exists(address):
            time.sleep(0.02)
        latencies, answers = [], []
        numbers = itertools.count()

        async def run():
            stop_at = time.perf_counter() + seconds
            start = time.perf_counter()
            await asyncio.gather(
                *(
                    writer_client(address, numbers, stop_at, latencies, answers)
                    for _ in range(clients)
                )
            )
            return time.perf_counter() - start

        elapsed = asyncio.run(run())
    finally:
        process.terminate()
        process.wait(timeout=30)
    stored = sqlite3.connect(path).execute("SELECT count(*) FROM subscribers").fetchone()[0]
    return latencies, answers, elapsed, stored


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured load")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="web processes, as recommended for production: one per core (default: %(default)s)",
    )
    parser.add_argument(
        "--through-nginx",
        action="store_true",
        help="send the sign-ups through nginx with deploy/nginx/newsletter.conf, over TLS",
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="run the service without its outbox worker sending mail alongside",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsletter-bench-") as folder:
        raw = raw_commit_rate(folder, 3.0)

        port, smtp_port = free_port(), free_port()
        sink = start_smtp_sink(smtp_port)
        service = proxy = None
        try:
            if args.through_nginx:
                https_port = free_port()
                service = start_service(
                    folder,
                    port,
                    smtp_port,
                    args.processes,
                    not args.no_worker,
                    public_url=f"https://127.0.0.1:{https_port}",
                    proxied=True,
                )
                proxy, target = start_nginx(folder, port, https_port)
            else:
                service = start_service(folder, port, smtp_port, args.processes, not args.no_worker)
                target = Target(port)
            _, warm_up, _ = asyncio.run(http_load(target, args.clients, 1.0, 10_000_000))
            latencies, statuses, elapsed = asyncio.run(
                http_load(target, args.clients, args.seconds, 0)
            )
        finally:
            if proxy is not None:
                proxy.stop()
            if service is not None:
                service.terminate()
                service.wait(timeout=30)
            sink.terminate()
            sink.wait(timeout=10)
        conn = sqlite3.connect(os.path.join(folder, "newsletter.sqlite3"))
        stored = conn.execute("SELECT count(*) FROM subscribers").fetchone()[0] - warm_up.count(303)
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()

        w_latencies, w_answers, w_elapsed, w_stored = writer_alone(
            folder, args.clients, args.seconds
        )

    acknowledged = statuses.count(303)
    rate = acknowledged / elapsed
    w_rate = len(w_answers) / w_elapsed
    mail = "no outbox worker" if args.no_worker else "outbox worker mailing an SMTP sink"

    def ms(values, fraction):
        return f"{percentile(values, fraction) * 1000:.1f} ms"

    print(f"machine:                  {os.cpu_count()} CPU(s)")
    print(f"raw durable commits/s:    {raw:6.0f}  (one row per commit, one thread, same disk)")
    print(
        f"service:                  {args.processes} web process(es), {mail}, {args.clients} clients, {elapsed:.1f} s"
    )
    if args.through_nginx:
        print(
            "  through:                nginx (deploy/nginx/newsletter.conf, worker_processes auto),"
            " TLS, one client address each"
        )
    else:
        print("  through:                nothing: straight to the service over HTTP")
    print(
        f"  sign-ups per second:    {rate:6.0f}  (p50 {ms(latencies, 0.5)}, p99 {ms(latencies, 0.99)})"
    )
    print(f"  ratio to raw commits:   {rate / raw:6.0%}  (target: at least 50%)")
    print(
        f"  answers:                {acknowledged} × 303, {len(statuses) - acknowledged} other; stored {stored}; integrity_check {integrity}"
    )
    print(
        f"writer process alone:     {args.clients} clients over its Unix socket, no HTTP, {w_elapsed:.1f} s"
    )
    print(
        f"  sign-ups per second:    {w_rate:6.0f}  (p50 {ms(w_latencies, 0.5)}, p99 {ms(w_latencies, 0.99)})"
    )
    print(f"  ratio to raw commits:   {w_rate / raw:6.0%}")
    failures = []
    if stored != acknowledged or integrity != "ok" or acknowledged != len(statuses):
        failures.append("service: some acknowledged sign-ups are missing, or requests failed")
    if w_stored != len(w_answers) or any("ok" not in answer for answer in w_answers):
        failures.append("writer: some acknowledged sign-ups are missing, or writes failed")
    if failures:
        raise SystemExit("; ".join(failures))


if __name__ == "__main__":
    main()
