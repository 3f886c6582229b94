"""The i18n plugin's Markdown reader gives exactly what Pelican's own gives,
though it keeps its converters from one file to the next (plugins/i18n/reading.py)."""

import glob
import os
import pathlib
import time
import types

import pytest
from pelican.readers import MarkdownReader
from pelican.settings import read_settings

from i18n import reading
from i18n.reading import ExchangedMarkdownReader
from sitebuild import ROOT

FILES = sorted(
    glob.glob(os.path.join(ROOT, "content", "**", "*.md"), recursive=True)
    + glob.glob(os.path.join(ROOT, "tests", "fixtures", "**", "*.md"), recursive=True)
)


def comparable(result):
    content, metadata = result
    return content, {
        name: [str(item) for item in value] if isinstance(value, list) else str(value)
        for name, value in metadata.items()
    }


def read(reader, path):
    try:
        return comparable(reader.read(path))
    except Exception as error:  # noqa: BLE001 - a file that fails must fail the same way
        return type(error).__name__, str(error)


@pytest.fixture(scope="module")
def settings():
    return read_settings(os.path.join(ROOT, "pelicanconf.py"))


def test_one_reader_for_every_file_reads_each_as_a_new_one_would(settings):
    assert len(FILES) > 20
    shared = ExchangedMarkdownReader(settings)
    # Twice over, so every file is also read after every other one.
    for path in FILES + FILES:
        assert read(shared, path) == read(MarkdownReader(settings), path), path


def test_nothing_from_one_file_leaks_into_the_next(settings):
    folder = os.path.join(ROOT, "tests", "fixtures", "markdown_state")
    shared = ExchangedMarkdownReader(settings)
    first, _ = shared.read(os.path.join(folder, "a.it.md"))
    assert "La nota del primo file" in first
    assert "<abbr" in first
    second, metadata = shared.read(os.path.join(folder, "b.it.md"))
    assert "La nota del primo file" not in second
    assert "<abbr" not in second
    assert "example.org" not in second
    assert 'id="introduzione"' in second  # heading ids start afresh
    assert "summary" not in metadata


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("date", "2026-11-25"),
        ("date", "2026-11-25 09:30"),
        ("date", "2026-11-25_09:30"),
        ("date", "2026-11-25 09:30:15"),
        ("modified", "2026-11-25 18:00"),
        ("date", "2026-11-25T09:30"),
        ("date", "2026-11-25 09:30+01:00"),
        ("date", "25/11/2026"),
        ("date", "2026-02-30"),
        ("modified", "2026-11-25_09:30"),
    ],
)
def test_dates_are_read_as_pelican_reads_them(settings, name, text):
    def outcome(reader):
        try:
            value = reader.process_metadata(name, text)
        except ValueError as error:
            return "ValueError", str(error)
        return type(value), value, value.tzinfo

    assert outcome(ExchangedMarkdownReader(settings)) == outcome(MarkdownReader(settings))


def test_a_file_is_stamped_by_its_status_unless_it_changed_a_moment_ago(tmp_path, monkeypatch):
    path = tmp_path / "news.md"
    path.write_text("Title: News\n\nText.\n", encoding="utf-8")
    status = os.stat(path)

    def by_content(name):
        with open(name, "rb") as handle:
            return handle.read()

    # Just written: another write within the clock's tick would not show.
    assert reading._stamp_now(str(path), by_content) == ("content", path.read_bytes())
    later = max(status.st_mtime_ns, status.st_ctime_ns) + reading.RECENT_NS
    monkeypatch.setattr(reading.time, "time_ns", lambda: later)
    by_status = (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
    assert reading._stamp_now(str(path), by_content) == by_status
    # Its modification time put back after an edit: the change time still moved.
    time.sleep(0.01)
    path.write_text("Title: News\n\nTxet.\n", encoding="utf-8")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    monkeypatch.setattr(reading.time, "time_ns", lambda: later + 10 * reading.RECENT_NS)
    assert reading._stamp_now(str(path), by_content) != by_status


def test_a_run_stamps_a_file_once_and_takes_the_stamp_of_the_process_that_parsed_it(
    tmp_path, settings
):
    mine, theirs = tmp_path / "mine.it.md", tmp_path / "theirs.en.md"
    for path in (mine, theirs):
        path.write_text("Title: News\n\nText.\n", encoding="utf-8")
    readers = types.SimpleNamespace(_get_file_stamp=lambda path: pathlib.Path(path).read_bytes())
    # The other language's process stamped its file before parsing it.
    reading.start_run()
    packed = reading.pack({str(theirs): (("its stamp",), ("<p>Text.</p>", {}))}, settings)
    reading.receive(packed, settings)
    reading._stamp_files_by_status(readers)
    try:
        assert readers._get_file_stamp(str(theirs)) == ("its stamp",)
        first = readers._get_file_stamp(str(mine))
        mine.write_text("Title: News\n\nAn edit saved while the build reads.\n", encoding="utf-8")
        # What the run caches goes with the stamp taken before it read the file.
        assert readers._get_file_stamp(str(mine)) == first
        assert reading.received[str(theirs)] == ("<p>Text.</p>", {})
    finally:
        reading.start_run()


def test_changing_the_projects_own_markdown_extension_parses_files_again(tmp_path, monkeypatch):
    """Pelican's cache checks only that a file is unchanged: the folder it is
    kept in is named after the project's own Markdown extensions' code too."""
    from i18n.build import cache_fingerprint
    from incremental import kept

    extension = tmp_path / "house_style.py"
    extension.write_text("VERSION = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = read_settings(os.path.join(ROOT, "pelicanconf.py"))
    settings["MARKDOWN"] = {
        "extension_configs": {"house_style": {}, "markdown.extensions.extra": {}}
    }
    before = cache_fingerprint(settings)
    assert cache_fingerprint(settings) == before
    extension.write_text("VERSION = 2\n")
    kept.source_digest.cache_clear()
    assert cache_fingerprint(settings) != before
    # The project's settings name plugins/typography: its code counts.
    assert (
        "typography"
        in read_settings(os.path.join(ROOT, "pelicanconf.py"))["MARKDOWN"]["extension_configs"]
    )


def test_tags_and_categories_travel_without_the_settings_they_hold(settings):
    """In the exchange between languages and in the kept content cache, a
    term takes the receiving run's settings, whichever settings it held."""
    from pelican.urlwrappers import Category, Tag

    older = {**settings, "DATA": "the site's data, kept by an older cache"}
    sent = {"tags": [Tag("Aziende", older)], "category": Category("progetto", settings)}
    data = reading.pack(sent, settings)
    assert b"kept by an older cache" not in data
    received = reading.unpack(data, settings)
    assert received["tags"][0].settings is settings
    assert received["category"].settings is settings
    assert [received["tags"][0].name, received["category"].slug] == ["Aziende", "progetto"]
