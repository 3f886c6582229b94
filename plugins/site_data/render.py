"""Text from data files, ready for templates: translated, Markdown made safe."""

import functools

import markdown as markdown_lib
import nh3
from markupsafe import Markup

from website.schema import LocalizedText, Translated

# Markdown in data files may hold formatting and links, never scripts,
# styles or embeds: whatever raw HTML an editor types is cleaned away.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "li",
    "ol",
    "p",
    "strong",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "hreflang"}, "abbr": {"title"}}


def translate(value, lang):
    """The text of ``value`` for ``lang``, falling back to the original."""
    if value is None:
        return Translated("", lang, False)
    if isinstance(value, Translated):
        return value
    if isinstance(value, LocalizedText):
        return value.get(lang)
    return Translated(str(value), lang, False)


@functools.lru_cache(maxsize=1)
def _converter():
    """One converter, reset before each text: building one costs more than converting."""
    return markdown_lib.Markdown(extensions=["extra", "smarty"], output_format="html")


@functools.lru_cache(maxsize=4096)
def _markdown(text):
    html = _converter().reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )


def render_markdown(text):
    return Markup(_markdown(str(text)))
