"""All of data/, validated and cross-checked, as one object for templates."""

import os
from dataclasses import dataclass, field

from . import schema
from .loader import data_file, validate_records
from .problems import Problem, did_you_mean

DEFAULT_MATERIAL_MAX_BYTES = 20 * 1024 * 1024


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

    def __post_init__(self):
        self.reindex()

    def reindex(self):
        self.partner = {p.id: p for p in self.partners}
        self.line = {line.id: line for line in self.lines}
        self.territory = {t.id: t for t in self.territories}
        self.event = {e.id: e for e in self.events}
        self.workshop = {w.id: w for w in self.workshops}
        self.category = {t.id: t for t in (self.taxonomy.categories if self.taxonomy else [])}
        self.tag = {t.id: t for t in (self.taxonomy.tags if self.taxonomy else [])}

    @property
    def lead_partner(self):
        return next((p for p in self.partners if p.role == "lead"), None)

    def partners_in(self, territory_id):
        return [p for p in self.partners if territory_id in p.territories]

    def materials(self):
        """(workshop, material) for every material, in file order."""
        return [(w, m) for w in self.workshops for m in w.materials]


def _record_ids(data_file_, records, kind, problems):
    seen = {}
    for index, record in records:
        if record.id in seen:
            problems.append(
                data_file_.problem(
                    (index, "id"),
                    f"duplicate id '{record.id}'",
                    f"the {kind} at line {seen[record.id]} already uses it; ids must be unique",
                )
            )
        else:
            seen[record.id] = data_file_.problem((index, "id"), "").line
    return seen


SOURCES = {
    "territory": "data/territories.yaml",
    "partner": "data/partners.yaml",
    "workshop": "data/workshops.yaml",
}


def _check_ref(data_file_, loc, value, known, kind, problems):
    if value not in known:
        problems.append(
            data_file_.problem(
                loc,
                f"unknown {kind} '{value}'",
                did_you_mean(value, known) or f"use an id from {SOURCES[kind]}",
            )
        )


def _check_material_file(files, index, m_index, material, content_path, max_bytes, problems):
    loc = (index, "materials", m_index, "file")
    relative = material.file.replace("\\", "/")
    full = os.path.normpath(os.path.join(content_path, relative))
    if os.path.isabs(relative) or not full.startswith(os.path.normpath(content_path) + os.sep):
        problems.append(
            files.problem(
                loc,
                f"'{material.file}' is outside content/",
                "give a path under content/, e.g. materiali/workshop/file.pdf",
            )
        )
        return
    extension = os.path.splitext(relative)[1].lower().lstrip(".")
    if extension == "jpeg":
        extension = "jpg"
    if extension not in schema.MATERIAL_FORMATS:
        problems.append(
            files.problem(
                loc,
                f"file type '.{extension}' is not allowed",
                "allowed: " + ", ".join(schema.MATERIAL_FORMATS),
            )
        )
        return
    if material.format and material.format != extension:
        problems.append(
            files.problem(
                (index, "materials", m_index, "format"),
                f"format '{material.format}' does not match the file's '.{extension}'",
                f"write format: {extension}, or remove the field",
            )
        )
    if not os.path.isfile(full):
        folder = os.path.dirname(full)
        nearby = os.listdir(folder) if os.path.isdir(folder) else []
        hint = did_you_mean(os.path.basename(full), nearby)
        problems.append(
            files.problem(
                loc,
                f"file not found: content/{relative}",
                hint or "add the file under content/ or correct the path",
            )
        )
        return
    size = os.path.getsize(full)
    if size > max_bytes:
        problems.append(
            files.problem(
                loc,
                f"the file is {size / 1048576:.1f} MB, over the {max_bytes / 1048576:.0f} MB limit",
                "make it smaller (e.g. compress the PDF) or raise MATERIALS_MAX_BYTES",
            )
        )


def load_site_data(
    data_dir,
    *,
    languages,
    default_lang,
    timezone,
    content_path,
    material_max_bytes=DEFAULT_MATERIAL_MAX_BYTES,
):
    """(SiteData, problems). Problems are complete: every file is read and checked."""
    context = {"languages": tuple(languages), "default_lang": default_lang, "timezone": timezone}
    problems = []
    files = {stem: data_file(data_dir, stem) for stem in schema.FILES}
    parsed = {}
    for stem, (model, shape) in schema.FILES.items():
        if files[stem].read(problems):
            parsed[stem] = validate_records(files[stem], model, shape, context, problems)
        else:
            parsed[stem] = None if shape == "mapping" else []

    listed = {stem: value for stem, value in parsed.items() if isinstance(value, list)}
    ids = {
        stem: _record_ids(files[stem], records, stem.rstrip("s"), problems)
        for stem, records in listed.items()
    }
    territory_ids = list(ids["territories"])
    partner_ids = list(ids["partners"])
    workshop_ids = list(ids["workshops"])

    for index, partner in listed["partners"]:
        for position, territory in enumerate(partner.territories):
            _check_ref(
                files["partners"],
                (index, "territories", position),
                territory,
                territory_ids,
                "territory",
                problems,
            )
    leads = [(i, p) for i, p in listed["partners"] if p.role == "lead"]
    if len(leads) > 1:
        for index, partner in leads[1:]:
            problems.append(
                files["partners"].problem(
                    (index, "role"),
                    f"'{partner.id}' is a second lead partner",
                    "only one partner has role: lead",
                )
            )
    project = parsed["project"]
    if project is not None and project.lead_partner not in ids["partners"]:
        problems.append(
            files["project"].problem(
                ("lead_partner",),
                f"unknown partner '{project.lead_partner}'",
                did_you_mean(project.lead_partner, partner_ids)
                or "use an id from data/partners.yaml",
            )
        )
    elif project is not None and not any(p.id == project.lead_partner for _, p in leads):
        problems.append(
            files["project"].problem(
                ("lead_partner",),
                f"'{project.lead_partner}' does not have role: lead in data/partners.yaml",
                "set role: lead on that partner",
            )
        )

    for index, line in listed["lines"]:
        for position, territory in enumerate(line.territories):
            _check_ref(
                files["lines"],
                (index, "territories", position),
                territory,
                territory_ids,
                "territory",
                problems,
            )
        for position, partner in enumerate(line.partners):
            _check_ref(
                files["lines"],
                (index, "partners", position),
                partner,
                partner_ids,
                "partner",
                problems,
            )

    material_files = {m.file for _, w in listed["workshops"] for m in w.materials}
    for index, workshop in listed["workshops"]:
        _check_ref(
            files["workshops"],
            (index, "territory"),
            workshop.territory,
            territory_ids,
            "territory",
            problems,
        )
        for m_index, material in enumerate(workshop.materials):
            _check_material_file(
                files["workshops"],
                index,
                m_index,
                material,
                content_path,
                material_max_bytes,
                problems,
            )

    for index, event in listed["events"]:
        _check_ref(
            files["events"],
            (index, "territory"),
            event.territory,
            territory_ids,
            "territory",
            problems,
        )
        if event.workshop:
            _check_ref(
                files["events"],
                (index, "workshop"),
                event.workshop,
                workshop_ids,
                "workshop",
                problems,
            )
        for m_index, path in enumerate(event.materials):
            if path not in material_files:
                problems.append(
                    files["events"].problem(
                        (index, "materials", m_index),
                        f"no workshop lists the material '{path}'",
                        did_you_mean(path, sorted(material_files))
                        or "add it to a workshop's materials in data/workshops.yaml",
                    )
                )

    taxonomy = parsed["taxonomy"]
    if taxonomy is not None:
        for group in ("categories", "tags"):
            seen = {}
            slugs = {}
            for index, term in enumerate(getattr(taxonomy, group)):
                if term.id in seen:
                    problems.append(
                        files["taxonomy"].problem(
                            (group, index, "id"), f"duplicate id '{term.id}'", "ids must be unique"
                        )
                    )
                seen[term.id] = index
                for lang in languages:
                    slug = term.slug.get(lang) or term.id
                    if (lang, slug) in slugs:
                        problems.append(
                            files["taxonomy"].problem(
                                (group, index, "slug"),
                                f"the {lang} address '{slug}' is used twice",
                                "give this term another slug",
                            )
                        )
                    slugs[lang, slug] = index
                for lang in term.slug:
                    if lang not in languages:
                        problems.append(
                            files["taxonomy"].problem(
                                (group, index, "slug", lang),
                                f"unknown language code '{lang}'",
                                "use one of: " + ", ".join(languages),
                            )
                        )

    data = SiteData(
        project=project,
        partners=[r for _, r in listed["partners"]],
        lines=sorted((r for _, r in listed["lines"]), key=lambda line: line.number),
        territories=[r for _, r in listed["territories"]],
        events=[r for _, r in listed["events"]],
        workshops=[r for _, r in listed["workshops"]],
        taxonomy=taxonomy,
    )
    return data, problems


__all__ = ["Problem", "SiteData", "load_site_data"]
