"""`make publish`: absolute addresses from SITEURL, no drafts."""

import os
import shutil

import pytest

from htmlpage import read_page
from sitebuild import copy_project_sources, run_pelican

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "content")


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("publish")
    content, data = copy_project_sources(root)
    shutil.copy(os.path.join(FIXTURES, "draft-news.it.md"), os.path.join(content, "notizie"))
    return root, content, data


def test_publish_uses_the_public_address_everywhere(sources):
    root, content, data = sources
    output = root / "published"
    result = run_pelican(
        output,
        content=content,
        data=data,
        settings="publishconf.py",
        env={"SITEURL": "https://www.example.org/"},
    )
    assert result.returncode == 0, result.stderr
    page = read_page(os.path.join(output, "en", "project", "index.html"))
    assert page.canonical == "https://www.example.org/en/project/"
    assert page.alternates["it"] == "https://www.example.org/progetto/"
    stylesheets = [a["href"] for a in page.find_all("link", rel="stylesheet")]
    assert stylesheets[0] == "https://www.example.org/theme/css/base.css"
    with open(os.path.join(output, "sitemap.xml"), encoding="utf-8") as handle:
        assert "<loc>https://www.example.org/en/project/</loc>" in handle.read()
    with open(os.path.join(output, "robots.txt"), encoding="utf-8") as handle:
        assert "Sitemap: https://www.example.org/sitemap.xml" in handle.read()
    assert not os.path.exists(os.path.join(output, "bozze"))
    assert not os.path.exists(os.path.join(output, "en", "drafts"))


def test_drafts_are_previewed_locally(sources):
    root, content, data = sources
    output = root / "preview"
    result = run_pelican(output, content=content, data=data)
    assert result.returncode == 0, result.stderr
    draft = read_page(os.path.join(output, "bozze", "notizia-in-bozza", "index.html"))
    assert draft.find_all("meta", name="robots", content="noindex")
    with open(os.path.join(output, "notizie", "index.html"), encoding="utf-8") as handle:
        assert "notizia-in-bozza" not in handle.read()


def test_publish_refuses_to_run_without_a_site_address(sources, tmp_path):
    _, content, data = sources
    env = {key: value for key, value in os.environ.items() if key != "SITEURL"}
    env["SITEURL"] = ""
    result = run_pelican(
        tmp_path / "out", content=content, data=data, settings="publishconf.py", env=env
    )
    assert result.returncode != 0
    assert "set SITEURL to the site's public address" in result.stderr
    assert "Traceback" not in result.stderr
