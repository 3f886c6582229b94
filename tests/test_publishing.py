"""Editors' tools: publishing with ghp-import, scaffolding, hooks and workflows."""

import datetime
import os
import shutil
import subprocess
import zoneinfo

import pytest
import yaml

from sitebuild import ROOT

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
VENV = os.path.join(ROOT, ".venv")
PROJECT_FILES = [
    "Makefile",
    "pelicanconf.py",
    "publishconf.py",
    "requirements.txt",
    "content",
    "data",
    "theme",
    "plugins",
    "website",
    "tools",
    "newsletter",
]


def run(command, cwd, **env):
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200", **env},
    )


@pytest.fixture
def project(tmp_path):
    """A fresh git checkout of the project, sharing this checkout's virtualenv."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in PROJECT_FILES:
        source = os.path.join(ROOT, name)
        if os.path.isdir(source):
            shutil.copytree(source, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, checkout / name)  # keeps requirements.txt older than .venv
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org"]
    assert run([*git, "init", "-q", "-b", "main"], checkout).returncode == 0
    assert run([*git, "add", "-A"], checkout).returncode == 0
    assert run([*git, "commit", "-qm", "site"], checkout).returncode == 0
    return checkout


@pytest.fixture
def publishable(project):
    """The checkout with a data controller (tests/fixtures/privacy), which publishing needs."""
    with open(os.path.join(FIXTURES, "privacy", "controller.yaml"), encoding="utf-8") as handle:
        privacy = handle.read()
    with open(project / "data" / "project.yaml", "a", encoding="utf-8") as handle:
        handle.write("\n" + privacy)
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org"]
    assert run([*git, "commit", "-qam", "data controller"], project).returncode == 0
    return project


# What `make publish` needs from the environment (publishconf.py).
PUBLISHING = {
    "SITEURL": "https://www.example.org",
    "NEWSLETTER_ENDPOINT": "https://iscrizioni.example.org/subscribe",
}


def make(checkout, *targets, **env):
    return run(
        ["make", f"VENV={VENV}", *targets],
        checkout,
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.org",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.org",
        **env,
    )


def test_make_publish_and_github_push_the_site_to_the_publish_branch(publishable, tmp_path):
    remote = tmp_path / "remote.git"
    assert run(["git", "init", "-q", "--bare", str(remote)], tmp_path).returncode == 0
    result = make(
        publishable,
        "publish",
        "github",
        f"PUBLISH_REMOTE={remote}",
        "PUBLISH_BRANCH=gh-pages",
        "CNAME=www.example.org",
        **PUBLISHING,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listing = run(["git", "ls-tree", "-r", "--name-only", "gh-pages"], remote).stdout.split()
    for expected in (
        ".nojekyll",
        "CNAME",
        "index.html",
        "en/index.html",
        "sitemap.xml",
        "eventi/calendario.ics",
        "pagefind/pagefind-entry.json",
    ):
        assert expected in listing
    cname = run(["git", "show", "gh-pages:CNAME"], remote).stdout.strip()
    assert cname == "www.example.org"
    home = run(["git", "show", "gh-pages:index.html"], remote).stdout
    assert '<link rel="canonical" href="https://www.example.org/">' in home
    assert 'action="https://iscrizioni.example.org/subscribe"' in home


def pushed_branches(remote):
    return run(
        ["git", "for-each-ref", "--format=%(refname:short)", "refs/heads"], remote
    ).stdout.split()


def test_make_github_pushes_a_publish_build_never_a_development_one(publishable, tmp_path):
    remote = tmp_path / "remote.git"
    assert run(["git", "init", "-q", "--bare", str(remote)], tmp_path).returncode == 0
    # A development build in output/, its form posting to the local service.
    assert make(publishable, "html").returncode == 0
    preview = (publishable / "output" / "index.html").read_text(encoding="utf-8")
    assert 'action="http://127.0.0.1:8001/subscribe"' in preview

    # Without the endpoint the publish build is refused: nothing is pushed, output/ stays.
    result = make(
        publishable,
        "github",
        f"PUBLISH_REMOTE={remote}",
        **{**PUBLISHING, "NEWSLETTER_ENDPOINT": ""},
    )
    assert result.returncode != 0
    assert "publishconf.py: NEWSLETTER_ENDPOINT: is not set" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "ghp-import" not in result.stdout
    assert pushed_branches(remote) == []
    assert (publishable / "output" / "index.html").read_text(encoding="utf-8") == preview

    # With it, make github builds for production before pushing.
    result = make(publishable, "github", f"PUBLISH_REMOTE={remote}", **PUBLISHING)
    assert result.returncode == 0, result.stdout + result.stderr
    assert pushed_branches(remote) == ["gh-pages"]
    home = run(["git", "show", "gh-pages:index.html"], remote).stdout
    assert 'action="https://iscrizioni.example.org/subscribe"' in home
    assert "127.0.0.1" not in home
    assert '<link rel="canonical" href="https://www.example.org/">' in home


def test_make_github_pushes_nothing_without_a_data_controller(project, tmp_path):
    remote = tmp_path / "remote.git"
    assert run(["git", "init", "-q", "--bare", str(remote)], tmp_path).returncode == 0
    result = make(project, "github", f"PUBLISH_REMOTE={remote}", **PUBLISHING)
    assert result.returncode != 0
    assert "project.privacy.controller: the data controller is missing" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert pushed_branches(remote) == []
    assert not (project / "output" / "index.html").exists()


def test_new_post_and_new_event_start_valid_entries_dated_today(project):
    today = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Rome")).date().isoformat()
    for target in ("new-post", "new-event", "new-event"):
        result = make(project, target)
        assert result.returncode == 0, result.stdout + result.stderr
    post = project / "content" / "notizie" / f"{today}-nuova-notizia.it.md"
    assert f"Date: {today}" in post.read_text()
    events = yaml.safe_load((project / "data" / "events.yaml").read_text())
    assert [event["id"] for event in events] == [f"nuovo-evento-{today}", f"nuovo-evento-{today}-2"]
    assert events[0]["start"].startswith(today)
    check = make(project, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    build = make(project, "html")
    assert build.returncode == 0, build.stdout + build.stderr
    assert (project / "output" / "eventi" / f"nuovo-evento-{today}" / "index.html").exists()
    assert (project / "output" / "bozze").exists()  # the new post is a draft


def test_pre_commit_runs_make_check_on_content_and_data():
    with open(os.path.join(ROOT, ".pre-commit-config.yaml"), encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert hooks["site-check"]["entry"] == "make check"
    assert hooks["site-check"]["files"] == "^(content|data)/"
    assert hooks["site-check"]["pass_filenames"] is False


def workflow(name):
    with open(os.path.join(ROOT, ".github", "workflows", name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def commands(job):
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_publish_workflow_runs_on_main_and_daily_and_deploys():
    flow = workflow("publish.yml")
    triggers = flow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert triggers["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"]  # every day
    run_lines = commands(flow["jobs"]["publish"])
    # make github builds with publishconf.py (make publish) before it pushes.
    order = [run_lines.index(step) for step in ("make check", "make test", "make github")]
    assert order == sorted(order)


def test_publish_workflow_takes_the_settings_from_repository_variables_or_stops():
    steps = workflow("publish.yml")["jobs"]["publish"]["steps"]
    deploy = next(step for step in steps if "make github" in step.get("run", ""))
    assert deploy["env"]["NEWSLETTER_ENDPOINT"] == "${{ vars.NEWSLETTER_ENDPOINT }}"
    assert deploy["env"]["SITEURL"] == "${{ vars.SITEURL }}"
    # An explicit step stops the run, with a message, before anything is built.
    gate = steps.index(next(step for step in steps if "::error" in step.get("run", "")))
    assert gate < steps.index(next(s for s in steps if "make check" in s.get("run", "")))
    assert steps[gate]["env"]["NEWSLETTER_ENDPOINT"] == "${{ vars.NEWSLETTER_ENDPOINT }}"
    script = steps[gate]["run"]
    assert '[ -z "$NEWSLETTER_ENDPOINT" ]' in script
    assert "::error title=NEWSLETTER_ENDPOINT is not set::" in script
    assert "exit" in script
    for step in steps:
        if "make publish" in step.get("run", "") or "make github" in step.get("run", ""):
            assert "NEWSLETTER_ENDPOINT" in step.get("env", {}), step["name"]


def test_the_workflow_gate_fails_without_the_endpoint_and_passes_with_it(tmp_path):
    steps = workflow("publish.yml")["jobs"]["publish"]["steps"]
    script = next(step for step in steps if "::error" in step.get("run", ""))["run"]
    missing = subprocess.run(
        ["bash", "-e", "-c", script],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "SITEURL": "https://www.example.org"},
    )
    assert missing.returncode != 0
    assert "::error title=NEWSLETTER_ENDPOINT is not set::" in missing.stdout
    assert "SITEURL is not set" not in missing.stdout
    present = subprocess.run(
        ["bash", "-e", "-c", script],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], **PUBLISHING},
    )
    assert present.returncode == 0, present.stdout
    assert "::error" not in present.stdout


def test_pull_requests_are_checked_and_built_but_not_deployed():
    flow = workflow("check.yml")
    assert "pull_request" in flow[True]
    run_lines = commands(flow["jobs"]["check"])
    assert "make check" in run_lines
    assert "make html" in run_lines
    assert "github" not in run_lines
    assert "publish" not in run_lines


def test_local_build_posts_the_form_to_the_service_make_serve_starts(publishable):
    """`make serve` builds with `make html`: the form must post to the port the service gets."""
    project = publishable
    assert make(project, "html").returncode == 0
    home = (project / "output" / "index.html").read_text(encoding="utf-8")
    assert 'action="http://127.0.0.1:8001/subscribe"' in home

    result = make(project, "html", "NEWSLETTER_PORT=8101")
    assert result.returncode == 0, result.stderr
    home = (project / "output" / "index.html").read_text(encoding="utf-8")
    assert 'action="http://127.0.0.1:8101/subscribe"' in home

    # Publishing never takes the local address: the one of its environment.
    result = make(project, "publish", "NEWSLETTER_PORT=8101", **PUBLISHING)
    assert result.returncode == 0, result.stderr
    home = (project / "output" / "index.html").read_text(encoding="utf-8")
    assert 'action="https://iscrizioni.example.org/subscribe"' in home
