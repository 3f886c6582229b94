"""Synthetic data sets for the benchmarks: valid, and as large as asked."""

import os

import yaml

TERRITORIES = [
    "bergamo",
    "brescia",
    "como",
    "cremona",
    "lecco",
    "lodi",
    "mantova",
    "milano",
    "monza-e-brianza",
    "pavia",
    "sondrio",
    "varese",
]
KINDS = ["meeting", "workshop", "webinar", "other"]
AUDIENCES = ["companies", "labour-consultants", "social-cooperatives"]


def project():
    return {
        "name": "OpenSource14 – Risorse in rete per l'inclusione",
        "lead_partner": "partner-0",
        "objective": {"it": "Obiettivo.", "en": "Objective."},
        "funding": {"programme": "POR FSE+ 2021-2027 Regione Lombardia"},
        "budget": {"total": 249517.74, "contribution": 197119.02},
        "duration_months": 24,
    }


def partners(count):
    return [
        {
            "id": f"partner-{n}",
            "name": f"Cooperativa sociale numero {n}",
            "role": "lead" if n == 0 else "partner",
            "kind": "social-cooperative",
            "territories": [TERRITORIES[n % 12], TERRITORIES[(n + 5) % 12]],
            "website": f"https://example.org/partner-{n}",
            "description": {"it": f"Descrizione del partner {n}.", "en": f"Partner {n}."},
        }
        for n in range(count)
    ]


def events(count):
    result = []
    for n in range(count):
        day = 1 + n % 28
        month = 1 + (n // 28) % 12
        result.append(
            {
                "id": f"evento-{n}",
                "title": {"it": f"Incontro informativo {n}", "en": f"Informational meeting {n}"},
                "kind": KINDS[n % 4],
                "audience": AUDIENCES[: 1 + n % 3],
                "territory": TERRITORIES[n % 12],
                "start": f"2027-{month:02d}-{day:02d} 14:30",
                "end": f"2027-{month:02d}-{day:02d} 17:00",
                "place": {"name": "Sala consiliare", "address": f"Via Roma {n}", "city": "Lodi"},
                "registration": {"email": "iscrizioni@example.org"},
                "description": {
                    "it": f"Descrizione dell'incontro **{n}**.",
                    "en": f"Meeting **{n}**.",
                },
            }
        )
    return result


def territories():
    return [{"id": t, "name": t.replace("-", " ").title()} for t in TERRITORIES]


def taxonomy():
    return {"categories": [{"id": "progetto", "name": {"it": "Il progetto", "en": "The project"}}]}


def write_data(folder, events_count=10_000, partners_count=1_000):
    """Write a complete data/ folder; returns its path."""
    os.makedirs(folder, exist_ok=True)
    files = {
        "project": project(),
        "partners": partners(partners_count),
        "lines": [],
        "territories": territories(),
        "events": events(events_count),
        "workshops": [],
        "taxonomy": taxonomy(),
    }
    for stem, value in files.items():
        with open(os.path.join(folder, f"{stem}.yaml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump(value, handle, allow_unicode=True, sort_keys=False)
    return folder
