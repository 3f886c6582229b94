"""Each Markdown file parsed once per build, by the process of its language.

Every language's run needs every content file: its own language's to write,
the others' for alternates, fallbacks and the checks. When the languages
build side by side (build.py), each process parses only the articles in its
own language (files named ``<name>.<lang>.md``; files without a known
language belong to the default language), sends what it parsed to the
others and takes theirs in exchange. Pelican then reads every file as usual:
its Markdown reader returns the exchanged result instead of parsing the
file again, so what a run sees is exactly what it would have parsed itself.

A file that a process did not receive (it failed to parse, or the exchange
did not happen) is simply parsed by that process, so errors are reported as
they always were. Files unchanged since the last build are not parsed at
all: Pelican's reader cache has them (CACHE_CONTENT in pelicanconf.py).
"""

import contextlib
import copyreg
import io
import logging
import os
import pickle
import re
import time

from markdown import Markdown
from markdown.preprocessors import Preprocessor
from pelican.readers import MarkdownReader
from pelican.urlwrappers import URLWrapper
from pelican.utils import SafeDatetime, pelican_open

from incremental import kept
from incremental.kept import RECENT_NS, file_status

logger = logging.getLogger(__name__)

# Parsed files received from the other languages' processes, and the stamps
# those took before parsing them, by absolute path; emptied at the start of
# every run (see ``start_run``).
received = {}
received_stamps = {}
SETTINGS_ID = "settings"


def start_run():
    received.clear()
    received_stamps.clear()


class ExchangedMarkdownReader(MarkdownReader):
    """Pelican's Markdown reader, but a file another language has parsed is not parsed again.

    It also keeps its Markdown converters from one file to the next (reset
    in between, as Markdown allows) instead of building new ones for every
    file, which costs about as much as parsing a short article.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self._documents = self._fields = None

    def read(self, source_path):
        exchanged = received.pop(source_path, None)
        if exchanged is not None:
            return exchanged
        if self._documents is None:
            self._documents = Markdown(**self.settings["MARKDOWN"])
            self._fields = Markdown(**self.settings["MARKDOWN"])
        self._source_path = source_path
        self._md = self._documents.reset()
        with pelican_open(source_path) as text:
            content = self._md.convert(text)
        meta = getattr(self._md, "Meta", None)
        if meta is None:
            return content, {}
        # Pelican converts formatted fields (Summary) with self._md after taking
        # its "meta" preprocessor away: hand it the second converter, with a
        # "meta" entry to take away (it is never run).
        self._md = self._fields
        if "meta" not in self._fields.preprocessors:
            self._fields.preprocessors.register(_Unused(), "meta", 0)
        return content, self._parse_metadata(meta)

    def process_metadata(self, name, value):
        # Pelican reads every date with dateutil, about 0.2 ms each, twice per
        # news file (its name and its Date line); plain ISO dates need no guessing.
        if name in ("date", "modified") and isinstance(value, str):
            text = value.replace("_", " ") if name == "date" else value
            if ISO_DATE.fullmatch(text):
                try:
                    return SafeDatetime.fromisoformat(text)
                except ValueError:  # 2026-02-30: Pelican's own message says why
                    pass
        return super().process_metadata(name, value)


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?::\d{2})?)?")


class _Unused(Preprocessor):
    def run(self, lines):  # pragma: no cover - removed before any conversion
        return lines


def use_exchanged_reader(readers):
    for extension in MarkdownReader.file_extensions:
        if readers.reader_classes.get(extension) is MarkdownReader:
            readers.reader_classes[extension] = ExchangedMarkdownReader
    _keep_the_cache_apart_from_the_settings(readers)
    _save_cache_only_when_changed(readers)
    _stamp_files_by_status(readers)


CACHE_APART = ".without-settings"  # beside Pelican's own cache file


def _keep_the_cache_apart_from_the_settings(readers):
    """Pelican pickles its reader cache whole, with the settings that every
    tag and category holds: the site's data went into each language's
    cache (10,000 records at the benchmark's size, unpickled at every build,
    a third of the cache's reading time). The cache is kept in a file of its
    own instead, the settings left out as for the exchange between
    languages (pack, unpack): this run's tags and categories get this run's
    settings. Pelican's own file is no longer written, and removed.

    It is read when first asked (Pelican sets its cache up after this
    signal), after the languages' processes have started.
    """
    settings = readers.settings
    cached, loaded = readers.get_cached_data, []

    def load():
        loaded.append(True)
        if not (readers._cache_data_policy and settings.get("LOAD_CONTENT_CACHE")):
            return
        try:
            with open(readers._cache_path + CACHE_APART, "rb") as handle:
                found = _Unpickler(handle, settings).load()
        except kept.UNREADABLE:  # none yet, or damaged: files are parsed again
            return
        if isinstance(found, dict):
            readers._cache = {**readers._cache, **found}

    def get_cached_data(filename, default=None):
        if not loaded:
            load()
        return cached(filename, default)

    def save_cache():
        if not loaded:
            load()
        if not readers._cache_data_policy:
            return
        if not readers.i18n_cache_changed and not os.path.exists(readers._cache_path):
            return  # nothing new, and the cache is already kept apart
        path = readers._cache_path + CACHE_APART
        temporary = f"{path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(temporary, "wb") as handle:
                _Pickler(handle, settings).dump(readers._cache)
            os.replace(temporary, path)
        except (OSError, pickle.PicklingError, TypeError) as error:
            logger.warning("Could not keep the content cache in %s: %s", path, error)
            with contextlib.suppress(OSError):
                os.remove(temporary)
        with contextlib.suppress(OSError):  # written by an earlier version
            os.remove(readers._cache_path)

    readers.get_cached_data = get_cached_data
    readers.save_cache = save_cache


def _save_cache_only_when_changed(readers):
    """Pelican writes its whole reader cache again at the end of every run
    (11 MB at 2,000 articles a language), even when every file came from it:
    ``i18n_cache_changed`` says whether a file was parsed and cached."""
    cache_data = readers.cache_data
    readers.i18n_cache_changed = False

    def cache_and_note(path, data):
        readers.i18n_cache_changed = True
        cache_data(path, data)

    readers.cache_data = cache_and_note


def _stamp_files_by_status(readers):
    """Stamp each file once per run, before it is read, by its status.

    Pelican tells a file changed since its cache by its SHA-1
    (CHECK_MODIFIED_METHOD), reading every content file on every build,
    and stamps a file it parsed after parsing it: an edit saved in between
    was cached with the older text. Here a file is stamped the first time
    the run looks at it, before reading, by its inode, size, modification
    and change times (tools that put a modification time back still move
    the change time). A file changed within RECENT_NS of that moment could
    change again within the clock's tick, unseen: it is stamped by its
    content, which the next build's stamp cannot match, so it is read again.
    A file another language's process parsed keeps the stamp that process
    took before parsing it.
    """
    if os.name == "nt":  # st_ctime is the creation time there: keep the SHA-1
        return
    by_content = readers._get_file_stamp  # warns and returns "" if it cannot
    taken = {}

    def stamp(path):
        known = taken.get(path)
        if known is None:
            known = taken[path] = received_stamps.get(path) or _stamp_now(path, by_content)
        return known

    readers._get_file_stamp = stamp
    readers.i18n_stamps = taken


def _stamp_now(path, by_content):
    status = file_status(path)
    if status is None:
        return by_content(path)
    _, _, modified, changed = status
    if time.time_ns() - max(modified, changed) < RECENT_NS:
        return ("content", by_content(path))
    return status


def skip_generator_cache(generator):
    """With the cache kept by the readers (CONTENT_CACHING_LAYER "reader"),
    a generator's own cache is always empty, yet Pelican still hashes every
    file twice to look in it and to fill it, then throws that away."""
    if generator.settings.get("CONTENT_CACHING_LAYER") != "reader":
        return
    if hasattr(generator, "get_cached_data"):
        generator.get_cached_data = lambda filename, default=None: default
        generator.cache_data = lambda filename, data: None


def filename_lang(path, settings):
    """The language a file's name gives (``notizie/x.en.md`` → ``en``), or None."""
    pattern = settings.get("FILENAME_METADATA")
    match = re.match(pattern, os.path.splitext(os.path.basename(path))[0]) if pattern else None
    return match.groupdict().get("lang") if match else None


def owner(path, settings):
    """The language whose process parses ``path``."""
    lang = filename_lang(path, settings)
    return lang if lang in settings["LANGUAGES"] else settings["SITE_DEFAULT_LANG"]


def files_to_parse(generator, every_language=False):
    """{language: [path]}: the article files Pelican's cache does not already
    hold, by the language whose process parses them; only this language's
    unless ``every_language``."""
    settings = generator.settings
    lang = settings["DEFAULT_LANG"]
    readers = generator.readers
    paths = {}
    for relative in sorted(
        generator.get_files(settings["ARTICLE_PATHS"], exclude=settings["ARTICLE_EXCLUDES"])
    ):
        path = os.path.abspath(os.path.join(generator.path, relative))
        reader = readers.readers.get(os.path.splitext(path)[1][1:])
        parsed_by = owner(path, settings)
        if not isinstance(reader, ExchangedMarkdownReader):
            continue
        if parsed_by != lang and not every_language:
            continue
        if readers.get_cached_data(path, None) is None:
            paths.setdefault(parsed_by, []).append(path)
    return paths


def parse_own_files(generator, paths=None):
    """Parse this language's files (``paths``, by default those
    files_to_parse finds), keep them for this run, and pack them for the
    others.

    Files that fail to parse are left out: Pelican reads them again and
    reports the error.
    """
    readers = generator.readers.readers
    stamps = getattr(generator.readers, "i18n_stamps", {})
    if paths is None:
        paths = files_to_parse(generator).get(generator.settings["DEFAULT_LANG"], [])
    parsed = {}
    for path in paths:  # stamped by files_to_parse, before parsing
        try:
            parsed[path] = readers[os.path.splitext(path)[1][1:]].read(path)
        except Exception:  # noqa: BLE001 - reported when Pelican reads it
            continue
    received.update(parsed)
    return pack(
        {path: (stamps.get(path), result) for path, result in parsed.items()}, generator.settings
    )


# Metadata holds Pelican objects (tags, categories) that keep the settings of
# the run that made them (or a copy, read from an older cache), and each
# language has its own URL settings: they travel without them and take the
# receiving run's settings on arrival.


class _Pickler(pickle.Pickler):
    def __init__(self, file, settings):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.settings = settings

    def persistent_id(self, obj):
        return SETTINGS_ID if obj is self.settings else None

    def reducer_override(self, obj):
        if isinstance(obj, URLWrapper):  # whatever settings it holds: the run's
            return copyreg.__newobj__, (type(obj),), {**vars(obj), "settings": self.settings}
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, settings):
        super().__init__(file)
        self.settings = settings

    def persistent_load(self, pid):
        if pid != SETTINGS_ID:
            raise pickle.UnpicklingError(f"unknown reference {pid!r}")
        return self.settings


def pack(parsed, settings):
    buffer = io.BytesIO()
    _Pickler(buffer, settings).dump(parsed)
    return buffer.getvalue()


def unpack(data, settings):
    return _Unpickler(io.BytesIO(data), settings).load()


def receive(data, settings):
    for path, (stamp, result) in unpack(data, settings).items():
        received[path] = result
        if stamp is not None:
            received_stamps[path] = stamp
