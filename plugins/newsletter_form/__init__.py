"""The newsletter sign-up form on every page, its own page and the thank-you page.

The form posts to the sign-up service (the `newsletter` package) at
NEWSLETTER_ENDPOINT. The consent wording and the addresses of the privacy
and thank-you pages come from `newsletter.consent`, the module the service
hashes into every consent record, so the site can never show a wording the
service does not know. The service redirects to the thank-you page of the
form's language, which this plugin writes.
"""

from urllib.parse import urlsplit

from pelican import signals
from pelican.generators import Generator

from newsletter import consent
from website.pages import write_route_page
from website.problems import Problem, abort
from website.routes import register as register_route
from website.routes import route_path


class NewsletterPageGenerator(Generator):
    def generate_output(self, writer):
        write_route_page(self, writer, "newsletter", "newsletter")
        write_route_page(self, writer, "newsletter_thanks", "newsletter_thanks")


def add_generator(pelican):
    return NewsletterPageGenerator


def endpoint_problem(endpoint):
    """What is wrong with NEWSLETTER_ENDPOINT, or None."""
    if not endpoint:
        return "NEWSLETTER_ENDPOINT is not set"
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"NEWSLETTER_ENDPOINT {endpoint!r} is not an http(s) address"
    return None


def check_settings(pelican):
    settings = pelican.settings
    problem = endpoint_problem(settings.get("NEWSLETTER_ENDPOINT"))
    if problem:
        abort(
            [
                Problem(
                    "pelicanconf.py",
                    0,
                    0,
                    "NEWSLETTER_ENDPOINT",
                    problem,
                    "set it to the sign-up service's /subscribe address, e.g. "
                    "NEWSLETTER_ENDPOINT=https://www.example.org/subscribe",
                )
            ]
        )
    # The service only redirects to these pages: the site must write them there.
    site_lang = settings.get("SITE_DEFAULT_LANG") or settings["DEFAULT_LANG"]
    for lang in settings["LANGUAGES"]:
        written = "/" + route_path("newsletter_thanks", lang, settings["LANGUAGES"], site_lang)
        expected = consent.THANK_YOU_PAGES.get(lang)
        if written != expected:
            abort(
                [
                    Problem(
                        "pelicanconf.py",
                        0,
                        0,
                        f"LANGUAGES.{lang}.paths",
                        f"the thank-you page would be {written}, "
                        f"but the sign-up service redirects to {expected}",
                        "make the 'newsletter' and 'thanks' words match "
                        "THANK_YOU_PAGES in newsletter/consent.py",
                    )
                ]
            )


def add_form_context(generator):
    generator.context["NEWSLETTER_CONSENT_TEXT"] = consent.CONSENT_TEXT


def register():
    register_route("newsletter", "{newsletter}/")
    register_route("newsletter_thanks", "{newsletter}/{thanks}/", listed=False)
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(add_generator)
    signals.generator_init.connect(add_form_context)
