"""The glossary (data/glossary.yaml) on a page: difficult words explained.

``glossed(html, entries, lang)`` finds the glossary words in a page's HTML.
The first time each word appears in the text (not in a link, heading, code
or an element that already marks a term), it becomes a link to its
explanation; the theme lists the words found at the end of the page, in a
``<dl>`` whose terms are ``<dfn>`` (theme/templates/partials/glossary.html).

Only text between tags is searched, so attributes and addresses are never
touched, and the page's HTML stays as valid as it was. Words are matched
as they are written in the HTML (escaped), whole words, any case, with any
white space between their words.
"""

import html
import re
from dataclasses import dataclass

from markupsafe import Markup

# Text inside these elements is left alone.
SKIPPED = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "dfn", "abbr", "script", "style"}
TAG = re.compile(r"(<[^>]*>)")
TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)\s*>")


@dataclass(frozen=True)
class Found:
    """A glossary word found on a page: its anchor id, term and definition."""

    anchor: str
    term: str
    definition: str


@dataclass(frozen=True)
class Glossed:
    html: Markup
    terms: tuple


def anchor(entry_id):
    return f"glossario-{entry_id}"


def forms(entry, lang):
    """The spellings of an entry in ``lang``, longest first."""
    words = [str(entry.term.get(lang)), *entry.forms.get(lang, [])]
    return sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)


def pattern(words):
    parts = [r"\s+".join(re.escape(html.escape(part)) for part in w.split()) for w in words]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def glossed(content, entries, lang):
    """(the page's HTML with the first use of each word linked, the words found)."""
    # Longer words first, so "cooperativa sociale di tipo B" wins over a shorter one.
    todo = sorted(
        ((entry, pattern(forms(entry, lang))) for entry in entries),
        key=lambda pair: -max(len(w) for w in forms(pair[0], lang)),
    )
    found = {}
    open_skipped = []
    pieces = TAG.split(content or "")
    for position, piece in enumerate(pieces):
        if position % 2:  # a tag
            match = TAG_NAME.match(piece)
            if match and match.group(2).lower() in SKIPPED and not match.group(3):
                name = match.group(2).lower()
                if match.group(1):
                    if name in open_skipped:
                        del open_skipped[len(open_skipped) - 1 - open_skipped[::-1].index(name)]
                else:
                    open_skipped.append(name)
            continue
        if open_skipped or not piece.strip():
            continue
        pieces[position] = link_first_uses(piece, todo, found)
    terms = tuple(
        Found(anchor(entry.id), entry.term.get(lang), entry.definition.get(lang))
        for entry in entries
        if entry.id in found
    )
    return Glossed(Markup("".join(pieces)), terms)


def link_first_uses(text, todo, found):
    """``text`` with the first use of each word not yet found linked to it."""
    spans = []  # (start, end, entry) not overlapping, in the order found
    for entry, regex in todo:
        if entry.id in found:
            continue
        for match in regex.finditer(text):
            if any(match.start() < end and start < match.end() for start, end, _ in spans):
                continue
            spans.append((match.start(), match.end(), entry))
            found[entry.id] = True
            break
    result = []
    last = 0
    for start, end, entry in sorted(spans, key=lambda span: span[0]):
        result.append(text[last:start])
        result.append(f'<a href="#{anchor(entry.id)}" class="glossary-term">{text[start:end]}</a>')
        last = end
    result.append(text[last:])
    return "".join(result)
