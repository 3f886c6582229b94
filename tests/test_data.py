"""data/: the schemas, the editors' error messages, the seed facts, the pages."""

import glob
import os
import shutil
import zoneinfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_data.sitedata import load_site_data

from sitebuild import ROOT

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
BASE = os.path.join(FIXTURES, "data_base")
SEED = os.path.join(ROOT, "docs", "fonti", "opensource14.txt")
ROME = zoneinfo.ZoneInfo("Europe/Rome")
EVENTS_DATA = os.path.join(FIXTURES, "events_data")


def load(data_dir, content_path=None):
    return load_site_data(
        data_dir,
        languages=("it", "en"),
        default_lang="it",
        timezone=ROME,
        content_path=content_path or os.path.join(ROOT, "content"),
    )


def broken_cases():
    return sorted(glob.glob(os.path.join(FIXTURES, "broken_data", "*.yaml")))


def test_the_corpus_of_broken_files_is_large_enough():
    assert len(broken_cases()) >= 25


@pytest.mark.parametrize("fixture", broken_cases(), ids=os.path.basename)
def test_each_mistake_is_reported_with_its_place_and_fix(fixture, tmp_path, monkeypatch):
    with open(fixture, encoding="utf-8") as handle:
        text = handle.read()
    target = text.splitlines()[0].removeprefix("# target:").strip()
    expected = [
        line.removeprefix("# expect: ")
        for line in text.splitlines()
        if line.startswith("# expect: ")
    ]
    assert expected, "the fixture says what to expect"
    shutil.copytree(BASE, tmp_path / "data")
    (tmp_path / "data" / target).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    _, problems = load("data", content_path=str(tmp_path / "content"))
    assert sorted(str(problem) for problem in problems) == expected


def test_the_base_fixture_and_the_project_data_are_valid():
    assert load(BASE)[1] == []
    data, problems = load(os.path.join(ROOT, "data"))
    assert problems == []
    assert data.project.budget.total > data.project.budget.contribution


def test_all_problems_are_reported_at_once(tmp_path, monkeypatch):
    shutil.copytree(BASE, tmp_path / "data")
    (tmp_path / "data" / "territories.yaml").write_text("- id: lodi\n  name: Lodi\n  extra: 1\n")
    (tmp_path / "data" / "partners.yaml").write_text(
        "- id: mestieri-lombardia\n  name: M\n  role: lead\n  territories: [lodl]\n"
    )
    (tmp_path / "data" / "events.yaml").write_text("{")
    monkeypatch.chdir(tmp_path)
    _, problems = load("data")
    assert {p.path for p in problems} == {
        "data/territories.yaml",
        "data/partners.yaml",
        "data/events.yaml",
    }


def test_a_missing_file_is_named(tmp_path, monkeypatch):
    shutil.copytree(BASE, tmp_path / "data")
    os.remove(tmp_path / "data" / "lines.yaml")
    monkeypatch.chdir(tmp_path)
    _, problems = load("data")
    assert [str(p) for p in problems] == [
        "data/lines.yaml: the file is missing (create it; see docs/dati.md)"
    ]


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "name", "title", "start", "territory", "it", "en", "kind", "x"])
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stem=st.sampled_from(
        [
            "project",
            "partners",
            "lines",
            "territories",
            "events",
            "workshops",
            "taxonomy",
            "glossary",
        ]
    ),
    value=yaml_values,
)
def test_random_data_never_raises(tmp_path_factory, stem, value):
    folder = tmp_path_factory.mktemp("random") / "data"
    shutil.copytree(BASE, folder)
    (folder / f"{stem}.yaml").write_text(yaml.safe_dump(value, allow_unicode=True))
    _, problems = load(str(folder))
    assert isinstance(problems, list)
    assert all(p.path.endswith(".yaml") and p.message for p in problems)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(alphabet=st.sampled_from(list("- :[]{}'\"\n\t#&*!|>%@`abc12")), max_size=60))
def test_random_yaml_text_never_raises(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("text") / "data"
    shutil.copytree(BASE, folder)
    (folder / "events.yaml").write_text(text)
    _, problems = load(str(folder))
    assert all(p.path.endswith("events.yaml") for p in problems)


# Seed facts ----------------------------------------------------------------


@pytest.fixture(scope="module")
def project_data():
    data, problems = load(os.path.join(ROOT, "data"))
    assert problems == []
    return data


def seed_text():
    with open(SEED, encoding="utf-8") as handle:
        return handle.read()


def test_every_partner_is_spelled_as_in_the_seed(project_data):
    seed = seed_text()
    for partner in project_data.partners:
        assert partner.name in seed, partner.name
    assert len([p for p in project_data.partners if p.role == "partner"]) == 19


def test_the_lead_partner(project_data):
    lead = project_data.lead_partner
    assert lead.name == (
        "Mestieri Lombardia Consorzio di Cooperative Sociali Società Cooperativa Sociale"
    )
    assert project_data.project.lead_partner == lead.id


def test_the_twelve_provinces(project_data):
    names = [str(t.name) for t in project_data.territories]
    assert names == [
        "Bergamo",
        "Brescia",
        "Como",
        "Cremona",
        "Lecco",
        "Lodi",
        "Mantova",
        "Milano",
        "Monza e Brianza",
        "Pavia",
        "Sondrio",
        "Varese",
    ]
    assert project_data.territory["monza-e-brianza"].province_code == "MB"
    assert all(not t.contacts for t in project_data.territories)


def test_partner_territories_only_where_the_seed_states_them(project_data):
    linked = {p.id: p.territories for p in project_data.partners if p.territories}
    assert linked == {"acsi": ["lodi"], "progettazione": ["lodi", "mantova", "milano"]}


def test_funding_facts(project_data):
    project = project_data.project
    assert str(project.budget.total) == "249517.74"
    assert str(project.budget.contribution) == "197119.02"
    assert project.duration_months == 24
    assert project.funding.decree == "DGR XI/7501"
    assert project.funding.specific_objective == "ESO 4.8"


def test_line_four(project_data):
    assert [line.number for line in project_data.lines] == [4]
    assert "Q-OLAF" in project_data.lines[0].description.get("it")
    assert "721" in project_data.lines[0].description.get("en")
