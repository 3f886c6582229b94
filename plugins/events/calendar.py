"""iCalendar (RFC 5545) feeds of the events, made with the icalendar library.

UIDs come from event ids, so they never change. SEQUENCE counts the edits
of an event: each build compares a hash of every event's content with the
one recorded in the previous build's feed (still in the output folder while
the new build is staged) and adds one when it differs. DTSTAMP is when the
event was last revised (RFC 5545 3.8.7.2, for feeds without METHOD): the
build that first published it or its latest edit.
"""

import datetime
import hashlib
import json
import re

from icalendar import Calendar, Event, Timezone
from pydantic import BaseModel

from website.schedule import is_dated
from website.schema import LocalizedText

HASH_PROPERTY = "X-OPENSOURCE14-CONTENT-HASH"
CALENDAR_END = b"END:VCALENDAR\r\n"
STATUSES = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE"}


def _plain(value):
    if isinstance(value, BaseModel):
        return {name: _plain(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, LocalizedText):
        return dict(sorted(value.values.items()))
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def content_hash(event):
    """A hash of everything an editor can change in an event."""
    text = json.dumps(_plain(event), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def uid(event, domain):
    return f"{event.id}@{domain}"


def previous_state(path):
    """{uid: (hash, sequence, DTSTAMP)} from a feed written by an earlier build."""
    try:
        with open(path, "rb") as handle:
            calendar = Calendar.from_ical(handle.read())
    except (OSError, ValueError):
        return {}
    state = {}
    for component in calendar.walk("VEVENT"):
        stamp = component.get("DTSTAMP")
        state[str(component.get("UID"))] = (
            str(component.get(HASH_PROPERTY, "")),
            int(component.get("SEQUENCE", 0)),
            stamp.dt.astimezone(datetime.UTC) if stamp is not None else None,
        )
    return state


def revisions(events, previous, domain, now):
    """{event id: (SEQUENCE, DTSTAMP, content hash)}: an unchanged event keeps
    its SEQUENCE and DTSTAMP, an edited one goes up by one and is stamped
    ``now``, a new one starts at 0. The hash is worked out here once per build."""
    now = _utc(now)
    result = {}
    for event in events:
        digest = content_hash(event)
        before = previous.get(uid(event, domain))
        if before is None:
            result[event.id] = (0, now, digest)
        elif before[0] == digest:
            result[event.id] = (before[1], _utc(before[2]) if before[2] else now, digest)
        else:
            result[event.id] = (before[1] + 1, now, digest)
    return result


def _utc(moment):
    # iCalendar writes UTC times to the second.
    return moment.astimezone(datetime.UTC).replace(microsecond=0)


def _markdown_to_text(text):
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)
    return re.sub(r"[*_`#>]", "", text).strip()


def _exclusive_end(start, end):
    """All-day events end the day after their last day (RFC 5545 3.6.1)."""
    return (end or start) + datetime.timedelta(days=1)


class FeedWriter:
    """Builds calendars in one language.

    An event appears in several feeds (all events, its territory's, its
    own), so each event's VEVENT is serialized once and the VTIMEZONE once
    per time zone; feeds are put together from those bytes, exactly as
    ``Calendar.add_missing_timezones()`` and ``to_ical()`` would write them.
    """

    def __init__(self, lang, name, stamp, revisions, domain, event_url, labels):
        self.lang = lang
        self.name = name
        self.stamp = _utc(stamp)  # for events without a revision (none in a build)
        self.revisions = revisions  # event id → (SEQUENCE, DTSTAMP, content hash)
        self.domain = domain
        self.event_url = event_url
        self.labels = labels  # {"online": ..., "cancelled": ...}
        self._events = {}  # event id → (VEVENT bytes, TZIDs it uses)
        self._timezones = {}  # TZID → VTIMEZONE bytes (b"" if unknown)

    def calendar(self, events, name=None):
        body, tzids = [], set()
        for event in events:
            if is_dated(event):
                text, used = self._event_ical(event)
                body.append(text)
                tzids |= used
        zones = [self._timezone_ical(tzid) for tzid in sorted(tzids - {"UTC"})]
        return self._head(name or self.name) + b"".join(zones + body) + CALENDAR_END

    def _head(self, name):
        """The calendar's own lines."""
        calendar = Calendar()
        calendar.add("prodid", "-//OpenSource14//Sito web//" + self.lang.upper())
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", name)
        head = calendar.to_ical()
        if not head.endswith(CALENDAR_END):  # pragma: no cover - icalendar changed
            raise ValueError("unexpected iCalendar serialization")
        return head[: -len(CALENDAR_END)]

    def _event_ical(self, event):
        if event.id not in self._events:
            vevent = self.vevent(event)
            used = {
                value.params.get("TZID")
                for _, value in vevent.property_items(sorted=False)
                if hasattr(value, "params")
            }
            self._events[event.id] = (vevent.to_ical(), frozenset(used - {None}))
        return self._events[event.id]

    def revision(self, event):
        """(SEQUENCE, DTSTAMP, content hash) of an event."""
        found = self.revisions.get(event.id)
        return found if found is not None else (0, self.stamp, content_hash(event))

    def _timezone_ical(self, tzid):
        if tzid not in self._timezones:
            try:
                self._timezones[tzid] = Timezone.from_tzid(tzid).to_ical()
            except ValueError:  # unknown to the tz database: left out, as icalendar does
                self._timezones[tzid] = b""
        return self._timezones[tzid]

    def vevent(self, event):
        vevent = Event()
        sequence, stamp, digest = self.revision(event)
        vevent.add("uid", uid(event, self.domain))
        vevent.add("dtstamp", stamp)
        vevent.add("sequence", sequence)
        vevent.add("summary", str(event.title.get(self.lang)))
        if isinstance(event.start, datetime.datetime):
            vevent.add("dtstart", event.start)
            if event.end is not None:
                vevent.add("dtend", event.end)
        else:
            vevent.add("dtstart", event.start)
            vevent.add("dtend", _exclusive_end(event.start, event.end))
        vevent.add("status", STATUSES.get(event.status, "CONFIRMED"))
        url = self.event_url(event)
        vevent.add("url", url)
        description = (
            _markdown_to_text(event.description.get(self.lang)) if event.description else ""
        )
        vevent.add("description", f"{description}\n\n{url}".strip())
        location = self.location(event)
        if location:
            vevent.add("location", location)
        vevent.add(HASH_PROPERTY, digest)
        return vevent

    def location(self, event):
        if event.online:
            return f"{self.labels['online']}: {event.link}"
        if event.place:
            parts = [event.place.name, event.place.address, event.place.city]
            return ", ".join(part for part in parts if part)
        return ""
