"""Settings for local previews (`make html`, `make serve`, `make devserver`).

Languages and their URL words live in LANGUAGES below, in one place: the
`languages` plugin derives every language-specific Pelican setting from it, so a
third language needs an entry here and a catalog in theme/translations/.
"""

import os
import sys

from jinja2 import MemcachedBytecodeCache

# Plugins share the project's own library (website/), and the newsletter
# form reads its consent text from the service's package.
project_root = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(project_root, "plugins"), project_root]

from website.headings import section_headings  # noqa: E402

SITENAME = "OpenSource14"
SITESUBTITLE = "Risorse in rete per l'inclusione"
SITEURL = ""
# Feeds and the XML sitemap need absolute addresses even in a local preview.
FEED_DOMAIN = "http://127.0.0.1:8000"

PATH = "content"
ARTICLE_PATHS = ["notizie"]
PAGE_PATHS = ["pagine"]
STATIC_PATHS = ["images"]
THEME = "theme"
DATA_PATH = "data"
# Workshop materials: files under content/materiali/, listed in data/workshops.yaml.
MATERIALS_PATH = "materiali"
MATERIALS_MAX_BYTES = 20 * 1024 * 1024

PLUGIN_PATHS = ["plugins"]
# Listed explicitly: with PLUGINS unset Pelican would load every installed one.
PLUGINS = [
    "site_data",
    "languages",
    "taxonomy",
    "content_checks",
    "easy_read",
    "data_pages",
    "results",
    "events",
    "territories",
    "materials",
    "search",
    "newsletter_form",
    "feeds",
    "sitemap",
]

TIMEZONE = "Europe/Rome"
# Dates are written with Babel in each page's language (website/formatting.py).
# Pelican would also format every article's date with the system's locale
# (`locale_date`), which no template may show: an empty format keeps it empty.
DEFAULT_DATE_FORMAT = ""
DEFAULT_LANG = "it"
LANGUAGES = {
    "it": {
        "name": "Italiano",
        "locale": "it_IT",  # Babel locale for dates and numbers
        "paths": {
            "news": "notizie",
            "category": "notizie/categoria",
            "tag": "notizie/tag",
            "archives": "notizie/archivio",
            "page": "pagina",
            "site_map": "mappa-del-sito",
            "feeds": "feed",
            "drafts": "bozze",
            "partners": "partner",
            "lines": "linee",
            "territories": "territori",
            "events": "eventi",
            "calendar": "calendario.ics",
            "in_territory": "territorio",
            "for_audience": "pubblico",
            "archive": "archivio",
            "materials": "materiali",
            "search": "cerca",
            "newsletter": "newsletter",
            "thanks": "grazie",
            "easy_read": "facile-da-leggere",
            "results": "risultati",
        },
        # Codes from data/ shown in addresses, in this language's words.
        "param_slugs": {
            "audience": {
                "companies": "aziende",
                "labour-consultants": "consulenti-del-lavoro",
                "employer-organisations": "organizzazioni-datoriali",
                "social-cooperatives": "cooperative-sociali",
                "practitioners": "operatori",
                "people-and-families": "persone-e-famiglie",
            },
            "topic": {
                "legal": "normativa",
                "administrative": "aspetti-amministrativi",
                "commercial": "strategie-commerciali",
                "practices": "prassi-innovative",
            },
        },
    },
    "en": {
        "name": "English",
        "locale": "en_GB",
        "paths": {
            "news": "news",
            "category": "news/category",
            "tag": "news/tag",
            "archives": "news/archive",
            "page": "page",
            "site_map": "site-map",
            "feeds": "feeds",
            "drafts": "drafts",
            "partners": "partners",
            "lines": "lines",
            "territories": "territories",
            "events": "events",
            "calendar": "calendar.ics",
            "in_territory": "territory",
            "for_audience": "audience",
            "archive": "archive",
            "materials": "materials",
            "search": "search",
            "newsletter": "newsletter",
            "thanks": "thank-you",
            "easy_read": "easy-read",
            "results": "results",
        },
    },
}

# The main navigation, in order. ("page", key) names a Markdown page by its
# file name without language and extension; other entries name a section.
MAIN_MENU = [
    ("page", "pagine/progetto"),
    ("page", "pagine/per-le-aziende"),
    ("territories", None),
    ("events", None),
    ("materials", None),
    ("news", None),
    ("page", "pagine/contatti"),
]
# Search is in the header of every page (partials/header.html).
FOOTER_LINKS = [
    ("newsletter", None),
    ("page", "pagine/privacy"),
    ("page", "pagine/note-legali"),
    ("page", "pagine/accessibilita"),
    ("site_map", None),
]

DEFAULT_PAGINATION = 10
DEFAULT_DATE = None
SUMMARY_MAX_LENGTH = 40

FEED_ALL_ATOM = None  # set per language by the languages plugin
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.smarty": {},
        "markdown.extensions.toc": {"permalink": False},
    },
    "output_format": "html5",
}

# Content files are named <name>.<lang>.md; news may start with their date;
# <name>.facile.<lang>.md is the easy-to-read version of <name> (plugins/easy_read).
FILENAME_METADATA = (
    r"^(?:(?P<date>\d{4}-\d{2}-\d{2})-)?[^.]*(?:\.(?P<level>facile))?(?:\.(?P<lang>[^.]+))?$"
)
# Translations are grouped by file name (plugins/languages: pagine/progetto.it.md
# and .en.md), not by slug as Pelican would.
ARTICLE_TRANSLATION_ID = None
PAGE_TRANSLATION_ID = None
USE_FOLDER_AS_CATEGORY = False
DEFAULT_CATEGORY = "progetto"


class CompiledTemplates(dict):
    """Where Jinja keeps the templates it has compiled during one build, for
    every generator of every language (Pelican gives each its own Jinja
    environment): the client MemcachedBytecodeCache asks for."""

    def set(self, key, value, timeout=None):
        self[key] = value


# "On this page" lists the <h2 id> sections of a page (theme/templates/page.html).
JINJA_FILTERS = {"section_headings": section_headings}

JINJA_ENVIRONMENT = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "autoescape": True,
    "extensions": [],  # the languages plugin adds jinja2.ext.i18n with the catalogs
    "bytecode_cache": MemcachedBytecodeCache(CompiledTemplates()),
}

# The sign-up service the newsletter form posts to: locally the one `make
# serve` starts (python -m newsletter serve); publishconf.py reads it from
# the environment.
NEWSLETTER_ENDPOINT = "http://127.0.0.1:8001/subscribe"
# The version of the privacy notice (content/pagine/privacy.*.md) the form
# links; every consent record stores it. Raise both together.
NEWSLETTER_PRIVACY_VERSION = "2"

RELATIVE_URLS = False
# Drafts (Status: draft) are written under /bozze/ for previews, never published.
DRAFTS_VISIBLE = True

# Parsed Markdown is kept, per language, in <output>.cache/<lang>/ beside the
# output folder (plugins/languages/publishing.py), so a rebuild only parses
# the files that changed. `pelican --ignore-cache`, or deleting that folder,
# starts afresh.
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CONTENT_CACHING_LAYER = "reader"
# By content, not date: an edit that keeps a file's date (a copy, an
# archive unpacked) is still seen.
CHECK_MODIFIED_METHOD = "sha1"
