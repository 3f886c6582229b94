"""Rebuilds render only the pages whose inputs changed (plugins/incremental),
and write exactly what a build from scratch writes."""

import filecmp
import os
import pickle
import re
import shutil

import pytest
import yaml
from markupsafe import Markup

from incremental import tracing
from sitebuild import ROOT, events_fixture_content, project_plugins, run_pelican
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

    def rebuild(self, **extra):
        """({lang: (pages rendered, pages reused)}, the log) of a rebuild."""
        result = self.build(INCREMENTAL_EXPLAIN=True, **extra)
        log = result.stdout + result.stderr
        counts = {
            lang: (int(rendered), int(reused)) for rendered, reused, lang in COUNTS.findall(log)
        }
        assert sorted(counts) == ["en", "it"], log[-3000:]
        return counts, log

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
# changed, the languages where every page shows it)
EDITS = [
    (
        "a sentence added to a news article",
        lambda site: site.edit(
            "content/notizie/2026-11-13-extra-3.it.md", "Text 3 in it.", "Text 3, edited."
        ),
        "notizie/extra-3-it/index.html",
        "('article', '.content')",
        (),
    ),
    (
        "a news article's title",
        lambda site: site.edit(
            "content/notizie/2026-11-25-extra-15.en.md", "Title: Extra 15 (en)", "Title: Fifteen"
        ),
        "en/news/index.html",
        "('article', '.title')",
        (),
    ),
    (
        "a news article added",
        lambda site: add_news(site.content, 20),
        "notizie/index.html",
        "('articles', '#0', '.title')",
        (),
    ),
    (
        "a news article deleted",
        lambda site: os.remove(os.path.join(site.content, "notizie", "2026-11-12-extra-2.en.md")),
        "en/news/extra-2-en/index.html",
        "('articles_page', '.object_list', '#9', '.title')",
        (),
    ),
    (
        "the title of a page in the main menu",
        lambda site: site.edit("content/pagine/progetto.it.md", "Title: ", "Title: Il nostro "),
        "notizie/extra-5-it/index.html",
        "('I18N_GROUPS', '[pagine/progetto')",
        ("it", "en"),  # in the main menu (a menu reads both versions)
    ),
    (
        "the project's contact, in every footer",
        lambda site: site.edit("data/project.yaml", "email: ", "email: nuovo."),
        "en/news/extra-7-en/index.html",
        "('DATA', '.project')",
        ("it", "en"),  # in the footer
    ),
    ("an event's title", rename_first_event, "eventi/index.html", "'EVENTS'", ()),
    (
        "a category's name",
        lambda site: site.edit("data/taxonomy.yaml", "it: Il progetto", "it: Progetto"),
        "notizie/extra-8-it/index.html",
        "('article', '.category')",
        (),
    ),
    (
        "a page's English version",
        lambda site: site.edit(
            "content/pagine/contatti.en.md", "Title: Contacts", "Title: Write to us"
        ),
        "en/contacts/index.html",
        "('I18N_GROUPS', '[pagine/contatti')",
        ("it", "en"),  # in the main menu (a menu reads both versions)
    ),
    (
        "a territory's name",
        lambda site: site.edit(
            "data/territories.yaml",
            "name: {it: Milano, en: Milan}",
            "name: {it: Milano città, en: Milan}",
        ),
        "territori/milano/index.html",
        "('DATA', '.territory')",
        (),
    ),
    (
        "a partner's name",
        lambda site: site.edit(
            "data/partners.yaml", "name: Cooperativa di Lodi", "name: Cooperativa lodigiana"
        ),
        "partner/index.html",
        "('DATA', '.partners')",
        (),
    ),
    (
        "a workshop material's title",
        lambda site: site.edit("data/workshops.yaml", "en: The workshop's slides", "en: Slides"),
        "en/materials/index.html",
        "'MATERIALS'",
        (),
    ),
    (
        "a template",
        lambda site: site.edit(
            "theme/templates/partials/footer.html", "<footer", "<!-- new -->\n<footer"
        ),
        "index.html",
        "the build key changed",
        ("it", "en"),
    ),
]


def test_every_rebuild_writes_what_a_build_from_scratch_writes(tmp_path):
    site = Site(tmp_path)
    site.build()
    # The news pages count each category's articles (news_categories).
    news = (site.output / "notizie" / "index.html").read_text(encoding="utf-8")
    assert "Il progetto</a> (20)" in news
    counts, _ = site.rebuild()
    for lang, (rendered, reused) in counts.items():
        assert rendered == 0, f"nothing changed, yet {rendered} {lang} pages were rendered"
        assert reused > 50
    assert differences(site.output, site.build_from_scratch()) == []

    for name, edit, changed_page, reason, everywhere in EDITS:
        before = (site.output / changed_page).read_bytes()
        edit(site)
        counts, log = site.rebuild()
        if os.path.exists(site.output / changed_page):
            assert (site.output / changed_page).read_bytes() != before, name
        else:
            assert name == "a news article deleted"
        assert differences(site.output, site.build_from_scratch()) == [], name
        assert sum(rendered for rendered, _ in counts.values()) > 0, name
        for lang, (rendered, reused) in counts.items():
            if lang in everywhere:
                assert reused == 0, f"{name}: {reused} {lang} pages reused"
            else:
                assert reused > rendered, f"{name}: {rendered} {lang} rendered, {reused} reused"
        assert reason in log, f"{name}: {reason} not in the explanation"


def test_the_plugin_does_not_change_what_pages_say(tmp_path):
    site = Site(tmp_path)
    site.build()
    plugins = [name for name in project_plugins() if name != "incremental"]
    without = tmp_path / "without"
    site.build(without, PLUGINS=plugins)
    assert differences(site.output, without) == []


def test_a_published_page_changed_by_hand_is_written_again(tmp_path):
    site = Site(tmp_path)
    site.build()
    page = site.output / "contatti" / "index.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"<main", b"<main data-tampered"))
    counts, _ = site.rebuild()
    assert counts == {"it": (1, counts["it"][1]), "en": (0, counts["en"][1])}
    assert page.read_bytes() == original


def built_three_times(tmp_path):
    """A site whose staging folder holds the first build's pages, which the
    third build may keep: the second build recorded them as unchanged."""
    site = Site(tmp_path)
    site.build()
    site.rebuild()
    return site


def test_a_staged_page_left_as_it_was_is_kept_without_reading_the_published_one(tmp_path):
    site = built_three_times(tmp_path)
    page = site.output / "contatti" / "index.html"
    original = page.read_bytes()
    page.unlink()  # a build that read the published page could not reuse it
    counts, _ = site.rebuild()
    assert counts["it"][0] == 0, "the page was rendered again: the staged copy was not kept"
    assert page.read_bytes() == original


def test_a_staged_page_changed_by_hand_is_written_again(tmp_path):
    site = built_three_times(tmp_path)
    page = site.output / "contatti" / "index.html"
    original = page.read_bytes()
    staged = tmp_path / "output.staging" / "contatti" / "index.html"
    assert staged.read_bytes() == original
    before = staged.stat()
    # Same size, same modification time: only the change time tells.
    staged.write_bytes(original.replace(b"<main", b"<MAIN"))
    os.utime(staged, ns=(before.st_atime_ns, before.st_mtime_ns))
    counts, _ = site.rebuild()
    assert page.read_bytes() == original
    assert counts["it"][0] == 0  # reused, from the published page
    assert differences(site.output, site.build_from_scratch()) == []


def test_an_event_edit_leaves_the_other_territories_event_pages_alone(tmp_path):
    site = Site(tmp_path)
    site.build()
    site.rebuild()  # every page's reads recorded one by one (INCREMENTAL_EXPLAIN)
    rename_first_event(site)  # an event in Lodi
    _, log = site.rebuild()
    rendered = set(re.findall(r"(\S+index\.html) is rendered again", log))
    assert "eventi/territorio/lodi/index.html" in rendered
    # The filters on every event page show which territories have events:
    # read on their own, they did not change.
    assert "eventi/territorio/milano/index.html" not in rendered
    assert "en/events/territory/milano/index.html" not in rendered


def test_an_event_edit_leaves_the_companies_page_alone_unless_it_shows_it(tmp_path):
    """The companies' page shows the next events for companies (a method
    called with arguments, recorded with them): an edit to an event for
    practitioners leaves it as it is, one to an event for companies not."""
    site = Site(tmp_path)
    site.build()
    site.rebuild()
    site.edit(
        "data/events.yaml",
        "it: Incontro al ritorno dell'ora solare",
        "it: Incontro per il ritorno dell'ora solare",
    )
    _, log = site.rebuild()
    rendered = set(re.findall(r"(\S*index\.html) is rendered again", log))
    assert "eventi/ora-solare/index.html" in rendered
    assert "per-le-aziende/index.html" not in rendered
    assert differences(site.output, site.build_from_scratch()) == []
    site.edit("data/events.yaml", "it: Webinar", "it: Seminario in rete")
    _, log = site.rebuild()
    assert "per-le-aziende/index.html is rendered again" in log
    assert differences(site.output, site.build_from_scratch()) == []


def test_an_article_edit_leaves_its_translation_and_the_lists_alone(tmp_path):
    """Pages read articles attribute by attribute: editing an article's text
    (its summary given apart) renders its own page again and nothing else,
    not its translation's page, which links to it, nor the lists showing it."""
    site = Site(tmp_path)
    article = "content/notizie/2026-11-13-extra-3.it.md"
    site.edit(article, "Category: progetto\n", "Category: progetto\nSummary: Tre.\n")
    site.build()
    site.rebuild()
    site.edit(article, "Text 3 in it.", "Text 3, edited.")
    counts, log = site.rebuild()
    rendered = set(re.findall(r"(\S*index\.html) is rendered again", log))
    assert rendered == {"notizie/extra-3-it/index.html"}, log[-3000:]
    assert counts["en"][0] == 0
    assert differences(site.output, site.build_from_scratch()) == []


def item(title, settings=None, **metadata):
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    settings = settings or {**DEFAULT_CONFIG, "SITEURL": "https://example.org"}
    return Article(
        f"<p>{title}</p>",
        metadata={"title": title, **metadata},
        settings=settings,
        source_path=f"/content/{title}.md",
    )


def render_traced(source, context, **globals_):
    from jinja2 import Environment

    environment = Environment()
    environment.context_class = tracing.TracingContext
    environment.globals.update(globals_)
    with tracing.recording(page=context) as reads:
        html = environment.from_string(source).render(context)
    return html, reads


def test_articles_and_lists_of_them_are_recorded_part_by_part():
    first, second, third = item("Uno"), item("Due"), item("Tre")
    context = {"article": first, "articles": [first, second, third]}
    html, reads = render_traced(
        "{{ article.title }}|{% if article.modified %}new{% endif %}"
        "|{% for a in articles[:2] %}{{ a.title }} {% endfor %}|{{ articles|length }}"
        "|{{ articles[-1].title }}",
        context,
    )
    assert html == "Uno||Uno Due |3|Tre"
    assert reads == {
        ("article", ".title"),
        ("article", ".modified"),  # not there: the page changes once it is
        ("article", "[modified"),  # where Jinja looks next
        ("articles", "#len"),
        ("articles", "#0", ".title"),
        ("articles", "#1", ".title"),
        ("articles", "#2", ".title"),
    }
    before = {read: tracing.lookup(context, read) for read in reads}
    assert before[("articles", "#2", ".title")] == "Tre"
    assert before[("article", ".modified")] is tracing.MISSING
    first.modified = "2026-11-30"
    context["articles"] = [first, third]
    after = {read: tracing.lookup(context, read) for read in reads}
    assert {read for read in reads if after[read] != before[read]} == {
        ("article", ".modified"),
        ("articles", "#len"),
        ("articles", "#1", ".title"),
        ("articles", "#2", ".title"),  # none now
    }


def test_a_list_used_whole_counts_whole():
    """What cannot be told part by part (membership, printing) reads it all;
    the last one read from the end counts the length."""
    first, second = item("Uno"), item("Due")
    context = {"article": first, "articles": [first, second]}
    html, reads = render_traced(
        "{{ (articles|last).title }}|{{ 'yes' if article in articles }}"
        "|{{ 'same' if article == articles[0] }}",
        context,
    )
    assert html == "Due|yes|same"  # compared as the articles themselves
    html, printed = render_traced("{{ article }}|{{ 'some' if articles }}", context)
    assert html == f"{first.source_path}|some"  # printed as Pelican prints it
    assert printed == {"article", ("articles", "#len")}
    assert reads == {
        "article",
        "articles",
        ("articles", "#len"),
        ("articles", "#0"),
        ("articles", "#1", ".title"),
    }


def test_every_read_of_a_plan_is_looked_up_as_on_its_own():
    """tracing.plan, which the digest of a page's reads goes by, finds what
    tracing.lookup finds for each read, path by path."""
    articles = [item("Uno"), item("Due", tags=[]), item("Tre")]
    context = {"articles": articles, "article": articles[1], "LANG": "it"}
    reads = (
        "LANG",
        "missing",
        ("article", ".tags"),
        ("article", ".title"),
        ("articles", "#0", ".title"),
        ("articles", "#0", ".url"),
        ("articles", "#5", ".title"),
        ("articles", "#len"),
        ("articles", "?"),
    )
    values = []
    for parent, kind, arg, read in tracing.plan(reads):
        if parent >= 0:
            values.append(tracing.take(values[parent], kind, arg))
        else:
            values.append(context.get(arg, tracing.MISSING))
        if read is not None:
            assert values[-1] == tracing.lookup(context, read), read
    assert sum(read is not None for *_, read in tracing.plan(reads)) == len(reads)


def test_a_derived_value_is_recorded_as_what_it_returns():
    """alternates(), canonical()…: recorded as their result, worked out from
    the page's context as the page was given it (not what templates set)."""

    def where(context):
        return context["article"].title + context.get("suffix", "")

    context = {"article": item("Uno")}
    html, reads = render_traced(
        "{% set suffix = '!' %}{{ where() }}", context, where=tracing.derived("where", where)
    )
    assert html == "Uno"
    assert reads == {"where", ("=where", "()")}  # the function, and what it gave
    assert tracing.lookup(context, ("=where", "()")) == "Uno"
    assert tracing.lookup({"article": item("Due")}, ("=where", "()")) == "Due"
    assert tracing.lookup({}, ("=where", "()")) is tracing.MISSING  # it failed


def test_a_method_called_with_texts_and_numbers_is_recorded_with_them():
    class Schedule:
        def next(self, count):
            return list(range(count))

        def pick(self, name, count):
            return [name] * count

        def among(self, events):
            return events

    schedule = Schedule()
    with tracing.recording() as reads:
        events = tracing.Parts("EVENTS", schedule)
        assert events.next(2) == [0, 1]
        assert events.pick("a", 1) == ["a"]
    assert reads == {("EVENTS", ".next", "(2,)"), ("EVENTS", ".pick", "('a', 1)")}
    for path in reads:
        assert tracing.lookup({"EVENTS": schedule}, path) == getattr(schedule, path[1][1:])(
            *eval(path[2])
        )
    with tracing.recording() as reads:
        tracing.Parts("EVENTS", schedule).among([1])
    assert reads == {"EVENTS"}  # called with a list: the whole value counts


def test_one_language_at_a_time_and_a_damaged_record(tmp_path):
    """Languages built one after the other keep their own records; a record
    that cannot be read makes the build render everything, and nothing else."""
    site = Site(tmp_path)
    site.build(I18N_PARALLEL=False)
    counts, _ = site.rebuild(I18N_PARALLEL=False)
    assert {lang: rendered for lang, (rendered, _) in counts.items()} == {"it": 0, "en": 0}
    assert min(reused for _, reused in counts.values()) > 50
    before = {name: (site.output / name).read_bytes() for name in tree(site.output)}

    records = list((tmp_path / "output.cache").glob("*/*/rendered-pages.pickle"))
    assert len(records) == 2
    for record in records:
        record.write_bytes(record.read_bytes()[:100])
    counts, log = site.rebuild(I18N_PARALLEL=False)
    assert {lang: reused for lang, (_, reused) in counts.items()} == {"it": 0, "en": 0}
    assert "Traceback" not in log
    assert {name: (site.output / name).read_bytes() for name in tree(site.output)} == before


def test_digests_follow_values_not_objects():
    from incremental.digest import Digests, Undigestable

    class Node:
        def __init__(self, name, children=()):
            self.name, self.children, self.parent = name, list(children), None

    def tree(leaf_name):
        root = Node("root", [Node("a"), Node("b", [Node(leaf_name)])])
        for child in root.children:
            child.parent = root  # a cycle back to the root
        return {"tree": root}

    digests = Digests()
    first, same, changed = tree("leaf"), tree("leaf"), tree("other leaf")
    assert digests.of(first) == digests.of(same)  # other objects, equal values
    assert digests.of(first) != digests.of(changed)  # a change three levels down
    assert Digests().of([1]) != Digests().of([True])  # equal in Python, not on a page
    # Equal texts, one escaped on the page and one not; asked twice, as the
    # digests remember short texts.
    for _ in range(2):
        assert Digests().of(["<b>"]) != Digests().of([Markup("<b>")])
    with pytest.raises(Undigestable):
        Digests().of({"handle": object()})


def test_terms_remembered_by_value_digest_as_they_would_afresh():
    """Tags and categories are digested once per name and settings; each
    still counts its slug, type, settings and every public attribute."""
    from pelican.urlwrappers import Category, Tag

    from incremental.digest import Digests

    settings = {
        "TAG_URL": "tag/{slug}/",
        "TAG_SAVE_AS": "tag/{slug}/index.html",
        "CATEGORY_URL": "categoria/{slug}/",
        "CATEGORY_SAVE_AS": "categoria/{slug}/index.html",
    }

    def terms():
        renamed, labelled = Tag("Lodi", settings), Tag("Lodi", settings)
        renamed.slug = "lodi-2"
        labelled.label = "Lodi e provincia"
        return [
            Tag("Lodi", settings),
            Tag("Lodi", settings),
            renamed,
            Category("Lodi", settings),
            labelled,
            Tag("Lodi", {**settings, "TAG_URL": "etichetta/{slug}/"}),
        ]

    remembered = [Digests().of([term]) for term in terms()]
    shared = Digests()
    remembered_together = [shared.of([term]) for term in terms()]
    afresh = Digests()
    afresh._term = lambda term: None  # every term walked as any other object
    walked = [afresh.of([term]) for term in terms()]
    assert remembered == walked == remembered_together
    assert remembered[0] == remembered[1]
    assert len(set(remembered[1:])) == 5


def test_changing_the_code_that_makes_kept_values_makes_them_anew(tmp_path):
    """VEVENTs, the sitemap's XML and the search bundles are kept between
    builds; a change to the module that makes them must show at once."""
    plugins = tmp_path / "plugins"
    shutil.copytree(os.path.join(ROOT, "plugins"), plugins)
    extra = {"PLUGIN_PATHS": [str(plugins)]}
    output = tmp_path / "output"
    content = events_fixture_content(tmp_path)
    data = os.path.join(ROOT, "tests", "fixtures", "events_data")
    assert run_pelican(output, content=content, data=data, extra=extra).returncode == 0

    def edit(module, old, new):
        path = plugins / module
        text = path.read_text(encoding="utf-8")
        assert old in text, module
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    edit(
        "events/calendar.py",
        "vevent.add(HASH_PROPERTY, digest)",
        'vevent.add(HASH_PROPERTY, digest)\n        vevent.add("x-code-changed", "yes")',
    )
    edit("sitemap/__init__.py", 'xml_declaration=True) + "\\n"', 'xml_declaration=True) + "\\n\\n"')
    edit("search/__init__.py", '"""Site search:', '"""(Changed.) Site search:')
    result = run_pelican(output, content=content, data=data, extra=extra, args=["--verbose"])
    assert result.returncode == 0, result.stderr
    feed = next(output.glob("eventi/*/*.ics")).read_text(encoding="utf-8")
    assert "X-CODE-CHANGED:yes" in feed
    assert (output / "sitemap.xml").read_text(encoding="utf-8").endswith("</urlset>\n\n")
    log = " ".join((result.stdout + result.stderr).split())
    assert log.count("Search: indexing") == 4, log


def test_a_kept_value_that_cannot_be_read_is_made_again(tmp_path):
    from incremental import kept

    path = tmp_path / "kept.pickle"
    kept.write(str(path), "key", {"value": 1})
    assert kept.read(str(path), "key") == {"value": 1}
    assert kept.read(str(path), "another key") is None
    assert kept.read(str(tmp_path / "missing.pickle"), "key") is kept.MISSING
    renamed_module = pickle.dumps(("key", pickle.loads(pickle.dumps(Markup("x")))))
    renamed_module = renamed_module.replace(b"markupsafe", b"markupsafx")
    damaged = [b"", b"\x80\x05garbage", pickle.dumps(("key", 1))[:-3], renamed_module]
    for data in damaged:
        path.write_bytes(data)
        assert kept.read(str(path), "key") is kept.MISSING, data
