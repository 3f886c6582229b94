"""Site search: a search page per language and Pagefind indexes of the built site.

Pagefind (from PyPI, `pagefind_bin`) runs on the finished build, before it
replaces the output folder. Only the text inside ``data-pagefind-body`` (the
main content of indexable pages) is indexed.

Each language gets its own bundles, in its own folder: the news in one
(``pagefind-news/``), every other page in another (``pagefind/``), and the
search page merges them. Pagefind holds everything it indexes in memory at
once; split this way, and run one after the other, no run holds more than a
part of one language, so the build's memory stays bounded as the news grow
(docs/performance.md).

A bundle whose pages are byte for byte those an earlier build indexed is
not made again: each bundle keeps the digest of what it indexed in
``input.sha256``. The staging folder's own bundle is kept as it is, or the
published one is linked in; a bundle folder is only ever replaced whole,
never written into, so the links are safe (i18n/staging.py).
"""

import hashlib
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata

from pelican import signals
from pelican.generators import Generator

from i18n import register_route, site_built, write_route_page
from i18n.routes import language_prefix
from i18n.staging import keep

logger = logging.getLogger(__name__)

BUNDLE = "pagefind"
NEWS_BUNDLE = "pagefind-news"
INPUT_DIGEST = "input.sha256"


class SearchError(RuntimeError):
    pass


@dataclass(frozen=True)
class Bundle:
    """One Pagefind run: the pages it indexes and the folder it writes."""

    folder: str  # site-relative, e.g. "en/pagefind"
    roots: tuple = ()  # site-relative folders and HTML files it indexes

    @property
    def glob(self):
        patterns = [root if root.endswith(".html") else f"{root}/**/*.html" for root in self.roots]
        return "{" + ",".join(patterns) + "}"

    def pages(self, site):
        """The HTML files the glob takes in, site-relative, sorted."""
        found = []
        for root in self.roots:
            path = os.path.join(site, root)
            if root.endswith(".html"):
                found += [root] if os.path.isfile(path) else []
                continue
            for folder, _, names in os.walk(path):
                found += [
                    os.path.relpath(os.path.join(folder, name), site).replace(os.sep, "/")
                    for name in names
                    if name.endswith(".html")
                ]
        return sorted(found)

    def input_digest(self, site):
        """What Pagefind would be given (its version, the glob and every page), or
        None when none of the pages has anything to index."""
        digest = hashlib.sha256()
        digest.update(f"{metadata.version('pagefind_bin')}\n{self.glob}\n".encode())
        indexable = False
        for page in self.pages(site):
            with open(os.path.join(site, page), "rb") as handle:
                text = handle.read()
            indexable = indexable or b"data-pagefind-body" in text
            digest.update(f"{page}\n".encode() + hashlib.sha256(text).digest())
        return digest.hexdigest() if indexable else None


class SearchPageGenerator(Generator):
    def generate_output(self, writer):
        main, news = bundles_of(self.settings["DEFAULT_LANG"], self.settings)
        # Without articles there is no news bundle (see build_index), and Pagefind
        # stops searching altogether if asked to merge a bundle that is not there.
        bundles = [main, news] if self.context.get("articles") else [main]
        write_route_page(
            self, writer, "search", "search", search_bundles=[bundle.folder for bundle in bundles]
        )


def add_generator(pelican):
    return SearchPageGenerator


def bundles_of(lang, settings, site=None):
    """The bundles of one language, the main one first.

    Without ``site`` only their folders are known (before the pages are written).
    """
    prefix = language_prefix(lang, settings["SITE_DEFAULT_LANG"])
    news = prefix + settings["LANGUAGES"][lang]["paths"]["news"]
    rest = () if site is None else _the_rest(site, prefix, news, settings)
    return [Bundle(prefix + BUNDLE, rest), Bundle(prefix + NEWS_BUNDLE, (news,))]


def _the_rest(site, prefix, news, settings):
    """The folders and pages of a language outside its news folder."""
    other_prefixes = {
        language_prefix(lang, settings["SITE_DEFAULT_LANG"]).rstrip("/")
        for lang in settings["LANGUAGES"]
    } - {""}
    skip = other_prefixes | {news.rpartition("/")[2], BUNDLE, NEWS_BUNDLE}
    root = os.path.join(site, prefix)
    return tuple(
        prefix + name
        for name in sorted(os.listdir(root))
        if name not in skip and (os.path.isdir(os.path.join(root, name)) or name.endswith(".html"))
    )


def run_pagefind(site, bundle):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pagefind_bin",
            "--site",
            site,
            "--glob",
            bundle.glob,
            "--output-path",
            os.path.join(site, bundle.folder),
            "--silent",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SearchError(
            f"Pagefind could not index {bundle.folder}:\n{result.stdout}{result.stderr}"
        )


def build_index(pelican, output_path):
    settings = pelican.settings
    if settings.get("SEARCH_INDEX", True) is False:
        return
    previous_site = settings["OUTPUT_PATH"]
    for lang in settings["LANGUAGES"]:
        for bundle in bundles_of(lang, settings, site=output_path):
            digest = bundle.input_digest(output_path)
            if digest is None:  # nothing to index (no news yet, say)
                continue
            folder = os.path.join(output_path, bundle.folder)
            if indexed(folder) == digest:
                keep_bundle(folder)
                continue
            shutil.rmtree(folder, ignore_errors=True)
            if not reuse_previous(bundle, digest, previous_site, output_path):
                logger.info("Search: indexing %s again", bundle.folder)
                run_pagefind(output_path, bundle)
                with open(os.path.join(folder, INPUT_DIGEST), "w") as handle:
                    handle.write(digest + "\n")


def indexed(folder):
    """The digest of what the bundle in ``folder`` indexed, if it is there."""
    try:
        with open(os.path.join(folder, INPUT_DIGEST)) as handle:
            return handle.read().strip()
    except OSError:
        return None


def keep_bundle(folder):
    for parent, _, names in os.walk(folder):
        for name in names:
            keep(os.path.join(parent, name))


def reuse_previous(bundle, digest, previous_site, site):
    """Link the previous build's bundle into this one if it indexed the same pages."""
    previous = os.path.join(previous_site, bundle.folder)
    if indexed(previous) != digest:
        return False
    try:
        shutil.copytree(previous, os.path.join(site, bundle.folder), copy_function=_link_or_copy)
    except OSError:
        shutil.rmtree(os.path.join(site, bundle.folder), ignore_errors=True)
        return False
    return True


def _link_or_copy(source, target):
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def register():
    register_route("search", "{search}/")
    signals.get_generators.connect(add_generator)
    site_built.connect(build_index)
