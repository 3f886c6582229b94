"""Python's cyclic garbage collector, tuned for a build.

A build keeps every article, page and parsed file alive until it ends,
hundreds of thousands of objects, and by default the collector walks them
all again and again while the pages are written, finding nothing: on a
rebuild that reuses its pages this was a sixth of the time
(docs/performance.md). Once the content is read, it is moved out of the
collector's sight (``gc.freeze``), and young objects are collected in
larger batches. Reference counting still frees everything as usual; only
cycles among the frozen objects wait.

They wait until the next run in the same process (``pelican
--autoreload``), which gives them back to the collector first, or until
the process ends: then Python's last collection need not walk them either,
a fifth of a second saved at every build's end. The thresholds are put
back when the run ends, and a run that stopped half-way is undone by the
next.
"""

import gc

from pelican import signals

# Young objects collected every 50,000 allocations instead of 700: pages
# make many short-lived objects, and most die young.
BUILD_THRESHOLDS = (50_000, 20, 10)

_thresholds_before = None


def start_run(pelican):
    global _thresholds_before
    end_run(pelican)  # a run in this process that stopped half-way
    gc.unfreeze()  # what the previous run left frozen
    _thresholds_before = gc.get_threshold()
    gc.set_threshold(*BUILD_THRESHOLDS)


def freeze_content(generators):
    """What was read lives as long as the run: the collector need not walk it."""
    gc.freeze()


def end_run(pelican):
    global _thresholds_before
    if _thresholds_before is not None:
        gc.set_threshold(*_thresholds_before)
        _thresholds_before = None


def register():
    signals.initialized.connect(start_run)
    signals.all_generators_finalized.connect(freeze_content)
    signals.finalized.connect(end_run)
