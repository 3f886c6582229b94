"""A build writes into a fresh folder and replaces the output folder only
once everything is written, so a build that fails, or is killed, leaves
the published site exactly as it was.

Beside ``output/`` while a build runs: ``output.building-<pid>/`` (the new
site) and, for the moment of the swap, ``output.previous/``. A build killed
between the swap's two renames leaves ``output.previous/`` alone; the next
build puts it back first. The per-language content caches live in
``output.cache/`` (Pelican's CACHE_CONTENT), never in the published folder.
"""

import atexit
import hashlib
import logging
import os
import pickle
import shutil

import markdown
import pelican as pelican_package

from website.problems import abort, cannot_read, cannot_write

BUILDING = ".building-"
PREVIOUS = ".previous"


class Build:
    """The fresh folder of one build, from its start until it is published or discarded."""

    def __init__(self, output_path):
        self.output = os.path.normpath(os.path.abspath(output_path))
        os.makedirs(os.path.dirname(self.output), exist_ok=True)
        recover(self.output)
        self.path = f"{self.output}{BUILDING}{os.getpid()}"
        shutil.rmtree(self.path, ignore_errors=True)
        os.makedirs(self.path)
        self.copy_failures = CopyFailures()
        logging.getLogger("pelican").addHandler(self.copy_failures)
        # A template or a write that fails ends the run before any signal
        # says so: the fresh folder goes when the process does.
        atexit.register(self.discard)

    def publish(self):
        if self.copy_failures.problems:
            abort(self.copy_failures.problems)
        previous = self.output + PREVIOUS
        if os.path.exists(self.output):
            os.rename(self.output, previous)
        os.rename(self.path, self.output)
        shutil.rmtree(previous, ignore_errors=True)

    def discard(self):
        atexit.unregister(self.discard)
        logging.getLogger("pelican").removeHandler(self.copy_failures)
        shutil.rmtree(self.path, ignore_errors=True)


def recover(output):
    """Undo what a killed build left: its fresh folder, or half a swap."""
    previous = output + PREVIOUS
    if os.path.isdir(previous):
        if os.path.exists(output):
            shutil.rmtree(previous, ignore_errors=True)
        else:
            os.rename(previous, output)
    parent, name = os.path.split(output)
    for entry in os.listdir(parent or "."):
        pid = entry.removeprefix(name + BUILDING)
        if entry.startswith(name + BUILDING) and pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)


def process_alive(pid):
    if pid == os.getpid():
        return False  # an earlier run of this process (autoreload) left it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, but is someone else's
        return True
    return True


class CopyFailures(logging.Handler):
    """Pelican only warns about a static file it could not copy, and the site
    would be published without it: such a warning stops the publish."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.problems = []

    def emit(self, record):
        if not str(record.msg).startswith("A problem occurred copying file"):
            return
        source, destination, error = record.args
        if isinstance(error, OSError) and error.filename == source:
            self.problems.append(cannot_read(source, error))
        else:
            self.problems.append(cannot_write(destination, error))


# Settings that change what Pelican's readers make of a file: Pelican's
# cache checks only that a file is unchanged, so the cache's folder is
# named after them, and changing one starts a fresh cache.
READER_SETTINGS = (
    "MARKDOWN",
    "TIMEZONE",
    "DEFAULT_DATE",
    "DEFAULT_CATEGORY",
    "FILENAME_METADATA",
    "PATH_METADATA",
    "EXTRA_PATH_METADATA",
    "FORMATTED_FIELDS",
    "READERS",
    "SLUGIFY_SOURCE",
    "SLUG_REGEX_SUBSTITUTIONS",
)


def cache_path(output_path, lang, settings):
    """Where a language's run keeps Pelican's content cache: beside the output.

    Caches made with other settings are removed, and so is a cache file
    that cannot be read back (a build killed while Pelican wrote it):
    Pelican would stop on it.
    """
    values = sorted((name, repr(settings.get(name))) for name in READER_SETTINGS)
    text = repr([pelican_package.__version__, markdown.__version__, values])
    fingerprint = hashlib.sha256(text.encode()).hexdigest()[:16]
    folder = os.path.join(os.path.normpath(output_path) + ".cache", lang)
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if name != fingerprint:
                shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
    path = os.path.join(folder, fingerprint)
    if os.path.isdir(path):
        for entry in os.scandir(path):
            if entry.is_file():
                drop_if_unreadable(entry.path)
    return path


def drop_if_unreadable(path):
    try:
        with open(path, "rb") as handle:
            pickle.load(handle)
    except Exception:  # noqa: BLE001 - whatever it is, the next build makes it again
        os.remove(path)
