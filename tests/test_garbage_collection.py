"""The build's garbage collector: content frozen while pages are written,
everything put back when the run ends."""

import gc
import os

import pytest

from sitebuild import ROOT, project_plugins, run_pelican


def test_every_language_writes_with_its_content_frozen(tmp_path):
    from garbage_collection import BUILD_THRESHOLDS

    probe = tmp_path / "probe.txt"
    result = run_pelican(
        tmp_path / "output",
        extra={
            "PLUGIN_PATHS": ["plugins", os.path.join(ROOT, "tests", "fixtures", "plugins")],
            "PLUGINS": [*project_plugins(), "gc_probe"],
        },
        env={"GC_PROBE": str(probe)},
    )
    assert result.returncode == 0, result.stderr
    seen = {}
    for line in probe.read_text().splitlines():
        lang, frozen, threshold = line.split()
        seen[lang] = (int(frozen), int(threshold))
    assert set(seen) == {"it", "en"}
    for lang, (frozen, threshold) in seen.items():
        # Pelican, the plugins and the site's content: far more than a few objects.
        assert frozen > 50_000, f"{lang}: only {frozen} objects frozen"
        assert threshold == BUILD_THRESHOLDS[0], lang


def test_a_run_puts_the_collector_back_and_undoes_one_that_stopped_half_way():
    import garbage_collection as tuning

    before = gc.get_threshold()
    try:
        tuning.start_run(None)
        tuning.freeze_content([])
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == tuning.BUILD_THRESHOLDS
        # That run stopped before `finalized`; autoreload starts the next one.
        tuning.start_run(None)
        assert gc.get_freeze_count() == 0
        tuning.freeze_content([])
        tuning.end_run(None)
        assert gc.get_threshold() == before
        # What it froze goes back to the collector when the next run starts.
        assert gc.get_freeze_count() > 0
        tuning.start_run(None)
        assert gc.get_freeze_count() == 0
        tuning.end_run(None)
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


@pytest.mark.parametrize("fails_after_the_build", [False, True])
def test_a_build_that_succeeded_ends_without_python_freeing_everything(
    tmp_path, fails_after_the_build
):
    probe = tmp_path / "probe.txt"
    env = {"EXIT_PROBE": str(probe)}
    if fails_after_the_build:
        env["EXIT_PROBE_FAIL"] = "1"
    result = run_pelican(
        tmp_path / "output",
        extra={
            "PLUGIN_PATHS": ["plugins", os.path.join(ROOT, "tests", "fixtures", "plugins")],
            "PLUGINS": [*project_plugins(), "exit_probe"],
            "SEARCH_INDEX": False,
        },
        env=env,
    )
    said = result.stdout + result.stderr
    if fails_after_the_build:
        # The failure keeps its status and its message: the usual end.
        assert result.returncode == 1
        assert "a plugin failed after the build" in said
        assert probe.read_text() == "ended as usual\n"
    else:
        assert result.returncode == 0, said
        assert "Done: Processed" in " ".join(said.split())  # the output is flushed
        assert not probe.exists()  # the handlers of Python's usual end did not run


def test_a_program_running_pelican_inside_ends_its_own_way(monkeypatch):
    import logging

    from garbage_collection import exit_quickly_after_success

    handlers = list(logging.getLogger().handlers)
    registered = []
    monkeypatch.setattr("atexit.register", registered.append)
    exit_quickly_after_success(pelican=None)  # here the program is pytest
    assert registered == []
    assert logging.getLogger().handlers == handlers
