"""A synthetic site of any size, and the same pages as plain Pelican content.

    make_site(folder, scale=1)        # content/ and data/ for this project
    make_plain_site(folder, scale=1)  # the same pages as Markdown articles

At scale 1: 2,000 news articles in Italian and English, 1,000 events, the
twelve territories and 200 materials. A scale may be a fraction (0.1), and
``counts(scale, events=5000, news=0, materials=0)`` sets any number exactly.
"""

import datetime
import os
import random
import shutil

import yaml
from synthetic import TERRITORIES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEWS, EVENTS, MATERIALS = 2000, 1000, 200
MATERIALS_PER_WORKSHOP = 4
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
    "sociale",
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


def news_day(number):
    return datetime.date(2024, 1, 1) + datetime.timedelta(days=number % 1000)


def event_start(number):
    day = datetime.date(2025, 1, 1) + datetime.timedelta(days=(number * 7) % 1400)
    return f"{day.isoformat()} {9 + number % 8:02d}:30"


def counts(scale=1, **exact):
    """{"news": …, "events": …, "materials": …} at a scale, with exact numbers overriding it."""
    result = {
        "news": int(NEWS * scale),
        "events": int(EVENTS * scale),
        "materials": int(MATERIALS * scale),
    }
    result.update(exact)
    return result


def make_site(folder, scale=1, seed=14, sizes=None):
    """content/ and data/ for this project; returns (content, data)."""
    sizes = sizes or counts(scale)
    rng = random.Random(seed)
    content, data = os.path.join(folder, "content"), os.path.join(folder, "data")
    shutil.copytree(os.path.join(ROOT, "content", "pagine"), os.path.join(content, "pagine"))
    news = os.path.join(content, "notizie")
    os.makedirs(news)
    for number in range(sizes["news"]):
        day = news_day(number)
        for lang, title in (("it", "Notizia numero"), ("en", "News item number")):
            with open(
                os.path.join(news, f"{day}-n{number}.{lang}.md"), "w", encoding="utf-8"
            ) as handle:
                handle.write(
                    f"Title: {title} {number}\nDate: {day} 10:00\nSlug: {lang}-{number}\n"
                    f"Category: {'progetto' if number % 3 else 'attivita'}\n"
                    f"Tags: {rng.choice(['lodi', 'q-olaf', 'aziende'])}, convenzioni-art-14\n"
                    f"Summary: {paragraph(rng, 20)}\n\n{body(rng)}\n"
                )
    shutil.copytree(os.path.join(ROOT, "data"), data)
    events = []
    for number in range(sizes["events"]):
        events.append(
            {
                "id": f"evento-{number}",
                "title": {
                    "it": f"Incontro informativo {number}",
                    "en": f"Informational meeting {number}",
                },
                "kind": ["meeting", "workshop", "webinar", "other"][number % 4],
                "audience": ["companies", "labour-consultants", "social-cooperatives"][
                    : 1 + number % 3
                ],
                "territory": TERRITORIES[number % 12],
                "start": event_start(number),
                "place": {"name": "Sala riunioni", "address": f"Via Roma {number}", "city": "Lodi"},
                "registration": {"email": "iscrizioni@example.org"},
                "description": {"it": paragraph(rng, 50), "en": paragraph(rng, 50)},
            }
        )
    workshops = []
    for number in range(sizes["materials"] // MATERIALS_PER_WORKSHOP):
        workshop_id = f"workshop-{number}"
        folder_path = os.path.join(content, "materiali", workshop_id)
        os.makedirs(folder_path)
        materials = []
        for index in range(MATERIALS_PER_WORKSHOP):
            name = f"materiale-{index}.pdf"
            with open(os.path.join(folder_path, name), "wb") as handle:
                handle.write(b"%PDF-1.4\n" + rng.randbytes(20_000))
            materials.append(
                {
                    "file": f"materiali/{workshop_id}/{name}",
                    "title": {
                        "it": f"Materiale {number}-{index}",
                        "en": f"Material {number}-{index}",
                    },
                    "language": "it",
                    "license": "CC BY 4.0",
                }
            )
        workshops.append(
            {
                "id": workshop_id,
                "title": {"it": f"Workshop {number}", "en": f"Workshop {number}"},
                "date": news_day(number).isoformat(),
                "territory": TERRITORIES[number % 12],
                "audience": ["social-cooperatives", "companies"][: 1 + number % 2],
                "topics": ["legal", "administrative", "commercial", "practices"][: 1 + number % 4],
                "materials": materials,
            }
        )
    for name, value in (("events", events), ("workshops", workshops)):
        with open(os.path.join(data, f"{name}.yaml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump(value, handle, allow_unicode=True, sort_keys=False)
    return content, data


def make_plain_site(folder, scale=1, seed=14, sizes=None, territories=True):
    """The same number of pages for plain Pelican: everything as Markdown articles."""
    sizes = sizes or counts(scale)
    rng = random.Random(seed)
    content = os.path.join(folder, "content")
    os.makedirs(content)

    def article(name, lang, title, day, category, text, slug):
        with open(os.path.join(content, f"{name}.{lang}.md"), "w", encoding="utf-8") as handle:
            handle.write(
                f"Title: {title}\nDate: {day}\nSlug: {slug}\nLang: {lang}\n"
                f"Category: {category}\nTags: {rng.choice(['lodi', 'q-olaf', 'aziende'])}\n"
                f"Summary: {paragraph(rng, 20)}\n\n{text}\n"
            )

    # Each kind of page as plain Markdown articles: (prefix, title, count, date, category, text).
    kinds = (
        ("n", "News", sizes["news"], lambda n: f"{news_day(n)} 10:00", "progetto", body),
        ("e", "Event", sizes["events"], event_start, "eventi", lambda r: paragraph(r, 50)),
        (
            "m",
            "Material",
            sizes["materials"],
            lambda n: f"{news_day(n)} 10:00",
            "materiali",
            lambda r: paragraph(r, 20),
        ),
    )
    for prefix, title, count, date, category, text in kinds:
        for number in range(count):
            for lang in ("it", "en"):
                slug = f"{prefix}{number}"
                article(slug, lang, f"{title} {number}", date(number), category, text(rng), slug)
    for number, territory in enumerate(TERRITORIES if territories else []):
        for lang in ("it", "en"):
            article(
                f"t{number}",
                lang,
                territory,
                "2024-01-01 10:00",
                "territori",
                paragraph(rng, 30),
                f"t{number}",
            )
    config = os.path.join(folder, "plainconf.py")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write(
            'SITENAME = "Plain"\nSITEURL = ""\nPATH = "content"\nTIMEZONE = "Europe/Rome"\n'
            'DEFAULT_LANG = "it"\nPLUGINS = []\nDEFAULT_PAGINATION = 10\n'
            "FEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\nTRANSLATION_FEED_ATOM = None\n"
            "AUTHOR_FEED_ATOM = None\nAUTHOR_FEED_RSS = None\n"
        )
    return content, config
