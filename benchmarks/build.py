"""How fast the site builds, and how fast the preview shows an edit.

    .venv/bin/python benchmarks/build.py [--quick]

Prints three ratios, each measured side by side in this one run (the two
sides taking turns), as medians of three runs (one with --quick):

1. The real site (this checkout's content/ and data/) built cold, fresh
   output and no cache, by `tools/build.py` vs by the last commit with the
   build-speed machinery (a6a3ef2, taken out with `git archive`, running its
   own `pelican` command with this checkout's .venv). Target <= 1.3x.
2. A synthetic two-year corpus (benchmarks/sitegen.py: 300 news items in
   Italian and 300 in English, 150 events, 30 workshops with 60 material
   files) built cold by `tools/build.py` vs by plain Pelican (no plugins,
   its own theme) reading the same Markdown files. Target <= 2.0x.
3. From saving a Markdown file to the open page showing the change: with
   `make devserver` (tools/devserver.py, the page in headless Chromium
   reloaded by livereload) vs a `make html` rebuild (tools/build.py into the
   same output, its cache warm) after the same edit. Target <= 1.5x.

The checkout is copied to a temporary folder first, so that edits others
make during the run neither mix into it nor set the preview rebuilding. A
build's time ends when its command returns; work it leaves running in the
background (a6a3ef2 copies its output afterwards) is waited for, untimed,
so that it never runs beside the next build. Missed targets are printed,
not failed: the exit status is non-zero only when something went wrong.
"""

import argparse
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from playwright.sync_api import sync_playwright

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, "tests")]

from sitegen import make_corpus, plain_settings  # noqa: E402

from browser import CHROMIUM_FLAGS  # noqa: E402 - launched as the browser tests launch it

OLD = "a6a3ef2"  # the last commit with the build-speed machinery
PYTHON = sys.executable
PELICAN = os.path.join(os.path.dirname(sys.executable), "pelican")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def mentioning(path):
    """Whether a process has path, or a path beside it (path.staging), among its arguments."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                arguments = os.fsdecode(handle.read()).split("\0")
        except OSError:
            continue
        if any(
            argument.startswith((path + ".", path + "/")) or argument == path
            for argument in arguments
        ):
            return True
    return False


def timed(command, cwd, label):
    """Seconds until a build returns; then waits, untimed, for what it left running."""
    output = command[command.index("-o") + 1]
    start = time.perf_counter()
    process = subprocess.run(command, cwd=cwd, capture_output=True, text=True, errors="replace")
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        said = process.stdout + process.stderr
        raise SystemExit(f"{label} failed: {shlex.join(command)}\n{said[-3000:]}")
    deadline = time.monotonic() + 300
    while mentioning(output) and time.monotonic() < deadline:
        time.sleep(0.1)
    return seconds


def side_by_side(runs, first, second):
    """Medians of first() and second(), called in turns."""
    times = [], []
    for number in range(runs):
        times[0].append(first(number))
        times[1].append(second(number))
    return statistics.median(times[0]), statistics.median(times[1])


def report(label, new, other, other_name, target):
    print(
        f"{label}: {new:.2f} s vs {other:.2f} s ({other_name}) = {new / other:.2f}x "
        f"(target {target}x)",
        flush=True,
    )


def project_build(snapshot, content, output, data):
    """`make html`'s command, with this content/, output and data/."""
    tool, settings = (os.path.join(snapshot, name) for name in ("tools/build.py", "pelicanconf.py"))
    return [PYTHON, tool, content, "-o", output, "-s", settings, "-e", f'DATA_PATH="{data}"']


def real_site(tmp, snapshot, runs):
    old = os.path.join(tmp, "old")
    os.mkdir(old)
    tarball = os.path.join(tmp, "old.tar")
    subprocess.run(["git", "-C", ROOT, "archive", "-o", tarball, OLD], check=True)
    subprocess.run(["tar", "-xf", tarball, "-C", old], check=True)
    content, data = (os.path.join(snapshot, name) for name in ("content", "data"))

    def new_build(number):
        command = project_build(snapshot, content, os.path.join(tmp, f"real-{number}"), data)
        return timed(command, snapshot, "the site's build")

    def old_build(number):
        # A ModuleNotFoundError here: a6a3ef2 needs a package that .venv no longer has.
        output = os.path.join(old, f"out-{number}")
        command = [PELICAN, "content", "-o", output, "-s", "pelicanconf.py"]
        return timed(command, old, f"the build of {OLD}")

    new_build("warm-up")  # untimed: compiles the old code's Python files, fills caches
    old_build("warm-up")
    new, other = side_by_side(runs, new_build, old_build)
    report("real site cold build", new, other, OLD, 1.3)


def corpus(tmp, snapshot, runs):
    folder = os.path.join(tmp, "corpus")
    content, data = make_corpus(folder, snapshot)
    settings = plain_settings(folder, content)

    def new_build(number):
        command = project_build(snapshot, content, os.path.join(folder, f"out-{number}"), data)
        return timed(command, folder, "the corpus's build")

    def plain_build(number):
        command = [PELICAN, content, "-o", os.path.join(folder, f"plain-{number}")]
        return timed([*command, "-s", settings], folder, "plain Pelican")

    new, other = side_by_side(runs, new_build, plain_build)
    report("two-year corpus cold build", new, other, "plain Pelican", 2.0)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def copy_site(snapshot, folder):
    """A copy of the real site's content/ and data/; returns (content, data, a news item)."""
    content, data = (os.path.join(folder, name) for name in ("content", "data"))
    shutil.copytree(os.path.join(snapshot, "content"), content)
    shutil.copytree(os.path.join(snapshot, "data"), data)
    news = sorted(name for name in os.listdir(os.path.join(content, "notizie")) if ".it." in name)
    if not news:
        raise SystemExit("content/notizie/ has no Italian news item to edit")
    return content, data, os.path.join(content, "notizie", news[0])


def edit(path, marker):
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"\n{marker}\n")


def address(output, markdown):
    """The page of a Markdown file, found in the output by its slug (the shortest match)."""
    with open(markdown, encoding="utf-8") as handle:
        slug = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("Slug:"))
    found = [
        os.path.relpath(folder, output)
        for folder, _, files in os.walk(output)
        if os.path.basename(folder) == slug and "index.html" in files
    ]
    if not found:
        raise SystemExit(f"no page for {slug} in {output}")
    return "/" + min(found, key=len) + "/"


def start_devserver(tmp, snapshot, content, data):
    """`make devserver` on a copy of the site; returns (process, its address) once it serves."""
    port = free_port()
    command = [PYTHON, os.path.join(snapshot, "tools", "devserver.py"), "--port", str(port)]
    command += ["--newsletter-port", "0", "--content", content, "--data", data]
    command += ["--output", os.path.join(tmp, "dev-output")]
    command += ["--settings", os.path.join(snapshot, "pelicanconf.py")]
    log = os.path.join(tmp, "devserver.log")
    with open(log, "wb") as handle:
        process = subprocess.Popen(command, cwd=snapshot, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    process.kill()
    with open(log, encoding="utf-8", errors="replace") as said:
        raise SystemExit(f"tools/devserver.py did not start:\n{said.read()[-3000:]}")


def preview(tmp, snapshot, runs):
    dev_content, dev_data, dev_file = copy_site(snapshot, os.path.join(tmp, "dev"))
    content, data, html_file = copy_site(snapshot, os.path.join(tmp, "html"))
    html = project_build(snapshot, content, os.path.join(tmp, "html-output"), data)
    timed(html, tmp, "the site's build")  # untimed: the output and its cache, warm
    server, site = start_devserver(tmp, snapshot, dev_content, dev_data)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page()
            hellos = []  # livereload's greetings: the page is connected, ready to reload
            page.on(
                "websocket",
                lambda socket: socket.on(
                    "framereceived", lambda frame: hellos.append("hello" in str(frame))
                ),
            )
            page.goto(site + address(os.path.join(tmp, "dev-output"), dev_file))

            def devserver(number):
                deadline = time.monotonic() + 60
                while not any(hellos):
                    if time.monotonic() > deadline:
                        raise SystemExit("the page did not connect to livereload")
                    page.wait_for_timeout(50)
                hellos.clear()
                marker = f"Modifica{number}di{time.time_ns()}"
                start = time.perf_counter()
                edit(dev_file, marker)
                page.get_by_text(marker).first.wait_for(timeout=300_000)
                return time.perf_counter() - start

            def make_html(number):
                edit(html_file, f"Modifica{number}di{time.time_ns()}")
                return timed(html, tmp, "the site's rebuild")

            new, other = side_by_side(runs, devserver, make_html)
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    report("edit to page shown, make devserver", new, other, "make html rebuild", 1.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run each (a smoke check)")
    runs = 1 if parser.parse_args().quick else 3
    with tempfile.TemporaryDirectory(prefix="build-benchmark-") as tmp:
        snapshot = os.path.join(tmp, "checkout")
        shutil.copytree(ROOT, snapshot, ignore=shutil.ignore_patterns(".*", "output*"))
        real_site(tmp, snapshot, runs)
        corpus(tmp, snapshot, runs)
        preview(tmp, snapshot, runs)


if __name__ == "__main__":
    main()
