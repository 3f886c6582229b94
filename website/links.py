"""``{route}`` links: Markdown links to pages that plugins make from data.

``[Linea 4]({route}line:linea-4)`` becomes the address of that page in the
language of the site being built, as ``{filename}`` does for content files.
Several parameters are separated by commas, in the route's order.

Content files get their links through the Markdown extension below, which
the languages plugin configures for each language (``MARKDOWN`` setting).
"""

import re

from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor

from .routes import ROUTES, route_params, route_path

ROUTE_LINK = re.compile(
    r"""(?P<attr>href|src)=(?P<quote>["'])\{route\}(?P<name>[a-z_]+)(?::(?P<params>[^"'#?]+))?"""
)


def resolve(name, params, settings):
    """The site-relative path of a route link, or None if it names no page."""
    lang = settings["DEFAULT_LANG"]
    words = settings["LANGUAGES"][lang]["paths"]
    if name not in ROUTES:
        return None
    names = route_params(name, words)
    values = params.split(",") if params else []
    if len(names) != len(values):
        return None
    return route_path(
        name,
        lang,
        settings["LANGUAGES"],
        settings["SITE_DEFAULT_LANG"],
        **dict(zip(names, values, strict=True)),
    )


def expand(html, settings):
    def replace(match):
        path = resolve(match.group("name"), match.group("params"), settings)
        if path is None:
            return match.group(0)  # Pelican warns of it; content_checks reports it
        return f"{match.group('attr')}={match.group('quote')}{settings['SITEURL']}/{path}"

    return ROUTE_LINK.sub(replace, html)


class RouteLinks(Postprocessor):
    def __init__(self, md, settings):
        super().__init__(md)
        self.settings = settings

    def run(self, text):
        return expand(text, self.settings) if "{route}" in text else text


class RouteLinksExtension(Extension):
    """``{route}`` links in Markdown, for the language of the run (``settings``:
    DEFAULT_LANG, LANGUAGES, SITE_DEFAULT_LANG and SITEURL)."""

    def __init__(self, **kwargs):
        self.config = {"settings": [{}, "the settings of the language being built"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # After Markdown has put the raw HTML back (priority 30): links are attributes then.
        md.postprocessors.register(RouteLinks(md, self.getConfig("settings")), "route_links", 5)


def makeExtension(**kwargs):  # the name Markdown looks for
    return RouteLinksExtension(**kwargs)
