"""Workshop materials: downloads that companies and cooperatives can find and trust.

Each material listed in data/workshops.yaml is published under a name that
says what it is, with its size, checksum and date; each workshop gets a page
and a ZIP of its materials whose bytes only change when a material does.
Downloads are shared by every language: they live next to the default
language's workshop page (``/materiali/<workshop>/``).
"""

import logging
import os
import shutil
from dataclasses import dataclass

from pelican import signals
from pelican.generators import Generator

from website.pages import write_route_page
from website.routes import register as register_route
from website.routes import route_path

from . import files

logger = logging.getLogger(__name__)


@dataclass
class PublishedMaterial:
    workshop: object
    material: object
    source: str
    path: str  # site-relative address of the download
    extension: str
    size: int
    sha256: str
    updated: object  # a date, or None when unknown

    @property
    def format(self):
        return self.material.format or self.extension


@dataclass
class WorkshopDownloads:
    workshop: object
    materials: list
    zip_path: str
    zip_size: int
    zip_source: str | None = None  # the ZIP, built in the cache before any page is written


def _source(settings, material):
    return os.path.join(settings["PATH"], material.file)


def catalog(settings):
    """{workshop id: WorkshopDownloads}, worked out once per build.

    ZIPs are built here, beside the content cache, so that every language's
    pages can give their size before any of them is written.
    """
    data = settings["DATA"]
    site_lang = settings["SITE_DEFAULT_LANG"]
    folder = settings.get("MATERIALS_PATH", "materiali")
    dates = files.commit_dates(os.path.abspath(settings["PATH"]), folder)
    zips = os.path.join(settings["CACHE_PATH"], "materials")
    result = {}
    for workshop in data.workshops:
        base = route_path("workshop", site_lang, settings["LANGUAGES"], site_lang, id=workshop.id)
        taken = set()
        published = []
        for material in workshop.materials:
            source = _source(settings, material)
            extension = (
                os.path.splitext(material.file)[1].lower().lstrip(".").replace("jpeg", "jpg")
            )
            name = files.published_name(
                material.title.get(site_lang),
                extension,
                taken,
                settings["SLUG_REGEX_SUBSTITUTIONS"],
            )
            modified = dates.get(material.file.replace(os.sep, "/"))
            published.append(
                PublishedMaterial(
                    workshop=workshop,
                    material=material,
                    source=source,
                    path=base + name,
                    extension=extension,
                    size=os.path.getsize(source),
                    sha256=files.sha256(source),
                    updated=material.updated or modified,
                )
            )
        zip_path = zip_source = None
        if published:
            zip_path = f"{base}opensource14-{workshop.id}.zip"
            zip_source = os.path.join(zips, f"{workshop.id}.zip")
            files.write_zip(zip_source, zip_entries(published))
        zip_size = os.path.getsize(zip_source) if zip_source else 0
        result[workshop.id] = WorkshopDownloads(workshop, published, zip_path, zip_size, zip_source)
    return result


def zip_entries(published):
    return [(os.path.basename(item.path), item.source, item.updated) for item in published]


def warn_unreferenced(settings):
    data = settings["DATA"]
    folder = os.path.join(settings["PATH"], settings.get("MATERIALS_PATH", "materiali"))
    listed = {os.path.normpath(_source(settings, m)) for _, m in data.materials()}
    for directory, _, names in os.walk(folder):
        for name in sorted(names):
            path = os.path.normpath(os.path.join(directory, name))
            if path not in listed:
                logger.warning(
                    "%s: no material in data/workshops.yaml lists this file, so it is not "
                    "published",
                    os.path.relpath(path),
                )


def prepare(generator):
    """Checksums and names once per build, by the default language's run."""
    settings = generator.settings
    if settings.get("DATA") is None:
        return
    if not settings.get("I18N_SUBSITE") and "MATERIALS" not in generator.context:
        settings["MATERIALS"] = catalog(settings)
        warn_unreferenced(settings)
    generator.context["MATERIALS"] = settings["MATERIALS"]
    generator.context["MATERIAL_FILES"] = {
        item.material.file: item
        for downloads in settings["MATERIALS"].values()
        for item in downloads.materials
    }


class MaterialPagesGenerator(Generator):
    def generate_output(self, writer):
        downloads = self.settings.get("MATERIALS")
        if downloads is None:
            return
        if not self.settings.get("I18N_SUBSITE"):
            self.write_files(downloads)
        audiences = sorted(
            {code for d in downloads.values() for code in d.workshop.audience if d.materials}
        )
        write_route_page(self, writer, "materials", "materials", audiences=audiences)
        for code in audiences:
            write_route_page(
                self,
                writer,
                "materials_audience",
                "materials",
                {"audience": code},
                audiences=audiences,
                selected_audience=code,
            )
        for workshop_id, workshop_downloads in downloads.items():
            write_route_page(
                self,
                writer,
                "workshop",
                "workshop",
                {"id": workshop_id},
                downloads=workshop_downloads,
            )

    def write_files(self, downloads):
        for workshop_downloads in downloads.values():
            for item in workshop_downloads.materials:
                copy_file(item.source, os.path.join(self.output_path, item.path))
            if workshop_downloads.zip_path:
                target = os.path.join(self.output_path, workshop_downloads.zip_path)
                copy_file(workshop_downloads.zip_source, target)


def copy_file(source, target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)


def add_generator(pelican):
    return MaterialPagesGenerator


def register():
    register_route("materials", "{materials}/")
    register_route("materials_audience", "{materials}/{for_audience}/{audience}/")
    register_route("workshop", "{materials}/{id}/")
    signals.generator_init.connect(prepare)
    signals.get_generators.connect(add_generator)
