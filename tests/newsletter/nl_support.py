"""Helpers for the newsletter tests: the real server, over loopback, and an SMTP sink.

The service runs as a subprocess (`python -m newsletter serve --port 0`),
exactly as in production, and reports the port it got; mail goes to an
aiosmtpd server in the test process that can be told to refuse mail (451 at
RCPT, 550 after DATA) or be stopped (connections refused).
"""

import contextlib
import email
import email.policy
import html.parser
import http.client
import itertools
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

from aiosmtpd.controller import Controller

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE_URL = "http://127.0.0.1:8000"
SECRET = "test-secret-" + "0123456789abcdef" * 3
STARTUP_TIMEOUT = 20.0


def site_form(email, **fields):
    """The fields the site's form posts, filled in by a person ten seconds
    after the page opened; a field given as None is left out. No province is
    ticked, as the site renders the form; `territory=["lodi", "pavia"]` ticks
    those boxes (a list: a field sent once per value, as browsers send it)."""
    form = {
        "name": "Maria Rossi",
        "email": email,
        "consent": "yes",
        "nl_extra": "",  # the honeypot (newsletter/abuse.py), left empty
        "lang": "it",
        "page": "/newsletter/",
        "privacy_version": "1",
        "ts": str(int(time.time() * 1000) - 10_000),
        **fields,
    }
    return {key: value for key, value in form.items() if value is not None}


_addresses = itertools.count(1)


def unique_ip():
    """A fresh client address for each request, so tests do not share a rate limit."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def wait_until(condition, timeout=10.0, interval=0.02, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


# -- SMTP sink ---------------------------------------------------------------------


class Received:
    def __init__(self, envelope):
        self.mail_from = envelope.mail_from
        self.recipients = list(envelope.rcpt_tos)
        self.raw = envelope.original_content
        self.message = email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def body(self):
        return self.message.get_content()

    def link(self, kind):
        match = re.search(rf"(https?://\S+/{kind}/\S+)", self.body)
        assert match, f"no {kind} link in {self.body!r}"
        return match.group(1)


class SinkHandler:
    """Records every accepted message; `mode` decides whether to accept."""

    def __init__(self):
        # "accept", "451" (at RCPT), "550" (after DATA), "550-rcpt" (at RCPT),
        # or "drop": take the message, then hang up without answering.
        self.mode = "accept"
        self.messages = []
        self.refusals = 0
        self.on_data = None  # called with the envelope before answering DATA
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "451":
            with self._lock:
                self.refusals += 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        if self.mode == "550-rcpt":
            with self._lock:
                self.refusals += 1
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # The mode may change between RCPT and DATA: a transaction that got
        # past RCPT is still refused once the sink refuses.
        if self.mode in ("550", "451"):
            with self._lock:
                self.refusals += 1
            if self.mode == "451":
                return "451 4.3.0 Temporarily unavailable, try again later"
            return "550 5.7.1 Message refused"
        if self.on_data is not None:
            self.on_data(envelope)
        with self._lock:
            self.messages.append(Received(envelope))
        if self.mode == "drop":
            server.transport.close()
        return "250 2.0.0 Message accepted"


class SmtpSink:
    def __init__(self):
        self.handler = SinkHandler()
        self.port = None
        self._controller = None

    def start(self):
        if self.port is None:
            # aiosmtpd needs a port number up front: ask the kernel for a free one.
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
        controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True
        )
        controller.start()
        self._controller = controller

    def stop(self):
        """Stop listening: connections are refused until start()."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self):
        return list(self.handler.messages)

    def to(self, address):
        address = address.lower()
        return [m for m in self.messages if address in (r.lower() for r in m.recipients)]

    def wait_for(self, address, count=1, timeout=10.0):
        return wait_until(
            lambda: (found := self.to(address)) and len(found) >= count and found,
            timeout=timeout,
            message=f"{count} mail(s) to {address}",
        )


# -- the service -----------------------------------------------------------------


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())


class Service:
    """The real service in a subprocess, and a small HTTP client for it."""

    def __init__(self, folder, env, args=()):
        self.folder = str(folder)
        self.args = list(args)  # more arguments for `serve`
        self.db_path = os.path.join(self.folder, "newsletter.sqlite3")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "SMTP_"))},
            "PYTHONPATH": ROOT,
            "NEWSLETTER_DB": self.db_path,
            "NEWSLETTER_SECRET": SECRET,
            "NEWSLETTER_SITE_URL": SITE_URL,
            "SMTP_FROM": "OpenSource14 <newsletter@example.org>",
            "NEWSLETTER_POLL_SECONDS": "0.1",
            "NEWSLETTER_RETRY_BASE": "0.05",
            "NEWSLETTER_RETRY_CAP": "0.2",
            **env,
        }
        self.process = None
        self.port = None
        self.runs = 0

    # -- lifecycle

    def start(self):
        self.runs += 1
        self.log_path = os.path.join(self.folder, f"service-{self.runs}.log")
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "newsletter", "serve"),
                *("--host", "127.0.0.1", "--port", "0", *self.args),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to kill it whole
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            match = re.search(r"listening on http://127\.0\.0\.1:(\d+)/ ", self.log())
            if match:
                self.port = int(match.group(1))
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"the service did not start:\n{self.log()}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self._log.close()
            # Anything left of the group, e.g. after a test killed the parent.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def kill(self):
        """SIGKILL to every process of the service: no cleanup at all, as in a crash."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()

    def pid(self, role):
        """The process id of the service's latest `role` process (writer, outbox, web-1…)."""
        found = wait_until(
            lambda: re.findall(rf"started the {role} process, pid (\d+)", self.log()),
            message=f"the {role} process to be logged",
        )
        return int(found[-1])

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def cli(self, *args, **env):
        """Run `python -m newsletter ARGS` with this service's settings."""
        return subprocess.run(
            [sys.executable, "-m", "newsletter", *args],
            cwd=ROOT,
            env={**self.env, **{key: str(value) for key, value in env.items()}},
            capture_output=True,
            text=True,
            timeout=60,
        )

    # -- HTTP

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, headers=None):
        if path.startswith("http"):
            # A link from a mail: its path, on this run of the service.
            path = urllib.parse.urlsplit(path).path
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            data = answer.read().decode("utf-8", "replace")
            headers = {name.lower(): value for name, value in answer.getheaders()}
            return Reply(answer.status, headers, data)
        finally:
            connection.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, form=None, headers=None):
        # doseq: a list is a field sent once per value, as ticked checkboxes are.
        body = urllib.parse.urlencode(form or {}, doseq=True)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", path, body=body, headers=headers)

    def sign_up(self, email, ip=None, headers=None, **fields):
        """Post the site's form as a person would, from a fresh address unless `ip` is given."""
        form = site_form(email, **fields)
        base_headers = {"Origin": SITE_URL, "X-Forwarded-For": ip or unique_ip()}
        return self.post("/subscribe", form, {**base_headers, **(headers or {})})

    # -- database

    def query(self, sql, params=()):
        conn = sqlite3.connect(self.db_path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def execute(self, sql, params=()):
        """Change the database behind the service's back (e.g. to make time pass)."""
        conn = sqlite3.connect(self.db_path, isolation_level=None, timeout=10)
        try:
            return conn.execute(sql, params).rowcount
        finally:
            conn.close()

    def subscriber(self, email):
        conn = sqlite3.connect(self.db_path)
        conn.row_factory = sqlite3.Row
        try:
            row = conn.execute("SELECT * FROM subscribers WHERE email = ?", (email,)).fetchone()
            return dict(row) if row else None
        finally:
            conn.close()

    def count(self, table):
        return self.query(f"SELECT count(*) FROM {table}")[0][0]


# -- reading the service's pages ------------------------------------------------------

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Page(html.parser.HTMLParser):
    """What the tests look at in a page, plus basic validity: a doctype,
    properly nested elements, unique ids."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.doctype = None
        self.lang = None
        self.h1 = []
        self.forms = []
        self.buttons = []
        self.inputs = []
        self.links = []
        self.labels = []
        self.ids = []
        self.alerts = []
        self.elements = []
        self.problems = []
        self._open = []
        self._text = {}

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "form":
            self.forms.append((attributes.get("method"), attributes.get("action")))
        elif tag == "input":
            self.inputs.append(attributes)
        elif tag == "label":
            self.labels.append(attributes.get("for"))
        if attributes.get("role") == "alert":
            self.alerts.append(attributes)
        if tag in VOID:
            return
        self._open.append(tag)
        if tag in ("h1", "button", "a"):
            self._text[tag] = []
            self._href = attributes.get("href")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self._open or self._open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self._open[-1:] or 'nothing'}")
            return
        self._open.pop()
        if tag in self._text:
            text = " ".join("".join(self._text.pop(tag)).split())
            if tag == "h1":
                self.h1.append(text)
            elif tag == "button":
                self.buttons.append(text)
            else:
                self.links.append((self._href, text))

    def handle_data(self, data):
        for parts in self._text.values():
            parts.append(data)


def parse_page(text):
    page = Page()
    page.feed(text)
    page.close()
    assert page.doctype, "no doctype"
    assert page.doctype.lower() == "doctype html"
    assert not page.problems, page.problems
    assert not page._open, f"unclosed: {page._open}"
    assert len(page.ids) == len(set(page.ids)), f"duplicate ids: {page.ids}"
    return page


class ProvinceGroup(html.parser.HTMLParser):
    """The form's provinces: the group around the `territory` boxes, its legend and
    summary, and each box with its label and where it sits."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.legends = []
        self.summaries = []
        self.boxes = []  # dicts: value, id, checked, ancestors (tags), hint ids
        self.labels = {}  # for -> (text, lang of the text or None)
        self.describedby = {}  # a fieldset's aria-describedby, by position
        self.texts = {}  # id -> text, of elements with an id
        self._open = []  # (tag, attrs)
        self._capture = []  # [kind, key, parts, lang]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name") == "territory":
            self.boxes.append(
                {
                    "value": attributes.get("value"),
                    "id": attributes.get("id"),
                    "type": attributes.get("type"),
                    "checked": "checked" in attributes,
                    "ancestors": tuple(t for t, _ in self._open),
                }
            )
        if tag == "fieldset" and "aria-describedby" in attributes:
            self.describedby[len(self.legends)] = attributes["aria-describedby"].split()
        for capture in self._capture:
            if capture[0] == "label" and attributes.get("lang") and capture[3] is None:
                capture[3] = attributes["lang"]
        if tag in VOID:
            return
        self._open.append((tag, attributes))
        if tag in ("legend", "summary"):
            self._capture.append([tag, None, [], None])
        elif tag == "label":
            self._capture.append(["label", attributes.get("for"), [], attributes.get("lang")])
        elif "id" in attributes:
            self._capture.append(["id", attributes["id"], [], None])

    def handle_endtag(self, tag):
        if tag in VOID or not self._open:
            return
        _, attributes = self._open.pop()
        kind = {"legend": "legend", "summary": "summary", "label": "label"}.get(tag)
        if kind is None and "id" in attributes:
            kind = "id"
        if kind is None:
            return
        capture = self._capture.pop()
        text = " ".join("".join(capture[2]).split())
        if kind == "legend":
            self.legends.append(text)
        elif kind == "summary":
            self.summaries.append(text)
        elif kind == "label":
            self.labels[capture[1]] = (text, capture[3])
        else:
            self.texts[capture[1]] = text

    def handle_data(self, data):
        for capture in self._capture:
            capture[2].append(data)

    def label(self, box):
        return self.labels.get(box["id"])


def province_group(text):
    """The provinces of the form of a page that has them (a page may have other forms)."""
    group = ProvinceGroup()
    box = text.find('name="territory"')
    if box != -1:
        start = text.rindex("<form", 0, box)
        group.feed(text[start : text.index("</form>", start) + len("</form>")])
    group.close()
    return group
