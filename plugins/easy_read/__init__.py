"""Easy-to-read versions of pages, and the readability of every page.

An editor writes ``pagine/progetto.facile.it.md`` beside ``progetto.it.md``
(FILENAME_METADATA reads ``.facile.`` as ``level``). The easy versions of a
page are a translation group of their own (``pagine/progetto.facile``),
published below the standard page's address with the language's
``easy_read`` word: ``/progetto/facile-da-leggere/``,
``/en/project/easy-read/``. The theme links each to the other
(``easy_version``, ``standard_version``) and shows easy pages with the
``easy_read`` template.

Pages that templates make (the home page, the newsletter page) have no
Markdown file: their easy versions are named after their route,
``pagine/index.facile.it.md`` and ``pagine/newsletter.facile.it.md``, and
published below the route's address (``/facile-da-leggere/``,
``/en/newsletter/easy-read/``). Only the routes in SIMPLIFIABLE_ROUTES,
whose templates include partials/reading_level.html, can have one.

The default language's run scores every page and article (readability.py):
an easy page under its limit stops the build, a hard standard page is
logged; ``make check`` (CHECK_ONLY) prints the table.

The glossary (data/glossary.yaml, glossary.py) explains difficult words on
easy pages, and on standard pages whose header says ``Glossary: yes``.
"""

import logging
import os
import re
from dataclasses import dataclass

from jinja2 import pass_context
from markupsafe import Markup
from pelican import signals
from pelican.contents import Static
from pelican.utils import slugify

from website import refs
from website.problems import Problem, abort, did_you_mean, relative
from website.routes import ROUTES, route_path

from .glossary import Glossed, glossed
from .readability import markdown_text, score

logger = logging.getLogger("pelican.plugins.easy_read")

EASY_LEVEL = "facile"
# Limits for easy pages: the index (at least) and words a sentence (on average, at most).
EASY_LIMITS = {"it": 70, "en": 60}
EASY_AVERAGE_WORDS = 12
# Standard pages under this are logged (Italian only: Gulpease).
STANDARD_WARNING = {"it": 40}
# Routes whose pages link their easy version: their templates (index.html,
# newsletter.html) include partials/reading_level.html. Add a route here
# only together with that include.
SIMPLIFIABLE_ROUTES = ("index", "newsletter")


class RunState:
    def __init__(self):
        self.problems = []


state = RunState()


def is_primary(settings):
    return not settings.get("I18N_SUBSITE")


def is_easy(item):
    return item.metadata.get("level") == EASY_LEVEL


def standard_source(path):
    """``pagine/progetto.facile.it.md`` → ``pagine/progetto.it.md``."""
    folder, name = os.path.split(path)
    return os.path.join(folder, name.replace(f".{EASY_LEVEL}.", ".", 1))


def page_name(path):
    """``pagine/newsletter.facile.it.md`` → ``newsletter``."""
    return os.path.basename(path).split(".", 1)[0]


def simplifiable_routes():
    return [name for name in SIMPLIFIABLE_ROUTES if name in ROUTES]


def header(path):
    """The metadata of a Markdown file's header, lower-case names."""
    fields = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                break
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
    return fields


def start_run(pelican):
    global state
    if is_primary(pelican.settings):
        state = RunState()


def prepare_easy_page(item):
    """An easy page's address, below its standard page's, and its template."""
    if isinstance(item, Static) or not getattr(item, "source_path", None) or not is_easy(item):
        return
    if item.lang not in item.settings["LANGUAGES"]:
        return  # content_checks reports the unknown language
    item.reading_level = "easy"
    if "template" not in item.metadata:
        item.template = "easy_read"
    standard = standard_source(item.source_path)
    try:
        fields = header(standard)
    except OSError:
        route = page_name(item.source_path)
        if route in simplifiable_routes():
            prepare_route_version(item, route)
        elif is_primary(item.settings):
            state.problems.append(missing_standard_problem(item, standard))
        return
    slug = fields.get("slug") or slugify(
        fields.get("title", ""),
        regex_subs=item.settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
    )
    words = item.settings["LANGUAGES"].get(item.lang, {}).get("paths", {})
    item.slug = f"{slug}/{words.get('easy_read', 'easy-read')}"


def prepare_route_version(item, route):
    """An easy version of a template's page: below the route's address."""
    item.simplifies = route
    words = item.settings["LANGUAGES"].get(item.lang, {}).get("paths")
    if words is None:
        return  # content_checks reports the unknown language
    item.slug = ROUTES[route].format(**words) + words.get("easy_read", "easy-read")


def missing_standard_problem(item, standard):
    name = page_name(item.source_path)
    routes = simplifiable_routes()
    # A misspelt page name is likelier than a route: the pages beside it count too.
    folder = os.path.dirname(item.source_path)
    pages = {page_name(entry) for entry in os.listdir(folder) if EASY_LEVEL not in entry}
    hint = did_you_mean(name, sorted(pages) + routes)
    return Problem(
        relative(item.source_path),
        1,
        1,
        "level",
        f"an easy-to-read version of {os.path.basename(standard)}, which does not exist",
        "write the standard page first, or rename this file; the easy version of a page "
        f"without a Markdown file is named after its route, one of: {', '.join(routes)}"
        + (f" ({hint})" if hint else ""),
    )


# Readability ----------------------------------------------------------------


def all_versions(generator, names):
    """Every version of the items in ``names``, before or after the languages
    plugin has chosen which one each language writes."""
    found = {}
    for name in names:
        for item in getattr(generator, name, None) or generator.context.get(name) or []:
            for version in [item, *getattr(item, "i18n_group", {}).values()]:
                found[id(version)] = version
    return sorted(found.values(), key=lambda item: item.source_path)


def source_line(path, sentence):
    """The line of the file where ``sentence`` starts (its first words), or 1."""
    start = " ".join(sentence.split()[:3])
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if start and start in re.sub(r"[*_`\[\]]", "", " ".join(line.split())):
                    return number
    except OSError:
        pass
    return 1


def readability_problem(item, result):
    limit = EASY_LIMITS.get(item.lang, EASY_LIMITS["en"])
    too_hard = result.index < limit
    too_long = result.average > EASY_AVERAGE_WORDS
    if not (too_hard or too_long):
        return None
    reasons = []
    if too_hard:
        reasons.append(f"{result.name} {result.index:.0f}, under {limit}")
    if too_long:
        reasons.append(f"sentences average {result.average:.1f} words, over {EASY_AVERAGE_WORDS}")
    longest = result.longest()
    shown = "; ".join(f"“{s.text}” ({s.words} words)" for s in longest)
    return Problem(
        relative(item.source_path),
        source_line(item.source_path, longest[0].text) if longest else 1,
        1,
        "readability",
        "too hard for an easy-to-read page: " + ", ".join(reasons),
        f"split the longest sentences, one idea each: {shown}",
    )


def check_readability(generator):
    settings = generator.settings
    if not is_primary(settings):
        return
    rows = []
    for item in all_versions(generator, ("pages", "translations", "articles")):
        try:
            with open(item.source_path, encoding="utf-8") as handle:
                result = score(markdown_text(handle.read()), item.lang)
        except (OSError, UnicodeDecodeError):
            continue  # content_checks reports files that cannot be read
        rows.append((item, result))
        if getattr(item, "reading_level", None) == "easy":
            problem = readability_problem(item, result)
            if problem:
                state.problems.append(problem)
        elif result.index < STANDARD_WARNING.get(item.lang, -1000) and result.words:
            logger.warning(
                "%s: %s %.0f, under %d: hard to read for many; consider an easy-to-read version",
                relative(item.source_path),
                result.name,
                result.index,
                STANDARD_WARNING[item.lang],
            )
    if settings.get("CHECK_ONLY"):
        print(readability_table(rows))
    if state.problems:
        abort(state.problems)


def readability_table(rows):
    lines = [
        "Readability (Gulpease for Italian, Flesch reading ease for English; "
        f"easy pages need {EASY_LIMITS['it']} / {EASY_LIMITS['en']}):",
        f"{'page':<52} {'words':>6} {'words/sentence':>15} {'index':>14}",
    ]
    for item, result in rows:
        level = " (easy)" if getattr(item, "reading_level", None) == "easy" else ""
        lines.append(
            f"{relative(item.source_path) + level:<52} {result.words:>6} "
            f"{result.average:>15.1f} {result.name + ' ' + format(result.index, '.0f'):>14}"
        )
    return "\n".join(lines)


# Template globals -------------------------------------------------------------


@dataclass(frozen=True)
class RoutePage:
    """The standard page of a route's easy version, as templates link it."""

    url: str
    lang: str


@pass_context
def easy_version(ctx, item=None):
    """The easy-to-read version this language shows of a standard page, or
    of the route page being rendered when ``item`` is None; or None."""
    if item is not None:
        return version_of(ctx, f"{getattr(item, 'translation_key', '')}.{EASY_LEVEL}")
    ref = refs.identify(ctx)
    if not isinstance(ref, refs.RouteRef) or ref.params:
        return None
    for group in ctx.get("I18N_GROUPS", {}).values():
        if any(getattr(version, "simplifies", None) == ref.name for version in group.values()):
            return refs.written_version(
                group, ctx["DEFAULT_LANG"], ctx["LANGUAGES"], ctx["SITE_DEFAULT_LANG"]
            )
    return None


@pass_context
def standard_version(ctx, item):
    """The standard page this language shows for an easy-to-read page, or None."""
    route = getattr(item, "simplifies", None)
    if route:
        lang = ctx["DEFAULT_LANG"]
        return RoutePage(route_path(route, lang, ctx["LANGUAGES"], ctx["SITE_DEFAULT_LANG"]), lang)
    key = getattr(item, "translation_key", "")
    return version_of(ctx, key.removesuffix(f".{EASY_LEVEL}"))


def version_of(ctx, key):
    group = ctx.get("I18N_GROUPS", {}).get(key)
    if not group:
        return None
    return refs.written_version(
        group, ctx["DEFAULT_LANG"], ctx["LANGUAGES"], ctx["SITE_DEFAULT_LANG"]
    )


def uses_glossary(item):
    wanted = str(item.metadata.get("glossary", "")).strip().lower()
    return is_easy(item) or wanted in ("yes", "true", "sì", "si", "1")


@pass_context
def glossary(ctx, item):
    """The item's text, its glossary words linked, and the words found (glossary.py)."""
    content = item.content
    entries = getattr(ctx.get("DATA"), "glossary", None) or []
    if not entries or not uses_glossary(item):
        return Glossed(Markup(content), ())
    return glossed(content, entries, item.lang)


def install_globals(generator):
    generator.env.globals.update(
        easy_version=easy_version, standard_version=standard_version, glossary=glossary
    )


def register():
    signals.get_generators.connect(start_run)
    signals.content_object_init.connect(prepare_easy_page)
    signals.generator_init.connect(install_globals)
    signals.page_generator_finalized.connect(check_readability)
