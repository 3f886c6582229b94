"""The build's garbage collector: content frozen while pages are written,
everything put back when the run ends."""

import gc
import os

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
