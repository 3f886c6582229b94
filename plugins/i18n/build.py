"""One build, all languages, published all at once.

The default language's run builds into a staging folder beside the output
folder; each other language is built by its own Pelican run into the same
staging folder, then ``site_built`` lets other plugins add site-wide files
(sitemap, search index). Only then does the staging folder replace the
output folder (staging.py). A build that stops for any reason leaves the
previous output untouched.

With ``I18N_PARALLEL`` (and where ``fork`` exists) the other languages run
in their own processes, started as soon as the default language's run has
loaded what they share (data, SEQUENCE numbers, material catalog: see
``start_other_languages``). They read their content alongside it, then wait
until its checks have passed before writing anything (``release``), so a
build stopped by a problem still writes nothing. When they are done, they
hand back what the default language's process needs through
``collect_results`` and ``merge_results`` (the sitemap's entries, say).

Each language keeps its Pelican cache (parsed Markdown, compiled templates,
built ZIPs) in its own folder beside the output folder,
``<output>.cache/<lang>/<fingerprint>/``. Pelican's cache only checks that a
file is unchanged, so the fingerprint names the settings and versions that
shape how files are read: change one and the next build starts afresh.
"""

import contextlib
import hashlib
import importlib.util
import multiprocessing
import os
import shutil
import sys
import threading
import traceback

import markdown
import pelican as pelican_package
from blinker import signal
from pelican import Pelican

from incremental import kept

from . import reading

# Sent once per build with the staging folder, after every language is written.
site_built = signal("i18n_site_built")
# Sent in each language's process (the default language's too) with the
# staging folder, once its own pages are written, before site_built.
language_written = signal("i18n_language_written")
# Sent in a language's own process when its run is done, with a dict
# ``results``: receivers add what the default language's process needs
# (picklable values).
collect_results = signal("i18n_collect_results")
# Sent in the default language's process with each other language's ``results``.
merge_results = signal("i18n_merge_results")

GO = "go"

# In another language's process: its connection to the default language's process.
to_default_language = None


class LanguageBuildError(SystemExit):
    """Another language's process failed; it has printed why.

    A SystemExit, so Pelican adds no traceback of its own.
    """


# Settings that change what Pelican's readers make of a file.
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


def cache_fingerprint(settings):
    values = {name: settings.get(name) for name in READER_SETTINGS}
    options = dict(values["MARKDOWN"] or {})
    # Pelican's Markdown reader adds the configured extensions and "meta" to this list.
    configured = options.get("extension_configs", {})
    options["extensions"] = sorted(
        set(options.get("extensions", [])) - set(configured) - {"markdown.extensions.meta"}
    )
    values["MARKDOWN"] = sorted(options.items())
    own = own_extensions_digest([*configured, *options["extensions"]])
    text = repr([pelican_package.__version__, markdown.__version__, sorted(values.items()), own])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def own_extensions_digest(names):
    """The code of the Markdown extensions that are the project's own modules
    (plugins/typography): parsed files are kept made with it."""
    paths = []
    for name in sorted(name for name in names if isinstance(name, str)):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):  # Markdown says which when it loads them
            continue
        origin = spec and spec.origin
        if origin and origin.endswith(".py") and not kept.installed_library(origin):
            paths.append(origin)
    return kept.source_digest(*paths)


def cache_path(output_path, lang, settings):
    """Where a language's run keeps its cache: beside the output, never in it.

    Caches made with other settings are removed.
    """
    folder = os.path.join(os.path.normpath(output_path) + ".cache", lang)
    current = cache_fingerprint(settings)
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if name != current:
                shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
    return os.path.join(folder, current)


def other_languages(settings):
    return [lang for lang in settings["LANGUAGES"] if lang != settings["SITE_DEFAULT_LANG"]]


def subsite_settings(settings, lang, output_path):
    sub = dict(settings)
    sub.update(settings["I18N_LANG_SETTINGS"][lang])
    sub["I18N_SUBSITE"] = True
    sub["OUTPUT_PATH"] = output_path
    sub["CACHE_PATH"] = cache_path(settings["OUTPUT_PATH"], lang, sub)
    # The theme's files are copied once, by the default language's run.
    sub["THEME_STATIC_PATHS"] = []
    sub["STATIC_CHECK_IF_MODIFIED"] = True
    return sub


# What exchange_parsed sends without waiting: a pipe takes 64 KB at once.
QUICK_BATCH = 16 * 1024


def _read_and_leave(connection):
    with contextlib.suppress(EOFError, OSError):  # that process stopped: finish() says so
        connection.recv_bytes()


def can_fork():
    return "fork" in multiprocessing.get_all_start_methods()


class Workers:
    """The other languages' processes of one build, started by the default language."""

    def __init__(self):
        self.running = []  # (lang, process, connection)
        self.unread = None  # the thread reading what exchange_parsed leaves

    def start(self, settings, output_path):
        context = multiprocessing.get_context("fork")
        for lang in other_languages(settings):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_language_process,
                args=(subsite_settings(settings, lang, output_path), ours, theirs),
                name=f"pelican-{lang}",
                daemon=True,  # stopped with the default language's process, whatever happens
            )
            process.start()
            theirs.close()
            self.running.append((lang, process, ours))

    def exchange_parsed(self, generator):
        """Parse this language's files, then swap them for the other languages' (reading.py).

        Each other language's process sends its files first and then waits
        for the others', so no two processes wait on each other.

        With one other language whose files this process's cache holds as
        they are (a rebuild), this one has nothing to wait for: it sends
        what it parsed (a few files, which the pipe takes at once) and goes
        on reading, while that process starts; what it sends back is read
        on the side and left (``unread``).
        """
        own_lang = generator.settings["DEFAULT_LANG"]
        stale = reading.files_to_parse(generator, every_language=len(self.running) == 1)
        own = reading.parse_own_files(generator, stale.pop(own_lang, []))
        if len(self.running) == 1 and not stale and len(own) <= QUICK_BATCH:
            connection = self.running[0][2]
            connection.send([own])
            self.unread = threading.Thread(target=_read_and_leave, args=(connection,))
            self.unread.start()
            return
        batches = {own_lang: own}
        for lang, _, connection in self.running:
            try:
                batches[lang] = connection.recv_bytes()
            except EOFError:  # that process stopped; finish() says so
                continue
        for lang, _, connection in self.running:
            try:
                connection.send([data for other, data in batches.items() if other != lang])
            except OSError:
                continue
        for lang, data in batches.items():
            if lang != own_lang:
                reading.receive(data, generator.settings)

    def release(self, unproduced_until):
        """The default language's checks passed: the others may write (and
        tell the files this build produces by staging.unproduced_until)."""
        self.read_what_was_left()
        for _, _, connection in self.running:
            connection.send((GO, unproduced_until))

    def read_what_was_left(self):
        if self.unread is not None:
            self.unread.join()
            self.unread = None

    def finish(self):
        """Wait for every other language; their results, or LanguageBuildError."""
        self.read_what_was_left()
        results, failed = [], []
        for lang, process, connection in self.running:
            try:
                results.append(connection.recv())
            except EOFError:
                failed.append(lang)
            process.join()
            if process.exitcode != 0 and lang not in failed:
                failed.append(lang)
            connection.close()
        self.running = []
        if failed:
            print(f"The build of {', '.join(failed)} stopped: see above.", file=sys.stderr)
            raise LanguageBuildError(1)
        return results

    def stop(self):
        for _, process, connection in self.running:
            process.terminate()
            process.join()
            connection.close()
        self.running = []


def _language_process(settings, ours, theirs):
    """In a language's own process: build it, then hand back the results."""
    global to_default_language
    ours.close()
    to_default_language = theirs
    try:
        pelican = Pelican(settings)
        pelican.run()
        results = {}
        collect_results.send(pelican, results=results)
        theirs.send(results)
    except SystemExit as stop:  # a BuildStopped has printed its problems already
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(stop.code if isinstance(stop.code, int) and stop.code else 1)
    except BaseException:  # noqa: BLE001 - reported here, seen by the parent as a failure
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    sys.stdout.flush()
    sys.stderr.flush()


def _from_default_language():
    try:
        return to_default_language.recv()
    except EOFError:
        # The default language's run stopped (a problem, CHECK_ONLY): quietly stop too.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def exchange_with_default_language(generator):
    """In a language's own process: send the files parsed here, take the others'."""
    if to_default_language is None:
        return
    to_default_language.send_bytes(reading.parse_own_files(generator))
    for data in _from_default_language():
        reading.receive(data, generator.settings)


def wait_for_go():
    """In a language's own process: write nothing until the default language
    says so; what it sent with its go (staging.unproduced_until)."""
    message = _from_default_language()
    if not (isinstance(message, tuple) and message[0] == GO):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return message[1]


def build_other_languages(settings, output_path):
    """The other languages, one after the other, in this process."""
    for lang in other_languages(settings):
        Pelican(subsite_settings(settings, lang, output_path)).run()
