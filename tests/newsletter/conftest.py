"""Fixtures for the newsletter service tests; the machinery lives in nl_support.py."""

import itertools
import re

import pytest
from nl_support import Service, SmtpSink

_names = itertools.count(1)


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def make_service(tmp_path_factory):
    """Start a service with extra settings; every one started is stopped at the end."""
    started = []

    def make(smtp_port=None, args=(), **env):
        folder = tmp_path_factory.mktemp("newsletter")
        settings = {key: str(value) for key, value in env.items()}
        if smtp_port is not None:
            settings.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port))
        service = Service(folder, settings, args)
        started.append(service)
        return service.start()

    yield make
    for service in started:
        service.stop()


@pytest.fixture(scope="session")
def service(tmp_path_factory, smtp_sink):
    """The service most tests share: 127.0.0.1 is its trusted proxy, so each test
    request can come from its own client address (X-Forwarded-For)."""
    folder = tmp_path_factory.mktemp("shared-newsletter")
    shared = Service(
        folder,
        {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_sink.port),
            "NEWSLETTER_TRUSTED_PROXIES": "127.0.0.1",
            "NEWSLETTER_RATE_LIMIT": "5/60",
            "NEWSLETTER_MAX_BODY": "4096",
            # Two processes, as in production: they share the rate limiter and one worker.
            "NEWSLETTER_PROCESSES": "2",
        },
    ).start()
    yield shared
    shared.stop()


@pytest.fixture
def address(request):
    """An address no other test uses."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    return f"{name}.{next(_names)}@example.org"
