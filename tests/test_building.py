"""A build writes into a fresh folder and replaces output/ only at its end:
a rebuild from Pelican's cache writes what a build from scratch writes, and
a build that fails, or is killed at any moment, leaves output/ as it was."""

import filecmp
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from sitebuild import (
    BUILD,
    ROOT,
    copy_project_sources,
    events_fixture_content,
    project_plugins,
    run_pelican,
)

FIXED_DAY = {"SOURCE_DATE_EPOCH": "1800010800"}
EVENTS_DATA = os.path.join(ROOT, "tests", "fixtures", "events_data")
FIXTURE_PLUGINS = os.path.join(ROOT, "tests", "fixtures", "plugins")


def tree(root):
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    )


def contents(root):
    """{file: bytes} of a folder, to compare one build's output with another."""
    return {name: (root / name).read_bytes() for name in tree(root)}


def differences(first, second):
    files = tree(first)
    assert files == tree(second)
    _, different, errors = filecmp.cmpfiles(first, second, files, shallow=False)
    return different + errors


def leftovers(output):
    """What builds left beside the output folder, but its cache."""
    name = os.path.basename(output)
    return sorted(
        entry
        for entry in os.listdir(os.path.dirname(output))
        if entry.startswith(name + ".") and entry != name + ".cache"
    )


class Site:
    """A copy of the sources a test edits, built again and again into one output."""

    def __init__(self, root, events=False):
        self.root = root
        if events:
            self.content = events_fixture_content(root)
            self.data = os.path.join(root, "data")
            shutil.copytree(EVENTS_DATA, self.data)
        else:
            self.content, self.data = copy_project_sources(root)
        self.theme = os.path.join(root, "theme")
        shutil.copytree(os.path.join(ROOT, "theme"), self.theme)
        self.output = root / "output"
        self.clean_builds = 0

    def arguments(self, output, **extra):
        extra = {"THEME": self.theme, "DATA_PATH": self.data, **extra}
        return [
            sys.executable,
            BUILD,
            self.content,
            "-o",
            str(output),
            "-s",
            os.path.join(ROOT, "pelicanconf.py"),
            "-e",
            *(f"{key}={json.dumps(value)}" for key, value in extra.items()),
        ]

    def build(self, output=None, expect_success=True, **extra):
        result = run_pelican(
            output or self.output,
            content=self.content,
            data=self.data,
            extra={"THEME": self.theme, **extra},
            env=FIXED_DAY,
        )
        if expect_success:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def build_from_scratch(self):
        self.clean_builds += 1
        output = self.root / f"clean-{self.clean_builds}"
        self.build(output, LOAD_CONTENT_CACHE=False)
        return output

    def edit(self, relative, old, new):
        path = os.path.join(self.root, relative)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        assert old in text, f"{old!r} is not in {relative}"
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text.replace(old, new, 1))

    def start_build(self):
        """A build in a process group of its own, so that killing it kills Pagefind too."""
        return subprocess.Popen(
            self.arguments(self.output),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **FIXED_DAY},
            start_new_session=True,
        )


def add_news(content, number):
    for lang in ("it", "en"):
        path = os.path.join(content, "notizie", f"2026-11-{10 + number}-extra-{number}.{lang}.md")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(
                f"Title: Extra {number} ({lang})\nDate: 2026-11-{10 + number}\n"
                f"Slug: extra-{number}-{lang}\nCategory: progetto\n\nText {number} in {lang}.\n"
            )


def rename_first_event(site):
    path = os.path.join(site.data, "events.yaml")
    with open(path, encoding="utf-8") as handle:
        events = yaml.safe_load(handle)
    events[0]["title"]["it"] += " (nuovo titolo)"
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(events, handle, allow_unicode=True, sort_keys=False)


# (what an editor does, the edit, a page it must change)
EDITS = [
    (
        "a sentence added to a news article",
        lambda site: site.edit(
            "content/notizie/2026-11-13-extra-3.it.md", "Text 3 in it.", "Text 3, edited."
        ),
        "notizie/extra-3-it/index.html",
    ),
    (
        "a news article's title",
        lambda site: site.edit(
            "content/notizie/2026-11-25-extra-15.en.md", "Title: Extra 15 (en)", "Title: Fifteen"
        ),
        "en/news/index.html",
    ),
    ("a news article added", lambda site: add_news(site.content, 20), "notizie/index.html"),
    (
        "a news article deleted",
        lambda site: os.remove(os.path.join(site.content, "notizie", "2026-11-12-extra-2.en.md")),
        "en/news/extra-2-en/index.html",
    ),
    (
        "the title of a page in the main menu",
        lambda site: site.edit("content/pagine/progetto.it.md", "Title: ", "Title: Il nostro "),
        "notizie/extra-5-it/index.html",
    ),
    (
        "the project's contact, in every footer",
        lambda site: site.edit("data/project.yaml", "email: ", "email: nuovo."),
        "en/news/extra-7-en/index.html",
    ),
    ("an event's title", rename_first_event, "eventi/index.html"),
    (
        "a category's name",
        lambda site: site.edit("data/taxonomy.yaml", "it: Il progetto", "it: Progetto"),
        "notizie/extra-8-it/index.html",
    ),
    (
        "a page's English version",
        lambda site: site.edit(
            "content/pagine/contatti.en.md", "Title: Contacts", "Title: Write to us"
        ),
        "en/contacts/index.html",
    ),
    (
        "a territory's name",
        lambda site: site.edit(
            "data/territories.yaml",
            "name: {it: Milano, en: Milan}",
            "name: {it: Milano città, en: Milan}",
        ),
        "territori/milano/index.html",
    ),
    (
        "a workshop material's title",
        lambda site: site.edit("data/workshops.yaml", "en: The workshop's slides", "en: Slides"),
        "en/materials/index.html",
    ),
    (
        "a template",
        lambda site: site.edit(
            "theme/templates/partials/footer.html", "<footer", "<!-- new -->\n<footer"
        ),
        "index.html",
    ),
    (
        "a translation in the catalog",
        lambda site: site.edit(
            "theme/translations/en/LC_MESSAGES/messages.po",
            'msgid "Contacts"\nmsgstr ""',
            'msgid "Contacts"\nmsgstr "Get in touch"',
        ),
        "en/index.html",
    ),
]


def test_every_rebuild_writes_what_a_build_from_scratch_writes(tmp_path):
    site = Site(tmp_path, events=True)
    for number in range(1, 20):  # two pages of news in each language
        add_news(site.content, number)
    site.build()
    site.build()
    assert differences(site.output, site.build_from_scratch()) == []
    assert (tmp_path / "output.cache").is_dir()  # Pelican's cache, beside the output
    assert leftovers(site.output) == []

    for name, edit, changed_page in EDITS:
        before = (site.output / changed_page).read_bytes()
        edit(site)
        site.build()
        if os.path.exists(site.output / changed_page):
            assert (site.output / changed_page).read_bytes() != before, name
        else:
            assert name == "a news article deleted"
        # Calendars count an event's edits since the build before (SEQUENCE),
        # which a build from scratch has not seen.
        different = differences(site.output, site.build_from_scratch())
        assert [name for name in different if not name.endswith(".ics")] == [], name


def test_an_edit_that_keeps_the_size_and_the_date_is_still_seen(tmp_path):
    site = Site(tmp_path)
    site.build(SEARCH_INDEX=False)
    page = os.path.join(site.content, "pagine", "contatti.en.md")
    stat = os.stat(page)
    site.edit("content/pagine/contatti.en.md", "Contacts", "Cantacts")
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    site.build(SEARCH_INDEX=False)
    assert "Cantacts" in (site.output / "en" / "contacts" / "index.html").read_text()


def test_a_build_that_fails_leaves_the_output_as_it_was(tmp_path):
    site = Site(tmp_path)
    site.build()
    before = contents(site.output)

    # A template that breaks only in English, the language built last.
    base = os.path.join(site.theme, "templates", "base.html")
    with open(base, encoding="utf-8") as handle:
        text = handle.read()
    with open(base, "w", encoding="utf-8") as handle:
        handle.write('{% if LANG == "en" %}{{ no_such_value.attribute }}{% endif %}\n' + text)
    result = site.build(expect_success=False)
    report = result.stdout + result.stderr
    assert result.returncode == 1
    assert "Traceback" not in report
    assert "templates/base.html:1: template error: 'no_such_value' is undefined" in report
    assert "nothing was written to the output folder" in report
    assert contents(site.output) == before
    assert leftovers(site.output) == []

    with open(base, "w", encoding="utf-8") as handle:
        handle.write(text)
    site.build()
    assert contents(site.output) == before


def test_a_full_disk_stops_the_build_with_a_report_and_keeps_the_site(tmp_path):
    site = Site(tmp_path)
    site.build(SEARCH_INDEX=False)
    before = contents(site.output)
    site.edit("content/pagine/contatti.en.md", "\n\n", "\n\nA sentence that finds no room.\n\n")
    full_disk = {
        "PLUGIN_PATHS": ["plugins", FIXTURE_PLUGINS],
        "PLUGINS": [*project_plugins(), "full_disk"],
    }
    result = site.build(expect_success=False, SEARCH_INDEX=False, **full_disk)
    report = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1
    assert "Traceback" not in report
    assert "could not be written: the disk is full (free some space, then build again" in report
    assert "nothing was written to the output folder" in report
    assert contents(site.output) == before
    assert leftovers(site.output) == []


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        ("full", "could not be written: the disk is full (free some space, then build again"),
        ("read", "images/partner-logo.svg: could not be read: Permission denied"),
    ],
)
def test_a_static_file_that_cannot_be_copied_stops_the_build_and_keeps_the_site(
    tmp_path, failure, said
):
    # Pelican only warns when it cannot copy a static file: the site would be
    # published without it.
    site = Site(tmp_path)
    site.build(SEARCH_INDEX=False)
    before = contents(site.output)
    images = os.path.join(site.content, "images")
    os.makedirs(images, exist_ok=True)
    with open(os.path.join(images, "partner-logo.svg"), "w", encoding="utf-8") as handle:
        handle.write('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>\n')
    failing = {
        "PLUGIN_PATHS": ["plugins", FIXTURE_PLUGINS],
        "PLUGINS": [*project_plugins(), "full_disk_static"],
    }
    os.environ["STATIC_COPY_FAILS"] = failure
    try:
        result = site.build(expect_success=False, SEARCH_INDEX=False, **failing)
    finally:
        del os.environ["STATIC_COPY_FAILS"]
    report = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1
    assert "Traceback" not in report
    assert said in report
    assert "nothing was written to the output folder" in report
    assert contents(site.output) == before

    site.build(SEARCH_INDEX=False)
    assert (site.output / "images" / "partner-logo.svg").is_file()


# Interrupted builds ---------------------------------------------------------


def pagefind_running(build):
    """Whether Pagefind runs as a child of ``build`` (Linux's /proc)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read()
        except OSError:
            continue
        if int(fields[2]) == build.pid and b"pagefind" in command:
            return True
    return False


def building_folder(site):
    found = [name for name in leftovers(site.output) if ".building-" in name]
    return site.output.parent / found[0] if found else None


# When to kill a build: a look at what it has done so far.
MOMENTS = {
    "while reading": lambda site, build: building_folder(site) is not None,
    "while writing the other language": lambda site, build: (
        building_folder(site) is not None and (building_folder(site) / "en").is_dir()
    ),
    "while Pagefind runs": lambda site, build: pagefind_running(build),
}


def kill_when(site, moment):
    build = site.start_build()
    try:
        deadline = time.monotonic() + 120
        while not MOMENTS[moment](site, build):
            assert build.poll() is None, f"the build ended before {moment}"
            assert time.monotonic() < deadline, f"never {moment}"
            time.sleep(0.002)
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
        build.wait()
    assert build.returncode == -signal.SIGKILL, f"the build ended before it was killed {moment}"


@pytest.mark.parametrize("moment", sorted(MOMENTS))
def test_a_killed_build_leaves_the_output_and_the_next_build_is_whole(tmp_path, moment):
    site = Site(tmp_path)
    site.build()
    before = contents(site.output)
    site.edit("content/pagine/contatti.it.md", "\n\n", "\n\nUna frase nuova.\n\n")
    kill_when(site, moment)
    assert contents(site.output) == before
    site.build()
    assert leftovers(site.output) == []
    assert differences(site.output, site.build_from_scratch()) == []
    assert "Una frase nuova." in (site.output / "contatti" / "index.html").read_text()


def test_a_build_killed_between_the_two_renames_is_undone_by_the_next(tmp_path):
    site = Site(tmp_path)
    site.build(SEARCH_INDEX=False)
    before = contents(site.output)
    # What the swap leaves when killed between its renames.
    os.rename(site.output, f"{site.output}.previous")
    (tmp_path / "output.building-999999999").mkdir()
    (tmp_path / "output.building-999999999" / "index.html").write_text("half a build")
    site.build(SEARCH_INDEX=False)
    assert leftovers(site.output) == []
    assert contents(site.output) == before


def test_a_cache_file_cut_short_by_a_kill_costs_time_not_the_build(tmp_path):
    site = Site(tmp_path)
    site.build(SEARCH_INDEX=False)
    before = contents(site.output)
    caches = [path for path in (tmp_path / "output.cache").rglob("*Readers*") if path.is_file()]
    assert caches
    for path in caches:
        path.write_bytes(path.read_bytes()[:40])
    result = site.build(SEARCH_INDEX=False)
    assert "Traceback" not in result.stderr
    assert contents(site.output) == before


def test_files_saved_during_a_build_are_in_the_next_build(tmp_path):
    site = Site(tmp_path, events=True)
    site.build()
    build = site.start_build()
    try:
        deadline = time.monotonic() + 120
        while not MOMENTS["while writing the other language"](site, build):
            assert build.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.002)
        # Saved while the English pages are written, after the files were read.
        site.edit("content/pagine/contatti.it.md", "\n\n", "\n\nSalvata durante la build.\n\n")
        site.edit("data/project.yaml", "email: ", "email: durante.")
        site.edit(
            "theme/translations/en/LC_MESSAGES/messages.po",
            'msgid "Contacts"\nmsgstr ""',
            'msgid "Contacts"\nmsgstr "Reach us"',
        )
    finally:
        assert build.wait(timeout=120) == 0
    site.build()
    assert differences(site.output, site.build_from_scratch()) == []
    assert "Salvata durante la build." in (site.output / "contatti" / "index.html").read_text()
    assert "Reach us" in (site.output / "en" / "index.html").read_text()


def test_a_build_makes_the_folders_its_output_is_in(tmp_path):
    output = tmp_path / "not" / "made" / "yet"
    result = run_pelican(output, extra={"SEARCH_INDEX": False}, env=FIXED_DAY)
    assert result.returncode == 0, result.stderr
    assert (output / "index.html").is_file()
    assert leftovers(output) == []
