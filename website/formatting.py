"""Interface strings, dates and numbers for one language, all through Babel.

Catalogs are read straight from the .po files in theme/translations/, so a
translator edits a .po file and the next build uses it: no compiled .mo
files to forget, and no system locale involved anywhere.
"""

import datetime
import functools
import io
import os
import re
import zoneinfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations
from babel.units import format_unit

DOMAIN = "messages"


def catalog_path(translations_dir, lang):
    return os.path.join(translations_dir, lang, "LC_MESSAGES", f"{DOMAIN}.po")


@functools.lru_cache(maxsize=16)
def _load(path, mtime):
    with open(path, "rb") as po_file:
        catalog = read_po(po_file)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def translations_for(translations_dir, lang):
    """The gettext translations for ``lang``; untranslated strings stay as written."""
    path = catalog_path(translations_dir, lang)
    if not os.path.exists(path):
        return NullTranslations()
    return _load(path, os.stat(path).st_mtime_ns)


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def tel_href(number):
    """A ``tel:`` address for a number written as an office publishes it.

    Numbers without a country code are Italian: +39 lets phones abroad call them.
    """
    digits = re.sub(r"[^0-9+]", "", number)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif not digits.startswith("+"):
        digits = "+39" + digits
    return "tel:" + digits


class Formatter:
    """Babel formatting bound to one language, exposed to templates as filters."""

    def __init__(self, lang, timezone):
        self.lang = lang
        self.locale = Locale.parse(lang)
        self.timezone = zoneinfo.ZoneInfo(timezone) if timezone else None
        self._dates = {}  # (date, format) → text: list pages show the same days again and again

    def date(self, value, format="long"):
        if value is None:
            return ""
        key = (_as_date(value), format)
        if key not in self._dates:
            self._dates[key] = format_date(key[0], format=format, locale=self.locale)
        return self._dates[key]

    def datetime(self, value, format="long"):
        if value is None:
            return ""
        return format_datetime(value, format=format, tzinfo=self.timezone, locale=self.locale)

    def time(self, value, format="short"):
        if value is None:
            return ""
        return format_time(value, format=format, tzinfo=self.timezone, locale=self.locale)

    def when(self, start, end=None):
        """An event's date and time: "martedì 3 marzo 2026, 14:30–17:00"."""
        if start is None:
            return ""
        if not isinstance(start, datetime.datetime):
            if end is None or end == start:
                return self.date(start, "full")
            return f"{self.date(start, 'full')} – {self.date(end, 'full')}"
        start = self._local(start)
        end = self._local(end) if isinstance(end, datetime.datetime) else None
        day = self.date(start, "full")
        if end is None:
            return f"{day}, {self.time(start)}"
        if end.date() == start.date():
            hours = format_interval(start.time(), end.time(), "Hm", locale=self.locale)
            return f"{day}, {hours}"
        return f"{day}, {self.time(start)} – {self.date(end, 'full')}, {self.time(end)}"

    def _local(self, moment):
        if self.timezone and moment.tzinfo is not None:
            return moment.astimezone(self.timezone)
        return moment

    def number(self, value, format=None):
        return format_decimal(value, format=format, locale=self.locale)

    def currency(self, value, currency="EUR"):
        return format_currency(value, currency, locale=self.locale)

    def euros(self, value):
        """An amount in euros with the locale's pattern, cents only when there are some."""
        pattern = self.locale.currency_formats["standard"].pattern
        if value == int(value):
            pattern = pattern.replace(".00", "")
        return format_currency(
            value, "EUR", format=pattern, currency_digits=False, locale=self.locale
        )

    def filesize(self, size):
        """A file size as people read it: "1,2 MB" in Italian, "1.2 MB" in English."""
        if size < 1000:
            return format_unit(size, "digital-byte", length="short", locale=self.locale)
        if size < 1_000_000:
            return format_unit(
                size / 1000, "digital-kilobyte", length="short", format="#,##0", locale=self.locale
            )
        return format_unit(
            size / 1_000_000,
            "digital-megabyte",
            length="short",
            format="#,##0.0",
            locale=self.locale,
        )

    def language_name(self, code):
        """``it`` → "italiano" in Italian, "Italian" in English."""
        return self.locale.languages.get(code, code)

    def filters(self):
        return {
            "date": self.date,
            "datetime": self.datetime,
            "time": self.time,
            "when": self.when,
            "number": self.number,
            "currency": self.currency,
            "euros": self.euros,
            "tel_href": tel_href,
            "filesize": self.filesize,
            "language_name": self.language_name,
        }
