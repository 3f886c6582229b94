"""The newsletter sign-up form on every page, its own page and the thank-you page.

The form posts to the sign-up service (the `newsletter` package) at
NEWSLETTER_ENDPOINT. The consent wording and the addresses of the privacy
and thank-you pages come from `newsletter.consent`, the module the service
hashes into every consent record, so the site can never show a wording the
service does not know. The service redirects to the thank-you page of the
form's language, which this plugin writes. It also writes, per language, the
shell of the service's own pages (confirm, unsubscribe, errors): the site's
header and footer around a marker the service fills in, at an unlisted
address the service knows (`newsletter.consent.PAGE_SHELLS`).
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
        write_route_page(self, writer, "newsletter_shell", "newsletter_shell", page_shell=True)


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
    # The service reads its page shells there.
    expected_pages = (
        (
            "newsletter_thanks",
            "the thank-you page",
            "redirects to",
            "THANK_YOU_PAGES",
            "'newsletter' and 'thanks' words match",
        ),
        (
            "newsletter_shell",
            "the service's page shell",
            "reads",
            "PAGE_SHELLS",
            "'newsletter' word match",
        ),
    )
    for lang in settings["LANGUAGES"]:
        for route, what, verb, constant, fix in expected_pages:
            written = "/" + route_path(route, lang, settings["LANGUAGES"], site_lang)
            expected = getattr(consent, constant).get(lang)
            if written != expected:
                abort(
                    [
                        Problem(
                            "pelicanconf.py",
                            0,
                            0,
                            f"LANGUAGES.{lang}.paths",
                            f"{what} would be {written}, but the sign-up service {verb} {expected}",
                            f"make the {fix} {constant} in newsletter/consent.py",
                        )
                    ]
                )


def add_form_context(generator):
    generator.context["NEWSLETTER_CONSENT_TEXT"] = consent.CONSENT_TEXT


def register():
    register_route("newsletter", "{newsletter}/")
    register_route("newsletter_thanks", "{newsletter}/{thanks}/", listed=False)
    register_route("newsletter_shell", "{newsletter}/shell.html", listed=False)
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(add_generator)
    signals.generator_init.connect(add_form_context)
