"""The site's header, EU emblem and footer around the service's own pages.

The site's build writes, per language, a page shell (the `newsletter_form`
plugin, theme/templates/newsletter_shell.html) at the addresses of
`consent.PAGE_SHELLS`: a whole page of the site whose <main> holds only a
marker. `serve` reads them once at start from NEWSLETTER_PAGE_SHELLS, the
built site's folder or its address, and the service puts its pages in them:
its <title>, what its page adds to <head>, and its <main>, each rendered by
its own templates, escaped there. The theme stays the one source of the
site's look. Without the setting the service keeps its plain pages.
"""

import os
import re
import urllib.error
import urllib.request

from newsletter.config import ConfigError, origin_of
from newsletter.consent import PAGE_SHELLS

MAIN_MARKER = "<!-- newsletter:main -->"
FETCH_TIMEOUT = 15
# Root-relative addresses (a site built with SITEURL = ""), made absolute:
# the service's pages are on another origin than the site.
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src|action)=")/(?!/)')
_ASSETS = re.compile(r'<(?:img|link|source|script)\b[^>]*?\s(?:src|href)="([^"]*)"', re.I)


class Shell:
    """One language's page shell, cut where the service's parts go."""

    def __init__(self, text, name):
        title_start = text.find("<title>")
        title_end = text.find("</title>")
        head_end = text.find("</head>")
        main = text.find(MAIN_MARKER)
        if not (
            text.count("<title>") == text.count("</head>") == text.count(MAIN_MARKER) == 1
            and 0 <= title_start < title_end < head_end < main
        ):
            raise ConfigError(
                f"NEWSLETTER_PAGE_SHELLS: {name} is not a page shell (one <title>, one </head>,"
                f" then {MAIN_MARKER!r} in <main>): build the site again"
            )
        title_start += len("<title>")
        self._pieces = (
            text[:title_start],
            text[title_end:head_end],
            text[head_end:main],
            text[main + len(MAIN_MARKER) :],
        )

    def fill(self, title, head, main):
        """The whole page: each argument is HTML, already escaped by the templates."""
        before_title, before_head_end, before_main, after_main = self._pieces
        return "".join((before_title, title, before_head_end, head, before_main, main, after_main))


def load(source, site_url):
    """{lang: Shell} from the built site at `source` (a folder or an http(s) address).

    Raises ConfigError, with one line for the operator, when a shell is
    missing or unusable: a service dressed as the site or plainly, never half.
    """
    site_origin = origin_of(site_url)
    shells = {}
    for lang, path in PAGE_SHELLS.items():
        name, text = _read(source, path)
        text = _ROOT_RELATIVE.sub(lambda match: f"{match[1]}{site_url}/", text)
        if re.search(r"<script\b", text, re.I):
            raise ConfigError(
                f"NEWSLETTER_PAGE_SHELLS: {name} has a script, which the service's"
                " Content-Security-Policy would block"
            )
        for address in _ASSETS.findall(text):
            if origin_of(address) != site_origin:
                raise ConfigError(
                    f"NEWSLETTER_PAGE_SHELLS: {name} loads {address}, not from the site's"
                    f" origin {site_origin} (NEWSLETTER_SITE_URL), which the service's"
                    " Content-Security-Policy allows: build the site with SITEURL set to it"
                )
        shells[lang] = Shell(text, name)
    return shells


def _read(source, path):
    if source.startswith(("http://", "https://")):
        url = source.rstrip("/") + path
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as answer:
                return url, answer.read().decode("utf-8")
        except (urllib.error.URLError, OSError, UnicodeDecodeError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            raise ConfigError(
                f"NEWSLETTER_PAGE_SHELLS: cannot read {url} ({reason}): the site must be"
                " published, with its page shells, before the service starts"
            ) from None
    name = os.path.join(source, *path.strip("/").split("/"))
    try:
        with open(name, encoding="utf-8") as handle:
            return name, handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"NEWSLETTER_PAGE_SHELLS: cannot read {name} ({type(error).__name__}): give the"
            " folder of a site built with this version of the theme"
        ) from None
