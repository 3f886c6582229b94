"""The staging folder: unchanged files touched, stale ones swept, links never written through."""

import errno
import os
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest
from pelican.writers import FileOverwriteFailedError

import i18n
from i18n import staging
from i18n.staging import Staging, StagingWriter, copy_file, write_bytes
from site_data.problems import BuildStopped


def test_unchanged_bytes_are_touched_and_changed_ones_written(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(b"same")
    os.utime(page, ns=(0, 0))
    before = page.stat()
    time.sleep(0.05)  # change times come from a coarse clock

    write_bytes(str(page), b"same")
    assert page.read_bytes() == b"same"
    after = page.stat()
    assert after.st_ino == before.st_ino
    assert after.st_ctime_ns > before.st_ctime_ns  # touched
    assert after.st_mtime_ns == 0  # its bytes did not change

    write_bytes(str(page), b"changed")
    assert page.read_bytes() == b"changed"

    write_bytes(str(tmp_path / "new" / "folder" / "page.html"), b"new")
    assert (tmp_path / "new" / "folder" / "page.html").read_bytes() == b"new"


def test_a_file_linked_from_the_published_site_is_not_written_through(tmp_path):
    published = tmp_path / "published.html"
    published.write_bytes(b"published")
    staged = tmp_path / "staged.html"
    os.link(published, staged)

    write_bytes(str(staged), b"the next build")
    assert staged.read_bytes() == b"the next build"
    assert published.read_bytes() == b"published"


def test_the_sweep_removes_what_the_build_did_not_write(tmp_path):
    output = tmp_path / "output"
    staging = tmp_path / "output.staging"
    for name in ("kept.html", "rewritten.html", "old/stale.html", "old/deeper/stale.html"):
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_bytes(b"before")

    build = Staging(str(output))
    try:
        write_bytes(str(staging / "kept.html"), b"before")
        write_bytes(str(staging / "rewritten.html"), b"after")
        write_bytes(str(staging / "new" / "page.html"), b"new")
        build.sweep()
    finally:
        build.release()

    found = sorted(
        os.path.relpath(os.path.join(folder, name), staging)
        for folder, _, names in os.walk(staging)
        for name in names
    )
    assert found == ["kept.html", os.path.join("new", "page.html"), "rewritten.html"]
    assert not (staging / "old").exists()


def test_the_writer_still_refuses_to_write_a_file_twice(tmp_path):
    writer = StagingWriter(str(tmp_path), settings={})
    target = str(tmp_path / "page.html")
    with writer._open_w(target, "utf-8") as handle:
        handle.write("première")
    assert (tmp_path / "page.html").read_text(encoding="utf-8") == "première"
    with pytest.raises(FileOverwriteFailedError), writer._open_w(target, "utf-8"):
        pass
    with writer._open_w(target, "utf-8", override=True) as handle:
        handle.write("seconde")
    assert (tmp_path / "page.html").read_text(encoding="utf-8") == "seconde"


def test_a_copied_file_replaces_a_link_instead_of_writing_through_it(tmp_path):
    published = tmp_path / "published.zip"
    published.write_bytes(b"published")
    staged = tmp_path / "staged.zip"
    os.link(published, staged)
    source = tmp_path / "source.zip"
    source.write_bytes(b"the next build")

    copy_file(str(source), str(staged))
    assert staged.read_bytes() == b"the next build"
    assert published.read_bytes() == b"published"


def test_a_swap_that_fails_puts_the_output_back(tmp_path):
    output = tmp_path / "output"
    output.mkdir()
    (output / "index.html").write_bytes(b"published")
    build = Staging(str(output))  # no staging folder was ever written
    with pytest.raises(FileNotFoundError):
        build.publish()
    build.release()
    assert (output / "index.html").read_bytes() == b"published"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["output", "output.cache"]


def test_after_a_first_build_the_output_is_copied_to_be_the_next_staging_folder(tmp_path):
    output = tmp_path / "output"
    build = Staging(str(output))
    write_bytes(str(tmp_path / "output.staging" / "news" / "index.html"), b"first build")
    build.sweep()
    build.publish()

    staging = tmp_path / "output.staging"
    deadline = time.monotonic() + 60
    while not staging.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    copy, published = staging / "news" / "index.html", output / "news" / "index.html"
    assert copy.read_bytes() == published.read_bytes() == b"first build"
    assert copy.stat().st_ino != published.stat().st_ino  # a copy, never a link
    assert not (tmp_path / "output.staging.part").exists()


def test_an_unchanged_file_keeps_its_modification_time_and_is_seen_as_written(tmp_path):
    output = tmp_path / "output"
    page = tmp_path / "output.staging" / "page.html"
    page.parent.mkdir()
    page.write_bytes(b"same")
    os.utime(page, ns=(1_000_000_000, 1_000_000_000))
    build = Staging(str(output))
    try:
        write_bytes(str(page), b"same")
        build.sweep()
    finally:
        build.release()
    assert page.read_bytes() == b"same"  # touched: not swept
    assert page.stat().st_mtime_ns == 1_000_000_000


def test_a_run_that_stopped_half_way_lets_the_next_one_take_the_lock(tmp_path):
    """`pelican --autoreload` runs again in the same process: a run that
    stopped before publishing still holds the lock, which the next must get."""

    def run():
        return SimpleNamespace(settings={"OUTPUT_PATH": str(tmp_path / "output")}, output_path=None)

    i18n.stage_output(run())  # then stops half-way: no publish, no release
    second = run()
    started = threading.Thread(target=i18n.stage_output, args=(second,), daemon=True)
    started.start()
    started.join(timeout=30)
    try:
        assert not started.is_alive(), "the second run waits for the first one's lock"
        assert second.output_path == str(tmp_path / "output.staging")
    finally:
        if i18n.current_staging is not None:
            i18n.current_staging.release()
            i18n.current_staging = None


def test_a_file_the_build_may_write_but_not_date_is_still_touched(tmp_path, monkeypatch):
    """Setting a file's times takes owning it; touching it, only writing it."""
    import i18n.staging as staging

    page = tmp_path / "page.html"
    page.write_bytes(b"same")
    os.utime(page, ns=(0, 0))
    before = page.stat()
    time.sleep(0.05)
    utime = os.utime

    def not_the_owner(path, times=None, *, ns=None):
        if times is not None or ns is not None:
            raise PermissionError(1, "Operation not permitted", path)
        utime(path)

    monkeypatch.setattr(staging.os, "utime", not_the_owner)
    write_bytes(str(page), b"same")
    assert page.stat().st_ctime_ns > before.st_ctime_ns
    assert page.read_bytes() == b"same"


def test_a_failure_while_noting_the_staging_folder_stops_the_build_before_publishing(
    tmp_path, monkeypatch, capsys
):
    """The notes are taken in a thread; its failure stops the build where
    they are needed (before writing, and in the sweep), with a report."""

    def unreadable(root):
        raise OSError(errno.EIO, "Input/output error", root)

    monkeypatch.setattr(staging, "_file_notes", unreadable)
    output = tmp_path / "output"
    output.mkdir()
    (output / "index.html").write_bytes(b"published")
    build = Staging(str(output))
    build.start_noting()
    try:
        with pytest.raises(BuildStopped):
            write_bytes(str(tmp_path / "output.staging" / "index.html"), b"new")
        with pytest.raises(BuildStopped):
            build.sweep()
    finally:
        build.release()
    report = " ".join(capsys.readouterr().err.split())
    assert "output.staging: could not be read: Input/output error" in report
    assert "nothing was written to the output folder" in report
    assert not (tmp_path / "output.staging" / "index.html").exists()
    assert (output / "index.html").read_bytes() == b"published"
    Staging(str(output)).release()  # the lock was let go


def test_the_spare_copy_waits_for_the_next_build_and_leaves_its_staging_folder(
    tmp_path, monkeypatch
):
    started = []
    monkeypatch.setattr(staging, "_in_background", lambda *command: started.append(command))
    output = tmp_path / "output"
    first = Staging(str(output))
    write_bytes(str(tmp_path / "output.staging" / "index.html"), b"first build")
    first.sweep()
    first.publish()
    [(script, *arguments)] = started
    assert script == staging.SPARE_COPY

    # The next build got the lock first and is writing its own staging folder.
    second = Staging(str(output))
    page = tmp_path / "output.staging" / "index.html"
    write_bytes(str(page), b"second build")
    copying = subprocess.Popen([sys.executable, "-c", script, *arguments])
    try:
        time.sleep(0.5)
        assert copying.poll() is None  # waiting for the lock
        assert not (tmp_path / "output.staging.part").exists()
        second.sweep()
        second.publish()
        assert copying.wait(timeout=30) == 0
    finally:
        copying.kill()
    assert (output / "index.html").read_bytes() == b"second build"
    assert page.read_bytes() == b"first build"  # the output it replaced, kept as it was
    assert not (tmp_path / "output.staging.part").exists()


def test_a_folder_kept_whole_is_left_by_the_sweep_without_touching_its_files(tmp_path):
    output = tmp_path / "output"
    folder = tmp_path / "output.staging" / "pagefind"
    for name in ("index/a.pf_index", "fragment/b.pf_fragment"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"bundle")
    (tmp_path / "output.staging" / "stale.html").write_bytes(b"stale")
    build = Staging(str(output))
    try:
        build.notes_taken()
        before = {name: (folder / name).stat().st_ctime_ns for name in ("index/a.pf_index",)}
        staging.keep_tree(str(folder))
        assert (folder / "index/a.pf_index").stat().st_ctime_ns == before["index/a.pf_index"]
        build.sweep()
    finally:
        build.release()
    assert (folder / "index" / "a.pf_index").read_bytes() == b"bundle"
    assert (folder / "fragment" / "b.pf_fragment").read_bytes() == b"bundle"
    assert not (tmp_path / "output.staging" / "stale.html").exists()


def test_a_folder_kept_whole_outside_a_build_of_this_process_has_its_files_touched(tmp_path):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "a.pf_index").write_bytes(b"bundle")
    before = (folder / "a.pf_index").stat()
    time.sleep(0.02)
    staging.keep_tree(str(folder))
    after = (folder / "a.pf_index").stat()
    assert after.st_ctime_ns > before.st_ctime_ns
    assert after.st_mtime_ns == before.st_mtime_ns


def test_a_language_process_hands_the_folders_it_keeps_whole_over(tmp_path, monkeypatch):
    folder = tmp_path / "output.staging" / "en" / "pagefind"
    folder.mkdir(parents=True)
    (folder / "a.pf_index").write_bytes(b"bundle")
    before = (folder / "a.pf_index").stat()
    monkeypatch.setattr(staging, "handing_over", True)
    monkeypatch.setattr(staging, "kept_trees", set())
    time.sleep(0.02)
    staging.keep_tree(str(folder))
    assert staging.kept_trees == {str(folder)}
    assert (folder / "a.pf_index").stat().st_ctime_ns == before.st_ctime_ns  # not touched
    results = {}
    i18n.hand_over_kept_trees(None, results)
    assert results == {"kept_trees": [str(folder)]}


def test_files_changed_after_the_notes_are_told_from_those_left_before(tmp_path):
    staged = tmp_path / "output.staging"
    staged.mkdir()
    for name in ("left.html", "kept.html"):
        (staged / name).write_text(name)
    build = Staging(str(tmp_path / "output"))
    try:
        build.notes_taken()
        until = build.unproduced_until
        assert until == max(
            (staged / name).stat().st_ctime_ns for name in ("left.html", "kept.html")
        )
        staging.keep(str(staged / "kept.html"))
        write_bytes(str(staged / "new.html"), b"new")
        assert (staged / "left.html").stat().st_ctime_ns <= until
        assert (staged / "kept.html").stat().st_ctime_ns > until
        assert (staged / "new.html").stat().st_ctime_ns > until
    finally:
        build.release()


def test_nothing_is_told_when_a_file_is_dated_after_the_notes(tmp_path, monkeypatch):
    """A file changed 'in the future' (the clock was set back): a file the
    build writes could get an earlier change time, so no early telling."""
    staged = tmp_path / "output.staging"
    staged.mkdir()
    (staged / "page.html").write_text("page")
    real = time.time_ns
    monkeypatch.setattr(staging.time, "time_ns", lambda: real() - 60 * 10**9)
    build = Staging(str(tmp_path / "output"))
    try:
        build.notes_taken()
        assert build.unproduced_until is None
    finally:
        build.release()


def test_nothing_is_told_on_windows(tmp_path, monkeypatch):
    """There st_ctime is when a file was made: a touched file keeps it."""
    staged = tmp_path / "output.staging"
    staged.mkdir()
    (staged / "page.html").write_text("page")
    build = Staging(str(tmp_path / "output"))
    monkeypatch.setattr(staging.os, "name", "nt")
    try:
        assert build.notes_taken() is not None
        assert build.unproduced_until is None
    finally:
        monkeypatch.undo()
        build.release()


def test_the_notes_taken_by_a_process_of_their_own_are_those_taken_here(tmp_path, monkeypatch):
    from i18n import notes

    for name in ("index.html", "news/a/index.html", "news/b/index.html", "search/x.pf"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    here = notes.file_notes(str(tmp_path))
    assert len(here) == 4
    assert notes.file_notes_elsewhere(str(tmp_path)) == here
    # No process to run: taken here instead.
    monkeypatch.setattr(notes.sys, "executable", str(tmp_path / "no-python"))
    assert notes.file_notes_elsewhere(str(tmp_path)) == here


def test_a_file_the_notes_process_cannot_read_is_reported_here(tmp_path):
    from i18n import notes

    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").symlink_to(tmp_path / "gone.html")  # dangling
    with pytest.raises(FileNotFoundError) as raised:
        notes.file_notes(str(tmp_path))
    with pytest.raises(FileNotFoundError) as elsewhere:
        notes.file_notes_elsewhere(str(tmp_path))
    assert elsewhere.value.errno == raised.value.errno
    assert elsewhere.value.filename == raised.value.filename
