"""Languages: one Pelican run per language, fallbacks, alternates and gettext.

Settings come from LANGUAGES in pelicanconf.py (see languages.py). Content
files are named ``<name>.<lang>.md``; files sharing ``<name>`` are
translations of one another. Each language's run writes, for every group of
translations, the version in its language or else the original, marked as
such, so every page exists in every language.
"""

import datetime
import hashlib
import os
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from operator import attrgetter

from jinja2 import BytecodeCache, FileSystemBytecodeCache, pass_context
from pelican import signals
from pelican.contents import Content
from pelican.utils import order_content

from incremental import tracing
from site_data.problems import Problem, abort

from . import build, links, reading, refs, staging
from .formatting import Formatter, markup_gettext, translations_for
from .languages import LanguageConfigError, all_language_settings, check_languages
from .routes import register as register_route  # noqa: F401 - for plugins
from .routes import route_path, save_as_for

site_built = build.site_built
language_written = build.language_written
collect_results = build.collect_results
merge_results = build.merge_results

# The other languages' processes of the build under way (see build.py) and
# its staging folder (staging.py); replaced at the start of every build.
workers = build.Workers()
current_staging = None


def N_(message):
    """Marks a string for translation where it is defined; translate it later."""
    return message


def gettext_for(settings):
    """gettext for the language being built, for strings made in Python."""
    directory = os.path.join(settings["THEME"], "translations")
    return translations_for(directory, settings["DEFAULT_LANG"]).gettext


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
    settings["CACHE_PATH"] = build.cache_path(
        settings["OUTPUT_PATH"], settings["DEFAULT_LANG"], settings
    )
    settings["BUILD_DATE"] = build_date(settings.get("TIMEZONE"))
    # What pages show of it: pages that show the day change once a day only.
    settings["BUILD_DAY"] = settings["BUILD_DATE"].date()
    # Where the published site is while the next one is staged (incremental).
    settings["I18N_PUBLISHED_PATH"] = settings["OUTPUT_PATH"]
    settings["I18N_LANG_SETTINGS"] = all_language_settings(settings)
    settings.update(settings["I18N_LANG_SETTINGS"][settings["DEFAULT_LANG"]])


def stage_output(pelican):
    global workers, current_staging
    reading.start_run()
    if is_subsite(pelican.settings) or pelican.settings.get("CHECK_ONLY"):
        return
    # Left by a run that stopped half-way (autoreload).
    workers.stop()
    if current_staging is not None:
        current_staging.release()
    workers = build.Workers()
    current_staging = staging.Staging(pelican.settings["OUTPUT_PATH"])
    pelican.output_path = current_staging.path


def start_other_languages(generator):
    """Start the other languages' processes once what they share is in the settings.

    The generator_init receivers of the first generator have run by now, so
    the data, SEQUENCE numbers and material catalog are in the settings.
    Then every process parses its own language's articles and they swap
    what they parsed (reading.py).
    """
    settings = generator.settings
    if is_subsite(settings):
        build.exchange_with_default_language(generator)
        return
    starting = (
        not settings.get("CHECK_ONLY")
        and settings.get("I18N_PARALLEL")
        and build.can_fork()
        and not workers.running
    )
    if starting:
        workers.start(settings, generator.output_path)
    if current_staging is not None:
        # Noted while the content is read, after the fork (no thread survives
        # one); the other languages write only once before_writing lets them.
        current_staging.start_noting()
    if starting:
        workers.exchange_parsed(generator)


def before_writing(pelican):
    """Checks passed (they stop the build before anything is written): the writer."""
    if is_subsite(pelican.settings):
        if build.to_default_language is not None:
            staging.unproduced_until = build.wait_for_go()
            staging.handing_over = True
    else:
        staging.unproduced_until = None
        if current_staging is not None:
            current_staging.notes_taken()
            staging.unproduced_until = current_staging.unproduced_until
        workers.release(staging.unproduced_until)
    return staging.site_writer()


def skip_static_copies(generator):
    """The default language's run copies the static files; the others only link to them."""
    if is_subsite(generator.settings):
        generator.context["staticfiles"] = []


def prepare_content(item):
    if hasattr(item, "get_relative_source_path") and getattr(item, "source_path", None):
        item.translation_key = translation_key(item)
    if getattr(item, "_content", None) and "{route}" in item._content:
        item._content = links.expand(item._content, item.settings)


# Settings the same on every page of a language, which the `url` global
# and the theme's macros read: template globals too.
SITE_WIDE_SETTINGS = ("SITEURL", "DEFAULT_LANG", "LANGUAGES", "SITE_DEFAULT_LANG")

# What install_language adds to every environment; change it with the code there.
TEMPLATE_SETUP = "jinja2.ext.i18n, newstyle gettext"


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by the generators of one run."""

    def __init__(self):
        self.codes = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.codes:
            bucket.bytecode_from_string(self.codes[bucket.key])

    def dump_bytecode(self, bucket):
        self.codes[bucket.key] = bucket.bytecode_to_string()


def bytecode_cache(generator):
    """Every generator has its own Jinja environment: compile each template once.

    With Pelican's content cache on, compiled templates are kept in the
    cache folder for the next build too, in a folder named after the Jinja
    settings they were compiled with (Jinja checks only a template's source).
    """
    context = generator.context
    if "I18N_TEMPLATE_CACHE" not in context:
        settings = generator.settings
        if settings.get("CACHE_CONTENT") and settings.get("LOAD_CONTENT_CACHE"):
            options = repr(sorted(settings["JINJA_ENVIRONMENT"].items())) + TEMPLATE_SETUP
            name = hashlib.sha256(options.encode()).hexdigest()[:16]
            folder = os.path.join(settings["CACHE_PATH"], "templates", name)
            os.makedirs(folder, exist_ok=True)
            context["I18N_TEMPLATE_CACHE"] = FileSystemBytecodeCache(folder)
        else:
            context["I18N_TEMPLATE_CACHE"] = MemoryBytecodeCache()
    return context["I18N_TEMPLATE_CACHE"]


def install_language(generator):
    settings = generator.settings
    lang = settings["DEFAULT_LANG"]
    env = generator.env
    env.bytecode_cache = bytecode_cache(generator)
    env.add_extension("jinja2.ext.i18n")
    translations_dir = os.path.join(settings["THEME"], "translations")
    translations = translations_for(translations_dir, lang)
    env.install_gettext_translations(translations, newstyle=True)
    if env.autoescape is True:
        gettext = markup_gettext(translations)
        env.globals.update(gettext=gettext, _=gettext)
    locale = settings["LANGUAGES"][lang].get("locale", lang)
    formatter = Formatter(locale, settings.get("TIMEZONE"))
    env.filters.update(formatter.filters())
    env.globals.update(
        once=rendered_once(),
        menu=menu,
        menu_position=menu_position,
        LANG=lang,
        # The theme imports its macros without the page's context, so that
        # Jinja makes each macro module once per language rather than once
        # per page (and the garbage of it): what they need is here.
        **{name: settings[name] for name in SITE_WIDE_SETTINGS},
        # What a page is and where: recorded as what they return (incremental)
        alternates=tracing.derived("alternates", refs.alternates),
        canonical=tracing.derived("canonical", refs.canonical),
        is_fallback=tracing.derived("is_fallback", refs.is_fallback),
        indexable=tracing.derived("indexable", refs.indexable),
        current_url=tracing.derived("current_url", current_url),
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


# Where Pelican's generators keep what they write, drafts and hidden items included.
ITEM_LISTS = ("articles", "hidden_articles", "drafts", "pages", "hidden_pages", "draft_pages")


def written_items(generators):
    """Every article and page the generators of this run write."""
    return [
        item
        for generator in generators
        for attr in ITEM_LISTS
        for item in getattr(generator, attr, None) or []
    ]


def keep_urls(generators):
    """Every page and article has its final address now; keep it.

    Pelican works an item's URL out again (a dozen string operations) each
    time a template asks for it, and list pages ask for it often.
    """
    for item in written_items(generators):
        if not hasattr(item, "override_url"):
            item.override_url = item.url
        if not hasattr(item, "override_save_as"):
            item.override_save_as = item.save_as


def remember_relative_source_paths():
    """Pelican works an item's path in the content folder out again (two
    abspaths and a relpath) every time it formats one of its addresses,
    eight times per item: a tenth of a rebuild. It depends on the item's
    source path only."""
    if Content.get_relative_source_path is not _relative_source_path:
        Content.get_relative_source_path = _relative_source_path


_pelican_relative_source_path = Content.get_relative_source_path


def _relative_source_path(self, source_path=None):
    if source_path or self.source_path is None:
        return _pelican_relative_source_path(self, source_path)
    remembered = self.__dict__.get("_relative_source_path_of")
    if remembered is None or remembered[0] != self.source_path:
        remembered = (self.source_path, _pelican_relative_source_path(self))
        self._relative_source_path_of = remembered
    return remembered[1]


def hand_over_kept_trees(pelican, results):
    results["kept_trees"] = sorted(staging.kept_trees)


def take_over_kept_trees(pelican, results):
    if current_staging is not None:
        current_staging.kept_trees.update(results.get("kept_trees", ()))


def other_languages_running():
    """True while every other language's process of this build is still at work."""
    return bool(workers.running) and all(process.is_alive() for _, process, _ in workers.running)


def build_other_languages(pelican):
    global current_staging
    settings = pelican.settings
    if is_subsite(settings):
        language_written.send(pelican, output_path=pelican.output_path)
        return
    if current_staging is None:
        return
    try:
        language_written.send(pelican, output_path=pelican.output_path)
        if workers.running:
            for results in workers.finish():
                merge_results.send(pelican, results=results)
        else:
            build.build_other_languages(settings, pelican.output_path)
        # Pages this build did not produce (a deleted article's) must not
        # reach the site-wide files made from the pages there (search).
        current_staging.sweep(suffix=".html")
        site_built.send(pelican, output_path=pelican.output_path)
        current_staging.sweep()
        current_staging.publish()
    except BaseException:
        # What was written stays in the staging folder, for the next build to sweep.
        workers.stop()
        raise
    finally:
        current_staging.release()
        current_staging = None
    pelican.output_path = settings["OUTPUT_PATH"]


def register():
    remember_relative_source_paths()
    signals.initialized.connect(configure_languages)
    signals.readers_init.connect(reading.use_exchanged_reader)
    signals.get_generators.connect(stage_output)
    signals.content_object_init.connect(prepare_content)
    signals.generator_init.connect(install_language)
    signals.generator_init.connect(reading.skip_generator_cache)
    signals.generator_init.connect(staging.report_static_copy_errors)
    signals.article_generator_init.connect(start_other_languages)
    signals.get_writer.connect(before_writing)
    signals.all_generators_finalized.connect(keep_urls)
    signals.static_generator_finalized.connect(skip_static_copies)
    signals.article_generator_pretaxonomy.connect(choose_article_versions)
    signals.page_generator_finalized.connect(choose_page_versions)
    signals.finalized.connect(build_other_languages)
    collect_results.connect(hand_over_kept_trees)
    merge_results.connect(take_over_kept_trees)


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


# Pages made by plugins -----------------------------------------------------


def write_route_page(generator, writer, route, template, params=None, **context):
    """Write the page of a named route in the language being built.

    Plugins that make pages from data (partners, territories, events...)
    use this, so their pages get the right address in every language and
    know their translations.
    """
    settings = generator.settings
    params = params or {}
    path = route_path(
        route,
        settings["DEFAULT_LANG"],
        settings["LANGUAGES"],
        settings["SITE_DEFAULT_LANG"],
        **params,
    )
    writer.write_file(
        save_as_for(path),
        generator.get_template(template),
        generator.context,
        url=path,
        page_ref=refs.RouteRef(route, tuple(sorted(params.items()))),
        **context,
    )


# Template globals ---------------------------------------------------------


@pass_context
def url(ctx, name, **params):
    """Absolute URL of a named route in the language being built."""
    path = route_path(
        name, ctx["DEFAULT_LANG"], ctx["LANGUAGES"], ctx["SITE_DEFAULT_LANG"], **params
    )
    return refs.absolute(path, ctx)


def rendered_once():
    """``{% call once(key…) %}…{% endcall %}``: the block is rendered for the first
    page with that key only, and its HTML reused for the others.

    For the parts of every page that depend on nothing but the language being
    built and the key (the footer, the main menu with its current entry):
    rendering them again and again was most of the cost of a page.
    """
    rendered = {}

    def once(*key, caller):
        if key not in rendered:
            with tracing.recording() as reads:  # counted for this page on the way out
                rendered[key] = (caller(), reads)
        else:  # what the block read counts for every page showing it (incremental)
            tracing.note_all(rendered[key][1])
        return rendered[key][0]

    return once


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
