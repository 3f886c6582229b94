"""A synthetic "two-year corpus" for benchmarks/build.py.

    make_corpus(folder)              # content/ and data/ for this project
    plain_settings(folder, content)  # settings for plain Pelican on the same content/

The corpus: 300 news items in Italian and 300 in English, 150 events, 30
workshops with 60 small material files, and the real site's pages and the
rest of its data/ (partners, territories, ...).
"""

import datetime
import os
import random
import re
import shutil

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEWS, EVENTS, WORKSHOPS, MATERIALS_PER_WORKSHOP = 300, 150, 30, 2
WORDS = [
    "convenzioni",
    "inclusione",
    "lavoro",
    "aziende",
    "cooperative",
    "sociali",
    "disabilità",
    "territorio",
    "incontro",
    "formazione",
    "servizi",
    "reti",
    "progetto",
    "occupazione",
    "persone",
    "comunità",
    "impresa",
    "responsabilità",
    "orientamento",
    "valutazione",
    "percorso",
    "inserimento",
    "obbligo",
    "quota",
]


def paragraph(rng, words=60):
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def body(rng):
    return "\n\n".join(
        [
            paragraph(rng),
            "## " + paragraph(rng, 4).rstrip("."),
            paragraph(rng),
            "- " + paragraph(rng, 8) + "\n- " + paragraph(rng, 8),
            paragraph(rng, 40),
        ]
    )


def day(number, count):
    """The day of the number-th of count things spread evenly over two years."""
    return datetime.date(2025, 1, 1) + datetime.timedelta(days=number * 730 // count)


def write_news(content, rng):
    folder = os.path.join(content, "notizie")
    os.makedirs(folder)
    for number in range(NEWS):
        date = day(number, NEWS)
        for lang, title in (("it", "Notizia numero"), ("en", "News item number")):
            with open(
                os.path.join(folder, f"{date}-n{number}.{lang}.md"), "w", encoding="utf-8"
            ) as handle:
                handle.write(
                    f"Title: {title} {number}\nDate: {date} 10:00\nSlug: {lang}-{number}\n"
                    f"Category: {'progetto' if number % 3 else 'attivita'}\n"
                    f"Tags: {rng.choice(['lodi', 'q-olaf', 'aziende'])}, convenzioni-art-14\n"
                    f"Summary: {paragraph(rng, 20)}\n\n{body(rng)}\n"
                )


def event(number, rng, territories):
    return {
        "id": f"evento-{number}",
        "title": {"it": f"Incontro informativo {number}", "en": f"Informational meeting {number}"},
        "kind": ["meeting", "workshop", "webinar", "other"][number % 4],
        "audience": ["companies", "labour-consultants", "social-cooperatives"][: 1 + number % 3],
        "territory": territories[number % len(territories)],
        "start": f"{day(number, EVENTS)} {9 + number % 8:02d}:30",
        "place": {"name": "Sala riunioni", "address": f"Via Roma {number}", "city": "Lodi"},
        "registration": {"email": "iscrizioni@example.org"},
        "description": {"it": paragraph(rng, 50), "en": paragraph(rng, 50)},
    }


def workshop(number, rng, territories, content):
    workshop_id = f"workshop-{number}"
    folder = os.path.join(content, "materiali", workshop_id)
    os.makedirs(folder)
    materials = []
    for index in range(MATERIALS_PER_WORKSHOP):
        name = f"materiale-{index}.pdf"
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(b"%PDF-1.4\n" + rng.randbytes(2_000))
        materials.append(
            {
                "file": f"materiali/{workshop_id}/{name}",
                "title": {"it": f"Materiale {number}-{index}", "en": f"Material {number}-{index}"},
                "language": "it",
                "license": "CC BY 4.0",
            }
        )
    return {
        "id": workshop_id,
        "title": {"it": f"Workshop {number}", "en": f"Workshop {number}"},
        "date": day(number, WORKSHOPS).isoformat(),
        "territory": territories[number % len(territories)],
        "audience": ["social-cooperatives", "companies"][: 1 + number % 2],
        "topics": ["legal", "administrative", "commercial", "practices"][: 1 + number % 4],
        "materials": materials,
    }


def make_corpus(folder, site=ROOT, seed=14):
    """content/ and data/ in folder, with the pages and data of site; returns their paths."""
    rng = random.Random(seed)
    content, data = os.path.join(folder, "content"), os.path.join(folder, "data")
    shutil.copytree(os.path.join(site, "content", "pagine"), os.path.join(content, "pagine"))
    write_news(content, rng)
    shutil.copytree(os.path.join(site, "data"), data)
    with open(os.path.join(data, "territories.yaml"), encoding="utf-8") as handle:
        territories = [territory["id"] for territory in yaml.safe_load(handle)]
    records = {
        "events": [event(number, rng, territories) for number in range(EVENTS)],
        "workshops": [workshop(number, rng, territories, content) for number in range(WORKSHOPS)],
    }
    for name, value in records.items():
        with open(os.path.join(data, f"{name}.yaml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump(value, handle, allow_unicode=True, sort_keys=False)
    return content, data


def plain_settings(folder, content):
    """Pelican's defaults (its own theme, no plugins) reading the same content/.

    The pages' own templates (Template: project) are its page.html.
    """
    templates = os.path.join(folder, "plain-templates")
    os.makedirs(templates)
    for name in os.listdir(os.path.join(content, "pagine")):
        with open(os.path.join(content, "pagine", name), encoding="utf-8") as handle:
            found = re.search(r"^Template: *(\S+)", handle.read(), re.MULTILINE)
        if found:
            with open(os.path.join(templates, f"{found[1]}.html"), "w", encoding="utf-8") as handle:
                handle.write('{% extends "page.html" %}\n')
    settings = {
        "SITENAME": "Plain",
        "PATH": "content",
        "ARTICLE_PATHS": ["notizie"],
        "PAGE_PATHS": ["pagine"],
        "STATIC_PATHS": ["materiali"],
        "PLUGINS": [],
        "THEME_TEMPLATES_OVERRIDES": [templates],
        "TIMEZONE": "Europe/Rome",
        "DEFAULT_LANG": "it",
        "DEFAULT_PAGINATION": 10,
        # The language from the file name, as the project reads it.
        "FILENAME_METADATA": r"^(?:(?P<date>\d{4}-\d{2}-\d{2})-)?[^.]*(?:\.(?P<lang>[^.]+))?$",
        **dict.fromkeys(["FEED_ALL_ATOM", "CATEGORY_FEED_ATOM", "TRANSLATION_FEED_ATOM"]),
        **dict.fromkeys(["AUTHOR_FEED_ATOM", "AUTHOR_FEED_RSS"]),
    }
    path = os.path.join(folder, "plainconf.py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(f"{name} = {value!r}\n" for name, value in settings.items())
    return path
