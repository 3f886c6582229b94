"""Which events are upcoming, past or still without a date, at build time.

The site is static, so "upcoming" means upcoming when the site was built;
the publishing workflow rebuilds it every day.
"""

import datetime
from dataclasses import dataclass, field


def _moment(value, end=False, timezone=None):
    """A comparable aware datetime for a date or a date-time."""
    if isinstance(value, datetime.datetime):
        return value
    moment = datetime.time.max if end else datetime.time.min
    return datetime.datetime.combine(value, moment, tzinfo=timezone)


def is_dated(event):
    return event.start is not None and event.status != "tba"


@dataclass
class Schedule:
    events: list
    now: datetime.datetime
    upcoming: list = field(init=False)
    past: list = field(init=False)
    undated: list = field(init=False)
    filter_territories: list = field(init=False)  # ids, in order of the events
    filter_audiences: list = field(init=False)  # codes, sorted

    def __post_init__(self):
        tz = self.now.tzinfo
        dated = [event for event in self.events if is_dated(event)]
        self.undated = [event for event in self.events if not is_dated(event)]

        def ends(event):
            return _moment(event.end or event.start, end=True, timezone=tz)

        def starts(event):
            return _moment(event.start, timezone=tz)

        self.upcoming = sorted((e for e in dated if ends(e) >= self.now), key=starts)
        self.past = sorted((e for e in dated if ends(e) < self.now), key=starts, reverse=True)
        # Event pages ask for each event; ids are unique (checked when loading).
        self._upcoming_ids = {e.id for e in self.upcoming}
        # What the filters of the event pages offer: the territories and
        # audiences that have events to show.
        current = self.upcoming + self.undated
        self.filter_territories = list(dict.fromkeys(e.territory for e in current))
        self.filter_audiences = sorted({code for e in current for code in e.audience})

    def next(self, count):
        """The next events that will take place (cancelled ones left out)."""
        return [e for e in self.upcoming if e.status != "cancelled"][:count]

    def upcoming_in(self, territory_id):
        return [e for e in self.upcoming if e.territory == territory_id]

    def past_in(self, territory_id, limit=None):
        return [e for e in self.past if e.territory == territory_id][:limit]

    def undated_in(self, territory_id):
        return [e for e in self.undated if e.territory == territory_id]

    def is_upcoming(self, event):
        return event.id in self._upcoming_ids

    def for_audience(self, events, audience):
        return [e for e in events if audience in e.audience]

    def next_for(self, audience, count):
        """The next events for an audience that will take place (not cancelled ones)."""
        return [e for e in self.next(len(self.upcoming)) if audience in e.audience][:count]


def schedule_for(generator):
    """The build's schedule, shared by every generator of a run as ``EVENTS``
    (the events' pages, the territories', the home page)."""
    if "EVENTS" not in generator.context:
        data = generator.settings.get("DATA")
        events = data.events if data is not None else []
        generator.context["EVENTS"] = Schedule(events, generator.settings["BUILD_DATE"])
    return generator.context["EVENTS"]
