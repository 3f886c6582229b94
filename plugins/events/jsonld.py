"""schema.org Event as JSON-LD, for search engines and assistive tools."""

import datetime
import json

from markupsafe import Markup

from website.schedule import is_dated

EVENT_STATUS = {
    "scheduled": "https://schema.org/EventScheduled",
    "cancelled": "https://schema.org/EventCancelled",
    "postponed": "https://schema.org/EventPostponed",
    "tba": "https://schema.org/EventScheduled",
}


def _when(value):
    return value.isoformat() if isinstance(value, datetime.date) else None


def event_data(event, lang, url, organizer, territory_name, province_code):
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": str(event.title.get(lang)),
        "url": url,
        "inLanguage": lang,
        "eventStatus": EVENT_STATUS[event.status],
        "eventAttendanceMode": (
            "https://schema.org/OnlineEventAttendanceMode"
            if event.online
            else "https://schema.org/OfflineEventAttendanceMode"
        ),
        "organizer": {"@type": "Organization", "name": organizer},
    }
    if is_dated(event):
        data["startDate"] = _when(event.start)
        if event.end is not None:
            data["endDate"] = _when(event.end)
    if event.description:
        data["description"] = str(event.description.get(lang))
    if event.online:
        data["location"] = {"@type": "VirtualLocation", "url": event.link}
    elif event.place:
        address = {"@type": "PostalAddress", "addressCountry": "IT"}
        if event.place.address:
            address["streetAddress"] = event.place.address
        if event.place.city:
            address["addressLocality"] = event.place.city
        if province_code:
            address["addressRegion"] = province_code
        data["location"] = {
            "@type": "Place",
            "name": event.place.name or event.place.city or territory_name,
            "address": address,
        }
    return data


def script(data):
    """A <script type="application/ld+json"> element that no text can break out of."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">\n{text}\n</script>')
