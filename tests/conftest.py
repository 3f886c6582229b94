import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "plugins"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sitebuild import run_pelican  # noqa: E402


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The real site, built once per test session by the `pelican` command."""
    output = tmp_path_factory.mktemp("site") / "output"
    result = run_pelican(output)
    assert result.returncode == 0, result.stdout + result.stderr
    return str(output)
