"""Site search: a search page per language and a Pagefind index of the built site.

Pagefind (from PyPI, ``pagefind_bin``) runs once, on the finished site,
before it replaces the output folder. It reads only what is inside
``data-pagefind-body`` (the ``<main>`` of indexable pages, base.html) and
keeps one index per ``<html lang>``, so each language's search page finds
the pages in its own language. ``SEARCH_INDEX = False`` leaves the index out
(tests that do not search).
"""

import json
import os
import subprocess

import pagefind_bin
from pelican import signals
from pelican.generators import Generator

from website.pages import write_route_page
from website.problems import Problem, abort
from website.routes import register as register_route
from website.signals import site_built

BUNDLE = "pagefind"  # the index's folder, at the site's root


class SearchPageGenerator(Generator):
    def generate_output(self, writer):
        write_route_page(self, writer, "search", "search", search_bundle=BUNDLE)


def add_generator(pelican):
    return SearchPageGenerator


def build_index(pelican, output_path):
    if pelican.settings.get("SEARCH_INDEX", True) is False:
        return
    command = [
        str(pagefind_bin.get_executable()),
        "--site",
        output_path,
        "--output-subdir",
        BUNDLE,
        # Where data-pagefind-body is (base.html): menus and footers are never read.
        "--root-selector",
        "main",
        "--silent",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not os.path.isfile(
        os.path.join(output_path, BUNDLE, "pagefind.js")
    ):
        said = (result.stdout + result.stderr).strip()
        abort(
            [
                Problem(
                    "search index",
                    message=f"Pagefind could not index the site: {said}",
                    fix="try the build again; if Pagefind fails again, report this message",
                )
            ]
        )
    sort_languages(os.path.join(output_path, BUNDLE, "pagefind-entry.json"))


def sort_languages(entry):
    """Pagefind lists the languages in a different order from one run to the
    next: sorted, the same site gives the same file (and no needless deploy)."""
    with open(entry, encoding="utf-8") as handle:
        found = json.load(handle)
    found["languages"] = dict(sorted(found["languages"].items()))
    with open(entry, "w", encoding="utf-8") as handle:
        json.dump(found, handle, ensure_ascii=False, separators=(",", ":"))


def register():
    register_route("search", "{search}/")
    signals.get_generators.connect(add_generator)
    site_built.connect(build_index)
