"""Build real sites for tests: the project's settings, theme and plugins,
with the project's content and data or with fixtures in their place."""

import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "tools", "build.py")


def run_pelican(
    output, content=None, data=None, settings="pelicanconf.py", extra=None, env=None, args=()
):
    """Build as `make html` does (tools/build.py, pelican's arguments); returns CompletedProcess."""
    command = [
        sys.executable,
        BUILD,
        content or os.path.join(ROOT, "content"),
        "-o",
        str(output),
        "-s",
        os.path.join(ROOT, settings),
    ]
    extras = dict(extra or {})
    if data is not None:
        extras["DATA_PATH"] = str(data)
    if extras:  # one -e with every setting: a second -e would replace the first
        command += ["-e", *(f"{key}={_json(value)}" for key, value in extras.items())]
    command += list(args)
    return subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def project_plugins():
    """The PLUGINS of pelicanconf.py."""
    namespace = {"__file__": os.path.join(ROOT, "pelicanconf.py")}
    with open(os.path.join(ROOT, "pelicanconf.py"), encoding="utf-8") as handle:
        exec(handle.read(), namespace)
    return namespace["PLUGINS"]


def _json(value):
    return json.dumps(value)


def copy_project_sources(target):
    """A copy of content/ and data/ that a test may break at will."""
    shutil.copytree(os.path.join(ROOT, "content"), os.path.join(target, "content"))
    shutil.copytree(os.path.join(ROOT, "data"), os.path.join(target, "data"))
    return os.path.join(target, "content"), os.path.join(target, "data")


def events_fixture_content(target):
    """The project's content with the fixture materials of tests/fixtures/events_data."""
    content = os.path.join(target, "content")
    shutil.copytree(os.path.join(ROOT, "content"), content)
    fixtures = os.path.join(ROOT, "tests", "fixtures", "materials")
    shutil.copytree(fixtures, content, dirs_exist_ok=True)
    return content
