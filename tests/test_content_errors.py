"""Editors' mistakes in content/ stop the build with a message, not a traceback."""

import os
import shutil

import pytest

from sitebuild import copy_project_sources, run_pelican

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "content")

CASES = {
    # fixture: (folder, expected lines in the report)
    "no-title.it.md": (
        "pagine",
        [
            "content/pagine/no-title.it.md:1:1: title: the title is missing (add a line 'Title: …' at the top)"
        ],
    ),
    "unknown-lang.md": (
        "pagine",
        ["content/pagine/unknown-lang.md:2:1: lang: unknown language 'fr' (use one of: it, en)"],
    ),
    "typo-field.it.md": (
        "notizie",
        [
            "content/notizie/typo-field.it.md:3:1: categroy: unknown field 'categroy' (did you mean 'category'?)"
        ],
    ),
    "bad-date.it.md": (
        "notizie",
        [
            "content/notizie/bad-date.it.md:2:1: date: could not be read: '2026-13-45' is not a valid date"
        ],
    ),
    # English only: parsed by the English process, reported once by the build.
    "bad-date.en.md": (
        "notizie",
        [
            "content/notizie/bad-date.en.md:2:1: date: could not be read: '2026-13-45' is not a valid date"
        ],
    ),
    "typo-field.en.md": (
        "notizie",
        [
            "content/notizie/typo-field.en.md:3:1: categroy: unknown field 'categroy' (did you mean 'category'?)"
        ],
    ),
    "lang-contradicts.en.md": (
        "notizie",
        [
            "content/notizie/lang-contradicts.en.md:3:1: lang: 'Lang: it' contradicts the file name's '.en.' (rename the file or fix the Lang line)"
        ],
    ),
    "unknown-category.it.md": (
        "notizie",
        [
            "content/notizie/unknown-category.it.md:3:1: category: unknown category 'progeto' (did you mean 'progetto'?)",
            "content/notizie/unknown-category.it.md:4:1: tags: unknown tag 'milano-citta' (add it to data/taxonomy.yaml under tags)",
        ],
    ),
    "not-utf8.it.md": (
        "notizie",
        [
            "content/notizie/not-utf8.it.md:1:12: is not UTF-8 text (a character here was saved in another encoding) (save the file as UTF-8",
        ],
    ),
    "template-typo.it.md": (
        "pagine",
        [
            "content/pagine/template-typo.it.md:3:1: template: the theme has no template 'does_it_aply' (did you mean 'does_it_apply'?)"
        ],
    ),
    # A misspelt reading level would be published as a page of its own.
    "progetto.facle.it.md": (
        "pagine",
        [
            "content/pagine/progetto.facle.it.md:1:1: the file name 'progetto.facle.it.md' is not <name>.<language>.md (rename it like progetto.it.md, or progetto.facile.it.md for its easy-to-read version)"
        ],
    ),
    "convenzioni-art-14.facile.fr.md": (
        "pagine",
        [
            "content/pagine/convenzioni-art-14.facile.fr.md:1:1: lang: unknown language 'fr' (use one of: it, en)"
        ],
    ),
    "broken-link.it.md": (
        "pagine",
        [
            "content/pagine/broken-link.it.md:1:1: link to a missing file: non-esiste.it.md",
            "content/pagine/broken-link.it.md:1:1: link to an unknown page: {route}linea:linea-4",
        ],
    ),
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    content, data = copy_project_sources(tmp_path)
    output = tmp_path / "output"
    output.mkdir()
    (output / "index.html").write_text("the previous build")
    return content, data, output


@pytest.mark.parametrize("fixture", sorted(CASES))
@pytest.mark.parametrize("mode", ["html", "check"])
def test_bad_content_stops_the_build(project, fixture, mode):
    content, data, output = project
    folder, expected = CASES[fixture]
    shutil.copy(os.path.join(FIXTURES, fixture), os.path.join(content, folder, fixture))
    extra = {"CHECK_ONLY": True} if mode == "check" else {}
    result = run_pelican(output, content=content, data=data, extra=extra)
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "Traceback" not in report
    for line in expected:
        shown = line.replace(
            "content/", os.path.relpath(content, os.getcwd()).replace(os.sep, "/") + "/", 1
        )
        times = sum(reported.startswith(shown) for reported in report.splitlines())
        assert times == 1, f"{shown!r} reported {times} times in:\n{report}"
    assert report.count("Could not process") <= 1  # Pelican's line, from one language only
    assert "nothing was written to the output folder" in report
    assert os.listdir(output) == ["index.html"]
    assert (output / "index.html").read_text() == "the previous build"
    assert [name for name in os.listdir(output.parent) if ".building-" in name] == []


def test_check_passes_on_the_project(tmp_path):
    result = run_pelican(tmp_path / "output", extra={"CHECK_ONLY": True})
    assert result.returncode == 0, result.stderr
    assert "No problems found" in result.stderr
    assert not (tmp_path / "output").exists()


def test_relative_addresses_are_refused_with_the_fix(tmp_path):
    """The theme's links start from SITEURL, read once per language."""
    output = tmp_path / "output"
    result = run_pelican(output, extra={"RELATIVE_URLS": True, "SEARCH_INDEX": False})
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "Traceback" not in report
    assert (
        "pelicanconf.py: RELATIVE_URLS: relative addresses are not supported "
        "(set RELATIVE_URLS = False;" in report
    )
    assert not output.exists()


@pytest.mark.parametrize(
    ("mistake", "reported"),
    [
        ('MAIN_MENU = [("page", "pagine/progetto")\n', ":3:13: SyntaxError: '[' was never closed"),
        ("TIMEZONE = Europe/Rome\n", ":3: NameError: name 'Europe' is not defined"),
    ],
)
def test_a_mistake_in_the_settings_file_is_reported_at_its_line(project, mistake, reported):
    content, data, output = project
    settings = output.parent / "mysettings.py"
    settings.write_text(f"from pelicanconf import *  # noqa\n\n{mistake}", encoding="utf-8")
    result = run_pelican(output, content=content, data=data, settings=str(settings))
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "Traceback" not in report
    assert f"{os.path.relpath(settings)}{reported}" in report, report
    assert "(correct the settings file at this line (it is Python), then build again)" in report
    assert os.listdir(output) == ["index.html"]


def test_a_syntax_error_in_a_module_the_settings_import_is_reported_there(project):
    content, data, output = project
    module = output.parent / "broken_helper.py"
    module.write_text("def helper(:\n    pass\n", encoding="utf-8")
    settings = output.parent / "mysettings.py"
    settings.write_text(
        f"import sys\nsys.path.insert(0, {str(output.parent)!r})\n"
        "from pelicanconf import *  # noqa\nimport broken_helper  # noqa\n",
        encoding="utf-8",
    )
    result = run_pelican(output, content=content, data=data, settings=str(settings))
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "Traceback" not in report
    assert f"{os.path.relpath(module)}:1:12: SyntaxError: " in report, report
    assert "(correct this Python file at this line, then build again)" in report
    assert os.path.relpath(settings) not in report
    assert os.listdir(output) == ["index.html"]


@pytest.mark.parametrize("mode", ["html", "check"])
def test_a_page_the_theme_links_cannot_be_deleted_unnoticed(project, mode):
    content, data, output = project
    for lang in ("it", "en"):
        os.remove(os.path.join(content, "pagine", f"ti-riguarda.{lang}.md"))
    extra = {"CHECK_ONLY": True} if mode == "check" else {}
    result = run_pelican(output, content=content, data=data, extra=extra)
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "Traceback" not in report
    template = os.path.join("theme", "templates", "territory.html")
    with open(template, encoding="utf-8") as handle:
        line = next(
            n for n, text in enumerate(handle, 1) if "content('pagine/ti-riguarda')" in text
        )
    restore = os.path.relpath(content, os.getcwd()).replace(os.sep, "/") + "/pagine/ti-riguarda"
    assert (
        f"{template}:{line}:1: the theme links the page 'pagine/ti-riguarda', which is missing"
        f" or a draft (restore {restore}.<language>.md, or publish it)"
    ) in report, report
    # A page that links it is named too.
    assert ".it.md:1:1: link to a missing file: ti-riguarda.it.md" in report
    assert os.listdir(output) == ["index.html"]
