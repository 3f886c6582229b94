"""Site search: a search page per language and Pagefind indexes of the built site.

Pagefind (from PyPI, `pagefind_bin`) runs on the finished build, before it
replaces the output folder. Only the text inside ``data-pagefind-body`` (the
main content of indexable pages) is indexed.

Each language gets its own bundles, in its own folder: the news in one
(``pagefind-news/``), every other page in another (``pagefind/``), and the
search page merges them. Pagefind holds everything it indexes in memory at
once; split this way, and run one after the other, no run holds more than a
part of one language, so the build's memory stays bounded as the news grow
(docs/performance.md).

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
import os
import shutil
import subprocess
import tempfile
from collections import ChainMap
from dataclasses import dataclass
from importlib import metadata

from pelican import signals
from pelican.generators import Generator

from i18n import register_route, site_built, write_route_page
from i18n.routes import language_prefix
from i18n.staging import copy_tree, keep, keep_tree, write_bytes
from incremental import kept
from site_data.problems import Problem, abort

logger = logging.getLogger(__name__)

BUNDLE = "pagefind"
NEWS_BUNDLE = "pagefind-news"
INPUT_DIGEST = "input.sha256"
SURVEYED = "search-surveyed.pickle"
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

    def survey(self, site, known=None, seen=None):
        """What Pagefind would be given, or None when no page has anything to index.

        Pagefind leaves out the pages without ``data-pagefind-body`` anyway,
        but parsing them took a third of its time on the news: the glob
        names only the levels of folders where indexable pages are.

        ``known`` ({(inode, size, modified): digest or None}) holds what
        earlier surveys found in files that have not changed since (a file
        whose bytes stay the same keeps its modification time: staging.keep);
        ``seen`` gets what this survey found, of every page.
        """
        known = {} if known is None else known
        seen = {} if seen is None else seen
        indexable = []
        for root, page, stat in self.pages(site):
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


def run_pagefind(site, surveys):
    """Pagefind runs side by side, one per survey, each writing its bundle in
    place in ``site``; a run that fails stops the build with what it said."""
    failures = []
    with contextlib.ExitStack() as logs:
        running = []
        for survey in surveys:
            logger.info("Search: indexing %s again", survey.bundle.folder)
            log = logs.enter_context(tempfile.TemporaryFile())
            command = [
                pagefind_executable(),
                "--site",
                site,
                "--glob",
                survey.glob,
                "--output-path",
                os.path.join(site, survey.bundle.folder),
                # Where data-pagefind-body is (base.html): Pagefind then skips
                # building the menus and footer it would leave out anyway, a
                # sixth of its time on the news, for the same bundle.
                "--root-selector",
                ROOT_SELECTOR,
                "--silent",
            ]
            running.append((survey, log, subprocess.Popen(command, stdout=log, stderr=log)))
        for survey, log, process in running:
            if process.wait() != 0:
                log.seek(0)
                said = log.read().decode("utf-8", "replace")
                failures.append(f"Pagefind could not index {survey.bundle.folder}:\n{said}")
    if failures:
        fix = "try the build again; if Pagefind fails again, report this message"
        abort([Problem("search index", message="\n".join(failures).strip(), fix=fix)])


def build_index(pelican, output_path):
    """Each bundle kept from the staging folder, copied from the published
    output, or made again: whichever indexed the same pages."""
    settings = pelican.settings
    if settings.get("SEARCH_INDEX", True) is False:
        return
    published = settings["OUTPUT_PATH"]
    # What the last two builds' surveys found: this build writes into the
    # folder the one before last wrote (the output and staging folders swap).
    known_path = os.path.join(settings["CACHE_PATH"], SURVEYED)
    earlier = kept.read(known_path, SURVEYED_VERSION)
    if not (isinstance(earlier, list) and all(isinstance(part, dict) for part in earlier)):
        earlier = [{}]  # none yet, or damaged: every page is read
    known, seen = ChainMap(*earlier), {}
    stale = []
    for lang in settings["LANGUAGES"]:
        for bundle in bundles_of(lang, settings, site=output_path):
            survey = bundle.survey(output_path, known, seen)
            if survey is None:  # nothing to index (no news yet, say)
                continue
            folder = os.path.join(output_path, bundle.folder)
            if indexed(folder) == survey.digest:
                keep_tree(folder)
            elif indexed(os.path.join(published, bundle.folder)) == survey.digest:
                copy_tree(os.path.join(published, bundle.folder), folder)
            else:
                stale.append(survey)
    _keep_surveyed(known_path, [earlier[-1], seen])
    if not stale:
        return
    processes = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    pages_at_once = settings.get("SEARCH_PAGES_AT_ONCE", PAGES_AT_ONCE)
    for turn in in_turns(stale, processes, pages_at_once):
        for survey in turn:
            make_room(os.path.join(output_path, survey.bundle.folder))
        run_pagefind(output_path, turn)
        for survey in turn:
            folder = os.path.join(output_path, survey.bundle.folder)
            if not keep_older_files_in_use(folder):  # another Pagefind's format
                shutil.rmtree(folder)
                run_pagefind(output_path, [survey])
            write_bytes(os.path.join(folder, INPUT_DIGEST), f"{survey.digest}\n".encode())


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


def _keep_surveyed(path, surveys):
    try:
        kept.write(path, SURVEYED_VERSION, surveys)
    except OSError as error:  # the next build reads the pages again; nothing is lost
        logger.warning("Could not keep what the search survey read in %s: %s", path, error)


def indexed(folder):
    """The digest of what the bundle in ``folder`` indexed, if it is there."""
    try:
        with open(os.path.join(folder, INPUT_DIGEST)) as handle:
            return handle.read().strip()
    except OSError:
        return None


def register():
    register_route("search", "{search}/")
    signals.get_generators.connect(add_generator)
    site_built.connect(build_index)
