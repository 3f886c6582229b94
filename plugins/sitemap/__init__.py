"""sitemap.xml (and robots.txt pointing to it): every indexable page of every
language, with its alternates.

Each page is listed once per language with ``xhtml:link rel="alternate"``
entries for all languages and ``x-default``, as search engines expect for
translated pages (https://developers.google.com/search/docs/specialty/international/localized-versions).
"""

import os
from xml.etree import ElementTree

from pelican import signals

from website import refs
from website.signals import site_built

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


class Sitemap:
    def __init__(self):
        self.entries = {}

    def add(self, context):
        if not refs.indexable(context):
            return
        base = context.get("FEED_DOMAIN") or ""
        alternates = [(lang, self.absolute(url, base)) for lang, url in refs.alternates(context)]
        loc = dict(alternates)[context["DEFAULT_LANG"]]
        default = dict(alternates)[context["SITE_DEFAULT_LANG"]]
        lastmod = refs.last_modified(context)
        self.entries[loc] = ([*alternates, ("x-default", default)], lastmod)

    @staticmethod
    def absolute(url, base):
        return url if url.startswith(("http://", "https://")) else base + url

    def to_xml(self):
        ElementTree.register_namespace("", SITEMAP_NS)
        ElementTree.register_namespace("xhtml", XHTML_NS)
        urlset = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
        for loc in sorted(self.entries):
            alternates, lastmod = self.entries[loc]
            url = ElementTree.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
            ElementTree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = loc
            if lastmod is not None:
                ElementTree.SubElement(
                    url, f"{{{SITEMAP_NS}}}lastmod"
                ).text = lastmod.date().isoformat()
            for lang, href in alternates:
                ElementTree.SubElement(
                    url, f"{{{XHTML_NS}}}link", rel="alternate", hreflang=lang, href=href
                )
        ElementTree.indent(urlset)
        return ElementTree.tostring(urlset, encoding="unicode", xml_declaration=True) + "\n"


sitemap = Sitemap()


def start(pelican):
    global sitemap
    if not pelican.settings.get("I18N_SUBSITE"):
        sitemap = Sitemap()


def record_page(path, context):
    if path.endswith(".html"):
        sitemap.add(context)


def write_sitemap(pelican, output_path):
    with open(os.path.join(output_path, "sitemap.xml"), "w", encoding="utf-8") as handle:
        handle.write(sitemap.to_xml())
    settings = pelican.settings
    base = Sitemap.absolute(settings["SITEURL"], settings.get("FEED_DOMAIN") or "")
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
    with open(os.path.join(output_path, "robots.txt"), "w", encoding="utf-8") as handle:
        handle.write(robots)


def register():
    signals.get_generators.connect(start)
    signals.content_written.connect(record_page)
    site_built.connect(write_sitemap)
