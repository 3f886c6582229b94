"""iCalendar (RFC 5545) feeds of the events, made with the icalendar library.

UIDs come from event ids, so they never change. SEQUENCE counts the edits
of an event: each build compares a hash of every event's content with the
one recorded in the previous build's feed (still in the output folder while
the new build is staged) and adds one when it differs.
"""

import datetime
import hashlib
import json
import os
import re

from icalendar import Calendar, Event, Timezone
from pydantic import BaseModel

from site_data.schema import LocalizedText

from .schedule import is_dated

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


def previous_state(path, memo_folder=None):
    """{uid: (hash, sequence)} from a feed written by an earlier build.

    Parsing a large feed takes seconds, so the build that wrote it also left
    its state in ``memo_folder`` (see ``remember_state``), under the feed's
    own hash: used only if the feed is exactly the one it describes.
    """
    try:
        with open(path, "rb") as handle:
            feed = handle.read()
    except OSError:
        return {}
    memo = _memo(memo_folder)
    if memo and memo.get("feed") == hashlib.sha256(feed).hexdigest():
        return {key: (value[0], value[1]) for key, value in memo["state"].items()}
    try:
        calendar = Calendar.from_ical(feed)
    except ValueError:
        return {}
    state = {}
    for component in calendar.walk("VEVENT"):
        state[str(component.get("UID"))] = (
            str(component.get(HASH_PROPERTY, "")),
            int(component.get("SEQUENCE", 0)),
        )
    return state


MEMO_FILE = "calendar-state.json"


def _memo(folder):
    if not folder:
        return None
    try:
        with open(os.path.join(folder, MEMO_FILE), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def remember_state(folder, feed, events, sequence_numbers, domain):
    """Leave the state of a feed just written where ``previous_state`` looks first."""
    state = {
        uid(event, domain): [content_hash(event), sequence_numbers.get(event.id, 0)]
        for event in events
        if is_dated(event)
    }
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, MEMO_FILE), "w", encoding="utf-8") as handle:
        json.dump({"feed": hashlib.sha256(feed).hexdigest(), "state": state}, handle)


def sequences(events, previous, domain):
    """{event id: SEQUENCE}: unchanged events keep theirs, edited ones go up by one."""
    result = {}
    for event in events:
        before = previous.get(uid(event, domain))
        if before is None:
            result[event.id] = 0
        elif before[0] == content_hash(event):
            result[event.id] = before[1]
        else:
            result[event.id] = before[1] + 1
    return result


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

    def __init__(self, lang, name, stamp, sequence_numbers, domain, event_url, labels):
        self.lang = lang
        self.name = name
        self.stamp = stamp.astimezone(datetime.UTC)
        self.sequence_numbers = sequence_numbers
        self.domain = domain
        self.event_url = event_url
        self.labels = labels  # {"online": ..., "cancelled": ...}
        self._events = {}  # event id → (VEVENT bytes, TZIDs it uses)
        self._timezones = {}  # TZID → VTIMEZONE bytes (b"" if unknown)

    def calendar(self, events, name=None):
        calendar = Calendar()
        calendar.add("prodid", "-//OpenSource14//Sito web//" + self.lang.upper())
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", name or self.name)
        body, tzids = [], set()
        for event in events:
            if is_dated(event):
                text, used = self._event_ical(event)
                body.append(text)
                tzids |= used
        head = calendar.to_ical()
        if not head.endswith(CALENDAR_END):  # pragma: no cover - icalendar changed
            raise ValueError("unexpected iCalendar serialization")
        zones = [self._timezone_ical(tzid) for tzid in sorted(tzids - {"UTC"})]
        return head[: -len(CALENDAR_END)] + b"".join(zones + body) + CALENDAR_END

    def _event_ical(self, event):
        if event.id not in self._events:
            vevent = self.vevent(event)
            used = {
                value.params.get("TZID")
                for _, value in vevent.property_items(sorted=False)
                if hasattr(value, "params")
            }
            self._events[event.id] = (vevent.to_ical(), used - {None})
        return self._events[event.id]

    def _timezone_ical(self, tzid):
        if tzid not in self._timezones:
            try:
                self._timezones[tzid] = Timezone.from_tzid(tzid).to_ical()
            except ValueError:  # unknown to the tz database: left out, as icalendar does
                self._timezones[tzid] = b""
        return self._timezones[tzid]

    def vevent(self, event):
        vevent = Event()
        vevent.add("uid", uid(event, self.domain))
        vevent.add("dtstamp", self.stamp)
        vevent.add("sequence", self.sequence_numbers.get(event.id, 0))
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
        vevent.add(HASH_PROPERTY, content_hash(event))
        return vevent

    def location(self, event):
        if event.online:
            return f"{self.labels['online']}: {event.link}"
        if event.place:
            parts = [event.place.name, event.place.address, event.place.city]
            return ", ".join(part for part in parts if part)
        return ""
