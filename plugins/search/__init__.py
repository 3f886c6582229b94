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
"""

import os
import subprocess
import sys
from dataclasses import dataclass

from pelican import signals
from pelican.generators import Generator

from i18n import register_route, site_built, write_route_page
from i18n.routes import language_prefix

BUNDLE = "pagefind"
NEWS_BUNDLE = "pagefind-news"


class SearchError(RuntimeError):
    pass


@dataclass(frozen=True)
class Bundle:
    """One Pagefind run: the pages it indexes and the folder it writes."""

    folder: str  # site-relative, e.g. "en/pagefind"
    glob: str


class SearchPageGenerator(Generator):
    def generate_output(self, writer):
        write_route_page(
            self,
            writer,
            "search",
            "search",
            search_bundles=[
                bundle.folder for bundle in bundles_of(self.settings["DEFAULT_LANG"], self.settings)
            ],
        )


def add_generator(pelican):
    return SearchPageGenerator


def bundles_of(lang, settings, site=None):
    """The bundles of one language, the main one first.

    Without ``site`` the globs are left empty: only the folders are known
    before the pages are written.
    """
    prefix = language_prefix(lang, settings["SITE_DEFAULT_LANG"])
    news = prefix + settings["LANGUAGES"][lang]["paths"]["news"]
    rest = ""
    if site is not None:
        rest = _glob_of_the_rest(site, prefix, news, settings)
    return [
        Bundle(prefix + BUNDLE, rest),
        Bundle(prefix + NEWS_BUNDLE, f"{news}/**/*.html"),
    ]


def _glob_of_the_rest(site, prefix, news, settings):
    """Every page of a language outside its news folder, as one Pagefind glob."""
    other_prefixes = {
        language_prefix(lang, settings["SITE_DEFAULT_LANG"]).rstrip("/")
        for lang in settings["LANGUAGES"]
    } - {""}
    skip = other_prefixes | {news.rpartition("/")[2], BUNDLE, NEWS_BUNDLE}
    root = os.path.join(site, prefix)
    patterns = []
    for name in sorted(os.listdir(root)):
        if name in skip:
            continue
        if os.path.isdir(os.path.join(root, name)):
            patterns.append(f"{prefix}{name}/**/*.html")
        elif name.endswith(".html"):
            patterns.append(f"{prefix}{name}")
    return "{" + ",".join(patterns) + "}"


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
    for lang in settings["LANGUAGES"]:
        for bundle in bundles_of(lang, settings, site=output_path):
            run_pagefind(output_path, bundle)


def register():
    register_route("search", "{search}/")
    signals.get_generators.connect(add_generator)
    site_built.connect(build_index)
