"""The data layer: data/*.yaml, validated, as ``DATA`` in every template.

Loaded once per build, by the default language's run, before anything is
written; any problem stops the build with a report (see problems.py).
The other languages' runs reuse the loaded data from their settings.
"""

import os
import zoneinfo

from pelican import signals

from website.problems import abort

from .render import render_markdown, translate
from .sitedata import DEFAULT_MATERIAL_MAX_BYTES, load_site_data


def settings_languages(settings):
    return list(settings.get("LANGUAGES") or [settings["DEFAULT_LANG"]])


def load_for(settings):
    """Load and check data/ for these settings; (SiteData, problems)."""
    return load_site_data(
        settings.get("DATA_PATH", "data"),
        languages=settings_languages(settings),
        default_lang=settings.get("SITE_DEFAULT_LANG", settings["DEFAULT_LANG"]),
        timezone=zoneinfo.ZoneInfo(settings.get("TIMEZONE") or "UTC"),
        content_path=os.path.abspath(settings["PATH"]),
        material_max_bytes=settings.get("MATERIALS_MAX_BYTES", DEFAULT_MATERIAL_MAX_BYTES),
        require_privacy_controller=bool(settings.get("REQUIRE_PRIVACY_CONTROLLER")),
    )


def load_data(pelican):
    if pelican.settings.get("I18N_SUBSITE"):
        return
    data, problems = load_for(pelican.settings)
    if problems:
        abort(problems)
    pelican.settings["DATA"] = data


def install_filters(generator):
    # The shared context was copied from the settings before the data was loaded.
    generator.context["DATA"] = generator.settings.get("DATA")
    lang = generator.settings["DEFAULT_LANG"]
    generator.env.filters["tr"] = lambda value: translate(value, lang)
    generator.env.filters["markdown"] = render_markdown
    # `selectattr("audience", "contains", "companies")`: the list holds the value.
    generator.env.tests["contains"] = lambda container, value: value in container


def register():
    signals.get_generators.connect(load_data)
    signals.generator_init.connect(install_filters)
