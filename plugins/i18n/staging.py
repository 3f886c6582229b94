"""The output folder, and the folder the next build is written into.

A build writes into a staging folder beside the output folder. When every
language is written and checked, the two folders swap places in three
renames, so what a build that stopped half-way wrote is never served.

The folder the output replaces is kept as the next build's staging folder.
Writing a site of thousands of pages into a new folder means making
thousands of folders and files, which on a slow disk takes longer than
rendering them; in a kept folder, a file whose bytes did not change is only
touched, and the others are written over.

What a build does not write is stale. At the start, ``Staging`` notes the
inode and change time of every file already in the staging folder (in a
thread, while the build reads its content; writing waits for the notes);
writing or touching a file changes its change time, so a file whose note
still holds at the end was not produced by this build, and ``sweep``
deletes it.

Rules for code that writes into the staging folder (docs/architecture.md):

- Produce every file the site needs on every build: write it, or touch it
  when it is unchanged (``write_bytes``, ``copy_file``, ``copy_tree``,
  ``keep``). Touching moves a file's change time, not its modification
  time, which says when its bytes last changed: the search surveys trust it.
- Never hard-link a file into the staging folder: writing in place through
  a link would change the published file too. (``write_bytes`` and
  ``copy_file`` replace a linked file, left by older builds, instead of
  writing through it.)
"""

import contextlib
import errno
import filecmp
import io
import os
import shutil
import subprocess
import sys
import threading
import time

from pelican import utils as pelican_utils
from pelican.generators import StaticGenerator
from pelican.writers import FileOverwriteFailedError, Writer

from site_data.problems import Problem, abort, relative

from .notes import file_notes_elsewhere

try:
    import fcntl
except ImportError:  # Windows: builds are not serialised and no spare folder is made
    fcntl = None


def staging_path(output_path):
    return os.path.normpath(output_path) + ".staging"


def lock_path(output_path):
    return os.path.normpath(output_path) + ".cache/publishing.lock"


class Staging:
    """The staging folder of one build, from its start until it is published.

    It holds a lock beside the output until then, so that two builds of the
    same output, or a build and the copy made after a first build, take
    turns.
    """

    def __init__(self, output_path):
        self.output = os.path.normpath(output_path)
        self.path = staging_path(output_path)
        self._lock = _locked(lock_path(output_path))
        # The notes may be taken while the build reads its content
        # (start_noting); anything written into the staging folder first
        # waits for them.
        self._before = self._noting_failed = None
        # Files changed no later than this (ns) were not produced by this
        # build: anything written or touched after the notes changes later
        # (_wait_for_the_clock). None when it cannot be told.
        self.unproduced_until = None
        self._noting = threading.Thread(target=self._take_notes, name="staging-notes")
        _unnoted.add(self)
        self.kept_trees = set()  # folders produced as they are (keep_tree)
        _writing.append(self)

    def start_noting(self):
        if self._noting.ident is None:
            self._noting.start()

    def _take_notes(self):
        try:
            notes = _file_notes(self.path)
            newest = _wait_for_the_clock(notes)
            # Not on Windows, where st_ctime is when a file was made, not
            # last changed; nor when a file is dated in the future.
            if os.name != "nt" and newest <= time.time_ns():
                self.unproduced_until = newest
            self._before = notes
        except BaseException as error:  # noqa: BLE001 - raised where the notes are needed
            self._noting_failed = error

    def notes_taken(self):
        """Wait until every file already in the staging folder is noted.

        Call it before letting another process write there (writing in
        this process waits by itself).
        """
        self.start_noting()
        self._noting.join()
        _unnoted.discard(self)
        failed = self._noting_failed
        if isinstance(failed, OSError):  # an unreadable staging folder: say which
            abort([cannot_read(failed.filename or self.path, failed)])
        if failed is not None:
            raise failed
        return self._before

    def sweep(self, suffix=None):
        """Delete what this build did not write, and the folders left empty.

        With ``suffix`` (".html"), only the files whose names end so: the
        pages a build did not produce go before the site-wide files are
        made from the pages there (search indexes); the rest at the end.
        """
        emptied = set()
        kept = tuple(folder + os.sep for folder in self.kept_trees)
        notes = self.notes_taken()
        for path, note in list(notes.items()):
            if suffix is not None:
                if not path.endswith(suffix):
                    continue
                del notes[path]  # settled: the sweep at the end need not look again
            if kept and path.startswith(kept):
                continue
            try:
                if _note(path) != note:
                    continue
            except FileNotFoundError:
                continue
            os.remove(path)
            emptied.add(os.path.dirname(path))
        # Deepest first, so that a folder's own folders are gone before it.
        for folder in sorted(emptied, key=len, reverse=True):
            _remove_if_empty(folder, self.path)

    def publish(self):
        """Swap the staging folder in place of the output folder.

        The previous output becomes the next build's staging folder. After a
        first build there is none: a process of its own copies the new
        output to make one, while the site is being looked at.
        """
        if os.path.isdir(self.output):
            retired = f"{self.output}.previous-{os.getpid()}"
            shutil.rmtree(retired, ignore_errors=True)
            os.rename(self.output, retired)
            try:
                os.rename(self.path, self.output)
            except OSError:
                os.rename(retired, self.output)
                raise
            try:
                os.rename(retired, self.path)
            except OSError:
                delete_in_background(retired)
        else:
            os.rename(self.path, self.output)
            if self._lock is not None:
                _in_background(SPARE_COPY, self.output, self.path, lock_path(self.output))
        self.release()

    def release(self):
        if self._noting.ident is not None:
            self._noting.join()
        _unnoted.discard(self)
        if self in _writing:
            _writing.remove(self)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _locked(path):
    if fcntl is None:
        return None
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle = open(path, "a")  # noqa: SIM115 - held until the build is published
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def _note(path):
    stat = os.stat(path)
    return stat.st_ino, stat.st_ctime_ns


# Change times come from a clock that ticks every few milliseconds: a file
# noted and then written within one tick would seem untouched.
CLOCK_TICK_NS = 20_000_000


def _wait_for_the_clock(notes):
    """Wait until a file changed now gets a later change time than any noted;
    the newest change time noted."""
    newest = max((changed for _, changed in notes.values()), default=0)
    # At most one tick: a file dated in the future (the clock was set back) says nothing.
    wait = min(newest + CLOCK_TICK_NS - time.time_ns(), CLOCK_TICK_NS)
    if wait > 0:
        time.sleep(wait / 1e9)
    return newest


# The notes are taken by a process of their own (notes.py); a test stands in here.
_file_notes = file_notes_elsewhere


# The first build's spare staging folder: a copy of the output, made once
# the build has let go of the lock, and put in place only if no build has
# made a staging folder of its own meanwhile.
SPARE_COPY = """
import fcntl, os, shutil, sys
output, staging, lock = sys.argv[1:]
part = staging + ".part"
with open(lock, "a") as handle:
    fcntl.flock(handle, fcntl.LOCK_EX)
    if os.path.isdir(output) and not os.path.exists(staging):
        shutil.rmtree(part, ignore_errors=True)
        try:
            shutil.copytree(output, part, copy_function=shutil.copyfile)
            os.rename(part, staging)
        except OSError:
            shutil.rmtree(part, ignore_errors=True)
"""

DELETE = "import shutil, sys; shutil.rmtree(sys.argv[1], True)"


def delete_in_background(path):
    _in_background(DELETE, path)


def _in_background(script, *args):
    subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


# Writing ------------------------------------------------------------------

# Builds whose notes are not all taken yet: nothing may be written before.
_unnoted = set()
# Builds writing their staging folder in this process (it sweeps and publishes it).
_writing = []
if hasattr(os, "register_at_fork"):  # a language's process leaves these to its parent
    os.register_at_fork(after_in_child=_unnoted.clear)
    os.register_at_fork(after_in_child=_writing.clear)


def _wait_for_notes():
    for staging in list(_unnoted):
        staging.notes_taken()


def keep(path, stat=None):
    """``path`` is produced by this build as it already is.

    Its change time moves (the sweep sees it), its modification time stays:
    it still says when its bytes last changed (the search surveys, and any
    server's Last-Modified, go by it).
    """
    if _unnoted:
        _wait_for_notes()
    stat = stat or os.stat(path)
    try:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    except PermissionError:  # setting times takes owning the file; touching, writing it
        os.utime(path)  # its new modification time only makes a survey read it again


def write_bytes(path, data):
    """Write ``data`` to ``path``, or only touch it when it already holds them."""
    if _unnoted:
        _wait_for_notes()
    with _reported(path):
        try:
            with open(path, "rb") as handle:
                found = os.fstat(handle.fileno())
                if found.st_size == len(data) and handle.read() == data:
                    keep(path, found)
                    return
                shared = found.st_nlink > 1
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        else:
            if shared:
                os.remove(path)
        _write_new(path, data)


def _write_new(path, data):
    with open(path, "wb") as handle:
        handle.write(data)


def copy_file(source, target):
    """Copy ``source`` to ``target``, or only touch ``target`` when it is the same."""
    if _unnoted:
        _wait_for_notes()
    with _reported(target):
        if os.path.isfile(target) and filecmp.cmp(source, target, shallow=False):
            keep(target)
            return
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.exists(target):
            os.remove(target)  # it may be a link to a published file
        shutil.copyfile(source, target)


@contextlib.contextmanager
def _reported(path):
    """A file the build cannot write (a full disk, say) stops it with a
    report an editor can act on, not a traceback; ``output/`` stays as it was."""
    try:
        yield
    except OSError as error:
        abort([cannot_write(path, error)])


def cannot_write(path, error):
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        message = "could not be written: the disk is full"
        fix = (
            "free some space, then build again; the site takes twice its size "
            "on disk, in output/ and in its staging folder"
        )
    else:
        message = f"could not be written: {error.strerror or error}"
        fix = "check that the folder can be written to and has room, then build again"
    return Problem(_as_shown(path), message=message, fix=fix)


def _as_shown(path):
    """As the editor sees it: from the project, unless it is outside."""
    shown = relative(path)
    return path if shown.startswith(os.pardir) else shown


def report_static_copy_errors(generator):
    """Pelican copies the theme's and the content's static files with its
    own code, and only warns about a file it could not copy: the site
    would be published without it, or with half of it on a full disk.
    Such a file stops the build with the usual report instead."""
    if not isinstance(generator, StaticGenerator):
        return
    generate_output = generator.generate_output

    def generate_output_reported(writer):
        copy_file = pelican_utils.copy_file
        pelican_utils.copy_file = shutil.copyfile  # raises instead of warning
        try:
            generate_output(writer)
        except OSError as error:
            output = os.path.abspath(generator.output_path)
            where = os.path.abspath(error.filename) if error.filename else output
            if where != output and not where.startswith(output + os.sep):
                abort([cannot_read(where, error)])
            abort([cannot_write(where, error)])
        finally:
            pelican_utils.copy_file = copy_file

    generator.generate_output = generate_output_reported


def cannot_read(path, error):
    return Problem(
        _as_shown(path),
        message=f"could not be read: {error.strerror or error}",
        fix="check that the file exists and can be read, then build again",
    )


def keep_tree(folder):
    """Every file under ``folder`` is produced by this build as it is.

    In the process that sweeps the staging folder, the sweep is told to
    leave the folder alone (a search bundle has thousands of files to
    touch); in a language's own process, the folder is handed over to it
    with the process's results (``kept_trees``); elsewhere each file is
    touched.
    """
    folder = os.path.normpath(folder)
    for build in _writing:
        if folder.startswith(build.path + os.sep):
            build.kept_trees.add(folder)
            return
    if handing_over:
        kept_trees.add(folder)
        return
    for parent, _, names in os.walk(folder):
        for name in names:
            keep(os.path.join(parent, name))


# True in a language's own process: the folders it keeps whole go to the
# sweeping process with its results.
handing_over = False
kept_trees = set()


def remove_unproduced(path, top):
    """Delete a file this build did not produce now rather than at the sweep,
    and the folders it leaves empty, up to ``top`` (the staging folder)."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
    _remove_if_empty(os.path.dirname(path), top)


def _remove_if_empty(folder, top):
    """Remove ``folder`` and the folders above it, up to ``top``, while empty."""
    top = os.path.normpath(top) + os.sep
    while folder.startswith(top):
        try:
            os.rmdir(folder)
        except OSError:  # not empty: nor are the folders above it
            break
        folder = os.path.dirname(folder)


# In every language's process once it writes: what Staging.unproduced_until
# says for this build (files changed no later were not produced by it), or None.
unproduced_until = None


def copy_tree(source, target):
    """Make ``target`` hold the files of ``source``, written only where they differ.

    Files of ``target`` that ``source`` lacks are left for ``Staging.sweep``.
    """
    for parent, _, names in os.walk(source):
        for name in names:
            path = os.path.join(parent, name)
            with open(path, "rb") as handle:
                data = handle.read()
            write_bytes(os.path.join(target, os.path.relpath(path, source)), data)


class StagingWriter(Writer):
    """Pelican's writer, with unchanged files touched instead of written."""

    @contextlib.contextmanager
    def _open_w(self, filename, encoding, override=False):
        # Pelican's own bookkeeping: one write per file, or one override.
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{filename}" a second time (was previously overwritten)'
                )
            yield io.StringIO()
            return
        if filename in self._written_files and not override:
            raise FileOverwriteFailedError(
                f'Failed to overwrite "{filename}" as Pelican has already written to it '
                "previously (set `override=True` if intended)"
            )
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        text = _Text()
        yield text
        if text.already_staged:
            with _reported(filename):
                keep(filename)
        else:
            write_bytes(filename, text.getvalue().encode(encoding))


class AlreadyStaged(str):
    """What a template renders for a page whose file in the staging folder
    already holds it (incremental.Run): the writer only keeps the file."""


class _Text(io.StringIO):
    """Where Pelican's writer puts a file's text (feeds write to it as a stream)."""

    already_staged = False

    def write(self, text):
        self.already_staged = type(text) is AlreadyStaged and not self.tell()
        return super().write(text)


# Features other plugins add to the site's writer (feeds: absolute links).
writer_features = []


def add_writer_feature(mixin):
    if mixin not in writer_features:
        writer_features.append(mixin)


def site_writer():
    return type("SiteWriter", (*writer_features, StagingWriter), {})
