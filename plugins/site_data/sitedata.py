"""All of data/, validated and cross-checked, as one object for templates."""

import os
from dataclasses import dataclass, field

from website import schema
from website.problems import did_you_mean

from .loader import data_file, validate_records

DEFAULT_MATERIAL_MAX_BYTES = 20 * 1024 * 1024

# Where editors find the ids a reference may use.
SOURCES = {
    "territory": "territories",
    "partner": "partners",
    "workshop": "workshops",
}


@dataclass
class SiteData:
    """What templates see as ``DATA``."""

    project: schema.Project | None = None
    partners: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    territories: list = field(default_factory=list)
    events: list = field(default_factory=list)
    workshops: list = field(default_factory=list)
    taxonomy: schema.Taxonomy | None = None
    glossary: list = field(default_factory=list)
    results: list = field(default_factory=list)

    def __post_init__(self):
        self.partner = {p.id: p for p in self.partners}
        self.line = {line.id: line for line in self.lines}
        self.territory = {t.id: t for t in self.territories}
        self.event = {e.id: e for e in self.events}
        self.workshop = {w.id: w for w in self.workshops}
        terms = self.taxonomy
        self.category = {t.id: t for t in (terms.categories if terms else [])}
        self.tag = {t.id: t for t in (terms.tags if terms else [])}

    @property
    def lead_partner(self):
        return next((p for p in self.partners if p.role == "lead"), None)

    def partners_in(self, territory_id):
        return [p for p in self.partners if territory_id in p.territories]

    def materials(self):
        """(workshop, material) for every material, in file order."""
        return [(w, m) for w in self.workshops for m in w.materials]


class CrossChecks:
    """Checks between records and files, once each record is valid on its own."""

    def __init__(
        self,
        files,
        records,
        problems,
        content_path,
        material_max_bytes,
        languages,
        require_privacy_controller=False,
    ):
        self.files = files
        self.records = records  # stem → [(index, record)] or a record
        self.problems = problems
        self.content_path = os.path.normpath(content_path)
        self.material_max_bytes = material_max_bytes
        self.languages = languages
        self.require_privacy_controller = require_privacy_controller
        # Ids written in each list file, valid records or not, so that one
        # broken record does not also break every reference to it. None when
        # the file could not be read at all: its references are not checked.
        self.ids = {
            stem: _written_ids(files[stem].value) if files[stem].parsed else None
            for stem, (_, shape) in schema.FILES.items()
            if shape == "list"
        }

    def report(self, stem, loc, message, fix=""):
        self.problems.append(self.files[stem].problem(loc, message, fix))

    def reference(self, stem, loc, value, kind):
        known = self.ids[SOURCES[kind]]
        if known is None or value in known:
            return
        fix = did_you_mean(value, known) or f"use an id from data/{SOURCES[kind]}.yaml"
        self.report(stem, loc, f"unknown {kind} '{value}'", fix)

    def run(self):
        for stem in self.ids:
            self.duplicate_ids(stem)
        self.partners()
        self.project()
        self.privacy()
        self.lines()
        self.workshops()
        self.events()
        self.taxonomy()
        self.glossary()

    def duplicate_ids(self, stem):
        first_index = {}
        for index, record in self.records[stem]:
            if record.id not in first_index:
                first_index[record.id] = index
                continue
            first_line = self.files[stem].problem((first_index[record.id], "id"), "").line
            self.report(
                stem,
                (index, "id"),
                f"duplicate id '{record.id}'",
                f"line {first_line} already uses it; ids must be unique",
            )

    def partners(self):
        leads = []
        for index, partner in self.records["partners"]:
            for position, territory in enumerate(partner.territories):
                self.reference("partners", (index, "territories", position), territory, "territory")
            if partner.role == "lead":
                leads.append((index, partner))
        for index, partner in leads[1:]:
            self.report(
                "partners",
                (index, "role"),
                f"'{partner.id}' is a second lead partner",
                "only one partner has role: lead",
            )

    def project(self):
        project = self.records["project"]
        if project is None or self.ids["partners"] is None:
            return
        lead = project.lead_partner
        if lead not in self.ids["partners"]:
            fix = did_you_mean(lead, self.ids["partners"]) or "use an id from data/partners.yaml"
            self.report("project", ("lead_partner",), f"unknown partner '{lead}'", fix)
        elif any(p.id == lead and p.role != "lead" for _, p in self.records["partners"]):
            self.report(
                "project",
                ("lead_partner",),
                f"'{lead}' does not have role: lead in data/partners.yaml",
                "set role: lead on that partner",
            )

    def privacy(self):
        """Publishing (REQUIRE_PRIVACY_CONTROLLER) needs the controller the notices name."""
        project = self.records["project"]
        if not self.require_privacy_controller or project is None:
            return
        if project.privacy is None or project.privacy.controller is None:
            self.report(
                "project",
                ("privacy", "controller"),
                "the data controller is missing: the privacy notices must name it "
                "before the site is published",
                "add 'privacy: controller: {name: …, address: …, email: …}' with the "
                "controller's real details; see docs/dati.md",
            )

    def lines(self):
        for index, line in self.records["lines"]:
            for position, territory in enumerate(line.territories):
                self.reference("lines", (index, "territories", position), territory, "territory")
            for position, partner in enumerate(line.partners):
                self.reference("lines", (index, "partners", position), partner, "partner")

    def workshops(self):
        for index, workshop in self.records["workshops"]:
            self.reference("workshops", (index, "territory"), workshop.territory, "territory")
            files = [material.file for material in workshop.materials]
            for m_index, material in enumerate(workshop.materials):
                self.material_file((index, "materials", m_index), material)
                easy = material.accessibility.easy_read if material.accessibility else None
                if easy and not easy.startswith(("http://", "https://")) and easy not in files:
                    self.report(
                        "workshops",
                        (index, "materials", m_index, "accessibility", "easy_read"),
                        f"'{easy}' is neither a web address nor a material of this workshop",
                        did_you_mean(easy, files)
                        or "give a full https:// address or the file "
                        "of another material of this workshop",
                    )

    def material_file(self, loc, material):
        relative = material.file.replace("\\", "/")
        full = os.path.normpath(os.path.join(self.content_path, relative))
        if os.path.isabs(relative) or not full.startswith(self.content_path + os.sep):
            self.report(
                "workshops",
                (*loc, "file"),
                f"'{material.file}' is outside content/",
                "give a path under content/, e.g. materiali/workshop/file.pdf",
            )
            return
        extension = os.path.splitext(relative)[1].lower().lstrip(".")
        extension = "jpg" if extension == "jpeg" else extension
        if extension not in schema.MATERIAL_FORMATS:
            self.report(
                "workshops",
                (*loc, "file"),
                f"file type '.{extension}' is not allowed",
                "allowed: " + ", ".join(schema.MATERIAL_FORMATS),
            )
            return
        if material.format and material.format != extension:
            self.report(
                "workshops",
                (*loc, "format"),
                f"format '{material.format}' does not match the file's '.{extension}'",
                f"write format: {extension}, or remove the field",
            )
        if not os.path.isfile(full):
            folder = os.path.dirname(full)
            nearby = os.listdir(folder) if os.path.isdir(folder) else []
            fix = did_you_mean(os.path.basename(full), nearby)
            self.report(
                "workshops",
                (*loc, "file"),
                f"file not found: content/{relative}",
                fix or "add the file under content/ or correct the path",
            )
            return
        size = os.path.getsize(full)
        if size > self.material_max_bytes:
            self.report(
                "workshops",
                (*loc, "file"),
                f"the file is {_size(size)}, over the limit of {_size(self.material_max_bytes)}",
                "make it smaller (e.g. compress the PDF) or raise MATERIALS_MAX_BYTES",
            )

    def events(self):
        material_files = sorted({m.file for _, w in self.records["workshops"] for m in w.materials})
        for index, event in self.records["events"]:
            self.reference("events", (index, "territory"), event.territory, "territory")
            if event.workshop:
                self.reference("events", (index, "workshop"), event.workshop, "workshop")
            for position, path in enumerate(event.materials):
                if path not in material_files:
                    fix = did_you_mean(path, material_files)
                    self.report(
                        "events",
                        (index, "materials", position),
                        f"no workshop lists the material '{path}'",
                        fix or "add it to a workshop's materials in data/workshops.yaml",
                    )

    def taxonomy(self):
        taxonomy = self.records["taxonomy"]
        if taxonomy is None:
            return
        for group in ("categories", "tags"):
            ids = set()
            addresses = set()
            for index, term in enumerate(getattr(taxonomy, group)):
                if term.id in ids:
                    self.report(
                        "taxonomy",
                        (group, index, "id"),
                        f"duplicate id '{term.id}'",
                        "ids must be unique",
                    )
                ids.add(term.id)
                for lang in term.slug:
                    if lang not in self.languages:
                        self.report(
                            "taxonomy",
                            (group, index, "slug", lang),
                            f"unknown language code '{lang}'",
                            "use one of: " + ", ".join(self.languages),
                        )
                for lang in self.languages:
                    slug = term.slug.get(lang, term.id)
                    if (lang, slug) in addresses:
                        self.report(
                            "taxonomy",
                            (group, index, "slug"),
                            f"the {lang} address '{slug}' is used twice",
                            "give this term another slug",
                        )
                    addresses.add((lang, slug))

    def glossary(self):
        for index, entry in self.records["glossary"]:
            for lang in entry.forms:
                if lang not in self.languages:
                    self.report(
                        "glossary",
                        (index, "forms", lang),
                        f"unknown language code '{lang}'",
                        "use one of: " + ", ".join(self.languages),
                    )


def _size(count):
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f} MB"
    return f"{count:,} bytes"


def _written_ids(value):
    if not isinstance(value, list):
        return []
    return [
        item["id"] for item in value if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]


def load_site_data(
    data_dir,
    *,
    languages,
    default_lang,
    timezone,
    content_path,
    material_max_bytes=DEFAULT_MATERIAL_MAX_BYTES,
    require_privacy_controller=False,
):
    """(SiteData, problems). Problems are complete: every file is read and checked."""
    context = {"languages": tuple(languages), "default_lang": default_lang, "timezone": timezone}
    problems = []
    files = {stem: data_file(data_dir, stem) for stem in schema.FILES}
    records = {}
    for stem, (model, shape) in schema.FILES.items():
        data_file_ = files[stem]
        if stem in schema.OPTIONAL_FILES and not os.path.exists(data_file_.path):
            records[stem] = []
        elif data_file_.read_text(problems) and data_file_.parse(problems):
            records[stem] = validate_records(data_file_, model, shape, context, problems)
        else:
            records[stem] = None if shape == "mapping" else []
    CrossChecks(
        files,
        records,
        problems,
        content_path,
        material_max_bytes,
        tuple(languages),
        require_privacy_controller,
    ).run()
    data = SiteData(
        project=records["project"],
        partners=[r for _, r in records["partners"]],
        lines=sorted((r for _, r in records["lines"]), key=lambda line: line.number),
        territories=[r for _, r in records["territories"]],
        events=[r for _, r in records["events"]],
        workshops=[r for _, r in records["workshops"]],
        taxonomy=records["taxonomy"],
        glossary=[r for _, r in records["glossary"]],
        results=[r for _, r in records["results"]],
    )
    return data, problems
