"""The shape of every file in data/, in one place.

Editors' documentation of these files is docs/dati.md; keep both in step.
Validation needs a context: ``{"languages": (...), "default_lang": "it",
"timezone": ZoneInfo}``, passed to ``model_validate(..., context=...)``.
"""

import datetime
import re
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

# Codes stay in English in the YAML; templates show them translated.
PARTNER_KINDS = (
    "social-cooperative",
    "consortium",
    "public-body",
    "research-centre",
    "company",
    "association",
    "other",
)
EVENT_KINDS = ("meeting", "workshop", "webinar", "other")
EVENT_STATUSES = ("scheduled", "cancelled", "postponed", "tba")
AUDIENCES = (
    "companies",
    "labour-consultants",
    "employer-organisations",
    "social-cooperatives",
    "practitioners",
    "people-and-families",
)
TOPICS = ("legal", "administrative", "commercial", "practices")
MATERIAL_FORMATS = ("pdf", "docx", "odt", "pptx", "odp", "xlsx", "ods", "zip", "png", "jpg")

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _context(info):
    return info.context or {}


# Simple values ------------------------------------------------------------

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ProvinceCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


def _check_url(value):
    if not isinstance(value, str):
        raise PydanticCustomError("url_type", "expected a web address")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value.strip():
        raise PydanticCustomError(
            "url_value", "'{value}' is not a valid web address", {"value": value}
        )
    return value.strip()


def _check_email(value):
    if not isinstance(value, str):
        raise PydanticCustomError("email_type", "expected an e-mail address")
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise PydanticCustomError(
            "email_value",
            "'{value}' is not a valid e-mail address: {reason}",
            {"value": value, "reason": str(error)},
        ) from None


_THOUSANDS_DOT = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+$")


def _check_amount(value):
    # The data loader leaves "35.000" as text: YAML would read it as 35.
    if isinstance(value, str) and _THOUSANDS_DOT.match(value.strip()):
        raise PydanticCustomError(
            "thousands_dot", "'{value}' has dots between thousands", {"value": value}
        )
    return value


Url = Annotated[str, BeforeValidator(_check_url)]
Amount = Annotated[Decimal, BeforeValidator(_check_amount)]
Email = Annotated[str, BeforeValidator(_check_email)]
# As offices publish them; templates make tel: links of them (formatting.tel_href).
PhoneNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ./-]{4,}$")
]

_DATETIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:?\d{2})?$")


def _parse_when(value, info, allow_time=True):
    """A date, or a date and time in the site's time zone."""
    tz = _context(info).get("timezone")
    if isinstance(value, datetime.datetime):
        result = value
    elif isinstance(value, datetime.date):
        return value
    elif isinstance(value, str) and allow_time and _DATETIME_TEXT.match(value.strip()):
        try:
            result = datetime.datetime.fromisoformat(value.strip().replace(" ", "T"))
        except ValueError:
            raise PydanticCustomError(
                "datetime_value", "'{value}' is not a valid date and time", {"value": value}
            ) from None
    elif isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError(
                "date_value", "'{value}' is not a valid date", {"value": value}
            ) from None
    else:
        raise PydanticCustomError("date_value", "'{value}' is not a valid date", {"value": value})
    if not allow_time:
        raise PydanticCustomError("date_value", "'{value}' is not a valid date", {"value": value})
    if result.tzinfo is None and tz is not None:
        result = result.replace(tzinfo=tz)
    return result


def _when(value, info):
    return _parse_when(value, info)


def _day(value, info):
    return _parse_when(value, info, allow_time=False)


When = Annotated[datetime.date | datetime.datetime, BeforeValidator(_when)]
Day = Annotated[datetime.date, BeforeValidator(_day)]


# Translatable text ------------------------------------------------------


class Translated(str):
    """Text in one language; ``lang`` says which, ``fallback`` if not the reader's."""

    lang: str
    fallback: bool

    def __new__(cls, text, lang, fallback):
        obj = super().__new__(cls, text)
        obj.lang = lang
        obj.fallback = fallback
        return obj


class LocalizedText:
    """``{it: ..., en: ...}`` or a plain string, which is Italian."""

    markdown = False

    def __init__(self, values, default_lang="it"):
        self.values = dict(values)
        self.default_lang = default_lang

    def get(self, lang):
        if self.values.get(lang):
            return Translated(self.values[lang], lang, False)
        return Translated(self.values[self.default_lang], self.default_lang, True)

    def __str__(self):
        return self.values[self.default_lang]

    def __repr__(self):
        return f"{type(self).__name__}({self.values!r})"

    def __eq__(self, other):
        return type(self) is type(other) and self.values == other.values

    def __hash__(self):
        return hash(tuple(sorted(self.values.items())))

    @classmethod
    def __get_pydantic_core_schema__(cls, source, handler: GetCoreSchemaHandler):
        def language_code(value, info):
            languages = _context(info).get("languages", ("it", "en"))
            if value not in languages:
                raise PydanticCustomError(
                    "unknown_language",
                    "unknown language code '{code}'",
                    {"code": value, "choices": ", ".join(languages)},
                )
            return value

        values_schema = core_schema.dict_schema(
            keys_schema=core_schema.with_info_plain_validator_function(language_code),
            values_schema=core_schema.str_schema(strip_whitespace=True),
        )

        def as_mapping(value, info):
            if isinstance(value, str):
                return {_context(info).get("default_lang", "it"): value}
            return value

        def build(values, info):
            default = _context(info).get("default_lang", "it")
            if not values.get(default):
                raise PydanticCustomError(
                    "missing_default_text", "the text in '{lang}' is missing", {"lang": default}
                )
            return cls(values, default)

        return core_schema.with_info_before_validator_function(
            as_mapping,
            core_schema.with_info_after_validator_function(build, values_schema),
        )


class LocalizedMarkdown(LocalizedText):
    """Like LocalizedText, written in Markdown."""

    markdown = True


# Records ----------------------------------------------------------------


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Contact(Record):
    name: Text | None = None
    role: LocalizedText | None = None
    email: Email | None = None
    phone: PhoneNumber | None = None
    website: Url | None = None


class Funding(Record):
    programme: Text
    decree: Text | None = None
    priority: LocalizedText | None = None
    specific_objective: Text | None = None
    action: LocalizedText | None = None


class Budget(Record):
    total: Amount = Field(gt=0)
    contribution: Amount = Field(gt=0)
    currency: Literal["EUR"] = "EUR"


class Controller(Record):
    """The data controller (GDPR art. 13(1)(a)): who the privacy notices name."""

    name: Text
    address: Text
    email: Email


class DataProtectionOfficer(Record):
    """The data protection officer (GDPR art. 13(1)(b)), when there is one."""

    name: Text
    email: Email


class Privacy(Record):
    # Optional so that previews build; publishconf.py's REQUIRE_PRIVACY_CONTROLLER
    # makes a missing controller stop `make publish` (plugins/site_data).
    controller: Controller | None = None
    dpo: DataProtectionOfficer | None = None


class Project(Record):
    name: LocalizedText
    lead_partner: Slug
    objective: LocalizedText
    fronts: list[LocalizedText] = []
    expected_results: LocalizedMarkdown | None = None
    funding: Funding
    budget: Budget
    duration_months: int = Field(gt=0)
    contact: Contact | None = None
    privacy: Privacy | None = None


class Partner(Record):
    id: Slug
    name: Text
    role: Literal["lead", "partner"] = "partner"
    kind: Literal[PARTNER_KINDS] | None = None
    territories: list[Slug] = []
    website: Url | None = None
    description: LocalizedText | None = None


class Line(Record):
    id: Slug
    number: int = Field(gt=0)
    title: LocalizedText
    summary: LocalizedText
    description: LocalizedMarkdown
    territories: list[Slug] = []
    partners: list[Slug] = []


class MapTile(Record):
    """Where a territory sits on the schematic map: a column and a row."""

    column: int = Field(ge=0, le=9)
    row: int = Field(ge=0, le=9)


class PlacementOffice(Record):
    """A province's targeted-placement office (collocamento mirato), as an official page states it."""

    name: Text
    address: Text | None = None
    phone: PhoneNumber | None = None
    email: Email | None = None
    website: Url | None = None
    source: Url


class FrameworkConvention(Record):
    """A province's art. 14 framework convention, as an official page states it."""

    document: Url | None = None
    approved: Day | None = None
    # In euros, as the convention states it; its meaning is the convention's.
    coefficient: Amount | None = Field(default=None, gt=0)
    # The most of a company's quota an art. 14 convention may cover.
    cap_percent: Amount | None = Field(default=None, ge=0, le=100)
    source: Url


class Territory(Record):
    id: Slug
    name: LocalizedText
    province_code: ProvinceCode | None = None
    description: LocalizedMarkdown | None = None
    contacts: list[Contact] = []
    placement_office: PlacementOffice | None = None
    framework_convention: FrameworkConvention | None = None
    map: MapTile | None = None


class Place(Record):
    name: Text | None = None
    address: Text | None = None
    city: Text | None = None


class Registration(Record):
    url: Url | None = None
    email: Email | None = None
    deadline: When | None = None

    @model_validator(mode="after")
    def one_way_to_register(self):
        if not self.url and not self.email:
            raise PydanticCustomError(
                "registration_missing", "give a 'url' or an 'email' to register"
            )
        return self


def _as_datetime_bound(value, end=False):
    if isinstance(value, datetime.datetime):
        return value
    moment = datetime.time.max if end else datetime.time.min
    return datetime.datetime.combine(value, moment)


class Event(Record):
    id: Slug
    title: LocalizedText
    kind: Literal[EVENT_KINDS]
    audience: list[Literal[AUDIENCES]] = Field(min_length=1)
    territory: Slug
    start: When | None = None
    end: When | None = None
    place: Place | None = None
    online: bool = False
    link: Url | None = None
    registration: Registration | None = None
    status: Literal[EVENT_STATUSES] = "scheduled"
    description: LocalizedMarkdown | None = None
    workshop: Slug | None = None
    materials: list[Text] = []

    @field_validator("end")
    @classmethod
    def end_after_start(cls, end, info: ValidationInfo):
        start = info.data.get("start")
        if end is None or start is None:
            return end
        if type(end) is not type(start) and not (
            isinstance(end, datetime.datetime) and isinstance(start, datetime.datetime)
        ):
            raise PydanticCustomError(
                "end_mixed", "'end' and 'start' must both be dates or both dates and times"
            )
        if _as_datetime_bound(end, end=True) < _as_datetime_bound(start):
            raise PydanticCustomError("end_before_start", "the end comes before the start")
        return end

    @model_validator(mode="after")
    def dates_and_place(self):
        if self.start is None and self.status != "tba":
            raise PydanticCustomError(
                "start_missing", "'start' is missing; if the date is not known yet, set status: tba"
            )
        if self.online and not self.link:
            raise PydanticCustomError("link_missing", "an online event needs a 'link'")
        return self


class Accessibility(Record):
    tagged_pdf: bool | None = None
    easy_read: Text | None = None


class Material(Record):
    file: Text
    title: LocalizedText
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    format: Literal[MATERIAL_FORMATS] | None = None
    license: Text | None = None
    description: LocalizedText | None = None
    updated: Day | None = None
    accessibility: Accessibility | None = None


class Workshop(Record):
    id: Slug
    title: LocalizedText
    date: When | None = None
    territory: Slug
    audience: list[Literal[AUDIENCES]] = Field(min_length=1)
    topics: list[Literal[TOPICS]] = []
    description: LocalizedMarkdown | None = None
    materials: list[Material] = []


class Term(Record):
    id: Slug
    name: LocalizedText
    slug: dict[str, Slug] = {}


class Taxonomy(Record):
    categories: list[Term] = Field(min_length=1)
    tags: list[Term] = []


class GlossaryEntry(Record):
    """A difficult word and its plain explanation (data/glossary.yaml)."""

    id: Slug
    term: LocalizedText
    definition: LocalizedText
    # Other spellings that appear in pages (plurals…), per language code.
    forms: dict[str, list[Text]] = {}


class Indicator(Record):
    """One result the project measures against its target (data/results.yaml)."""

    id: Slug
    name: LocalizedText
    unit: LocalizedText
    target: Amount = Field(gt=0)
    value: Amount = Field(ge=0)
    as_of: Day
    source: LocalizedText

    @property
    def filled(self):
        """How much of the target is reached, from 0 to 1: a bar never overflows."""
        return float(min(self.value, self.target) / self.target)


# The files of data/: file stem → (record type, shape). A "list" file is a
# YAML list of records; a "mapping" file is one record.
FILES = {
    "project": (Project, "mapping"),
    "partners": (Partner, "list"),
    "lines": (Line, "list"),
    "territories": (Territory, "list"),
    "events": (Event, "list"),
    "workshops": (Workshop, "list"),
    "taxonomy": (Taxonomy, "mapping"),
    "glossary": (GlossaryEntry, "list"),
    "results": (Indicator, "list"),
}
# Files an editor may leave out: a missing one counts as empty. Results are
# published only once the project has measured some.
OPTIONAL_FILES = {"results"}
