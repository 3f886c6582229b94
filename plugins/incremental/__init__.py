"""Rebuilds render again only the pages whose inputs changed.

While a page renders, the names its templates read are recorded
(tracing.py), and the page is stored with a digest of their values
(digest.py) and of its HTML. On the next build the same names are looked up
in the new context: when their digest is the same, the page is not rendered
again. Its file in the staging folder (written two builds before, see
i18n.staging) is kept as it is when it still holds the same HTML and has not
changed since that build (its status says so, see ``file_status``);
otherwise the HTML is taken from the published output, checked against the
stored digest.

Everything else a page depends on is in one build key: the theme's files,
the source of every module of the project, the versions of the libraries
that render, and the settings. When it changes, every page is rendered.
Pages whose values cannot be compared across builds are always rendered.
"""

import dataclasses
import logging
import os
import sys
from dataclasses import dataclass
from importlib import metadata

from pelican import signals

from i18n.staging import AlreadyStaged

from . import kept, tracing
from .digest import MISSING, Digests, Undigestable, text_hash
from .kept import file_status

logger = logging.getLogger(__name__)

STORE_NAME = "rendered-pages.pickle"
STORE_VERSION = 3
RENDERING_LIBRARIES = ("pelican", "jinja2", "markupsafe", "markdown", "babel")


@dataclass(frozen=True)
class RenderedPage:
    template: str
    reads: tuple  # sorted paths (tracing.py)
    inputs: bytes  # digest of the values the reads found
    html: bytes  # digest of the page written
    each: tuple = ()  # with INCREMENTAL_EXPLAIN: each read's digest, to say what changed
    file: tuple | None = None  # file_status of the page as written
    # (html, file) of the build before: what the next build's staging folder holds
    earlier: tuple | None = None


class Run:
    """One Pelican run's pages: those of the previous build, those written now."""

    def __init__(self, settings, context, output_path):
        self.settings = settings
        self.store = os.path.join(settings["CACHE_PATH"], STORE_NAME)
        self.published = settings.get("I18N_PUBLISHED_PATH") or settings["OUTPUT_PATH"]
        self.staged = output_path
        # Only i18n's staging writer knows AlreadyStaged (it is in use when
        # the build writes elsewhere than the published output). Not on
        # Windows, where st_ctime is when a file was made, not last changed.
        self.keep_staged = os.name != "nt" and (
            os.path.normpath(output_path) != os.path.normpath(self.published)
        )
        self.reuse = bool(settings.get("LOAD_CONTENT_CACHE"))
        self.explain = bool(settings.get("INCREMENTAL_EXPLAIN"))
        self.digests = Digests(ignored=(settings, context))
        self.plans = {}  # id(reads) -> (reads, tracing.plan(reads))
        self.read_names = {}  # read -> repr(read) as bytes
        self.paths = {}  # each read met, to share
        self.read_sets = {}  # each set of reads met, to share
        self.build_key = None
        self.previous = {}
        self.written = {}
        self.files = {}  # name -> file_status of the file as written
        self.rendered = self.reused = 0

    def start_writing(self):
        self.build_key = build_key(self.settings, self.digests)
        if self.reuse:
            self.previous = load_store(self.store, self.build_key)
            if self.previous is None:
                self.previous = {}
                if self.explain:
                    logger.warning(
                        "Every page is rendered again: the build key changed "
                        "(the theme, the project's code, the settings or a library)"
                    )

    def render(self, template, name, context):
        if self.build_key is None:
            self.start_writing()
        previous = self.previous.get(name)
        if previous is not None and previous.template == template.name:
            html = self.reusable_html(previous, name, context)
            if html is not None:
                if self.explain and len(previous.each) != len(previous.reads):
                    previous = dataclasses.replace(
                        previous, each=self.each_digest(previous.reads, context)
                    )
                self.written[name] = dataclasses.replace(
                    previous, file=None, earlier=(previous.html, previous.file)
                )
                self.reused += 1
                return html
        with tracing.recording(page=context) as reads:
            html = template.render(context)
        self.rendered += 1
        try:
            ordered = self.same_reads(reads)
            inputs = self.inputs_digest(ordered, context)
        except Undigestable as error:
            logger.debug("%s is rendered on every build: %s", name, error)
            return html
        each = self.each_digest(ordered, context) if self.explain else ()
        earlier = None if previous is None else (previous.html, previous.file)
        self.written[name] = RenderedPage(
            template.name, ordered, inputs, text_hash(html), each, earlier=earlier
        )
        return html

    def each_digest(self, reads, context):
        return tuple(self.digests.of(tracing.lookup(context, path)) for path in reads)

    def inputs_digest(self, reads, context):
        # Run for every read of every page (56 on a news article's page, 115
        # on a list of ten, 280,000 in a language's build): each part of a
        # path is looked up once per page (tracing.plan), and a value some
        # page digested already is taken here without calls.
        roots, digest_of, take = self.digests.roots, self.digests.of, tracing.take
        parts, values = [self.build_key], []
        for parent, kind, arg, read in self.plan(reads):
            if parent >= 0:
                value = take(values[parent], kind, arg)
            elif parent == -1:
                value = context.get(arg, MISSING)
            else:
                value = tracing.derive(context, arg)
            values.append(value)
            if read is not None:
                known = roots.get(id(value))
                parts.append(self.read_names.get(read) or self.name_of(read))
                parts.append(
                    known[1] if known is not None and known[0] is value else digest_of(value)
                )
        return text_hash(b"\0".join(parts))

    def plan(self, reads):
        """The lookup plan of a set of reads: pages reading the same share one."""
        known = self.plans.get(id(reads))
        if known is None or known[0] is not reads:
            known = self.plans[id(reads)] = (reads, tracing.plan(reads))
        return known[1]

    def name_of(self, read):
        """``repr(read)`` as bytes: what the digest and the order of reads go by."""
        name = self.read_names.get(read)
        if name is None:
            name = self.read_names[read] = repr(read).encode()
        return name

    def same_reads(self, reads):
        """``reads`` as a tuple already met if there is one: pages that read the
        same share it, in the record too (smaller, quicker to read)."""
        ordered = sorted((self.paths.setdefault(path, path) for path in reads), key=self.name_of)
        ordered = tuple(ordered)
        return self.read_sets.setdefault(ordered, ordered)

    def reusable_html(self, previous, name, context):
        try:
            if self.inputs_digest(previous.reads, context) != previous.inputs:
                if self.explain:
                    self.say_what_changed(name, previous, context)
                return None
        except Undigestable:
            return None
        if self.keep_staged and self.staged_as_before(previous, name):
            return AlreadyStaged()
        try:
            with open(os.path.join(self.published, name), encoding="utf-8") as handle:
                html = handle.read()
        except (OSError, UnicodeDecodeError):
            return None
        return html if text_hash(html) == previous.html else None

    def staged_as_before(self, previous, name):
        """Whether the staging folder's file is the page as the build before
        the last one left it, with the same HTML as the last one's."""
        if previous.earlier is None:
            return False
        html, status = previous.earlier
        return (
            html == previous.html
            and status is not None
            and file_status(os.path.join(self.staged, name)) == status
        )

    def say_what_changed(self, name, previous, context):
        changed = [
            path
            for path, digest in zip(previous.reads, previous.each, strict=False)
            if self.digests.of(tracing.lookup(context, path)) != digest
        ]
        logger.warning("%s is rendered again: %s changed", name, changed or "the build key")

    def finish(self):
        if self.build_key is None:
            return
        written = {
            name: dataclasses.replace(page, file=self.files.get(name))
            for name, page in self.written.items()
        }
        save_store(self.store, self.build_key, written)
        logger.info(
            "Pages rendered: %d, unchanged and reused: %d (%s)",
            self.rendered,
            self.reused,
            self.settings["DEFAULT_LANG"],
        )


def build_key(settings, digests):
    parts = [f"store {STORE_VERSION}".encode(), sys.version.encode()]
    for library in RENDERING_LIBRARIES:
        parts.append(f"{library} {metadata.version(library)}".encode())
    parts.append(digests.settings_digest(settings))
    for path in sorted(project_files(settings)):
        try:
            with open(path, "rb") as handle:
                parts.append(path.encode() + b"\0" + text_hash(handle.read()))
        except OSError:
            parts.append(path.encode() + b"\0unreadable")
    return text_hash(b"\n".join(parts))


def project_files(settings):
    """The theme's files and the project's code: every module in the plugin
    folders, imported yet or not, and any other not installed as a library.

    Imported or not: a module imported only when it is needed (the Markdown
    extension, when a file is parsed) would otherwise make a rebuild that
    parses nothing look like another build.
    """
    files = set()
    # Not the program running the build (pelican, tools/warm_build.py, pytest),
    # also known as __mp_main__ once multiprocessing is imported.
    program = sys.modules.get("__main__")
    for module in list(sys.modules.values()):
        if module is program:
            continue
        path = getattr(module, "__file__", None)
        if path and path.endswith(".py") and not kept.installed_library(path):
            files.add(os.path.realpath(path))
    for plugins in settings.get("PLUGIN_PATHS") or ():
        for folder, _, names in os.walk(plugins):
            files.update(
                os.path.realpath(os.path.join(folder, name))
                for name in names
                if name.endswith(".py")
            )
    for folder, _, names in os.walk(settings["THEME"]):
        files.update(os.path.join(folder, name) for name in names)
    return files


def load_store(path, key):
    """The previous build's pages: {} if there is no record, None if made with another key."""
    pages = kept.read(path, key)
    return {} if pages is kept.MISSING else pages


def save_store(path, key, pages):
    try:
        kept.write(path, key, pages)
    except OSError as error:  # the next build renders every page; nothing is lost
        logger.warning("Could not keep the record of rendered pages in %s: %s", path, error)


class ReusableTemplate:
    """A template whose pages may come from the previous build."""

    def __init__(self, template, run):
        self._template = template
        self._run = run

    def __getattr__(self, name):
        return getattr(self._template, name)

    def render(self, context=None, **kwargs):
        name = (context or {}).get("output_file")
        if name is None or kwargs:
            return self._template.render(context, **kwargs)
        return self._run.render(self._template, name, context)


# The runs under way, by language: a language's run may start another's
# inside it (when the languages are built one after the other).
runs = {}


def start_run(pelican):
    """Forget a run that stopped half-way (autoreload runs again in the same process)."""
    runs.pop(pelican.settings["DEFAULT_LANG"], None)


def install(generator):
    settings = generator.settings
    # Nothing to keep pages for without a cache; `make check` writes nothing.
    if settings.get("CHECK_ONLY") or not settings.get("CACHE_CONTENT"):
        return
    lang = settings["DEFAULT_LANG"]
    if lang not in runs:  # the first generator of the run
        runs[lang] = Run(settings, generator.context, generator.output_path)
    run = runs[lang]
    generator.env.context_class = tracing.TracingContext
    get_template = generator.get_template
    generator.get_template = lambda name: ReusableTemplate(get_template(name), run)


def note_written_file(path, context):
    """The status of a page as written: noted now, as the default language's
    run ends after the staging folder has been published (and moved)."""
    run = runs.get(context.get("DEFAULT_LANG"))
    name = context.get("output_file")
    if run is not None and name is not None:
        run.files[name] = file_status(path)


def finish_run(pelican):
    run = runs.pop(pelican.settings["DEFAULT_LANG"], None)
    if run is not None:
        run.finish()


def register():
    signals.get_generators.connect(start_run)
    signals.generator_init.connect(install)
    signals.content_written.connect(note_written_file)
    signals.finalized.connect(finish_run)
