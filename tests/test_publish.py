"""`make publish`: absolute addresses from SITEURL, no drafts, and the gates:
a newsletter endpoint over https and a data controller for the privacy notices."""

import os
import shutil

import pytest

from htmlpage import read_page
from sitebuild import copy_project_sources, run_pelican

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
ENDPOINT = "https://iscrizioni.example.org/subscribe"
PUBLISHING = {"SITEURL": "https://www.example.org/", "NEWSLETTER_ENDPOINT": ENDPOINT}


def with_privacy(data, fixture="controller.yaml"):
    """Add the `privacy:` of tests/fixtures/privacy/<fixture> to data/project.yaml."""
    with open(os.path.join(FIXTURES, "privacy", fixture), encoding="utf-8") as handle:
        privacy = handle.read()
    with open(os.path.join(data, "project.yaml"), "a", encoding="utf-8") as handle:
        handle.write("\n" + privacy)


def publishing_env(**changes):
    """The environment of `make publish`, without the caller's own settings."""
    env = {k: v for k, v in os.environ.items() if k not in ("SITEURL", "NEWSLETTER_ENDPOINT")}
    env.update(PUBLISHING)
    env.update(changes)
    return env


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("publish")
    content, data = copy_project_sources(root)
    shutil.copy(
        os.path.join(FIXTURES, "content", "draft-news.it.md"), os.path.join(content, "notizie")
    )
    with_privacy(data)
    return root, content, data


@pytest.fixture(scope="module")
def published(sources):
    root, content, data = sources
    output = root / "published"
    result = run_pelican(
        output, content=content, data=data, settings="publishconf.py", env=publishing_env()
    )
    assert result.returncode == 0, result.stderr
    return output


def test_publish_uses_the_public_address_everywhere(published):
    output = published
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


def test_the_form_posts_to_the_configured_endpoint(published):
    for path in ("index.html", os.path.join("en", "index.html")):
        with open(os.path.join(published, path), encoding="utf-8") as handle:
            text = handle.read()
        assert f'action="{ENDPOINT}"' in text
        assert "127.0.0.1" not in text


def privacy_section(path):
    """The HTML the template puts in place of <!-- data-controller -->."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "<!-- data-controller -->" not in text
    start = text.index('<div class="prose privacy-controller">')
    return text[start : text.index("</div>", start)]


def test_both_privacy_notices_name_the_controller_escaped(published):
    for path, anchor, dpo_label in (
        (
            os.path.join("privacy", "index.html"),
            "titolare-del-trattamento",
            "Responsabile della protezione dei dati (RPD):",
        ),
        (
            os.path.join("en", "privacy", "index.html"),
            "data-controller",
            "Data protection officer:",
        ),
    ):
        section = privacy_section(os.path.join(published, path))
        assert "&lt;b&gt;Titolare&lt;/b&gt; di prova &amp; C." in section, path
        assert "<b>" not in section, path
        assert "Via di Prova 1, 00000 Città di prova" in section, path
        assert '<a href="mailto:titolare@example.org">titolare@example.org</a>' in section, path
        assert f"{dpo_label} Responsabile di prova" in section, path
        assert '<a href="mailto:rpd@example.org">' in section, path
        assert "banner" not in section, path
        # In place of the marker: under the notice's heading, before the next one.
        text = (published / path).read_text(encoding="utf-8")
        heading = text.index(f'<h2 id="{anchor}">')
        assert heading < text.index(section) < text.index("<h2", heading + 1), path


def test_a_preview_without_a_controller_says_it_is_still_to_be_set(tmp_path):
    # The real data: no controller yet.
    result = run_pelican(tmp_path / "out", extra={"SEARCH_INDEX": False})
    assert result.returncode == 0, result.stderr
    for path, words in (
        ("privacy", "Il titolare del trattamento è ancora da indicare."),
        (os.path.join("en", "privacy"), "The data controller is still to be set."),
    ):
        section = privacy_section(tmp_path / "out" / path / "index.html")
        assert "banner" in section, path
        assert words in section, path
        assert "data/project.yaml (privacy.controller)" in section, path
        assert "Da definire" not in section


def test_drafts_are_previewed_locally(sources):
    root, content, data = sources
    output = root / "preview"
    result = run_pelican(output, content=content, data=data)
    assert result.returncode == 0, result.stderr
    draft = read_page(os.path.join(output, "bozze", "notizia-in-bozza", "index.html"))
    assert draft.find_all("meta", name="robots", content="noindex")
    with open(os.path.join(output, "notizie", "index.html"), encoding="utf-8") as handle:
        assert "notizia-in-bozza" not in handle.read()


@pytest.fixture
def previous_output(tmp_path):
    """An output folder from an earlier build, which a refused build must leave alone."""
    output = tmp_path / "out"
    output.mkdir()
    (output / "index.html").write_text("earlier build\n", encoding="utf-8")
    return output


def assert_refused(result, output, *expected):
    assert result.returncode != 0
    report = result.stderr
    for text in expected:
        assert text in report, report
    assert "nothing was written to the output folder" in report
    assert "Traceback" not in result.stderr + result.stdout
    assert [p.name for p in output.iterdir()] == ["index.html"]
    assert (output / "index.html").read_text(encoding="utf-8") == "earlier build\n"
    assert not [p for p in output.parent.iterdir() if ".building" in p.name]


def test_publish_refuses_to_run_without_a_site_address(sources, previous_output):
    _, content, data = sources
    result = run_pelican(
        previous_output,
        content=content,
        data=data,
        settings="publishconf.py",
        env=publishing_env(SITEURL=""),
    )
    assert_refused(
        result,
        previous_output,
        "publishconf.py: SITEURL: is not set (set SITEURL to the site's public address",
    )


def test_publish_refuses_to_run_without_a_newsletter_endpoint(sources, previous_output):
    _, content, data = sources
    env = publishing_env()
    del env["NEWSLETTER_ENDPOINT"]
    result = run_pelican(
        previous_output, content=content, data=data, settings="publishconf.py", env=env
    )
    assert_refused(
        result,
        previous_output,
        "publishconf.py: NEWSLETTER_ENDPOINT: is not set",
        "(set NEWSLETTER_ENDPOINT in the environment to the sign-up service's https:// address",
        "https://www.example.org/subscribe",  # no default: the same-origin address is explicit
    )


@pytest.mark.parametrize(
    ("endpoint", "said"),
    [
        ("http://iscrizioni.example.org/subscribe", "is not an https:// address"),
        ("http://127.0.0.1.example.org/subscribe", "is not an https:// address"),
        ("/subscribe", "is not a web address"),
        ("iscrizioni.example.org/subscribe", "is not a web address"),
    ],
)
def test_publish_refuses_a_newsletter_endpoint_that_is_not_absolute_and_https(
    sources, previous_output, endpoint, said
):
    _, content, data = sources
    result = run_pelican(
        previous_output,
        content=content,
        data=data,
        settings="publishconf.py",
        env=publishing_env(NEWSLETTER_ENDPOINT=endpoint),
    )
    assert_refused(
        result,
        previous_output,
        f"publishconf.py: NEWSLETTER_ENDPOINT: '{endpoint}' {said}",
        "(set NEWSLETTER_ENDPOINT in the environment",
    )


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:8101/subscribe", "http://localhost:8101/subscribe"]
)
def test_publish_takes_a_local_http_endpoint_for_tests(sources, tmp_path, endpoint):
    _, content, data = sources
    result = run_pelican(
        tmp_path / "out",
        content=content,
        data=data,
        settings="publishconf.py",
        extra={"SEARCH_INDEX": False},
        env=publishing_env(NEWSLETTER_ENDPOINT=endpoint),
    )
    assert result.returncode == 0, result.stderr
    assert f'action="{endpoint}"' in (tmp_path / "out" / "index.html").read_text()


@pytest.fixture
def copied_sources(tmp_path):
    content, data = copy_project_sources(tmp_path / "sources")
    return content, data


@pytest.mark.parametrize(
    ("privacy", "expected"),
    [
        (  # the real data: no controller yet
            None,
            [
                "project.yaml:",
                "project.privacy.controller: the data controller is missing",
                "(add 'privacy: controller: {name: …, address: …, email: …}'",
            ],
        ),
        (
            "controller-without-email.yaml",
            ["project.privacy.controller.email: required field is missing (add 'email: …')"],
        ),
    ],
)
def test_publish_refuses_data_without_a_whole_controller(
    copied_sources, previous_output, privacy, expected
):
    content, data = copied_sources
    if privacy:
        with_privacy(data, privacy)
    result = run_pelican(
        previous_output, content=content, data=data, settings="publishconf.py", env=publishing_env()
    )
    assert_refused(result, previous_output, *expected)


def test_publish_reports_every_missing_setting_at_once(copied_sources, previous_output):
    content, data = copied_sources
    env = publishing_env(SITEURL="")
    del env["NEWSLETTER_ENDPOINT"]
    result = run_pelican(
        previous_output, content=content, data=data, settings="publishconf.py", env=env
    )
    assert_refused(
        result, previous_output, "SITEURL: is not set", "NEWSLETTER_ENDPOINT: is not set"
    )
    assert "2 problems found" in result.stderr
