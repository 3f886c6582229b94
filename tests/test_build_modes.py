"""How the languages are built: side by side or one after the other, from
Pelican's cache or afresh, the result is the same; a failure anywhere
publishes nothing."""

import filecmp
import os
import shutil

from sitebuild import ROOT, copy_project_sources, run_pelican

FIXED_DAY = {"SOURCE_DATE_EPOCH": "1800010800"}


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
    assert not (tmp_path / "output.staging").exists()
