"""Checks on content/ that turn editors' mistakes into a report, not a broken site.

The default language's run reads every content file (all languages), so it
checks them all: metadata, languages, categories and tags, links between
pages, clashing addresses. Problems found, and errors Pelican logs while
reading, stop the build before anything is written. ``CHECK_ONLY`` (used by
``make check``) stops it there in any case.
"""

import logging
import os
import re
import sys

from pelican import signals
from pelican.contents import Article, Static
from pelican.readers import Readers

from website.problems import Problem, abort, did_you_mean, relative

# Metadata an editor may write in a Markdown file's header.
KNOWN_FIELDS = {
    "title",
    "date",
    "modified",
    "category",
    "tags",
    "slug",
    "lang",
    "summary",
    "status",
    "template",
    "description",
    "validated",  # easy-to-read pages: checked by readers (plugins/easy_read)
    "glossary",  # yes: explain data/glossary.yaml's words on a standard page
}
# Metadata Pelican adds by itself.
AUTOMATIC_FIELDS = {"reader", "level"}  # level: from the file name (.facile.)
STATUSES = {"published", "draft", "hidden"}


# What Pelican warns of a link it cannot resolve: a missing file, or a
# {route} link to no page (website/links.py leaves those as they are).
LINK_WARNINGS = ("Unable to find", "Replacement Indicator")


class LogCollector(logging.Handler):
    """Collects what Pelican logs as errors (and broken links) while building."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        if record.levelno >= logging.ERROR or record.msg.startswith(LINK_WARNINGS):
            self.records.append((record, state.rendering))


class RunState:
    """What one run has found so far; replaced at the start of every run."""

    def __init__(self):
        self.problems = []
        self.log = LogCollector()
        self.rendering = None


state = RunState()


def is_primary(settings):
    return not settings.get("I18N_SUBSITE")


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


def filename_lang(path, settings):
    """The language a file's name gives (``notizie/x.en.md`` → ``en``), or None."""
    pattern = settings.get("FILENAME_METADATA")
    match = re.match(pattern, os.path.splitext(os.path.basename(path))[0]) if pattern else None
    return match.groupdict().get("lang") if match else None


def theme_templates(settings):
    """The names a page's 'Template:' may give: the theme's page templates."""
    folder = os.path.join(settings["THEME"], "templates")
    return sorted(name[: -len(".html")] for name in os.listdir(folder) if name.endswith(".html"))


def header_line(path, field):
    """The line of ``field:`` in a file's header, or 1."""
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    break
                if line.lower().startswith(field + ":"):
                    return number
    except OSError:
        pass
    return 1


def header_field_with(path, value):
    """The name of the header field whose value contains ``value``, or ""."""
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    break
                name, _, rest = line.partition(":")
                if value in rest:
                    return name.strip().lower()
    except OSError:
        pass
    return ""


def problem(item_or_path, field, message, fix=""):
    path = getattr(item_or_path, "source_path", item_or_path)
    line = header_line(path, field) if field else 1
    return Problem(relative(path), line, 1 if line else 0, field, message, fix)


# Checks on one file -------------------------------------------------------


def check_item(item):
    settings = item.settings
    languages = list(settings.get("LANGUAGES") or [settings["DEFAULT_LANG"]])
    found = []
    if not str(getattr(item, "title", "") or "").strip():
        found.append(
            problem(item, "title", "the title is missing", "add a line 'Title: …' at the top")
        )
    lang = getattr(item, "lang", None)
    if lang not in languages:
        hint = did_you_mean(lang, languages)
        found.append(
            problem(
                item,
                "lang",
                f"unknown language '{lang}'",
                (hint + " " if hint else "") + "use one of: " + ", ".join(languages),
            )
        )
    name = os.path.basename(item.source_path)
    pattern = settings.get("FILENAME_METADATA")
    if pattern and not re.match(pattern, os.path.splitext(name)[0]):
        found.append(
            problem(
                item,
                "",
                f"the file name '{name}' is not <name>.<language>.md",
                "rename it like progetto.it.md, or progetto.facile.it.md for its "
                "easy-to-read version",
            )
        )
    template = item.metadata.get("template")
    if template:
        templates = theme_templates(settings)
        if template not in templates:
            hint = did_you_mean(template, templates)
            found.append(
                problem(
                    item,
                    "template",
                    f"the theme has no template '{template}'",
                    hint or "use one of: " + ", ".join(templates),
                )
            )
    from_name = filename_lang(item.source_path, settings)
    if from_name and "lang" in item.metadata and from_name != lang:
        found.append(
            problem(
                item,
                "lang",
                f"'Lang: {lang}' contradicts the file name's '.{from_name}.'",
                "rename the file or fix the Lang line",
            )
        )
    for field in sorted(set(item.metadata) - KNOWN_FIELDS - AUTOMATIC_FIELDS):
        hint = did_you_mean(field, sorted(KNOWN_FIELDS))
        found.append(
            problem(
                item,
                field,
                f"unknown field '{field}'",
                hint or "known fields: " + ", ".join(sorted(KNOWN_FIELDS)),
            )
        )
    status = item.metadata.get("status", "published")
    if status not in STATUSES:
        found.append(
            problem(
                item,
                "status",
                f"unknown status '{status}'",
                "use one of: " + ", ".join(sorted(STATUSES)),
            )
        )
    if isinstance(item, Article):
        found.extend(check_terms(item, settings.get("DATA")))
    return found


def check_terms(article, data):
    if data is None:
        return []
    found = []
    category = article.metadata.get("category")
    if category is not None and category.name not in data.category:
        found.append(
            problem(
                article,
                "category",
                f"unknown category '{category.name}'",
                did_you_mean(category.name, data.category)
                or "use an id from data/taxonomy.yaml: " + ", ".join(data.category),
            )
        )
    for tag in article.metadata.get("tags", []):
        if tag.name not in data.tag:
            found.append(
                problem(
                    article,
                    "tags",
                    f"unknown tag '{tag.name}'",
                    did_you_mean(tag.name, data.tag) or "add it to data/taxonomy.yaml under tags",
                )
            )
    return found


# Checks across files ------------------------------------------------------


def check_addresses(items):
    found = []
    taken = {}
    for item in items:
        save_as = item.save_as
        if save_as in taken:
            other = relative(taken[save_as].source_path)
            found.append(
                problem(
                    item,
                    "slug",
                    f"its address '{item.url}' is already used by {other}",
                    "give one of them another Slug or Title",
                )
            )
        else:
            taken[save_as] = item
    return found


def check_translations(items):
    found = []
    for item in items:
        group = getattr(item, "i18n_group", {})
        category = item.metadata.get("category")
        for other in group.values():
            other_category = other.metadata.get("category")
            if (
                isinstance(item, Article)
                and other is not item
                and category
                and other_category
                and category.name != other_category.name
                and item.lang < other.lang
            ):
                found.append(
                    problem(
                        other,
                        "category",
                        f"category '{other_category.name}' differs from the translation's '{category.name}' in {relative(item.source_path)}",
                        "translations share one category",
                    )
                )
    return found


def check_menus(settings, groups):
    found = []
    for setting in ("MAIN_MENU", "FOOTER_LINKS"):
        for kind, key in settings.get(setting, []):
            if kind == "page" and key not in groups:
                found.append(
                    Problem(
                        "pelicanconf.py",
                        field=setting,
                        message=f"no page '{key}' in content/",
                        fix=did_you_mean(key, sorted(groups))
                        or "use a page's path without language and extension",
                    )
                )
    return found


# `content('pagine/privacy')` in a template: a page the theme links by name.
THEME_PAGE = re.compile(r"""content\(\s*['"]([^'"]+)['"]\s*\)""")


def check_theme_pages(settings, groups):
    """Pages the theme links by name must be there: deleted, or a draft, the
    build would stop later on the template, far from the editor's change."""
    found = []
    folder = os.path.join(settings["THEME"], "templates")
    for root, _, names in sorted(os.walk(folder)):
        for name in sorted(names):
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    for key in THEME_PAGE.findall(line):
                        if key not in groups:
                            found.append(
                                Problem(
                                    relative(path),
                                    number,
                                    1,
                                    "",
                                    f"the theme links the page '{key}', which is missing or a draft",
                                    f"restore {relative(os.path.join(settings['PATH'], key))}.<language>.md, or publish it",
                                )
                            )
    return found


def render_links(items):
    """Render every page now, so broken {filename} and {route} links show up
    in this report (rendering is memoized: the build reuses it)."""
    for item in items:
        state.rendering = item
        item.content  # noqa: B018
        state.rendering = None


def logged_problems(settings):
    found = []
    for record, item in state.log.records:
        message = record.getMessage()
        if message.startswith("Unable to find") and item is not None:
            target = message.split("'")[1] if "'" in message else message
            found.append(
                problem(
                    item,
                    "",
                    f"link to a missing file: {target}",
                    "check the path after {filename} or {static}",
                )
            )
        elif message.startswith("Replacement Indicator") and item is not None:
            found.append(
                problem(
                    item,
                    "",
                    f"link to an unknown page: {record.args[1]}",
                    "see docs/guida-redazione.md for the pages you can link this way",
                )
            )
        elif message.startswith("Could not process") and record.args:
            found.append(read_error(settings, os.path.join(settings["PATH"], record.args[0])))
        elif message.startswith("Skipping") and len(record.args) >= 2:
            field = str(record.args[1])
            found.append(
                problem(
                    record.args[0],
                    field,
                    f"the {field} is missing",
                    f"add a line '{field.title()}: …' at the top",
                )
            )
        else:
            found.append(Problem("(build)", message=message))
    return found


def read_error(settings, path):
    """Read a file that failed again, to tell the editor why it failed."""
    not_utf8 = encoding_error(path)
    if not_utf8 is not None:
        return not_utf8
    try:
        Readers(settings).read_file(
            base_path=settings["PATH"], path=os.path.relpath(path, settings["PATH"])
        )
    except Exception as error:  # noqa: BLE001 - any reader error is the editor's to fix
        quoted = re.search(r"'([^']+)'", str(error))
        field = header_field_with(path, quoted.group(1)) if quoted else ""
        return problem(
            path,
            field,
            f"could not be read: {error}",
            "check the header lines, e.g. Date: 2026-11-25",
        )
    return problem(path, "", "could not be read")


def encoding_error(path):
    """The problem of a file that is not UTF-8 text, at its first wrong byte; else None."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        data.decode("utf-8")
    except OSError:
        return None
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        return Problem(
            relative(path),
            line,
            column,
            "",
            "is not UTF-8 text (a character here was saved in another encoding)",
            'save the file as UTF-8 in your editor ("Save with encoding"), then build again',
        )
    return None


# Signal receivers ---------------------------------------------------------


class HideReadErrors(logging.Filter):
    """In another language's run: files that cannot be read are reported by
    the default language's run, with their line and the fix, so Pelican's own
    line about them is not printed a second time."""

    def filter(self, record):
        return not record.getMessage().startswith("Could not process")


hide_read_errors = HideReadErrors()


def start_run(pelican):
    global state
    reader_log = logging.getLogger("pelican.generators")
    if not is_primary(pelican.settings):
        reader_log.addFilter(hide_read_errors)
        return
    reader_log.removeFilter(hide_read_errors)
    logging.getLogger("pelican").removeHandler(state.log)
    state = RunState()
    logging.getLogger("pelican").addHandler(state.log)


def check_content(item):
    if (
        isinstance(item, Static)
        or not is_primary(item.settings)
        or not getattr(item, "source_path", None)
    ):
        return
    state.problems.extend(check_item(item))


def finish_checks(generators):
    settings = generators[0].settings
    if not is_primary(settings):
        return
    items = written_items(generators)
    groups = generators[0].context.get("I18N_GROUPS", {})
    translations = [item for group in groups.values() for item in group.values()]
    render_links(list({id(item): item for item in items + translations}.values()))
    logging.getLogger("pelican").removeHandler(state.log)
    problems = state.problems + logged_problems(settings)
    problems += check_addresses(items) + check_translations(items)
    problems += check_menus(settings, groups) + check_theme_pages(settings, groups)
    if problems:
        abort(problems)
    if settings.get("CHECK_ONLY"):
        print(
            f"No problems found in {len(items)} pages and articles and in {settings.get('DATA_PATH', 'data')}/.",
            file=sys.stderr,
        )
        raise SystemExit(0)


def register():
    signals.get_generators.connect(start_run)
    signals.content_object_init.connect(check_content)
    signals.all_generators_finalized.connect(finish_checks)
