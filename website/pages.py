"""Pages that plugins make from data, at the address of a named route."""

import os

from .formatting import translations_for
from .refs import RouteRef
from .routes import route_path, save_as_for


def N_(message):
    """Marks a string for translation where it is defined; translate it later."""
    return message


def gettext_for(settings):
    """gettext for the language being built, for strings made in Python."""
    directory = os.path.join(settings["THEME"], "translations")
    return translations_for(directory, settings["DEFAULT_LANG"]).gettext


def write_route_page(generator, writer, route, template, params=None, **context):
    """Write the page of a named route in the language being built.

    Plugins that make pages from data (partners, territories, events...)
    use this, so their pages get the right address in every language and
    know their translations.
    """
    settings = generator.settings
    params = params or {}
    path = route_path(
        route,
        settings["DEFAULT_LANG"],
        settings["LANGUAGES"],
        settings["SITE_DEFAULT_LANG"],
        **params,
    )
    writer.write_file(
        save_as_for(path),
        generator.get_template(template),
        generator.context,
        url=path,
        page_ref=RouteRef(route, tuple(sorted(params.items()))),
        **context,
    )
