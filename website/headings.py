"""The sections of a rendered page, for its "On this page" list."""

from html.parser import HTMLParser


class _SectionHeadings(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []  # (id, text, lang)
        self._open = None  # the id of the <h2> being read, and its text so far
        # Elements that set a language, innermost last: [tag, lang, how deep].
        self._languages = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._languages and self._languages[-1][0] == tag:
            self._languages[-1][2] += 1
        if attrs.get("lang"):
            self._languages.append([tag, attrs["lang"], 1])
        if tag == "h2":
            anchor = attrs.get("id")
            self._open = (anchor, []) if anchor else None

    def handle_endtag(self, tag):
        if tag == "h2" and self._open:
            anchor, parts = self._open
            lang = self._languages[-1][1] if self._languages else None
            self.found.append((anchor, " ".join("".join(parts).split()), lang))
            self._open = None
        if self._languages and self._languages[-1][0] == tag:
            self._languages[-1][2] -= 1
            if self._languages[-1][2] == 0:
                self._languages.pop()

    def handle_data(self, data):
        if self._open:
            self._open[1].append(data)


def section_headings(html):
    """[(id, text, lang)] of the ``<h2 id="…">`` headings in ``html``, in order;
    ``lang`` is the language an enclosing element sets, or None."""
    parser = _SectionHeadings()
    parser.feed(str(html))
    parser.close()
    return parser.found
