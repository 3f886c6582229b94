"""The theme's own parts: the EU emblem, the catalogs, the style sheets, the macros."""

import collections
import math
import os
import subprocess
import sys
from xml.etree import ElementTree

from babel.messages.pofile import read_po

from htmlpage import html_files
from sitebuild import events_fixture_content, project_plugins, run_pelican

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THEME = os.path.join(ROOT, "theme")
FIXTURE_PLUGINS = os.path.join(ROOT, "tests", "fixtures", "plugins")
EVENTS_DATA = os.path.join(ROOT, "tests", "fixtures", "events_data")
SVG = "{http://www.w3.org/2000/svg}"


def emblem():
    return ElementTree.parse(os.path.join(THEME, "static", "img", "eu-emblem.svg")).getroot()


def test_eu_emblem_is_a_blue_3_by_2_rectangle():
    root = emblem()
    x, y, width, height = (float(v) for v in root.get("viewBox").split())
    assert (x, y) == (0, 0)
    assert width / height == 1.5
    rect = root.find(f"{SVG}rect")
    assert rect.get("fill").upper() == "#003399"
    assert float(rect.get("width")) == width
    assert float(rect.get("height")) == height


def test_eu_emblem_has_twelve_gold_stars_on_the_official_circle():
    root = emblem()
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    stars = root.findall(f"{SVG}polygon")
    assert len(stars) == 12
    centres = []
    for star in stars:
        assert star.get("fill").upper() == "#FFCC00"
        points = [tuple(map(float, p.split(","))) for p in star.get("points").split()]
        assert len(points) == 10  # five points, five notches
        cx = sum(p[0] for p in points) / 10
        cy = sum(p[1] for p in points) / 10
        outer = max(math.dist((cx, cy), p) for p in points)
        assert math.isclose(outer, height / 18, rel_tol=1e-3)
        top = min(points, key=lambda p: p[1])
        assert math.isclose(top[0], cx, abs_tol=1e-3)  # one point straight up
        centres.append((cx, cy))
    for cx, cy in centres:
        assert math.isclose(math.dist((cx, cy), (width / 2, height / 2)), height / 3, rel_tol=1e-3)
    angles = sorted(
        round(math.degrees(math.atan2(cy - height / 2, cx - width / 2))) % 360 for cx, cy in centres
    )
    assert angles == list(range(0, 360, 30))


def test_eu_emblem_matches_its_generator():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from eu_emblem import emblem_svg

    with open(os.path.join(THEME, "static", "img", "eu-emblem.svg"), encoding="utf-8") as handle:
        assert handle.read() == emblem_svg()


def catalog(lang):
    with open(
        os.path.join(THEME, "translations", lang, "LC_MESSAGES", "messages.po"), "rb"
    ) as handle:
        return read_po(handle)


def test_the_template_catalog_is_up_to_date(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "pybabel"),
            "extract",
            "-F",
            os.path.join(THEME, "babel.cfg"),
            "-k",
            "N_",
            "-o",
            str(pot),
            "--no-location",
            THEME,
            os.path.join(ROOT, "plugins"),
        ],
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    for lang in ("it", "en"):
        in_catalog = {m.id for m in catalog(lang) if m.id}
        assert extracted <= in_catalog, f"{lang}: run `make translations`: {extracted - in_catalog}"


def test_every_interface_string_is_translated_into_italian():
    untranslated = [
        m.id
        for m in catalog("it")
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)
    ]
    assert untranslated == []


def test_no_template_shows_a_date_formatted_by_the_system_locale():
    """Pelican's locale_date and locale_modified follow the machine's locale
    (and are left empty, DEFAULT_DATE_FORMAT): dates go through the Babel
    filters (`m.date`, `|date`)."""
    shown = []
    for folder, _, names in os.walk(os.path.join(THEME, "templates")):
        for name in names:
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                text = handle.read()
            if "locale_date" in text or "locale_modified" in text or "strftime" in text:
                shown.append(name)
    assert shown == []


def test_style_sheets_respect_reduced_motion_and_print():
    with open(os.path.join(THEME, "static", "css", "base.css"), encoding="utf-8") as handle:
        base = handle.read()
    assert "@media (prefers-reduced-motion: reduce)" in base
    assert ":focus-visible" in base
    assert os.path.isfile(os.path.join(THEME, "static", "css", "print.css"))


def test_macro_modules_are_made_once_per_language_not_once_per_page(tmp_path):
    """Imported with the page's context, a macro module was made again for
    every page that imports it, a tenth of a large build's time."""
    probe = tmp_path / "made.txt"
    output = tmp_path / "output"
    result = run_pelican(
        output,
        content=events_fixture_content(tmp_path),
        data=EVENTS_DATA,
        extra={
            "SEARCH_INDEX": False,
            "PLUGIN_PATHS": ["plugins", FIXTURE_PLUGINS],
            "PLUGINS": [*project_plugins(), "macro_probe"],
        },
        env={"MACRO_PROBE": str(probe)},
    )
    assert result.returncode == 0, result.stderr
    made = collections.defaultdict(list)  # (lang, template) -> modules made by each environment
    for line in probe.read_text().splitlines():
        lang, name, count = line.split()
        made[lang, name].append(int(count))
    english = [os.path.relpath(path, output).startswith("en/") for path in html_files(output)]
    pages = {"it": english.count(False), "en": english.count(True)}
    for lang in ("it", "en"):
        assert pages[lang] > 30, pages
        for name in ("partials/macros.html", "partials/event_macros.html"):
            assert made[lang, name], f"{lang}: {name} was never imported"
    many = {key: counts for key, counts in made.items() if max(counts) > 1}
    assert not many, f"modules made more than once by one environment: {many}"
