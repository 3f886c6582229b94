"""How fast the site builds, against plain Pelican on the same number of pages.

    .venv/bin/python benchmarks/build.py [--scales 1 2 4] [--repeat 3] [--skip-plain]

For each scale it generates a synthetic site (at 1x: 2,000 news articles in
both languages, 1,000 events, 12 territories, 200 materials) into a
temporary folder, builds it with the project's settings, and builds plain
Pelican (no plugins, default theme) on the same pages written as Markdown
articles. It prints both times, both peak memories and their ratio, then the
time of a rebuild after editing one event and one article, made by the
`pelican` command as `make devserver` makes it. Everything is measured in
this one run; nothing is compared with figures from elsewhere.

With ``--repeat N`` every build is made N times, the project's and plain
Pelican's taking turns, and the median time is used: on a shared machine
one build in a row can take a third longer than the next. Each build starts
once the previous one's old output has been deleted (the project deletes it
in the background after it returns), so no build runs beside another.

Targets: full build <= 1.2x plain Pelican; 4x content <= 4.4x the time;
rebuild after one edit <= 25% of a cold build; peak memory <= 1 GB at 4x.
"""

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from sitegen import make_plain_site, make_site  # noqa: E402

PELICAN = os.path.join(os.path.dirname(sys.executable), "pelican")
SAMPLE_SECONDS = 0.2  # reading PSS costs CPU time the build would otherwise have


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


def _memory_kib(pid):
    """The process's proportional set size (Linux): its own pages, plus its share
    of the pages it shares with others (a forked process shares its parent's
    until either writes them), so processes' figures add up to what they use
    together. Falls back to the resident size where PSS is not available."""
    for path, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(path) as handle:
                for line in handle:
                    if line.startswith(field):
                        return int(line.split()[1])
        except OSError:
            continue
    return 0


def tree_memory_kib(pid):
    """Memory of a process and all its descendants, added up (Linux)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _memory_kib(current)
        stack.extend(_children(current))
    return total


def files_in_memory_kib():
    try:
        return shutil.disk_usage("/dev/shm").used // 1024
    except OSError:
        return 0


def measured(command, cwd):
    """(seconds, peak MiB) of a command; the peak adds up every process it runs at once.

    Processes running side by side (one per language) count together, so
    the figure is what the machine needs, not the largest single process.
    So do the files the build puts in memory (the search bundles it makes
    in /dev/shm).
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=log,
            env={**os.environ, "COLUMNS": "200"},
        )
        # The end is timed by a thread waiting for it, not by the sampling
        # loop, which would see it up to SAMPLE_SECONDS late.
        ended = []
        waiter = threading.Thread(
            target=lambda: ended.append((process.wait(), time.perf_counter()))
        )
        waiter.start()
        peak = 0
        in_memory_before = files_in_memory_kib()
        while waiter.is_alive():
            in_memory = max(0, files_in_memory_kib() - in_memory_before)
            peak = max(peak, tree_memory_kib(process.pid) + in_memory)
            waiter.join(SAMPLE_SECONDS)
        elapsed = ended[0][1] - start
        if process.returncode != 0:
            log.seek(0)
            text = log.read().decode("utf-8", "replace")
            raise SystemExit(f"build failed: {' '.join(command)}\n{text[-3000:]}")
    return elapsed, peak / 1024


def project_arguments(content, data, output):
    # The project's cache lives beside the output folder (see pelicanconf.py).
    return [content, "-o", output, "-s", SETTINGS, "-e", f'DATA_PATH="{data}"']


SETTINGS = os.path.join(ROOT, "pelicanconf.py")


def build_project(folder, content, data, output):
    first = not os.path.exists(output)
    result = measured([PELICAN, *project_arguments(content, data, output)], ROOT)
    wait_for_background_work(output, first)
    return result


def wait_for_background_work(output, first, timeout=300):
    """Until what a build leaves to a process of its own is done.

    That is deleting an old output it could not keep, or, after a first
    build, copying the output to make the next build's staging folder. An
    editor's next edit comes later than that; a benchmark's would not.
    """
    output = os.path.normpath(output)
    deadline = time.monotonic() + timeout
    while glob.glob(f"{glob.escape(output)}.previous-*") or (
        first and not os.path.isdir(f"{output}.staging")
    ):
        if time.monotonic() > deadline:
            raise SystemExit(f"background work beside {output} not done after {timeout} s")
        time.sleep(0.2)


def journal_less_ext4(path):
    """The device of ``path`` if it is an ext4 file system without a journal (Linux).

    There, making a file skips every inode deleted in the last minute or
    more (ext4's recently_deleted()), one by one: a build that follows the
    deletion of a large folder spends seconds in the kernel making its
    files. The benchmark deletes nothing until it is done, but an earlier
    run's temporary folder may just have gone.
    """
    try:
        device = os.stat(path).st_dev
        name = os.path.basename(
            os.path.realpath(f"/sys/dev/block/{os.major(device)}:{os.minor(device)}")
        )
    except OSError:
        return None
    if os.path.isdir(f"/proc/fs/ext4/{name}") and not glob.glob(f"/proc/fs/jbd2/{name}-*"):
        return name
    return None


def build_plain(folder, content, config, output):
    return measured([PELICAN, content, "-o", output, "-s", config], folder)


def count_pages(output):
    return sum(name.endswith(".html") for _, _, names in os.walk(output) for name in names)


def edit_event(data):
    path = os.path.join(data, "events.yaml")
    with open(path, encoding="utf-8") as handle:
        events = yaml.safe_load(handle)
    events[len(events) // 2]["title"]["it"] += " (modificato)"
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(events, handle, allow_unicode=True, sort_keys=False)


def edit_article(content):
    folder = os.path.join(content, "notizie")
    name = sorted(os.listdir(folder))[len(os.listdir(folder)) // 2]
    with open(os.path.join(folder, name), "a", encoding="utf-8") as handle:
        handle.write("\nUna frase aggiunta.\n")


def print_rebuilds(label, rebuilds, cold):
    event = statistics.median(rebuilds["event"])
    article = statistics.median(rebuilds["article"])
    print(
        f"{label} after one event edit {event:.2f} s ({event / cold:.1%} of cold), "
        f"after one article edit {article:.2f} s ({article / cold:.1%} of cold; "
        "target <= 25%)",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-plain", action="store_true")
    args = parser.parse_args()
    cold = {}
    with tempfile.TemporaryDirectory() as tmp:
        device = journal_less_ext4(tmp)
        if device:
            print(
                f"note: {device} is ext4 without a journal: files made within minutes of "
                "a large deletion there (an earlier benchmark's folder, say) cost far "
                "more; see docs/performance.md",
                flush=True,
            )
        for scale in args.scales:
            folder = os.path.join(tmp, f"x{scale}")
            content, data = make_site(folder, scale)
            plain_folder = os.path.join(tmp, f"plain{scale}")
            plain_content, config = make_plain_site(plain_folder, scale)
            project_runs, plain_runs = [], []
            for attempt in range(args.repeat):  # taking turns, so both see the same machine
                output = os.path.join(folder, f"output{attempt}")
                project_runs.append(build_project(folder, content, data, output))
                if not args.skip_plain:
                    plain_output = os.path.join(plain_folder, f"output{attempt}")
                    plain_runs.append(
                        build_plain(plain_folder, plain_content, config, plain_output)
                    )
            seconds = statistics.median(run[0] for run in project_runs)
            memory = max(run[1] for run in project_runs)
            cold[scale] = seconds
            line = (
                f"{scale}x: project {seconds:6.1f} s, {memory:6.0f} MiB, "
                f"{count_pages(output)} pages"
            )
            if plain_runs:
                plain_seconds = statistics.median(run[0] for run in plain_runs)
                plain_memory = max(run[1] for run in plain_runs)
                line += (
                    f" | plain Pelican {plain_seconds:6.1f} s, {plain_memory:6.0f} MiB, "
                    f"{count_pages(plain_output)} pages"
                    f" | ratio {seconds / plain_seconds:.2f}x (target <= 1.20x)"
                )
            if args.repeat > 1:
                line += f" | medians of {args.repeat}: " + ", ".join(
                    f"{run[0]:.1f}" for run in project_runs
                )
                if plain_runs:
                    line += " vs " + ", ".join(f"{run[0]:.1f}" for run in plain_runs)
            print(line, flush=True)
            if scale == args.scales[0]:
                rebuilds = {"event": [], "article": []}
                for _ in range(args.repeat):
                    edit_event(data)
                    rebuilds["event"].append(build_project(folder, content, data, output)[0])
                    edit_article(content)
                    rebuilds["article"].append(build_project(folder, content, data, output)[0])
                print_rebuilds(f"{scale}x: rebuild", rebuilds, seconds)
    if 1 in cold and 4 in cold:
        print(f"growth: 4x content took {cold[4] / cold[1]:.2f}x the time (target <= 4.40x)")
    if 1 in cold and 2 in cold:
        print(f"growth: 2x content took {cold[2] / cold[1]:.2f}x the time")


if __name__ == "__main__":
    main()
