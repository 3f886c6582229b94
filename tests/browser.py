"""Chromium through Playwright, for tests that need a real browser.

Never skipped: when the browser is missing the tests fail and say how to
install it (CI installs Debian's chromium in .ci/run).
"""

import os
import shutil
import sys
import threading

import axe_playwright_python
import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))  # serve.py, the server `make serve` runs
AXE_JS = os.path.join(os.path.dirname(axe_playwright_python.__file__), "axe.min.js")
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_path():
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        pytest.fail(
            "Chromium is needed for the browser tests: install it with "
            "`apt-get install chromium` (or set CHROMIUM=/path/to/chromium).",
            pytrace=False,
        )
    return found


def launch(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)


def run_axe(page):
    page.add_script_tag(path=AXE_JS)
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_AA_TAGS,
    )["violations"]


def describe(violations):
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            lines.append(f"{violation['id']}: {node['target']} {node.get('failureSummary', '')}")
    return "\n".join(lines)


class StaticServer:
    """The built site on a free port, served the way `make serve` serves it."""

    def __init__(self, root):
        from serve import make_server

        self.server = make_server("127.0.0.1", 0, root)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
