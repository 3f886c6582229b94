"""Preview builds started warm (tools/warm_build.py): what `pelican` writes,
mistakes reported as always, and never older code than a fresh run's."""

import os
import shutil
import sys

import pytest
from test_incremental import COUNTS, FIXED_DAY, differences

from sitebuild import ROOT, copy_project_sources, run_pelican

sys.path.insert(0, os.path.join(ROOT, "tools"))

from warm_build import WarmBuilder

SETTINGS = os.path.join(ROOT, "pelicanconf.py")


def arguments(content, data, output, settings=SETTINGS):
    return [content, "-o", str(output), "-s", settings, "-e", f'DATA_PATH="{data}"']


@pytest.fixture
def fixed_day(monkeypatch):
    for name, value in FIXED_DAY.items():
        monkeypatch.setenv(name, value)


def test_a_warm_build_writes_what_pelican_writes(tmp_path, fixed_day):
    content, data = copy_project_sources(tmp_path)
    with open(tmp_path / "log", "w") as log, WarmBuilder(SETTINGS, ROOT, log) as builder:
        assert builder.build(arguments(content, data, tmp_path / "warm")) == 0
        process = builder.process.pid
        assert builder.build(arguments(content, data, tmp_path / "warm")) == 0
        assert builder.process.pid == process  # the same process forked again
    result = run_pelican(tmp_path / "fresh", content=content, data=data, env=FIXED_DAY)
    assert result.returncode == 0, result.stderr
    assert differences(tmp_path / "warm", tmp_path / "fresh") == []
    # Same build key: `pelican` after a preview reuses every page.
    result = run_pelican(
        tmp_path / "warm", content=content, data=data, env=FIXED_DAY, args=["--verbose"]
    )
    counts = COUNTS.findall(result.stdout + result.stderr)
    assert sorted(lang for *_, lang in counts) == ["en", "it"]
    assert all(rendered == "0" for rendered, _, _ in counts), counts


def test_a_mistake_is_reported_and_the_next_build_knows_nothing_of_it(tmp_path):
    content, data = copy_project_sources(tmp_path)
    partners = os.path.join(data, "partners.yaml")
    with open(partners, encoding="utf-8") as handle:
        good = handle.read()
    with open(partners, "w", encoding="utf-8") as handle:
        handle.write(good.replace("  name:", "  nmae:", 1))
    output = tmp_path / "output"
    with open(tmp_path / "log", "w") as log, WarmBuilder(SETTINGS, ROOT, log) as builder:
        assert builder.build(arguments(content, data, output)) == 1
        said = (tmp_path / "log").read_text(encoding="utf-8")
        assert "partners.yaml:" in said
        assert "nmae" in said
        assert "Traceback" not in said
        assert not output.exists()  # nothing published
        with open(partners, "w", encoding="utf-8") as handle:
            handle.write(good)
        assert builder.build(arguments(content, data, output)) == 0
    assert (output / "partner" / "index.html").exists()


def test_changed_project_code_is_imported_again(tmp_path):
    """The process that forks imported the settings file and the plugins:
    once one of them changes, a new process makes the build."""
    for name in ("content", "data", "theme", "plugins", "newsletter"):
        shutil.copytree(os.path.join(ROOT, name), tmp_path / name)
    settings = tmp_path / "pelicanconf.py"
    shutil.copy(os.path.join(ROOT, "pelicanconf.py"), settings)
    home = tmp_path / "output" / "index.html"
    build = arguments("content", "data", "output", settings=str(settings))
    with open(tmp_path / "log", "w") as log, WarmBuilder(settings, tmp_path, log) as builder:
        assert builder.build(build) == 0
        first = builder.process.pid
        assert builder.build(build) == 0
        assert builder.process.pid == first
        typography = tmp_path / "plugins" / "typography" / "__init__.py"
        typography.write_text(typography.read_text() + "\n# changed\n")
        assert builder.build(build) == 0
        second = builder.process.pid
        assert second != first
        settings.write_text(settings.read_text().replace('SITENAME = "', 'SITENAME = "Nuovo '))
        assert builder.build(build) == 0
        assert builder.process.pid != second
    assert "Nuovo OpenSource14" in home.read_text(encoding="utf-8")


def test_without_its_process_each_build_is_a_fresh_pelican(tmp_path):
    content, data = copy_project_sources(tmp_path)
    with open(tmp_path / "log", "w") as log, WarmBuilder(SETTINGS, ROOT, log) as builder:
        assert builder.build(arguments(content, data, tmp_path / "output")) == 0
        builder.process.kill()
        builder.process.wait()
        assert builder.build(arguments(content, data, tmp_path / "output")) == 0
        assert builder.process is None  # that build was a `pelican` of its own
        assert builder.build(arguments(content, data, tmp_path / "output")) == 0
        assert builder.process is not None  # and the next one warm again


def test_a_broken_settings_file_is_reported_once_by_pelican(tmp_path):
    """The warm process cannot import it: it steps aside without a word, and
    the fresh `pelican` building instead reports it as it always did."""
    content, data = copy_project_sources(tmp_path)
    settings = tmp_path / "pelicanconf.py"
    with open(SETTINGS, encoding="utf-8") as handle:
        settings.write_text(handle.read().replace("PLUGINS = [", "PLUGINS = [[", 1))
    output = tmp_path / "output"
    with open(tmp_path / "log", "w") as log, WarmBuilder(settings, ROOT, log) as builder:
        assert builder.build(arguments(content, data, output, settings=str(settings))) == 1
    said = (tmp_path / "log").read_text(encoding="utf-8")
    assert "pelicanconf.py" in said
    assert "warm_build.py" not in said
    assert not output.exists()
