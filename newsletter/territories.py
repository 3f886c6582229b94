"""The provinces a sign-up may choose: the ids the service accepts, the names its pages show.

The site's form offers every territory of the data it was built from
(data/territories.yaml). The service is deployed from the same checkout, so
by default it accepts the ids of that file and shows their names on its own
form page (errors, time trap). NEWSLETTER_TERRITORIES narrows the list, or,
where the service runs without the data file, gives it (the pages then show
the ids as names).
"""

import dataclasses
import os
import re

import yaml
from pydantic import TypeAdapter, ValidationError

from newsletter.consent import DEFAULT_LANGUAGE, LANGUAGES
from website import schema

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_FILE = os.path.join(ROOT, "data", "territories.yaml")
ID = re.compile(schema.SLUG_PATTERN)


class TerritoryError(Exception):
    """The setting or the data file is wrong; the message is one line for the operator."""


@dataclasses.dataclass(frozen=True)
class Territory:
    id: str
    names: tuple  # ((lang, name), ...), the default language's always there

    def name(self, lang):
        """(name, its language): the default language's name where `lang` has none."""
        names = dict(self.names)
        if lang in names:
            return names[lang], lang
        return names[DEFAULT_LANGUAGE], DEFAULT_LANGUAGE


def read_file(path):
    """The territories of a data file, in its order; None if there is no such file.

    The file is checked as the site's build checks it (website/schema.py);
    `make check` names each mistake's line.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            records = yaml.safe_load(handle)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        message = f"{path}: cannot read the territories ({error})".replace("\n", " ")
        raise TerritoryError(message) from None
    context = {"languages": LANGUAGES, "default_lang": DEFAULT_LANGUAGE}
    try:
        records = TypeAdapter(list[schema.Territory]).validate_python(records, context=context)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(step) for step in first["loc"])
        raise TerritoryError(
            f"{path}: the territories are not valid ({where}: {first['msg']});"
            " `make check` shows where"
        ) from None
    return [
        Territory(
            record.id,
            tuple(
                (lang, record.name.values[lang])
                for lang in LANGUAGES
                if record.name.values.get(lang)
            ),
        )
        for record in records
    ]


def from_setting(value, path=DEFAULT_FILE):
    """The territories to accept: those of `value` (comma-separated ids) or, if it is
    None, every one of the data file at `path`. Raises TerritoryError."""
    known = read_file(path)
    name = os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path
    if value is None:
        if known is None:
            raise TerritoryError(
                f"NEWSLETTER_TERRITORIES is not set and {name} is missing: set it to the"
                " territory ids the site's form offers, comma-separated (e.g. bergamo,lodi)"
            )
        return tuple(known)
    ids = [item.strip() for item in value.split(",") if item.strip()]
    if not ids:
        raise TerritoryError(
            "NEWSLETTER_TERRITORIES lists no territory: leave it unset for every one"
            f" of {name}, or list ids, comma-separated"
        )
    for item in ids:
        if not ID.fullmatch(item):
            raise TerritoryError(
                f"NEWSLETTER_TERRITORIES: {item!r} is not a territory id"
                " (lower-case letters, digits and hyphens, e.g. monza-e-brianza)"
            )
        if ids.count(item) > 1:
            raise TerritoryError(f"NEWSLETTER_TERRITORIES lists {item!r} twice")
    if known is None:
        return tuple(Territory(item, ((DEFAULT_LANGUAGE, item),)) for item in ids)
    known_ids = [territory.id for territory in known]
    for item in ids:
        if item not in known_ids:
            raise TerritoryError(
                f"NEWSLETTER_TERRITORIES: {item!r} is not a territory of {name}"
                f" (it has: {', '.join(known_ids)})"
            )
    # In the file's order, which is the site form's.
    return tuple(territory for territory in known if territory.id in ids)
