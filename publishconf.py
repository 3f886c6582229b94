"""Settings for publishing (`make publish`, `make github`, the deploy workflow).

Everything of pelicanconf.py, with what only a published site needs. From the
environment:

- SITEURL: the site's public address;
- NEWSLETTER_ENDPOINT: the sign-up service's /subscribe address, where the
  newsletter form posts. An absolute https:// address (http:// only to
  127.0.0.1 or localhost, for tests). There is no default: a site served
  together with the service behind one proxy sets that same-origin address
  explicitly, e.g. NEWSLETTER_ENDPOINT=https://www.example.org/subscribe.

    SITEURL=https://www.example.org \\
    NEWSLETTER_ENDPOINT=https://iscrizioni.example.org/subscribe make publish

From data/project.yaml: the data controller the privacy notices name,
`privacy.controller` (REQUIRE_PRIVACY_CONTROLLER below; docs/dati.md).

Whatever is missing or wrong stops the build with a message naming the
setting and the fix (website/problems.py), and nothing is written.
"""

import os
import sys
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: F403
from website.problems import Problem, abort, shown

SITEURL = os.environ.get("SITEURL", "").strip().rstrip("/")
FEED_DOMAIN = SITEURL
NEWSLETTER_ENDPOINT = os.environ.get("NEWSLETTER_ENDPOINT", "").strip()
# The privacy notices must name the data controller: a missing
# privacy.controller in data/project.yaml stops the build (plugins/site_data).
REQUIRE_PRIVACY_CONTROLLER = True
RELATIVE_URLS = False
DRAFTS_VISIBLE = False

_local_hosts = ("127.0.0.1", "localhost")


def _address(value):
    """(scheme, host) of an absolute web address, or None."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in value):
        return None
    return parts.scheme, host


def _setting(name, message, fix):
    return Problem(shown(__file__), field=name, message=message, fix=fix)


def _problems():
    problems = []
    if _address(SITEURL) is None:
        problems.append(
            _setting(
                "SITEURL",
                f"{SITEURL!r} is not a web address" if SITEURL else "is not set",
                "set SITEURL to the site's public address in the environment, "
                "e.g. SITEURL=https://www.example.org make publish",
            )
        )
    fix = (
        "set NEWSLETTER_ENDPOINT in the environment to the sign-up service's "
        "https:// address, e.g. NEWSLETTER_ENDPOINT=https://iscrizioni.example.org/subscribe "
        "make publish; a site served with the service behind one proxy gives its own "
        "address, e.g. https://www.example.org/subscribe"
    )
    address = _address(NEWSLETTER_ENDPOINT)
    if not NEWSLETTER_ENDPOINT:
        problems.append(
            _setting("NEWSLETTER_ENDPOINT", "is not set: the newsletter form needs it", fix)
        )
    elif address is None:
        problems.append(
            _setting("NEWSLETTER_ENDPOINT", f"{NEWSLETTER_ENDPOINT!r} is not a web address", fix)
        )
    elif address[0] != "https" and address[1] not in _local_hosts:
        problems.append(
            _setting(
                "NEWSLETTER_ENDPOINT",
                f"{NEWSLETTER_ENDPOINT!r} is not an https:// address: names and e-mail "
                "addresses would travel unencrypted",
                fix,
            )
        )
    return problems


_found = _problems()
if _found:
    abort(_found)
