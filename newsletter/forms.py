"""The sign-up form: what the site posts, checked and normalized.

Errors are message keys (see texts.py), one per field at most, in the order
the fields appear on the form so the error summary follows the page.
"""

import dataclasses
import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from newsletter.consent import HOME_PAGES, form_language

NAME_MAX = 100
PAGE_MAX = 300
EMAIL_MAX = 320  # longer than any valid address; spares the validator silly inputs
PRIVACY_VERSION = re.compile(r"[0-9A-Za-z._-]{1,20}")
# A site path: starts with one slash, no spaces, control characters or backslashes.
PAGE = re.compile(r"/(?!/)[^\s\\\x00-\x1f\x7f]*")

# Characters a name must not contain: control characters (a CR or LF could
# split a mail header or a CSV row), line and paragraph separators, and the
# invisible bidirectional overrides that can disguise text.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}


@dataclasses.dataclass(frozen=True)
class Signup:
    email: str
    name: str | None
    lang: str
    page: str
    privacy_version: str
    # Ids of the provinces chosen, once each, in the order the form lists them.
    territories: tuple = ()


@dataclasses.dataclass(frozen=True)
class SignupResult:
    signup: Signup | None  # None when there are errors
    errors: dict  # field -> message key
    values: dict  # what was typed, to show the form again


def read_signup(form, territories=()):
    """Check a posted form (a werkzeug MultiDict, or a mapping of str to str or, for
    `territory`, a list of str); `territories` are the ids a sign-up may choose."""
    lang = form_language(form.get("lang", ""))
    raw_name = form.get("name", "")
    raw_email = form.get("email", "")
    page = form.get("page", "")
    privacy_version = form.get("privacy_version", "")
    errors = {}

    name = unicodedata.normalize("NFC", raw_name).strip()
    if len(name) > NAME_MAX:
        errors["name"] = "name_too_long"
    elif not valid_name(name):
        errors["name"] = "name_invalid"

    email = None
    candidate = raw_email.strip()
    if not candidate:
        errors["email"] = "email_required"
    elif len(candidate) > EMAIL_MAX:
        errors["email"] = "email_invalid"
    else:
        try:
            email = validate_email(candidate, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = "email_invalid"

    chosen = _values(form, "territory")
    # Checkboxes only ever send ids of the list: anything else is a stale or
    # tampered form, sent back rather than stored without the unknown ones.
    if any(value not in territories for value in chosen):
        errors["territory"] = "territory_unknown"
    chosen_ids = tuple(territory for territory in territories if territory in chosen)

    if form.get("consent") != "yes":
        errors["consent"] = "consent_required"

    # The page and the privacy-notice version come from the site's template,
    # not from the person; without them the consent record would prove
    # nothing, so a stale or tampered form is sent back.
    if not (
        len(page) <= PAGE_MAX
        and PAGE.fullmatch(page)
        and PRIVACY_VERSION.fullmatch(privacy_version)
    ):
        errors["form"] = "form_outdated"

    values = {
        "name": raw_name[: NAME_MAX * 2],
        "email": raw_email[:EMAIL_MAX],
        "lang": lang,
        "page": page if PAGE.fullmatch(page) and len(page) <= PAGE_MAX else HOME_PAGES[lang],
        "privacy_version": privacy_version[:20],
        "territories": chosen_ids,
    }
    if errors:
        return SignupResult(None, errors, values)
    signup = Signup(
        email=email,
        name=name or None,
        lang=lang,
        page=page,
        privacy_version=privacy_version,
        territories=chosen_ids,
    )
    return SignupResult(signup, {}, values)


def _values(form, key):
    if hasattr(form, "getlist"):
        return form.getlist(key)
    value = form.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def mailbox(address):
    """The mailbox an address delivers to: without a `+tag`, in lower case.

    `victim+1@example.org` and `victim+2@example.org` usually reach the same
    person; limits on mail count them as one.
    """
    local, at, domain = address.rpartition("@")
    base = local.split("+", 1)[0]
    return f"{base or local}{at}{domain}".lower()


def valid_name(name):
    return not any(
        unicodedata.category(char) in _FORBIDDEN_CATEGORIES or char in _BIDI_CONTROLS
        for char in name
    )
