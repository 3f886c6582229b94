"""The writer process: every write from the web pages, batched into durable commits.

Why a process of its own:

- Group commit. Every durable COMMIT waits for the disk (one fsync), so
  committing each sign-up on its own caps throughput at the disk's commit
  rate. The writer runs everything that arrived since its last commit in one
  transaction and commits once. Nobody is answered before the COMMIT that
  holds their data has returned, so nothing is acknowledged that is not on
  disk.
- No waiting for Python's global lock. The sqlite3 module lets go of that
  lock around every statement; a writer thread living among busy request
  threads then waits up to 5 ms each time to get it back, and under load
  spends most of its time waiting. Alone in its process, it never waits.
- One writer for all web processes: they do not fight over SQLite's lock.

Web processes talk to it over a Unix socket in a private folder, one
connection per thread, with small JSON messages naming one of a few
operations: the socket accepts nothing else.

If an operation fails, the whole batch is rolled back and its operations are
run again one transaction each, so the failure stays with its sender.
Operations only touch the database, so running one twice is harmless.
"""

import contextlib
import json
import logging
import os
import selectors
import signal
import socket
import sqlite3
import struct
import threading
import time

from newsletter import db, subscriptions
from newsletter.forms import Signup

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!I")
MAX_MESSAGE = 64 * 1024
REPLY_TIMEOUT = 60.0
# On SIGTERM, keep answering while web processes are still connected, this long at most.
STOP_GRACE = 15.0


class WriterUnavailable(Exception):
    """The write could not be committed, or no answer came; the caller answers 503."""


# -- the operations -------------------------------------------------------------------


def _signup(conn, params):
    signup = Signup(**params["signup"])
    subscriptions.record_signup(
        conn,
        signup,
        ip_hmac=params["ip_hmac"],
        base_url=params["base_url"],
        mail_domain=params["mail_domain"],
        resend_interval=params["resend_interval"],
    )
    return None


def _confirm(conn, params):
    return subscriptions.confirm(conn, params["email"], ip_hmac=params["ip_hmac"])


def _unsubscribe(conn, params):
    return subscriptions.unsubscribe(conn, params["email"], how=params["how"])


def _status(conn, params):
    """Only reads: what a confirmation link's page should say."""
    return subscriptions.status(conn, params["email"])


OPERATIONS = {
    "signup": _signup,
    "confirm": _confirm,
    "unsubscribe": _unsubscribe,
    "status": _status,
}
# Operations after which a confirmation mail may be waiting.
QUEUES_MAIL = {"signup"}


# -- the process's side -------------------------------------------------------------------


class WriterServer:
    def __init__(self, db_path, address, wake_fd=None, heartbeat=None):
        self._db_path = db_path
        self._address = address
        self._wake_fd = wake_fd
        # Called each time round the loop (at least every 0.5 s), for /healthz.
        self._heartbeat = heartbeat or (lambda: None)
        self._stop_by = None

    def stop(self, *_):
        """Finish: at once if no web process is connected, else when they are gone."""
        if self._stop_by is None:
            self._stop_by = time.monotonic() + STOP_GRACE

    def serve_forever(self):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._address)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self._address)
        listener.listen(512)
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        buffers = {}
        conn = db.connect(self._db_path)
        try:
            while self._stop_by is None or (buffers and time.monotonic() < self._stop_by):
                self._heartbeat()
                requests = []
                for key, _ in selector.select(timeout=0.5):
                    if key.fileobj is listener:
                        client, _ = listener.accept()
                        selector.register(client, selectors.EVENT_READ)
                        buffers[client] = bytearray()
                    else:
                        self._read(key.fileobj, buffers, requests, selector)
                if requests:
                    self._run_batch(conn, requests)
        finally:
            for client in buffers:
                client.close()
            listener.close()
            conn.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._address)

    @staticmethod
    def _read(client, buffers, requests, selector):
        try:
            data = client.recv(MAX_MESSAGE)
        except OSError:
            data = b""
        if not data:
            selector.unregister(client)
            buffers.pop(client).clear()
            client.close()
            return
        buffer = buffers[client]
        buffer += data
        while len(buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(buffer)
            if length > MAX_MESSAGE:  # not one of ours
                selector.unregister(client)
                buffers.pop(client).clear()
                client.close()
                return
            if len(buffer) < _HEADER.size + length:
                break
            requests.append((client, bytes(buffer[_HEADER.size : _HEADER.size + length])))
            del buffer[: _HEADER.size + length]

    def _run_batch(self, conn, requests):
        jobs = []
        for client, payload in requests:
            try:
                message = json.loads(payload)
                operation = OPERATIONS[message["op"]]
                jobs.append([client, message["op"], operation, message["params"], None])
            except (ValueError, KeyError, TypeError):
                _send(client, {"error": "bad request"})
        if not jobs:
            return
        self._commit(conn, jobs)
        for client, _name, _operation, _params, reply in jobs:
            _send(client, reply)
        if self._wake_fd is not None and any(job[1] in QUEUES_MAIL for job in jobs):
            # Tell the outbox worker; a full pipe means it has been told already.
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_fd, b"!")

    def _commit(self, conn, jobs):
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in jobs:
                job[4] = {"ok": job[2](conn, job[3])}
            conn.execute("COMMIT")
        except Exception:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if len(jobs) > 1:
                # Rare: find the culprit by running each job on its own.
                for job in jobs:
                    self._commit(conn, [job])
                return
            log.exception("database write failed: %s", jobs[0][1])
            jobs[0][4] = {"error": "not stored"}


def _send(client, reply):
    data = json.dumps(reply).encode()
    # If the sender gave up waiting, it has answered 503 already.
    with contextlib.suppress(OSError):
        client.sendall(_HEADER.pack(len(data)) + data)


def run_writer_process(db_path, address, wake_fd, heartbeat=None):
    """The body of the writer process."""
    server = WriterServer(db_path, address, wake_fd, heartbeat)
    signal.signal(signal.SIGTERM, server.stop)
    signal.signal(signal.SIGINT, server.stop)
    server.serve_forever()


# -- the web processes' side ---------------------------------------------------------------


class WriterClient:
    """One connection per thread to the writer process; `submit` waits for the commit."""

    def __init__(self, address, connect_timeout=5.0):
        self._address = address
        self._connect_timeout = connect_timeout
        self._local = threading.local()

    def submit(self, operation, **params):
        data = json.dumps({"op": operation, "params": params}).encode()
        # A connection may have died with a previous writer process: try a
        # fresh one once. Operations are safe to run twice (see above).
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.sendall(_HEADER.pack(len(data)) + data)
                reply = json.loads(_receive(connection))
                break
            except (OSError, ValueError) as error:
                self._forget()
                if attempt == 2:
                    raise WriterUnavailable(
                        f"no answer from the writer process: {error}"
                    ) from error
        if "ok" not in reply:
            raise WriterUnavailable(reply.get("error", "unknown error"))
        return reply["ok"]

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        # The writer may be (re)starting: keep trying for a moment.
        deadline = time.monotonic() + self._connect_timeout
        while True:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(REPLY_TIMEOUT)
            try:
                connection.connect(self._address)
            except OSError as error:
                connection.close()
                if time.monotonic() > deadline:
                    raise WriterUnavailable(f"cannot reach the writer process: {error}") from error
                time.sleep(0.05)
                continue
            self._local.connection = connection
            return connection

    def _forget(self):
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()


def _receive(connection):
    header = _receive_exactly(connection, _HEADER.size)
    (length,) = _HEADER.unpack(header)
    return _receive_exactly(connection, length)


def _receive_exactly(connection, size):
    chunks = bytearray()
    while len(chunks) < size:
        chunk = connection.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("the writer process closed the connection")
        chunks += chunk
    return bytes(chunks)
