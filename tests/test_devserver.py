"""`make devserver` (tools/devserver.py) in a real browser: an edit to content/
or data/ shows up in the open page by itself, a broken one leaves it as it was."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

from browser import ROOT, launch
from sitebuild import copy_project_sources

pytestmark = pytest.mark.browser

FIRST_BUILD_SECONDS = 300
REBUILD_SECONDS = 30


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DevServer:
    """tools/devserver.py building a copy of content/ and data/; what it prints is kept."""

    def __init__(self, tmp_path):
        self.content, self.data = copy_project_sources(tmp_path)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        command = [sys.executable, os.path.join(ROOT, "tools", "devserver.py")]
        command += [
            "--port",
            str(port),
            "--newsletter-port",
            "0",
            "--output",
            str(tmp_path / "output"),
        ]
        command += ["--content", self.content, "--data", self.data]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        self.lines = []
        self.reader = threading.Thread(target=self._read)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def said(self):
        return "".join(self.lines)

    def wait_for(self, *texts, after=0, timeout=REBUILD_SECONDS):
        """The first of texts printed on a line after the first `after` lines."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                for text in texts:
                    if text in line:
                        return text
            if self.process.poll() is not None:
                pytest.fail(f"devserver.py ended:\n{self.said()}", pytrace=False)
            time.sleep(0.2)
        pytest.fail(f"devserver.py did not say {texts} in {timeout} s:\n{self.said()}")

    def wait_until_served(self):
        first = self.wait_for("Rebuilt.", "Build stopped", timeout=FIRST_BUILD_SECONDS)
        assert first == "Rebuilt.", self.said()
        deadline = time.monotonic() + REBUILD_SECONDS
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5):
                    return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"devserver.py does not answer at {self.url}:\n{self.said()}")

    def open(self, page, path):
        """Opens path once the page is connected to the server for reloads."""
        mark = len(self.lines)
        page.goto(self.url + path)
        self.wait_for(f"Browser Connected: {self.url}{path}", after=mark)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=10)


def edit(path, old, new):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert old in text
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text.replace(old, new, 1))


def test_the_open_page_shows_an_edit_by_itself_and_a_broken_edit_is_not_loaded(tmp_path):
    server = DevServer(tmp_path)
    try:
        server.wait_until_served()
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page()

            server.open(page, "/progetto/")
            edit(
                os.path.join(server.content, "pagine", "progetto.it.md"),
                "Title: Il progetto\n",
                "Title: Il progetto in anteprima\n",
            )
            expect(page.locator("h1")).to_have_text(
                "Il progetto in anteprima", timeout=REBUILD_SECONDS * 1000
            )

            server.open(page, "/partner/")
            partners = os.path.join(server.data, "partners.yaml")
            edit(partners, '"Naturcoop, cooperativa sociale"', '"Naturcoop rinominata"')
            expect(page.locator("main")).to_contain_text(
                "Naturcoop rinominata", timeout=REBUILD_SECONDS * 1000
            )

            # A page reloaded would lose this.
            page.evaluate("window.notReloaded = true")
            mark = len(server.lines)
            edit(partners, '"Naturcoop rinominata"', '"Naturcoop rinominata')  # no closing quote
            assert server.wait_for("Rebuilt.", "Build stopped", after=mark) == "Build stopped"
            page.wait_for_timeout(1500)  # time for a reload that should not come
            assert page.evaluate("window.notReloaded") is True
            expect(page.locator("main")).to_contain_text("Naturcoop rinominata")
            with urllib.request.urlopen(server.url + "/partner/", timeout=5) as answer:
                assert "Naturcoop rinominata" in answer.read().decode("utf-8")
            browser.close()
    finally:
        server.stop()
