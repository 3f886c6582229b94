"""How fast event pages and calendar feeds are built, per event.

    .venv/bin/python benchmarks/events.py [--events 5000]

Builds, with the project's settings, a synthetic site whose only growing
content is data/events.yaml (5,000 events by default: a page per event and
language, the filter and archive pages, the iCalendar feeds of every event,
territory and language), and the same site with no events. It prints the
milliseconds per event, both for the whole build and for what the events
add to it, then the ratio to plain Pelican (no plugins, default theme)
rendering the same number of Markdown pages: one per event and language.
Everything is measured in this one run.
"""

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from build import build_plain, build_project, count_pages  # noqa: E402
from sitegen import counts, make_plain_site, make_site  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    number = args.events
    with tempfile.TemporaryDirectory() as tmp:
        timings = {}
        for label, events in (("none", 0), ("events", number)):
            folder = os.path.join(tmp, label)
            content, data = make_site(folder, sizes=counts(0, events=events))
            output = os.path.join(folder, "output")
            seconds, memory = build_project(folder, content, data, output)
            timings[label] = seconds
            print(
                f"project, {events} events: {seconds:6.1f} s, {memory:6.0f} MiB, "
                f"{count_pages(output)} pages",
                flush=True,
            )
        plain_folder = os.path.join(tmp, "plain")
        plain_content, config = make_plain_site(
            plain_folder, sizes=counts(0, events=number), territories=False
        )
        plain_output = os.path.join(plain_folder, "output")
        plain_seconds, plain_memory = build_plain(plain_folder, plain_content, config, plain_output)
        plain_pages = count_pages(plain_output)
        print(
            f"plain Pelican, {number * 2} Markdown pages: {plain_seconds:6.1f} s, "
            f"{plain_memory:6.0f} MiB, {plain_pages} pages",
            flush=True,
        )
        total = timings["events"]
        added = timings["events"] - timings["none"]
        print(
            f"per event: {total / number * 1000:.1f} ms for the whole build, "
            f"{added / number * 1000:.1f} ms for what the events add "
            f"(2 pages, 2 event feeds, their share of the other feeds and pages)"
        )
        print(
            f"plain Pelican: {plain_seconds / number * 1000:.1f} ms per event's 2 pages | "
            f"ratio: whole build {total / plain_seconds:.2f}x, "
            f"events' share {added / plain_seconds:.2f}x"
        )


if __name__ == "__main__":
    main()
