"""Rebuilds render only the pages whose inputs changed (plugins/incremental),
and write exactly what a build from scratch writes."""

import filecmp
import os
import re
import shutil

import yaml

from sitebuild import ROOT, events_fixture_content, run_pelican
from test_build_modes import add_news, tree

FIXED_DAY = {"SOURCE_DATE_EPOCH": "1800010800"}
EVENTS_DATA = os.path.join(ROOT, "tests", "fixtures", "events_data")
COUNTS = re.compile(r"Pages rendered: (\d+), unchanged and reused: (\d+) \((\w+)\)")


class Site:
    """A copy of the sources a test edits, built again and again into one output."""

    def __init__(self, root):
        self.root = root
        self.content = events_fixture_content(root)
        self.data = os.path.join(root, "data")
        shutil.copytree(EVENTS_DATA, self.data)
        self.theme = os.path.join(root, "theme")
        shutil.copytree(os.path.join(ROOT, "theme"), self.theme)
        for number in range(1, 20):  # two pages of news in each language
            add_news(self.content, number)
        self.output = root / "output"
        self.clean_builds = 0

    def build(self, output=None, **extra):
        result = run_pelican(
            output or self.output,
            content=self.content,
            data=self.data,
            extra={"THEME": self.theme, "SEARCH_INDEX": False, **extra},
            env=FIXED_DAY,
            args=["--verbose"],
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def rebuild(self):
        """(pages rendered, pages reused, the log) of a rebuild from the previous output."""
        result = self.build(INCREMENTAL_EXPLAIN=True)
        log = result.stdout + result.stderr
        counts = COUNTS.findall(log)
        assert sorted(lang for *_, lang in counts) == ["en", "it"], log[-3000:]
        rendered = sum(int(number) for number, _, _ in counts)
        reused = sum(int(number) for _, number, _ in counts)
        return rendered, reused, log

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


def differences(first, second):
    """Files that differ, but calendars: their SEQUENCE numbers count the changes
    since the previous build, which a build from scratch has not got."""
    files = tree(first)
    assert files == tree(second)
    _, different, errors = filecmp.cmpfiles(first, second, files, shallow=False)
    return [name for name in different + errors if not name.endswith(".ics")]


def rename_first_event(site):
    path = os.path.join(site.data, "events.yaml")
    with open(path, encoding="utf-8") as handle:
        events = yaml.safe_load(handle)
    events[0]["title"]["it"] += " (nuovo titolo)"
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(events, handle, allow_unicode=True, sort_keys=False)


# (what an editor does, the edit, a page it must change, why the log says it
# changed, whether every page shows it)
EDITS = [
    (
        "a sentence added to a news article",
        lambda site: site.edit(
            "content/notizie/2026-11-13-extra-3.it.md", "Text 3 in it.", "Text 3, edited."
        ),
        "notizie/extra-3-it/index.html",
        "'article'",
        False,
    ),
    (
        "a news article's title",
        lambda site: site.edit(
            "content/notizie/2026-11-25-extra-15.en.md", "Title: Extra 15 (en)", "Title: Fifteen"
        ),
        "en/news/index.html",
        "('articles_page', '.object_list')",
        False,
    ),
    (
        "a news article added",
        lambda site: add_news(site.content, 20),
        "notizie/index.html",
        "",
        False,
    ),
    (
        "a news article deleted",
        lambda site: os.remove(os.path.join(site.content, "notizie", "2026-11-12-extra-2.en.md")),
        "en/news/extra-2-en/index.html",
        "",
        False,
    ),
    (
        "the title of a page in the main menu",
        lambda site: site.edit("content/pagine/progetto.it.md", "Title: ", "Title: Il nostro "),
        "notizie/extra-5-it/index.html",
        "('I18N_GROUPS', '[pagine/progetto')",
        True,
    ),
    (
        "the project's contact, in every footer",
        lambda site: site.edit("data/project.yaml", "email: ", "email: nuovo."),
        "en/news/extra-7-en/index.html",
        "('DATA', '.project')",
        True,
    ),
    ("an event's title", rename_first_event, "eventi/index.html", "'EVENTS'", False),
    (
        "a category's name",
        lambda site: site.edit("data/taxonomy.yaml", "it: Il progetto", "it: Progetto"),
        "notizie/extra-8-it/index.html",
        "",
        False,
    ),
    (
        "a template",
        lambda site: site.edit(
            "theme/templates/partials/footer.html", "<footer", "<!-- new -->\n<footer"
        ),
        "index.html",
        "the build key changed",
        True,
    ),
]


def test_every_rebuild_writes_what_a_build_from_scratch_writes(tmp_path):
    site = Site(tmp_path)
    site.build()
    rendered, reused, _ = site.rebuild()
    assert rendered == 0, "nothing changed: every page should be reused"
    assert reused > 100
    assert differences(site.output, site.build_from_scratch()) == []

    for name, edit, changed_page, reason, everywhere in EDITS:
        before = (site.output / changed_page).read_bytes()
        edit(site)
        rendered, reused, log = site.rebuild()
        if os.path.exists(site.output / changed_page):
            assert (site.output / changed_page).read_bytes() != before, name
        else:
            assert name == "a news article deleted"
        assert differences(site.output, site.build_from_scratch()) == [], name
        assert rendered > 0, name
        if everywhere:
            assert reused == 0, f"{name}: {reused} pages reused"
        else:
            assert reused > rendered, f"{name}: {rendered} rendered, {reused} reused"
        assert reason in log, f"{name}: {reason} not in the explanation"


def test_the_plugin_does_not_change_what_pages_say(tmp_path):
    site = Site(tmp_path)
    site.build()
    plugins = [name for name in _project_plugins() if name != "incremental"]
    without = tmp_path / "without"
    site.build(without, PLUGINS=plugins)
    assert differences(site.output, without) == []


def test_a_published_page_changed_by_hand_is_written_again(tmp_path):
    site = Site(tmp_path)
    site.build()
    page = site.output / "contatti" / "index.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"<main", b"<main data-tampered"))
    rendered, _, _ = site.rebuild()
    assert rendered == 1
    assert page.read_bytes() == original


def _project_plugins():
    namespace = {"__file__": os.path.join(ROOT, "pelicanconf.py")}
    with open(os.path.join(ROOT, "pelicanconf.py"), encoding="utf-8") as handle:
        exec(handle.read(), namespace)
    return namespace["PLUGINS"]
