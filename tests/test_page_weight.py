"""Page weight: each page's own HTML, CSS, JavaScript and fonts, at most 60 KB.

Counted uncompressed, as the files are in the output folder: the page's HTML,
the style sheets and scripts it loads (``<link rel="stylesheet">``, preloads,
``<script src>``), style sheets they ``@import`` and the fonts they name.
Images and downloads are not counted, nor is the search engine that the
search page fetches only when someone searches (see docs/performance.md).
"""

import os
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

LIMIT = 60_000  # bytes
FONT = (".woff2", ".woff", ".ttf", ".otf", ".eot")
CSS_REFERENCE = re.compile(
    r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')]+?)["']?\s*\)"""
)


class Resources(HTMLParser):
    """The style sheets and scripts an HTML page loads."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = set((attrs.get("rel") or "").lower().split())
        if tag == "script" and attrs.get("src"):
            self.found.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            preload = rel & {"preload", "modulepreload"} and attrs.get("as", "script") in (
                "script",
                "style",
                "font",
            )
            if "stylesheet" in rel or preload:
                self.found.append(attrs["href"])


def local_file(site, page_url, reference):
    """The output file a same-site reference points to, or None for other sites."""
    parts = urlsplit(urljoin(page_url, reference))
    if parts.scheme not in ("", "http", "https") or (
        parts.netloc and parts.netloc not in ("127.0.0.1:8000", "localhost:8000")
    ):
        return None
    return os.path.join(site, *[part for part in parts.path.split("/") if part])


def css_references(text):
    for match in CSS_REFERENCE.finditer(text):
        imported, url = match.groups()
        if imported:
            yield imported
        elif url and urlsplit(url).path.lower().endswith(FONT):
            yield url


def page_weight(site, path):
    """(total bytes, [(file, bytes)]) of one HTML page and what it loads."""
    relative = os.path.relpath(path, site).replace(os.sep, "/")
    page_url = "/" + relative
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    parts = [(relative, os.path.getsize(path))]
    seen = set()
    queue = [(page_url, reference) for reference in Resources(text).found]
    while queue:
        base, reference = queue.pop(0)
        target = local_file(site, base, reference)
        if target is None or target in seen:
            continue
        seen.add(target)
        assert os.path.isfile(target), f"{relative} loads {reference}, which is not in the output"
        parts.append((os.path.relpath(target, site).replace(os.sep, "/"), os.path.getsize(target)))
        if target.endswith(".css"):
            with open(target, encoding="utf-8") as handle:
                css_url = "/" + os.path.relpath(target, site).replace(os.sep, "/")
                queue.extend((css_url, found) for found in css_references(handle.read()))
    return sum(size for _, size in parts), parts


def html_pages(site):
    for folder, _, names in os.walk(site):
        for name in sorted(names):
            if name.endswith(".html"):
                yield os.path.join(folder, name)


def kb(count):
    return f"{count / 1000:.1f} KB"


def test_every_page_weighs_at_most_60_kb(site):
    pages = list(html_pages(site))
    assert pages
    heavy = []
    for path in pages:
        total, parts = page_weight(site, path)
        if total > LIMIT:
            detail = " + ".join(f"{name} {kb(size)}" for name, size in parts)
            heavy.append(f"{parts[0][0]} weighs {kb(total)} ({detail})")
    assert not heavy, f"pages over {kb(LIMIT)}:\n" + "\n".join(heavy)


def test_the_weight_counts_styles_scripts_and_fonts_but_not_images(tmp_path):
    site = tmp_path
    (site / "css").mkdir()
    (site / "css" / "site.css").write_text(
        '@import "more.css";\n@font-face { src: url("/fonts/a.woff2"); }\n'
        ".logo { background: url(/img/logo.png); }\n"
    )
    (site / "css" / "more.css").write_text("p { margin: 0; }\n")
    (site / "fonts").mkdir()
    (site / "fonts" / "a.woff2").write_bytes(b"0" * 1000)
    (site / "img").mkdir()
    (site / "img" / "logo.png").write_bytes(b"0" * 5000)
    (site / "app.js").write_text("console.log(1);\n")
    (site / "index.html").write_text(
        '<link rel="stylesheet" href="/css/site.css"><script src="app.js" defer></script>'
        '<img src="/img/logo.png"><a href="/files/big.pdf" download>PDF</a>'
    )
    total, parts = page_weight(str(site), str(site / "index.html"))
    assert [name for name, _ in parts] == [
        "index.html",
        "css/site.css",
        "app.js",
        "css/more.css",
        "fonts/a.woff2",
    ]
    assert total == sum(os.path.getsize(site / name) for name, _ in parts)
