"""Validating data/ against parsing it: how much do schemas and checks cost?

    .venv/bin/python benchmarks/validate_data.py [--events 10000] [--partners 1000]

Prints the time of a bare `yaml.load` with the C loader over the same files
and of the full validation (parse, schema, cross-checks), and their ratio.
Target: at most 2x.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import zoneinfo

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "plugins"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from site_data.sitedata import load_site_data  # noqa: E402
from synthetic import write_data  # noqa: E402


def bare_load(folder):
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            yaml.load(handle.read(), Loader=yaml.CSafeLoader)


def validate(folder):
    data, problems = load_site_data(
        folder,
        languages=("it", "en"),
        default_lang="it",
        timezone=zoneinfo.ZoneInfo("Europe/Rome"),
        content_path=ROOT,
    )
    assert not problems, problems[:5]
    return data


def best_of(function, folder, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function(folder)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_data(os.path.join(tmp, "data"), args.events, args.partners)
        data = validate(folder)
        assert len(data.events) == args.events
        bare, bare_median = best_of(bare_load, folder, args.runs)
        full, full_median = best_of(validate, folder, args.runs)
    print(f"data set: {args.events} events, {args.partners} partners")
    print(f"yaml.load (CSafeLoader): best {bare * 1000:.0f} ms, median {bare_median * 1000:.0f} ms")
    print(f"validation:              best {full * 1000:.0f} ms, median {full_median * 1000:.0f} ms")
    print(f"ratio validation / bare load: {full / bare:.2f}x (target: at most 2.00x)")


if __name__ == "__main__":
    main()
