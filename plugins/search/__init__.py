"""Site search: a search page per language and a Pagefind index of the built site.

Pagefind (from PyPI, `pagefind_bin`) runs once on the finished build, before
it replaces the output folder; it reads each page's ``<html lang>`` and
makes one index per language. Only the text inside ``data-pagefind-body``
(the main content of indexable pages) is indexed.
"""

import subprocess
import sys

from pelican import signals
from pelican.generators import Generator

from i18n import register_route, site_built, write_route_page


class SearchError(RuntimeError):
    pass


class SearchPageGenerator(Generator):
    def generate_output(self, writer):
        write_route_page(self, writer, "search", "search")


def add_generator(pelican):
    return SearchPageGenerator


def build_index(pelican, output_path):
    if pelican.settings.get("SEARCH_INDEX", True) is False:
        return
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pagefind_bin",
            "--site",
            output_path,
            "--output-subdir",
            "pagefind",
            "--silent",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SearchError(f"Pagefind could not index the site:\n{result.stdout}{result.stderr}")


def register():
    register_route("search", "{search}/")
    signals.get_generators.connect(add_generator)
    site_built.connect(build_index)
