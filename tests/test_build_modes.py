"""How the languages are built: side by side or one after the other, from
Pelican's cache or afresh, the result is the same; a failure anywhere
publishes nothing."""

import collections
import concurrent.futures
import filecmp
import os
import pickle
import shutil

import pytest

from sitebuild import ROOT, copy_project_sources, project_plugins, run_pelican

FIXED_DAY = {"SOURCE_DATE_EPOCH": "1800010800"}
MARKDOWN_EXTENSIONS = os.path.join(ROOT, "tests", "fixtures", "markdown_extensions")


def tree(root):
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    )


def test_parallel_and_sequential_builds_write_the_same_bytes(tmp_path):
    outputs = {}
    for parallel in (True, False):
        output = tmp_path / f"parallel-{parallel}"
        result = run_pelican(
            output,
            extra={"I18N_PARALLEL": parallel, "SEARCH_INDEX": False},
            env=FIXED_DAY,
        )
        assert result.returncode == 0, result.stderr
        outputs[parallel] = str(output)
    files = tree(outputs[True])
    assert files == tree(outputs[False])
    assert "en/index.html" in files
    assert "sitemap.xml" in files
    _, different, errors = filecmp.cmpfiles(outputs[True], outputs[False], files, shallow=False)
    assert different == []
    assert errors == []


def test_a_rebuild_from_the_cache_shows_every_edit(tmp_path):
    content, data = copy_project_sources(tmp_path)
    output = tmp_path / "output"
    assert run_pelican(output, content=content, data=data).returncode == 0
    cache = tmp_path / "output.cache"
    assert cache.is_dir()  # beside the output, never published with it
    assert not (output / "output.cache").exists()

    page = os.path.join(content, "pagine", "contatti.en.md")
    with open(page, encoding="utf-8") as handle:
        text = handle.read()
    with open(page, "w", encoding="utf-8") as handle:
        handle.write(text.replace("\n\n", "\n\nA sentence added by the editor.\n\n", 1))
    result = run_pelican(output, content=content, data=data)
    assert result.returncode == 0, result.stderr
    english = (output / "en" / "contacts" / "index.html").read_text(encoding="utf-8")
    assert "A sentence added by the editor." in english
    italian = (output / "contatti" / "index.html").read_text(encoding="utf-8")
    assert "A sentence added by the editor." not in italian

    # The reader caches are written again only when a file was read anew,
    # beside where Pelican writes its own, without the settings (reading.py).
    caches = sorted(cache.glob("*/*/*-Readers*"))
    assert {path.name for path in caches} == {
        "ArticlesGenerator-Readers.without-settings",
        "PagesGenerator-Readers.without-settings",
    }
    for path in caches:  # the site's data is not kept with the content
        assert b"Naturcoop" not in path.read_bytes()
    stamps = {path: path.stat().st_mtime_ns for path in caches}
    assert run_pelican(output, content=content, data=data).returncode == 0
    assert {path: path.stat().st_mtime_ns for path in caches} == stamps
    # One written by Pelican itself, earlier, goes once the cache is kept apart.
    pelicans = caches[0].with_name("ArticlesGenerator-Readers")
    pelicans.write_bytes(b"an older cache")
    assert run_pelican(output, content=content, data=data).returncode == 0
    assert not pelicans.exists()
    stamps = {path: path.stat().st_mtime_ns for path in caches}
    with open(page, "w", encoding="utf-8") as handle:
        handle.write(text.replace("\n\n", "\n\nA second sentence.\n\n", 1))
    assert run_pelican(output, content=content, data=data).returncode == 0
    english = (output / "en" / "contacts" / "index.html").read_text(encoding="utf-8")
    assert "A second sentence." in english
    changed = {path.name for path in caches if path.stat().st_mtime_ns != stamps[path]}
    assert changed == {"PagesGenerator-Readers.without-settings"}


def test_a_failing_language_stops_the_build_and_keeps_the_site(tmp_path):
    output = tmp_path / "output"
    assert run_pelican(output, env=FIXED_DAY).returncode == 0
    before = (output / "index.html").read_bytes()

    # A theme that breaks only in English, i.e. only in the other language's process.
    theme = tmp_path / "theme"
    shutil.copytree(os.path.join(ROOT, "theme"), theme)
    base = theme / "templates" / "base.html"
    base.write_text(
        '{% if LANG == "en" %}{{ no_such_value.attribute }}{% endif %}\n'
        + base.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    result = run_pelican(output, extra={"THEME": str(theme), "I18N_PARALLEL": True})
    assert result.returncode != 0
    assert "The build of en stopped" in result.stderr
    assert (output / "index.html").read_bytes() == before

    # What the failed build wrote stays in the staging folder, where the next
    # build writes over it or sweeps it away.
    staging = tmp_path / "output.staging"
    assert (staging / "index.html").exists()
    (staging / "left-by-a-failed-build.html").write_text("stale", encoding="utf-8")
    assert run_pelican(output, env=FIXED_DAY).returncode == 0
    assert (output / "index.html").read_bytes() == before
    assert not (output / "left-by-a-failed-build.html").exists()


def add_news(content, number, langs=("it", "en")):
    """A news article in the given languages; returns {lang: path}."""
    paths = {}
    for lang in langs:
        path = os.path.join(content, "notizie", f"2026-11-{10 + number}-extra-{number}.{lang}.md")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(
                f"Title: Extra {number} ({lang})\nDate: 2026-11-{10 + number}\n"
                f"Slug: extra-{number}-{lang}\nCategory: progetto\n\nText {number} in {lang}.\n"
            )
        paths[lang] = path
    return paths


def parses_logged(log):
    """[(process id, title)] of the documents parsed since the log was last cleared."""
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8").splitlines()
    log.unlink()
    return [tuple(line.split("\t", 1)) for line in lines]


def logging_markdown(log):
    from pelicanconf import MARKDOWN

    options = {**MARKDOWN, "extension_configs": dict(MARKDOWN["extension_configs"])}
    options["extension_configs"]["parse_log"] = {"path": str(log)}
    return options


def test_an_edit_that_keeps_the_size_and_puts_the_date_back_is_still_seen(tmp_path):
    # Pelican's cache goes by each file's status, not its SHA-1 (i18n/reading.py):
    # the change time, which no tool puts back, must be part of it.
    content, data = copy_project_sources(tmp_path)
    output = tmp_path / "output"
    assert run_pelican(output, content=content, data=data).returncode == 0
    page = os.path.join(content, "pagine", "contatti.en.md")
    status = os.stat(page)
    with open(page, encoding="utf-8") as handle:
        text = handle.read()
    assert "informational meetings" in text
    with open(page, "w", encoding="utf-8") as handle:
        handle.write(text.replace("informational meetings", "informational sessions", 1))
    os.utime(page, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert os.stat(page).st_size == status.st_size

    result = run_pelican(output, content=content, data=data)
    assert result.returncode == 0, result.stderr
    english = (output / "en" / "contacts" / "index.html").read_text(encoding="utf-8")
    assert "informational sessions" in english
    assert "informational meetings" not in english


def test_each_article_is_parsed_once_by_the_process_of_its_language(tmp_path):
    content, data = copy_project_sources(tmp_path)
    for number in range(1, 4):
        add_news(content, number)
    add_news(content, 4, langs=("it",))  # untranslated: English shows it as a fallback
    log = tmp_path / "parses.log"
    output = tmp_path / "output"
    extra = {"I18N_PARALLEL": True, "SEARCH_INDEX": False, "MARKDOWN": logging_markdown(log)}
    env = {"PYTHONPATH": MARKDOWN_EXTENSIONS}

    result = run_pelican(output, content=content, data=data, extra=extra, env=env)
    assert result.returncode == 0, result.stderr
    article_titles = {}
    for name in os.listdir(os.path.join(content, "notizie")):
        with open(os.path.join(content, "notizie", name), encoding="utf-8") as handle:
            title = handle.readline().split(":", 1)[1].strip()
        article_titles[title] = name.split(".")[-2]
    parsed = [(pid, title) for pid, title in parses_logged(log) if title in article_titles]
    assert collections.Counter(title for _, title in parsed) == dict.fromkeys(article_titles, 1)
    parsers = {
        lang: {pid for pid, title in parsed if article_titles[title] == lang}
        for lang in ("it", "en")
    }
    assert len(parsers["it"]) == len(parsers["en"]) == 1
    assert parsers["it"] != parsers["en"]
    # Every process still has every article: the fallback and the alternates are there.
    english = (output / "en" / "news" / "extra-4-it" / "index.html").read_text(encoding="utf-8")
    assert "Text 4 in it." in english
    assert 'hreflang="it"' in (output / "en" / "news" / "extra-1-en" / "index.html").read_text(
        encoding="utf-8"
    )

    def edit_and_rebuild(number, lang, sentence):
        """(titles parsed, the edited page) after a sentence is added to a news article."""
        with open(add_news(content, number, langs=(lang,))[lang], "a", encoding="utf-8") as handle:
            handle.write(f"\n{sentence}\n")
        result = run_pelican(output, content=content, data=data, extra=extra, env=env)
        assert result.returncode == 0, result.stderr
        folder = "en/news" if lang == "en" else "notizie"
        page = output / folder / f"extra-{number}-{lang}" / "index.html"
        return [title for _, title in parses_logged(log)], page.read_text(encoding="utf-8")

    # A rebuild parses only what changed, once.
    parsed, page = edit_and_rebuild(2, "en", "A sentence added by the editor.")
    assert parsed == ["Extra 2 (en)"]
    assert "A sentence added by the editor." in page

    # Only an Italian file changed: the Italian process has nothing to take
    # from the English one and sends what it parsed without waiting for it.
    parsed, page = edit_and_rebuild(3, "it", "Una frase aggiunta.")
    assert parsed == ["Extra 3 (it)"]
    assert "Una frase aggiunta." in page

    # The English process lost its cache and parses every article again; the
    # Italian one, whose cache holds them, does not wait for what it sends
    # (however large: see the next test) and reads it on the side.
    shutil.rmtree(f"{output}.cache/en")
    result = run_pelican(output, content=content, data=data, extra=extra, env=env)
    assert result.returncode == 0, result.stderr
    parsed = [(pid, title) for pid, title in parses_logged(log) if title in article_titles]
    assert collections.Counter(title for _, title in parsed) == dict.fromkeys(article_titles, 1)
    assert len({pid for pid, _ in parsed}) == 1
    page = output / "en" / "news" / "extra-4-it" / "index.html"
    assert "Text 4 in it." in page.read_text(encoding="utf-8")


def test_the_default_language_takes_no_batch_it_does_not_need(monkeypatch):
    """With nothing to take from the other language's process, the default
    language's sends its own parsed files and goes on at once; what the
    other sends, however large, is read on the side, before the go."""
    import multiprocessing
    import threading

    from i18n import build, reading

    monkeypatch.setattr(reading, "files_to_parse", lambda generator, every_language: {})
    monkeypatch.setattr(reading, "parse_own_files", lambda generator, paths: b"own")
    ours, theirs = multiprocessing.Pipe()
    got, went_on = [], threading.Event()

    def other_language():
        went_on.wait(timeout=15)  # sends only once the default language went on
        theirs.send_bytes(b"x" * 1_000_000)  # far more than a pipe holds at once
        got.append(theirs.recv())
        got.append(theirs.recv())

    other = threading.Thread(target=other_language, daemon=True)
    other.start()
    workers = build.Workers()
    workers.running = [("en", None, ours)]
    generator = type("Generator", (), {"settings": {"DEFAULT_LANG": "it"}})()

    def default_language():
        workers.exchange_parsed(generator)
        went_on.set()

    default = threading.Thread(target=default_language, daemon=True)
    default.start()
    default.join(timeout=10)
    assert went_on.is_set(), "it waited for the other language's batch"
    workers.release(None)
    other.join(timeout=30)
    assert not other.is_alive()
    assert got == [[b"own"], (build.GO, None)]


@pytest.mark.parametrize(
    ("stale", "own"),
    [({"en": ["/content/x.en.md"]}, b"own"), ({}, b"x" * (16 * 1024 + 1))],
    ids=["another language's file changed", "more than a pipe takes at once"],
)
def test_the_default_language_waits_for_a_batch_it_needs_or_cannot_send_at_once(
    monkeypatch, stale, own
):
    """Otherwise it takes the other language's batch first, as the other
    language's process sends first: neither waits on the other."""
    import multiprocessing

    from i18n import build, reading

    received = []
    monkeypatch.setattr(reading, "files_to_parse", lambda generator, every_language: dict(stale))
    monkeypatch.setattr(reading, "parse_own_files", lambda generator, paths: own)
    monkeypatch.setattr(reading, "receive", lambda data, settings: received.append(data))
    ours, theirs = multiprocessing.Pipe()
    theirs.send_bytes(b"theirs")
    workers = build.Workers()
    workers.running = [("en", None, ours)]
    workers.exchange_parsed(type("Generator", (), {"settings": {"DEFAULT_LANG": "it"}})())
    assert workers.unread is None
    assert received == [b"theirs"]
    assert theirs.recv() == [own]


def test_the_previous_output_becomes_the_next_staging_folder(tmp_path):
    output = tmp_path / "output"
    extra = {"SEARCH_INDEX": False}
    assert run_pelican(output, extra=extra).returncode == 0
    (output / "left-by-the-last-build.html").write_text("old", encoding="utf-8")
    first_inode = (output / "index.html").stat().st_ino
    result = run_pelican(output, extra=extra)
    assert result.returncode == 0, result.stderr
    assert not (output / "left-by-the-last-build.html").exists()
    assert (output / "index.html").exists()
    # The old output, files and all, is what the next build writes over.
    staging = tmp_path / "output.staging"
    assert (staging / "index.html").stat().st_ino == first_inode
    assert (staging / "left-by-the-last-build.html").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "output",
        "output.cache",
        "output.staging",
    ]
    # A third build sweeps what no build writes any more.
    assert run_pelican(output, extra=extra).returncode == 0
    assert not (output / "left-by-the-last-build.html").exists()
    assert (output / "index.html").stat().st_ino == first_inode


def test_two_builds_of_one_output_take_turns(tmp_path):
    output = tmp_path / "output"
    extra = {"SEARCH_INDEX": False}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: run_pelican(output, extra=extra), range(2)))
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    built = tree(output)
    assert "index.html" in built
    assert os.path.join("en", "index.html") in built
    # Neither build swept the other's files: a third finds the same site.
    assert run_pelican(output, extra=extra).returncode == 0
    assert tree(output) == built


def test_a_damaged_cache_of_the_sitemap_costs_time_not_a_wrong_sitemap(tmp_path):
    output = tmp_path / "output"
    extra = {"SEARCH_INDEX": False}
    assert run_pelican(output, extra=extra, env=FIXED_DAY).returncode == 0
    sitemap = (output / "sitemap.xml").read_bytes()
    (kept,) = (tmp_path / "output.cache").glob("it/*/sitemap.pickle")
    for damage in (
        b"not a pickle",
        pickle.dumps(42),
        pickle.dumps(("a key", ["not", "a", "text"])),
    ):
        kept.write_bytes(damage)
        result = run_pelican(output, extra=extra, env=FIXED_DAY)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert (output / "sitemap.xml").read_bytes() == sitemap


def test_a_full_disk_stops_the_build_with_a_report_and_keeps_the_site(tmp_path):
    content, data = copy_project_sources(tmp_path)
    output = tmp_path / "output"
    assert run_pelican(output, content=content, data=data, env=FIXED_DAY).returncode == 0
    before = {name: (output / name).read_bytes() for name in tree(output)}

    page = os.path.join(content, "pagine", "contatti.en.md")
    with open(page, "a", encoding="utf-8") as handle:
        handle.write("\nA sentence that finds no room on the disk.\n")
    full_disk = {
        "PLUGIN_PATHS": ["plugins", os.path.join(ROOT, "tests", "fixtures", "plugins")],
        "PLUGINS": [*project_plugins(), "full_disk"],
    }
    result = run_pelican(output, content=content, data=data, extra=full_disk, env=FIXED_DAY)
    report = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "Traceback" not in report
    assert "could not be written: the disk is full (free some space, then build again" in report
    assert "nothing was written to the output folder" in report
    assert {name: (output / name).read_bytes() for name in tree(output)} == before


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
    # Pelican copies static files with its own code, which only warns when
    # one cannot be copied: the site would be published without it.
    content, data = copy_project_sources(tmp_path)
    output = tmp_path / "output"
    assert run_pelican(output, content=content, data=data, env=FIXED_DAY).returncode == 0
    before = {name: (output / name).read_bytes() for name in tree(output)}

    images = os.path.join(content, "images")
    os.makedirs(images, exist_ok=True)
    with open(os.path.join(images, "partner-logo.svg"), "w", encoding="utf-8") as handle:
        handle.write('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>\n')
    failing = {
        "PLUGIN_PATHS": ["plugins", os.path.join(ROOT, "tests", "fixtures", "plugins")],
        "PLUGINS": [*project_plugins(), "full_disk_static"],
    }
    env = {**FIXED_DAY, "STATIC_COPY_FAILS": failure}
    result = run_pelican(output, content=content, data=data, extra=failing, env=env)
    report = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "Traceback" not in report
    assert said in report
    assert "nothing was written to the output folder" in report
    assert {name: (output / name).read_bytes() for name in tree(output)} == before

    result = run_pelican(output, content=content, data=data, env=FIXED_DAY)
    assert result.returncode == 0, result.stderr
    assert (output / "images" / "partner-logo.svg").is_file()
