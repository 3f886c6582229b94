"""Start a new news item or event, valid and dated today, for an editor to fill in.

    python tools/new.py post     # content/notizie/<today>-nuova-notizia.it.md (a draft)
    python tools/new.py event    # a new entry at the end of data/events.yaml

Prints what it created. `make check` passes right after: the editor then
replaces the placeholder text.
"""

import argparse
import datetime
import os
import sys
import zoneinfo

import yaml

ROME = zoneinfo.ZoneInfo("Europe/Rome")

POST = """\
Title: Nuova notizia (titolo da scrivere)
Date: {today}
Slug: {slug}
Category: progetto
Tags:
Status: draft
Summary: Una frase che riassume la notizia.

Il testo della notizia. Quando è pronta, togli la riga "Status: draft".

Per la versione inglese crea accanto un file con lo stesso nome che finisce
in .en.md.
"""

EVENT = """
# Nuovo evento creato il {today}: completa i campi e controlla con `make check`.
- id: {id}
  title:
    it: Nuovo evento (titolo da scrivere)
    en: New event (title to be written)
  kind: meeting
  audience: [companies]
  territory: {territory}
  start: {today} 10:00
  end: {today} 12:00
  place: {{name: Da definire, city: Da definire}}
  status: scheduled
  description:
    it: Descrizione dell'evento.
"""


def today():
    return datetime.datetime.now(ROME).date()


def unique(candidate, taken):
    name, number = candidate, 2
    while name in taken:
        name = f"{candidate}-{number}"
        number += 1
    return name


def new_post(root):
    folder = os.path.join(root, "content", "notizie")
    day = today().isoformat()
    taken = {name.split(".")[0] for name in os.listdir(folder)}
    stem = unique(f"{day}-nuova-notizia", taken)
    path = os.path.join(folder, f"{stem}.it.md")
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(POST.format(today=day, slug=stem.removeprefix(f"{day}-") + f"-{day}"))
    return path


def new_event(root):
    events_path = os.path.join(root, "data", "events.yaml")
    with open(events_path, encoding="utf-8") as handle:
        text = handle.read()
    events = yaml.safe_load(text) or []
    with open(os.path.join(root, "data", "territories.yaml"), encoding="utf-8") as handle:
        territory = yaml.safe_load(handle)[0]["id"]
    day = today().isoformat()
    event_id = unique(f"nuovo-evento-{day}", {event.get("id") for event in events})
    entry = EVENT.format(today=day, id=event_id, territory=territory)
    if not events:
        # An empty list is written `[]`: keep the comments, replace the list.
        lines = [line for line in text.splitlines() if line.strip() != "[]"]
        text = "\n".join(lines).rstrip() + "\n"
    with open(events_path, "w", encoding="utf-8") as handle:
        handle.write(text.rstrip("\n") + "\n" + entry)
    return f"{events_path} (id: {event_id})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["post", "event"])
    parser.add_argument("--root", default=os.getcwd())
    args = parser.parse_args(argv)
    created = new_post(args.root) if args.kind == "post" else new_event(args.root)
    print(f"Created {os.path.relpath(created, args.root) if args.kind == 'post' else created}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
