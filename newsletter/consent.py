"""The words people agree to, and where the related pages live.

This is the single source of truth for the consent checkbox: the site's
template imports `CONSENT_TEXT` to render the label, and the service stores a
hash of the very same text with every consent record. Changing a text here
changes its hash, so records always show which wording was agreed to. When
the wording changes in substance, raise the privacy-notice version the site
sends as well.
"""

import hashlib

LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"

CONSENT_TEXT = {
    "it": "Ho letto l'informativa sulla privacy e acconsento a ricevere la newsletter di OpenSource14.",
    "en": "I have read the privacy notice and agree to receive the OpenSource14 newsletter.",
}

# Site paths, relative to NEWSLETTER_SITE_URL.
HOME_PAGES = {"it": "/", "en": "/en/"}
PRIVACY_PAGES = {"it": "/privacy/", "en": "/en/privacy/"}
THANK_YOU_PAGES = {"it": "/newsletter/grazie/", "en": "/en/newsletter/thank-you/"}
# The frames of the service's own pages, which the site's build writes
# (theme/templates/newsletter_shell.html) and the service fills.
PAGE_SHELLS = {"it": "/newsletter/shell.html", "en": "/en/newsletter/shell.html"}


def consent_text_hash(lang):
    """SHA-256 (hex) of the consent text shown in `lang`."""
    return hashlib.sha256(CONSENT_TEXT[lang].encode("utf-8")).hexdigest()


def form_language(value):
    """The language a form was in: `it` or `en`, anything else counts as `it`."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE
