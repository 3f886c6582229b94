"""Events from data/events.yaml: the schedule, event pages, calendar feeds.

Pages: the events index (upcoming, date to be announced) with filter pages
by territory and by audience, an archive of past events, and one page per
event with schema.org JSON-LD. Feeds: all events, one per territory, and
one per event, in every language.
"""

import os

from pelican import signals
from pelican.generators import Generator

from website.pages import N_, gettext_for, write_route_page
from website.routes import register as register_route
from website.routes import route_path
from website.schedule import is_dated, schedule_for

from . import calendar, jsonld

UID_DOMAIN = "opensource14"
# Past events per archive page (EVENTS_ARCHIVE_PAGE_SIZE), to keep pages light.
ARCHIVE_PAGE_SIZE = 30


def publish_schedule(generator):
    schedule_for(generator)


def number_edits(generator):
    """SEQUENCE numbers and DTSTAMPs, from the feed of the build still in the output folder.

    Worked out once per build, by the default language's run (whose output
    path is the real one), and passed to the other languages in the settings.
    """
    settings = generator.settings
    data = settings.get("DATA")
    if settings.get("I18N_SUBSITE") or data is None or "EVENT_SEQUENCES" in generator.context:
        return
    site_lang = settings["SITE_DEFAULT_LANG"]
    feed = route_path("events_calendar", site_lang, settings["LANGUAGES"], site_lang)
    previous = calendar.previous_state(os.path.join(settings["OUTPUT_PATH"], feed))
    settings["EVENT_SEQUENCES"] = calendar.revisions(
        data.events, previous, UID_DOMAIN, settings["BUILD_DATE"]
    )
    generator.context["EVENT_SEQUENCES"] = settings["EVENT_SEQUENCES"]


class EventPagesGenerator(Generator):
    def address(self, route, **params):
        settings = self.settings
        return route_path(
            route,
            settings["DEFAULT_LANG"],
            settings["LANGUAGES"],
            settings["SITE_DEFAULT_LANG"],
            **params,
        )

    def public_url(self, path):
        base = self.settings["SITEURL"]
        if not base.startswith(("http://", "https://")):
            base = (self.settings.get("FEED_DOMAIN") or "") + base
        return f"{base}/{path}"

    def generate_output(self, writer):
        data = self.settings.get("DATA")
        if data is None:
            return
        schedule = schedule_for(self)
        current = schedule.upcoming + schedule.undated
        write_route_page(
            self, writer, "events", "events", upcoming=schedule.upcoming, undated=schedule.undated
        )
        for territory in data.territories:
            if any(event.territory == territory.id for event in current):
                write_route_page(
                    self,
                    writer,
                    "events_territory",
                    "events",
                    {"id": territory.id},
                    upcoming=schedule.upcoming_in(territory.id),
                    undated=schedule.undated_in(territory.id),
                    selected_territory=territory,
                )
        for audience in sorted({code for event in current for code in event.audience}):
            write_route_page(
                self,
                writer,
                "events_audience",
                "events",
                {"audience": audience},
                upcoming=schedule.for_audience(schedule.upcoming, audience),
                undated=schedule.for_audience(schedule.undated, audience),
                selected_audience=audience,
            )
        self.write_archive(writer, schedule.past)
        for event in data.events:
            write_route_page(
                self,
                writer,
                "event",
                "event",
                {"id": event.id},
                event=event,
                already_held=is_dated(event) and not schedule.is_upcoming(event),
                structured_data=self.structured_data(event, data),
            )
        self.write_feeds(data)

    def write_archive(self, writer, past):
        """Past events, newest first, a page at a time: the archive only grows."""
        size = self.settings.get("EVENTS_ARCHIVE_PAGE_SIZE", ARCHIVE_PAGE_SIZE)
        pages = [past[start : start + size] for start in range(0, len(past), size)] or [[]]
        for number, events in enumerate(pages, start=1):
            route, params = (
                ("events_archive", {})
                if number == 1
                else (
                    "events_archive_page",
                    {"number": number},
                )
            )
            write_route_page(
                self,
                writer,
                route,
                "events_archive",
                params,
                past=events,
                archive_page=number,
                archive_pages=len(pages),
            )

    def structured_data(self, event, data):
        territory = data.territory.get(event.territory)
        return jsonld.script(
            jsonld.event_data(
                event,
                self.settings["DEFAULT_LANG"],
                self.public_url(self.address("event", id=event.id)),
                organizer=str(data.project.name) if data.project else self.settings["SITENAME"],
                territory_name=str(territory.name) if territory else "",
                province_code=territory.province_code if territory else None,
            )
        )

    def write_feeds(self, data):
        gettext = gettext_for(self.settings)
        feeds = calendar.FeedWriter(
            lang=self.settings["DEFAULT_LANG"],
            name=f"{self.settings['SITENAME']} – {gettext(N_('Events'))}",
            stamp=self.settings["BUILD_DATE"],
            revisions=self.settings.get("EVENT_SEQUENCES", {}),
            domain=UID_DOMAIN,
            event_url=lambda event: self.public_url(self.address("event", id=event.id)),
            labels={"online": gettext(N_("Online"))},
        )

        def write(route, ics, **params):
            path = os.path.join(self.output_path, self.address(route, **params))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(ics)

        every_event = feeds.calendar(data.events)
        write("events_calendar", every_event)
        for territory in data.territories:
            name = f"{self.settings['SITENAME']} – {gettext(N_('Events'))} – {territory.name.get(self.settings['DEFAULT_LANG'])}"
            events = [event for event in data.events if event.territory == territory.id]
            write("territory_calendar", feeds.calendar(events, name), id=territory.id)
        for event in data.events:
            if is_dated(event):
                write(
                    "event_ics",
                    feeds.calendar([event], str(event.title.get(feeds.lang))),
                    id=event.id,
                )


def add_generator(pelican):
    return EventPagesGenerator


def register():
    register_route("events", "{events}/")
    register_route("events_territory", "{events}/{in_territory}/{id}/")
    register_route("events_audience", "{events}/{for_audience}/{audience}/")
    register_route("events_archive", "{events}/{archive}/")
    register_route("events_archive_page", "{events}/{archive}/{page}/{number}/")
    register_route("event", "{events}/{id}/")
    register_route("event_ics", "{events}/{id}/{id}.ics")
    register_route("events_calendar", "{events}/{calendar}")
    register_route("territory_calendar", "{territories}/{id}/{calendar}")
    signals.generator_init.connect(number_edits)
    signals.get_generators.connect(add_generator)
    signals.generator_init.connect(publish_schedule)
