"""sitemap.xml (and robots.txt pointing to it): every indexable page of every
language, with its alternates.

Each page is listed once per language with ``xhtml:link rel="alternate"``
entries for all languages and ``x-default``, as search engines expect for
translated pages (https://developers.google.com/search/docs/specialty/international/localized-versions).
"""

import contextlib
import hashlib
import os
import pickle
from xml.etree import ElementTree

from pelican import signals

from i18n import collect_results, merge_results, refs, site_built
from i18n.staging import write_bytes
from incremental import kept

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

    def to_xml_kept(self, folder):
        """``to_xml()``, taken from ``folder`` when the entries are those it was made from.

        Most rebuilds change no entry, and making the XML of every page
        takes a quarter of a second at the end of every build.
        """
        key = hashlib.sha256(pickle.dumps(sorted(self.entries.items()))).digest()
        key += kept.source_digest(__file__).encode()  # changing to_xml() makes it anew
        path = os.path.join(folder, KEPT_FILE) if folder else None
        xml = kept.read(path, key) if path else None
        if isinstance(xml, str):
            return xml
        xml = self.to_xml()
        if path:
            with contextlib.suppress(OSError):  # the next build makes it again
                kept.write(path, key, xml)
        return xml


KEPT_FILE = "sitemap.pickle"


sitemap = Sitemap()


def start(pelican):
    global sitemap
    if not pelican.settings.get("I18N_SUBSITE"):
        sitemap = Sitemap()


def record_page(path, context):
    if path.endswith(".html"):
        sitemap.add(context)


def hand_over(pelican, results):
    """In a language's own process: the pages it wrote, for the default language's."""
    results["sitemap"] = sitemap.entries


def take_over(pelican, results):
    sitemap.entries.update(results.get("sitemap", {}))


def write_sitemap(pelican, output_path):
    xml = sitemap.to_xml_kept(pelican.settings.get("CACHE_PATH"))
    write_bytes(os.path.join(output_path, "sitemap.xml"), xml.encode())
    settings = pelican.settings
    base = Sitemap.absolute(settings["SITEURL"], settings.get("FEED_DOMAIN") or "")
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
    write_bytes(os.path.join(output_path, "robots.txt"), robots.encode())


def register():
    signals.get_generators.connect(start)
    signals.content_written.connect(record_page)
    collect_results.connect(hand_over)
    merge_results.connect(take_over)
    site_built.connect(write_sitemap)
