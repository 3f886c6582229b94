"""Site search: a search page per language and Pagefind indexes of the built site.

Pagefind (from PyPI, `pagefind_bin`) runs on the pages of the build, before
it replaces the output folder. Only the text inside ``data-pagefind-body``
(the main content of indexable pages) is indexed.

Each language gets its own bundles, in its own folder: the news in one
(``pagefind-news/``), every other page in another (``pagefind/``), and the
search page merges them. Pagefind holds everything it indexes in memory at
once; split this way, with a bound on the pages indexed at once
(``SEARCH_PAGES_AT_ONCE``), no run holds more than a part of one language,
so the build's memory stays bounded as the news grow (docs/performance.md).

Each language's process makes its own bundles as soon as their pages are
written (LanguageIndex): the news once the articles are, beside the pages
still being written, and the rest at its end. A budget shared by the
processes bounds the runs at once; the largest bundles wait for the end of
the build (build_index), as do all of them when the build cannot tell its
pages from those an older build left in the staging folder.

A bundle whose pages are byte for byte those an earlier build indexed is
not made again: each bundle keeps the digest of what it indexed in
``input.sha256``. The staging folder's own bundle is kept as it is, or the
published one is copied over it, file by file: most of its files are
already the same. A bundle made again is written by Pagefind in place,
over the staging folder's older one: Pagefind names most of its files
after their content and leaves those already there as they are, so only
what changed is written (see keep_older_files_in_use).
"""

import contextlib
import functools
import gzip
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import subprocess
import tempfile
from collections import ChainMap
from dataclasses import dataclass
from importlib import metadata

from pelican import signals
from pelican.generators import Generator

from i18n import (
    collect_results,
    is_subsite,
    language_written,
    merge_results,
    other_languages_running,
    register_route,
    site_built,
    write_route_page,
)
from i18n import staging as staging_folder
from i18n.routes import language_prefix
from i18n.staging import copy_tree, keep, keep_tree, remove_unproduced, write_bytes
from incremental import kept
from site_data.problems import Problem, abort

logger = logging.getLogger(__name__)

BUNDLE = "pagefind"
NEWS_BUNDLE = "pagefind-news"
INPUT_DIGEST = "input.sha256"
SURVEYED = "search-surveyed.pickle"  # by build_index
SURVEYED_HERE = "search-surveyed-language.pickle"  # by a language's process
SURVEYED_VERSION = 1
# About 60 KiB of Pagefind's memory each (docs/performance.md).
PAGES_AT_ONCE = 5000
ROOT_SELECTOR = "main"  # the theme puts data-pagefind-body on <main> and nowhere else


@dataclass(frozen=True)
class Bundle:
    """One Pagefind run: the pages it indexes and the folder it writes."""

    folder: str  # site-relative, e.g. "en/pagefind"
    roots: tuple = ()  # site-relative folders and HTML files it indexes

    def pages(self, site):
        """[(root, page, stat)] of the HTML files under the roots, pages
        site-relative, sorted."""
        found = []
        for root in self.roots:
            path = os.path.join(site, root)
            if root.endswith(".html"):
                with contextlib.suppress(FileNotFoundError):
                    found.append((root, root, os.stat(path)))
                continue
            folders = [(path, root)]
            while folders:
                folder, relative = folders.pop()
                try:
                    entries = os.scandir(folder)
                except FileNotFoundError:
                    continue
                with entries:
                    for entry in entries:
                        if entry.is_dir():
                            folders.append((entry.path, f"{relative}/{entry.name}"))
                        elif entry.name.endswith(".html"):
                            found.append((root, f"{relative}/{entry.name}", entry.stat()))
        return sorted(found, key=lambda found: found[1])

    def survey(self, site, known=None, seen=None, unproduced_until=None):
        """What Pagefind would be given, or None when no page has anything to index.

        Pagefind leaves out the pages without ``data-pagefind-body`` anyway,
        but parsing them took a third of its time on the news: the glob
        names only the levels of folders where indexable pages are.

        ``known`` ({(inode, size, modified): digest or None}) holds what
        earlier surveys found in files that have not changed since (a file
        whose bytes stay the same keeps its modification time: staging.keep);
        ``seen`` gets what this survey found, of every page.

        With ``unproduced_until`` (staging.unproduced_until), pages changed
        no later were not produced by this build: they are deleted now, as
        the staging folder's sweep would at the end, so that Pagefind's glob
        does not find them.
        """
        known = {} if known is None else known
        seen = {} if seen is None else seen
        indexable = []
        for root, page, stat in self.pages(site):
            if unproduced_until is not None and stat.st_ctime_ns <= unproduced_until:
                remove_unproduced(os.path.join(site, page), site)
                continue
            identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            try:
                digest = known[identity]
            except KeyError:
                with open(os.path.join(site, page), "rb") as handle:
                    text = handle.read()
                digest = hashlib.sha256(text).digest() if b"data-pagefind-body" in text else None
            seen[identity] = digest
            if digest is not None:
                indexable.append((root, page, digest))
        if not indexable:
            return None
        glob = "{" + ",".join(sorted({pattern(root, page) for root, page, _ in indexable})) + "}"
        # This module says how Pagefind runs: changing it makes every bundle anew.
        code = kept.source_digest(__file__)
        digest = hashlib.sha256(f"{pagefind_version()}\n{code}\n{glob}\n".encode())
        for _, page, page_digest in indexable:
            digest.update(f"{page}\n".encode() + page_digest)
        return Survey(self, glob, digest.hexdigest(), len(indexable))


def pagefind_executable():
    """Pagefind's own program, run directly (``python -m pagefind_bin`` would
    start Python first, only to hand over to it)."""
    import pagefind_bin  # here: only a build that makes a bundle needs it

    return str(pagefind_bin.get_executable())


@functools.cache
def pagefind_version():
    return metadata.version("pagefind_bin")


def pattern(root, page):
    """A glob for ``page`` and the pages as deep as it under ``root``."""
    if page == root:
        return page
    *folders, name = page[len(root) + 1 :].split("/")
    return "/".join([root, *("*" for _ in folders), name if name == "index.html" else "*.html"])


@dataclass(frozen=True)
class Survey:
    bundle: Bundle
    glob: str
    digest: str  # of Pagefind's version, the glob and every indexable page
    pages: int  # how many pages have something to index


class SearchPageGenerator(Generator):
    def generate_output(self, writer):
        main, news = bundles_of(self.settings["DEFAULT_LANG"], self.settings)
        # Without articles there is no news bundle (see build_index), and Pagefind
        # stops searching altogether if asked to merge a bundle that is not there.
        bundles = [main, news] if self.context.get("articles") else [main]
        write_route_page(
            self, writer, "search", "search", search_bundles=[bundle.folder for bundle in bundles]
        )


def add_generator(pelican):
    return SearchPageGenerator


def bundles_of(lang, settings, site=None):
    """The bundles of one language, the main one first.

    Without ``site`` only their folders are known (before the pages are written).
    """
    prefix = language_prefix(lang, settings["SITE_DEFAULT_LANG"])
    news = prefix + settings["LANGUAGES"][lang]["paths"]["news"]
    rest = () if site is None else _the_rest(site, prefix, news, settings)
    return [Bundle(prefix + BUNDLE, rest), Bundle(prefix + NEWS_BUNDLE, (news,))]


def _the_rest(site, prefix, news, settings):
    """The folders and pages of a language outside its news folder."""
    other_prefixes = {
        language_prefix(lang, settings["SITE_DEFAULT_LANG"]).rstrip("/")
        for lang in settings["LANGUAGES"]
    } - {""}
    skip = other_prefixes | {news.rpartition("/")[2], BUNDLE, NEWS_BUNDLE}
    root = os.path.join(site, prefix)
    return tuple(
        prefix + name
        for name in sorted(os.listdir(root))
        if name not in skip and (os.path.isdir(os.path.join(root, name)) or name.endswith(".html"))
    )


def cores():
    """How many Pagefind runs may work side by side: the cores this build may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def in_turns(surveys, processes, pages_at_once):
    """The runs to make side by side, turn after turn.

    At most ``processes`` runs in a turn, and at most ``pages_at_once``
    pages between them, unless a run is alone: Pagefind holds what it
    indexes in memory, so the limit keeps the build's peak down on large sites.
    """
    turns = []
    for survey in sorted(surveys, key=lambda survey: -survey.pages):
        for turn in turns:
            if len(turn) < processes and sum(s.pages for s in turn) + survey.pages <= pages_at_once:
                turn.append(survey)
                break
        else:
            turns.append([survey])
    return turns


class PagefindRun:
    """One Pagefind run, writing its bundle in place in ``site``."""

    def __init__(self, site, survey):
        self.site, self.survey = site, survey
        self.folder = os.path.join(site, survey.bundle.folder)
        make_room(self.folder)
        logger.info("Search: indexing %s again", survey.bundle.folder)
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by wait()
        command = [
            pagefind_executable(),
            "--site",
            site,
            "--glob",
            survey.glob,
            "--output-path",
            self.folder,
            # Where data-pagefind-body is (base.html): Pagefind then skips
            # building the menus and footer it would leave out anyway, a
            # sixth of its time on the news, for the same bundle.
            "--root-selector",
            ROOT_SELECTOR,
            "--silent",
        ]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=self.log)

    def wait(self):
        """What Pagefind said if it failed, else None."""
        with self.log:
            if self.process.wait() == 0:
                return None
            self.log.seek(0)
            said = self.log.read().decode("utf-8", "replace")
        return f"Pagefind could not index {self.survey.bundle.folder}:\n{said}"


def run_pagefind(site, surveys):
    """Pagefind runs side by side, one per survey, each writing its bundle in
    place in ``site``; a run that fails stops the build with what it said.
    The bundles are finished (finish_bundle)."""
    runs = [PagefindRun(site, survey) for survey in surveys]
    stop_if_failed([run.wait() for run in runs])
    for run in runs:
        finish_bundle(site, run.survey)


def stop_if_failed(failures):
    failures = [failure for failure in failures if failure]
    if failures:
        fix = "try the build again; if Pagefind fails again, report this message"
        abort([Problem("search index", message="\n".join(failures).strip(), fix=fix)])


def finish_bundle(site, survey):
    """After Pagefind wrote a bundle over an older one: the older files it
    still uses kept, and the digest of what it indexed written."""
    folder = os.path.join(site, survey.bundle.folder)
    if not keep_older_files_in_use(folder):  # another Pagefind's format: made again, alone
        shutil.rmtree(folder)
        stop_if_failed([PagefindRun(site, survey).wait()])
    write_bytes(os.path.join(folder, INPUT_DIGEST), f"{survey.digest}\n".encode())


def settled(survey, site, published):
    """True when the bundle is already there: kept as it is in ``site``, or
    copied from the published output. False when Pagefind must make it."""
    folder = os.path.join(site, survey.bundle.folder)
    if indexed(folder) == survey.digest:
        keep_tree(folder)
        return True
    if indexed(os.path.join(published, survey.bundle.folder)) == survey.digest:
        copy_tree(os.path.join(published, survey.bundle.folder), folder)
        return True
    return False


class Surveys:
    """What a process's earlier surveys read (by file status), and what its surveys read now."""

    def __init__(self, settings, name):
        self.path = os.path.join(settings["CACHE_PATH"], name)
        earlier = kept.read(self.path, SURVEYED_VERSION)
        if not (isinstance(earlier, list) and all(isinstance(part, dict) for part in earlier)):
            earlier = [{}]  # none yet, or damaged: every page is read
        self.earlier = earlier
        self.known, self.seen = ChainMap(*earlier), {}

    def survey(self, bundle, site, unproduced_until=None):
        return bundle.survey(site, self.known, self.seen, unproduced_until)

    def keep(self):
        """The next build's staging folder is the one written before this
        build's: it keeps the last two builds' surveys."""
        try:
            kept.write(self.path, SURVEYED_VERSION, [self.earlier[-1], self.seen])
        except OSError as error:  # the next build reads the pages again; nothing is lost
            logger.warning("Could not keep what the search survey read in %s: %s", self.path, error)


def build_index(pelican, output_path):
    """The bundles no language's process made itself (see LanguageIndex):
    each kept from the staging folder, copied from the published output, or
    made again, whichever indexed the same pages."""
    settings = pelican.settings
    if settings.get("SEARCH_INDEX", True) is False:
        return
    published = settings["OUTPUT_PATH"]
    surveys = Surveys(settings, SURVEYED)
    stale = []
    for lang in settings["LANGUAGES"]:
        for bundle in bundles_of(lang, settings, site=output_path):
            if bundle.folder in indexed_by_languages:
                continue
            survey = surveys.survey(bundle, output_path)
            if survey is None:  # nothing to index (no news yet, say)
                continue
            if not settled(survey, output_path, published):
                stale.append(survey)
    surveys.keep()
    processes = cores()
    pages_at_once = settings.get("SEARCH_PAGES_AT_ONCE", PAGES_AT_ONCE)
    for turn in in_turns(stale, processes, pages_at_once):
        run_pagefind(output_path, turn)


def make_room(folder):
    """Ready the staging folder's older bundle for Pagefind to write over.

    Its digest goes first, so that a run that fails leaves nothing claiming
    to be a finished bundle; and a file linked to another (older builds
    linked bundles to the published ones) is removed, not written through.
    A bundle another version of Pagefind made goes altogether: its files
    need not be what this one would write under the same names.
    """
    try:
        with open(os.path.join(folder, "pagefind-entry.json"), encoding="utf-8") as handle:
            version = json.load(handle).get("version")
    except (OSError, ValueError, AttributeError):
        version = None
    if version != pagefind_version():
        shutil.rmtree(folder, ignore_errors=True)
        return
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(folder, INPUT_DIGEST))
    for parent, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(parent, name)
            if os.stat(path).st_nlink > 1:
                os.remove(path)


# Pagefind names these files after a digest of their content, and leaves
# one it would write alone when a file of that name is already there.
CONTENT_NAMED = ("fragment", "index", "filter")
META_SIGNATURE = b"pagefind_dcd"


def keep_older_files_in_use(folder):
    """After Pagefind wrote a bundle over an older one: keep the older files
    the new bundle uses, which Pagefind left as they were; the sweep deletes
    the others. False if the bundle's index cannot be read.

    A bundle lists its files in its meta file (gzip, then CBOR, where their
    names are plain text): a file is in use when its name is in there.
    """
    metas = []
    try:
        with open(os.path.join(folder, "pagefind-entry.json"), encoding="utf-8") as handle:
            languages = json.load(handle)["languages"]
        for language in languages.values():
            path = os.path.join(folder, f"pagefind.{language['hash']}.pf_meta")
            with open(path, "rb") as handle:
                meta = gzip.decompress(handle.read())
            if not meta.startswith(META_SIGNATURE):
                return False
            metas.append(meta)
            keep(path)
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return False
    fragments = 0
    for part in CONTENT_NAMED:
        with (
            contextlib.suppress(FileNotFoundError),
            os.scandir(os.path.join(folder, part)) as found,
        ):
            for entry in found:
                name = entry.name.partition(".")[0].encode()
                if any(name in meta for meta in metas):
                    keep(entry.path)
                    fragments += part == "fragment"
    return fragments > 0


def indexed(folder):
    """The digest of what the bundle in ``folder`` indexed, if it is there."""
    try:
        with open(os.path.join(folder, INPUT_DIGEST)) as handle:
            return handle.read().strip()
    except OSError:
        return None


# Bundles made (or found already made) by the languages' own processes:
# build_index leaves them alone. Reset by the default language's run.
indexed_by_languages = set()
budget = None  # RunBudget, shared by the build's processes
_languages = {}  # lang -> LanguageIndex, in the process building that language


class RunBudget:
    """How many Pagefind runs, and how many pages between them, at once in
    the whole build (every language's process): Pagefind holds what it
    indexes in memory. Made before the languages' processes are forked."""

    def __init__(self, processes, pages_at_once):
        forking = "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if forking else None)
        self.processes, self.pages_at_once = processes, pages_at_once
        self._condition = context.Condition()
        self._runs = context.Value("i", 0, lock=False)
        self._pages = context.Value("i", 0, lock=False)

    def take(self, pages, keep_waiting):
        """True once a run of ``pages`` may start; False if ``keep_waiting()``
        says to stop waiting first (at once when it is False)."""
        with self._condition:
            while self._runs.value and (
                self._runs.value >= self.processes or self._pages.value + pages > self.pages_at_once
            ):
                if not keep_waiting():
                    return False
                self._condition.wait(0.2)
            self._runs.value += 1
            self._pages.value += pages
            return True

    def give_back(self, pages):
        with self._condition:
            self._runs.value -= 1
            self._pages.value -= pages
            self._condition.notify_all()


class LanguageIndex:
    """A language's bundles, made by its own process as soon as their pages
    are written: the news once the articles are, the rest at the end, each
    beside what the other processes are still doing.

    Only when this build can tell the pages it produced from those left in
    the staging folder by the one before (staging.unproduced_until), and
    only bundles of at most half SEARCH_PAGES_AT_ONCE pages: a language's
    process stays alive with its pages while its Pagefind runs. The others
    wait for build_index, after the languages' processes have ended.
    """

    def __init__(self, pelican_settings, site):
        self.settings, self.site = pelican_settings, site
        self.lang = pelican_settings["DEFAULT_LANG"]
        # A language's own run has the staging folder as its OUTPUT_PATH.
        self.published = pelican_settings["I18N_PUBLISHED_PATH"]
        self.surveys = Surveys(pelican_settings, SURVEYED_HERE)
        self.runs = {}  # folder -> PagefindRun
        self.early = {}  # folder -> the bundle's page roots, made before the last pages are written
        self.written_since = set()  # folders of early bundles where a page was written since
        self.done = set()  # folders of the bundles made, or with nothing to index
        self.made = {}  # folder -> digest of the pages its bundle indexed
        self.largest = pelican_settings.get("SEARCH_PAGES_AT_ONCE", PAGES_AT_ONCE) // 2
        # The default language's process waits only while the others are alive:
        # one that stopped holding a part of the budget would never give it back.
        self.keep_waiting = _always if is_subsite(pelican_settings) else other_languages_running

    def survey(self, bundle):
        return self.surveys.survey(bundle, self.site, staging_folder.unproduced_until)

    def prepare(self, bundle):
        """The survey of a bundle for Pagefind to make here; None when it is
        already made, has nothing to index, or is left to build_index."""
        survey = self.survey(bundle)
        if survey is None or settled(survey, self.site, self.published):
            self.done.add(bundle.folder)
            if survey is not None:
                self.made[bundle.folder] = survey.digest
            return None
        return survey if survey.pages <= self.largest else None

    def run(self, survey, wait):
        """Start Pagefind on ``survey`` once the budget allows; False if not
        waiting (or no longer: see keep_waiting) for it."""
        if not budget.take(survey.pages, self.keep_waiting if wait else _no):
            return False
        try:
            self.runs[survey.bundle.folder] = PagefindRun(self.site, survey)
        except BaseException:
            budget.give_back(survey.pages)
            raise
        return True

    def finish(self):
        """Every bundle of the language made, or left to build_index."""
        pending, again = [], []
        for bundle in bundles_of(self.lang, self.settings, site=self.site):
            run = self.runs.get(bundle.folder)
            if run is None and bundle.folder not in self.done:
                pending.append(self.prepare(bundle))
                continue
            # Made, or being made, before the language's last pages were
            # written: a page written in the bundle's folders since (none
            # is, as the theme is) makes it again if it changes what it indexes.
            if bundle.folder not in self.written_since:
                continue
            survey = self.survey(bundle)
            made = run.survey.digest if run is not None else self.made.get(bundle.folder)
            if survey is not None and survey.digest != made:
                again.append(bundle)
        pending = [survey for survey in pending if survey and not self.run(survey, wait=False)]
        self.finish_runs()
        for bundle in again:  # made afresh: the files of the first making go
            self.done.discard(bundle.folder)
            shutil.rmtree(os.path.join(self.site, bundle.folder), ignore_errors=True)
            pending.append(self.prepare(bundle))
        for survey in filter(None, pending):
            # Waiting holding none of the budget: a process waiting with a
            # part of it while another waits for that part would wait forever.
            if not self.run(survey, wait=False):
                self.finish_runs()
                self.run(survey, wait=True)  # or left to build_index
        self.finish_runs()
        self.surveys.keep()
        self.early.clear()
        indexed_by_languages.update(self.done)

    def finish_runs(self):
        for folder, run in list(self.runs.items()):
            del self.runs[folder]
            try:
                failure = run.wait()
            finally:
                budget.give_back(run.survey.pages)
            stop_if_failed([failure])
            finish_bundle(self.site, run.survey)
            self.made[folder] = run.survey.digest
            self.done.add(folder)


def _no():
    return False


def _always():
    return True


def start_run(pelican):
    """In the default language's run: a budget for the build's Pagefind runs."""
    global budget
    if is_subsite(pelican.settings):
        return
    indexed_by_languages.clear()
    _languages.clear()
    pages_at_once = pelican.settings.get("SEARCH_PAGES_AT_ONCE", PAGES_AT_ONCE)
    budget = RunBudget(cores(), pages_at_once)


def _language_index(settings, site):
    if settings.get("SEARCH_INDEX", True) is False or staging_folder.unproduced_until is None:
        return None
    lang = settings["DEFAULT_LANG"]
    if lang not in _languages:
        _languages[lang] = LanguageIndex(settings, site)
    return _languages[lang]


def index_news(generator, writer=None):
    """The language's articles are written: its news bundle can be made."""
    index = _language_index(generator.settings, generator.output_path)
    if index is not None and generator.context.get("articles"):
        news = bundles_of(index.lang, generator.settings)[1]
        survey = index.prepare(news)
        if survey is not None:
            index.run(survey, wait=False)  # else at the end, with the rest
        roots = tuple(
            os.path.abspath(os.path.join(index.site, root)) + os.sep for root in news.roots
        )
        index.early[news.folder] = roots


def note_page_written(path, context=None):
    """A page written after a bundle of its folders was started is looked at again."""
    for index in _languages.values():
        for folder, roots in index.early.items():
            if path.startswith(roots) and path.endswith(".html"):
                index.written_since.add(folder)


def index_language(pelican, output_path):
    index = _language_index(pelican.settings, output_path)
    if index is not None:
        index.finish()


def hand_over(pelican, results):
    results["search_indexed"] = sorted(indexed_by_languages)


def take_over(pelican, results):
    indexed_by_languages.update(results.get("search_indexed", ()))


def register():
    register_route("search", "{search}/")
    signals.initialized.connect(start_run)
    signals.get_generators.connect(add_generator)
    signals.article_writer_finalized.connect(index_news)
    language_written.connect(index_language)
    signals.content_written.connect(note_page_written)
    collect_results.connect(hand_over)
    merge_results.connect(take_over)
    site_built.connect(build_index)
