"""Named routes: one URL pattern per page kind, spelled per language.

A pattern uses the words of LANGUAGES[lang]["paths"] (e.g. ``{news}``) and
the route's own parameters (e.g. ``{id}``). Every language but the site's
default gets its code as a prefix, so ``partners`` is ``partner/`` in Italian
and ``en/partners/`` in English. Plugins add their routes with ``register``
at import time; the table itself never changes during a build.
"""

import string

ROUTES = {
    "index": "",
    "news": "{news}/",
    "archives": "{archives}/",
    "site_map": "{site_map}/",
    "not_found": "404.html",
    "feed": "{feeds}/atom.xml",
}
# Routes whose pages search engines and the sitemap leave out.
UNLISTED = {"not_found"}


def register(name, pattern, listed=True):
    """Add a route; registering the same route twice with another pattern is a bug.

    Pages of an unlisted route (a thank-you page, say) get ``noindex`` and
    stay out of the sitemap.
    """
    if ROUTES.get(name, pattern) != pattern:
        raise ValueError(f"route {name!r} is already {ROUTES[name]!r}")
    ROUTES[name] = pattern
    if not listed:
        UNLISTED.add(name)


def route_params(name, words):
    """The parameters a route takes besides its language's words, e.g. ``["id"]``."""
    fields = (field for _, field, _, _ in string.Formatter().parse(ROUTES[name]) if field)
    return [field for field in fields if field not in words]


def language_prefix(lang, default_lang):
    return "" if lang == default_lang else f"{lang}/"


def route_path(name, lang, languages, default_lang, **params):
    """The site-relative URL of a route in one language, e.g. ``en/news/``.

    Parameters listed in LANGUAGES[lang]["param_slugs"] are codes shown in
    that language's words (``audience=companies`` → ``aziende``).
    """
    try:
        pattern = ROUTES[name]
    except KeyError:
        raise KeyError(f"unknown route {name!r}; known: {', '.join(sorted(ROUTES))}") from None
    config = languages[lang]
    slugs = config.get("param_slugs", {})
    shown = {key: slugs.get(key, {}).get(value, value) for key, value in params.items()}
    return language_prefix(lang, default_lang) + pattern.format(**config["paths"], **shown)


def save_as_for(path):
    """Where a page with this URL is written: directories get an index.html."""
    return f"{path}index.html" if path == "" or path.endswith("/") else path
