"""Languages: one Pelican run per language, fallbacks, alternates and gettext.

Settings come from LANGUAGES in pelicanconf.py (see languages.py). Content
files are named ``<name>.<lang>.md``; files sharing ``<name>`` are
translations of one another. Each language's run writes, for every group of
translations, the version in its language or else the original, marked as
such, so every page exists in every language.

The default language's run is the build: it writes into a fresh folder,
then runs the other languages one after the other into the same folder,
lets other plugins add site-wide files (``website.signals.site_built``)
and only then puts the folder in the place of the output (publishing.py).
"""

import datetime
import os
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from operator import attrgetter

from jinja2 import pass_context
from pelican import Pelican, signals
from pelican.utils import order_content

from website import refs
from website.formatting import Formatter, translations_for
from website.problems import Problem, abort
from website.routes import route_path
from website.signals import site_built

from . import publishing
from .languages import LanguageConfigError, all_language_settings, check_languages

# The build under way, started by the default language's run.
current_build = None


def is_subsite(settings):
    return settings.get("I18N_SUBSITE", False)


def translation_key(item):
    """``pagine/progetto.en.md`` → ``pagine/progetto``."""
    relative = item.get_relative_source_path()
    stem = os.path.splitext(relative)[0]
    base, dot, suffix = stem.rpartition(".")
    if dot and suffix == getattr(item, "lang", None):
        stem = base
    return stem.replace(os.sep, "/")


def build_date(timezone):
    """When this build happened; SOURCE_DATE_EPOCH pins it for reproducible builds."""
    tz = zoneinfo.ZoneInfo(timezone or "UTC")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.datetime.fromtimestamp(int(epoch), tz)
    return datetime.datetime.now(tz)


def subsite_settings(settings, lang, output_path):
    sub = dict(settings)
    sub.update(settings["I18N_LANG_SETTINGS"][lang])
    sub["I18N_SUBSITE"] = True
    sub["OUTPUT_PATH"] = output_path
    sub["CACHE_PATH"] = publishing.cache_path(settings["OUTPUT_PATH"], lang, sub)
    # The theme's files are copied once, by the default language's run.
    sub["THEME_STATIC_PATHS"] = []
    return sub


# Signal receivers ---------------------------------------------------------


def configure_languages(pelican):
    settings = pelican.settings
    if is_subsite(settings):
        return
    try:
        check_languages(settings)
    except LanguageConfigError as error:
        abort([Problem("pelicanconf.py", field="LANGUAGES", message=str(error))])
    if settings.get("RELATIVE_URLS"):
        # Addresses start from SITEURL, which the theme's macros read once
        # per language (install_language), not page by page.
        abort(
            [
                Problem(
                    "pelicanconf.py",
                    field="RELATIVE_URLS",
                    message="relative addresses are not supported",
                    fix="set RELATIVE_URLS = False; SITEURL = '' serves the site from any folder's root",
                )
            ]
        )
    settings["SITE_DEFAULT_LANG"] = settings["DEFAULT_LANG"]
    settings["BUILD_DATE"] = build_date(settings.get("TIMEZONE"))
    # What pages show of it: pages that show the day change once a day only.
    settings["BUILD_DAY"] = settings["BUILD_DATE"].date()
    settings["I18N_LANG_SETTINGS"] = all_language_settings(settings)
    settings.update(settings["I18N_LANG_SETTINGS"][settings["DEFAULT_LANG"]])
    settings["CACHE_PATH"] = publishing.cache_path(
        settings["OUTPUT_PATH"], settings["DEFAULT_LANG"], settings
    )


def start_build(pelican):
    """The default language's run writes into a fresh folder (publishing.py)."""
    global current_build
    if is_subsite(pelican.settings) or pelican.settings.get("CHECK_ONLY"):
        return
    if current_build is not None:  # left by a run that stopped half-way (autoreload)
        current_build.discard()
    current_build = publishing.Build(pelican.settings["OUTPUT_PATH"])
    pelican.output_path = current_build.path


def skip_static_copies(generator):
    """The default language's run copies the static files; the others only link to them."""
    if is_subsite(generator.settings):
        generator.context["staticfiles"] = []


def prepare_content(item):
    if hasattr(item, "get_relative_source_path") and getattr(item, "source_path", None):
        item.translation_key = translation_key(item)


# Settings the same on every page of a language, which the `url` global
# and the theme's macros read: template globals too.
SITE_WIDE_SETTINGS = ("SITEURL", "DEFAULT_LANG", "LANGUAGES", "SITE_DEFAULT_LANG")


def install_language(generator):
    settings = generator.settings
    lang = settings["DEFAULT_LANG"]
    env = generator.env
    env.add_extension("jinja2.ext.i18n")
    translations_dir = os.path.join(settings["THEME"], "translations")
    env.install_gettext_translations(translations_for(translations_dir, lang), newstyle=True)
    locale = settings["LANGUAGES"][lang].get("locale", lang)
    formatter = Formatter(locale, settings.get("TIMEZONE"))
    env.filters.update(formatter.filters())
    env.globals.update(
        menu=menu,
        menu_position=menu_position,
        LANG=lang,
        # The theme imports its macros without the page's context, so that
        # Jinja makes each macro module once per language rather than once
        # per page: what they need is here.
        **{name: settings[name] for name in SITE_WIDE_SETTINGS},
        alternates=pass_context(refs.alternates),
        canonical=pass_context(refs.canonical),
        is_fallback=pass_context(refs.is_fallback),
        indexable=pass_context(refs.indexable),
        current_url=current_url,
        url=url,
        content=content,
    )


def choose_article_versions(generator):
    for originals, translations in (
        ("articles", "translations"),
        ("hidden_articles", "hidden_translations"),
        ("drafts", "drafts_translations"),
    ):
        choose_versions(generator, originals, translations, "ARTICLE_ORDER_BY")


def choose_page_versions(generator):
    for originals, translations in (
        ("pages", "translations"),
        ("hidden_pages", "hidden_translations"),
        ("draft_pages", "draft_translations"),
    ):
        choose_versions(generator, originals, translations, "PAGE_ORDER_BY")


def build_other_languages(pelican):
    """At the end of the default language's run: the other languages, the
    site-wide files, then the output is replaced. Anything failing on the
    way leaves the output as it was."""
    global current_build
    if is_subsite(pelican.settings) or current_build is None:
        return
    build, current_build = current_build, None
    settings = pelican.settings
    try:
        for lang in settings["LANGUAGES"]:
            if lang != settings["SITE_DEFAULT_LANG"]:
                Pelican(subsite_settings(settings, lang, build.path)).run()
        site_built.send(pelican, output_path=build.path)
        build.publish()
    finally:
        build.discard()
    pelican.output_path = settings["OUTPUT_PATH"]


def register():
    signals.initialized.connect(configure_languages)
    signals.get_generators.connect(start_build)
    signals.content_object_init.connect(prepare_content)
    signals.generator_init.connect(install_language)
    signals.static_generator_finalized.connect(skip_static_copies)
    signals.article_generator_pretaxonomy.connect(choose_article_versions)
    signals.page_generator_finalized.connect(choose_page_versions)
    signals.finalized.connect(build_other_languages)


# Versions -----------------------------------------------------------------


def choose_versions(generator, originals_attr, translations_attr, order_setting):
    """Keep, per translation group, the one version this language writes.

    The others are not written by this run (their own language's run writes
    them); links to them lead to the version this run writes.
    """
    settings = generator.settings
    lang = settings["DEFAULT_LANG"]
    originals = getattr(generator, originals_attr)
    translations = getattr(generator, translations_attr)
    groups = defaultdict(dict)
    # In the order of their files, whatever order they were read in: the
    # groups, and the pages listing them, come out the same on every build.
    for item in sorted(originals + translations, key=attrgetter("source_path")):
        groups[item.translation_key].setdefault(item.lang, item)
    written = []
    for group in groups.values():
        chosen = refs.written_version(
            group, lang, settings["LANGUAGES"], settings["SITE_DEFAULT_LANG"]
        )
        written.append(chosen)
        for item in group.values():
            item.i18n_group = group
            if item is not chosen:
                item.override_url = chosen.url
    registry = generator.context.setdefault("I18N_GROUPS", {})
    if originals_attr in ("articles", "pages"):
        registry.update(groups)
    originals[:] = order_content(written, settings[order_setting])
    translations.clear()


# Template globals ---------------------------------------------------------


@pass_context
def url(ctx, name, **params):
    """Absolute URL of a named route in the language being built."""
    path = route_path(
        name, ctx["DEFAULT_LANG"], ctx["LANGUAGES"], ctx["SITE_DEFAULT_LANG"], **params
    )
    return refs.absolute(path, ctx)


@dataclass(frozen=True)
class MenuEntry:
    kind: str  # "page", or the route of a section ("news", "search"…)
    href: str
    item: object = None  # the page shown, for "page" entries


@pass_context
def menu(ctx, setting):
    """The entries of a menu setting (MAIN_MENU, FOOTER_LINKS), with their addresses here."""
    entries = []
    for kind, key in ctx[setting]:
        if kind == "page":
            item = content(ctx, key)
            entries.append(MenuEntry(kind, f"{ctx['SITEURL']}/{item.url}", item))
        else:
            entries.append(MenuEntry(kind, url(ctx, kind)))
    return entries


@pass_context
def menu_position(ctx, setting, this_url):
    """Which entry of a menu leads to ``this_url``, or -1."""
    hrefs = [entry.href for entry in menu(ctx, setting)]
    return hrefs.index(this_url) if this_url in hrefs else -1


@pass_context
def current_url(ctx):
    return refs.absolute(refs.ref_path(refs.identify(ctx), ctx["DEFAULT_LANG"], ctx), ctx)


@pass_context
def content(ctx, key):
    """The page or article this language shows for a translation key."""
    try:
        group = ctx["I18N_GROUPS"][key]
    except KeyError:
        raise LookupError(f"no published page or article named {key!r} in {ctx['PATH']}") from None
    return refs.written_version(
        group, ctx["DEFAULT_LANG"], ctx["LANGUAGES"], ctx["SITE_DEFAULT_LANG"]
    )
