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

Python's own end, freeing the build's objects one by one, took another
fifth to a third of a second. A build that succeeded ends without it: when
the process exits and nothing failed after the build's end (Pelican logs a
critical message before any exit with an error status), it flushes its
output and its logs and exits at once.
"""

import atexit
import gc
import logging
import multiprocessing
import os
import sys

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


class _FailureNoted(logging.Handler):
    """Pelican's ``main`` logs a critical message before any exit with an
    error status; an exception nobody caught goes to ``sys.excepthook``."""

    failed = False

    def __init__(self):
        super().__init__(level=logging.CRITICAL)

    def emit(self, record):
        _FailureNoted.failed = True


def exit_quickly_after_success(pelican):
    """Once a build has ended: unless something fails after this, the process
    ends without freeing what it holds. Only in the ``pelican`` command: a
    program that runs Pelican inside (a test runner...) ends its own way."""
    if not _pelican_is_the_program():
        return
    if any(isinstance(handler, _FailureNoted) for handler in logging.getLogger().handlers):
        return  # already, in this process (each language's run ends)
    logging.getLogger().addHandler(_FailureNoted())
    excepthook = sys.excepthook

    def excepthook_noting_failure(*details):
        _FailureNoted.failed = True
        excepthook(*details)

    sys.excepthook = excepthook_noting_failure
    atexit.register(_exit_without_freeing)


def _pelican_is_the_program():
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None:  # python -m pelican
        return spec.name == "pelican.__main__"
    name = os.path.basename(getattr(main, "__file__", None) or "")
    return os.path.splitext(name)[0] in ("pelican", "pelican-script")


def _exit_without_freeing():
    # Registered last, so run first: the handlers registered before are
    # logging's (called here) and multiprocessing's (nothing left to do
    # once the languages' processes have ended).
    if _FailureNoted.failed or multiprocessing.active_children():
        return
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def register():
    signals.initialized.connect(start_run)
    signals.all_generators_finalized.connect(freeze_content)
    signals.finalized.connect(end_run)
    signals.finalized.connect(exit_quickly_after_success)
