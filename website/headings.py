"""The sections of a rendered page, for its "On this page" list."""

from html.parser import HTMLParser


class _SectionHeadings(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []  # (id, text)
        self._open = None  # the id of the <h2> being read, and its text so far

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            anchor = dict(attrs).get("id")
            self._open = (anchor, []) if anchor else None

    def handle_endtag(self, tag):
        if tag == "h2" and self._open:
            anchor, parts = self._open
            self.found.append((anchor, " ".join("".join(parts).split())))
            self._open = None

    def handle_data(self, data):
        if self._open:
            self._open[1].append(data)


def section_headings(html):
    """[(id, text)] of the ``<h2 id="…">`` headings in ``html``, in order."""
    parser = _SectionHeadings()
    parser.feed(str(html))
    parser.close()
    return parser.found
