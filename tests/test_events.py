"""Events: pages, filters, JSON-LD and iCalendar feeds, in both languages."""

import datetime
import json
import os
import re
import shutil
import zoneinfo

import pytest
import yaml
from icalendar import Calendar

from htmlpage import html, main_of, read_page
from sitebuild import ROOT, events_fixture_content, project_plugins, run_pelican

ROME = zoneinfo.ZoneInfo("Europe/Rome")
FIXTURE_DATA = os.path.join(os.path.dirname(__file__), "fixtures", "events_data")
EPOCH = {"SOURCE_DATE_EPOCH": "1800010800"}  # 2027-01-15 12:00 in Rome


def feed(site, *parts):
    with open(os.path.join(site, *parts), "rb") as handle:
        calendar = Calendar.from_ical(handle.read())
    return calendar, {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def linked_events(text):
    return re.findall(
        r'<h[234] class="card__title"><a href="/(?:en/)?(?:eventi|events)/([^/"]+)/"', text
    )


# Pages ---------------------------------------------------------------------


def test_index_lists_upcoming_in_date_order_and_undated_apart(events_site):
    text = main_of(html(events_site, "eventi", "index.html"))
    upcoming = text[text.index('id="events-upcoming"') : text.index('id="events-undated"')]
    assert linked_events(upcoming) == [
        "webinar-art-14",
        "incontro-annullato",
        "incontro-rinviato",
        "incontro-lodi-marzo",
        "ora-legale",
        "workshop-lodi-aprile",
        "ora-solare",
    ]
    undated = text[text.index('id="events-undated"') : text.index('id="events-more"')]
    assert linked_events(undated) == ["incontro-da-definire"]
    assert "passato-1" not in text


def test_archive_is_split_into_linked_pages_in_both_languages(events_site):
    """Past events only accumulate: the archive shows them, latest first, a page at a time.

    The fixture site is built with three past events a page (conftest.py), so
    its second archive page also goes through the browser and validator tests.
    """
    site = events_site
    for lang, first, second in (
        ("it", "/eventi/archivio/", "/eventi/archivio/pagina/2/"),
        ("en", "/en/events/archive/", "/en/events/archive/page/2/"),
    ):
        page_one = html(site, *first.strip("/").split("/"), "index.html")
        page_two = html(site, *second.strip("/").split("/"), "index.html")
        assert linked_events(main_of(page_one)) == ["passato-4", "passato-3", "passato-2"]
        assert linked_events(main_of(page_two)) == ["passato-1"]
        assert f'rel="next" href="{second}"' in page_one
        assert f'rel="prev" href="{first}"' in page_two
        assert 'rel="next"' not in page_two
        other = "en" if lang == "it" else "it"
        other_second = read_page(os.path.join(site, *second.strip("/").split("/"), "index.html"))
        assert other_second.alternates[lang] == second
        assert other_second.alternates[other] in (
            "/eventi/archivio/pagina/2/",
            "/en/events/archive/page/2/",
        )
    with open(os.path.join(site, "sitemap.xml"), encoding="utf-8") as handle:
        assert "/eventi/archivio/pagina/2/" in handle.read()


def test_filters_are_pages_reached_by_links(events_site):
    index = html(events_site, "eventi", "index.html")
    assert 'href="/eventi/territorio/lodi/"' in index
    assert 'href="/eventi/pubblico/aziende/"' in index
    lodi = main_of(html(events_site, "eventi", "territorio", "lodi", "index.html"))
    assert linked_events(lodi) == [
        "incontro-annullato",
        "incontro-lodi-marzo",
        "workshop-lodi-aprile",
    ]
    assert '<a href="/eventi/territorio/lodi/" aria-current="page">Lodi</a>' in lodi
    companies = main_of(html(events_site, "en", "events", "audience", "companies", "index.html"))
    assert linked_events(companies) == [
        "webinar-art-14",
        "incontro-annullato",
        "incontro-rinviato",
        "incontro-lodi-marzo",
        "incontro-da-definire",
    ]
    page = read_page(os.path.join(events_site, "eventi", "pubblico", "aziende", "index.html"))
    assert page.alternates["en"] == "/en/events/audience/companies/"


def test_event_page_shows_localized_date_place_audience_and_registration(events_site):
    italian = main_of(html(events_site, "eventi", "incontro-lodi-marzo", "index.html"))
    english = main_of(html(events_site, "en", "events", "incontro-lodi-marzo", "index.html"))
    assert (
        'datetime="2027-03-03T14:30:00+01:00">mercoledì 3 marzo 2027, 14:30–17:00</time>' in italian
    )
    assert ">Wednesday, 3 March 2027, 14:30–17:00</time>" in english
    assert "Sala consiliare, Piazza della Vittoria 1, Lodi" in italian
    assert "<dd>Aziende, Consulenti del lavoro</dd>" in italian
    assert "<dd>Companies, Labour consultants</dd>" in english
    assert 'href="mailto:iscrizioni@example.org"' in italian
    assert "Iscrizioni entro lunedì 1 marzo 2027." in italian
    assert '<a class="button" href="/eventi/incontro-lodi-marzo/incontro-lodi-marzo.ics"' in italian
    assert "<strong>aziende</strong>" in italian


def test_cancelled_postponed_and_undated_events_say_so(events_site):
    cases = {
        ("eventi", "incontro-annullato"): "Questo evento è stato annullato.",
        ("en", "events", "incontro-annullato"): "This event has been cancelled.",
        ("eventi", "incontro-rinviato"): "Questo evento è stato rinviato.",
        ("en", "events", "incontro-rinviato"): "This event has been postponed.",
        ("eventi", "incontro-da-definire"): "La data di questo evento è da definire.",
        ("eventi", "passato-1"): "Questo evento si è già svolto.",
    }
    for path, banner in cases.items():
        text = main_of(html(events_site, *path, "index.html"))
        assert '<p class="banner' in text
        assert banner in text, path
    upcoming = main_of(html(events_site, "eventi", "webinar-art-14", "index.html"))
    assert '<p class="banner' not in upcoming  # neither held nor changed
    index = main_of(html(events_site, "eventi", "index.html"))
    assert "event-card--cancelled" in index
    assert "<strong>Annullato</strong>" in index
    assert "<strong>Rinviato</strong>" in index
    assert ".ics" not in main_of(html(events_site, "eventi", "incontro-da-definire", "index.html"))


def test_home_page_shows_the_next_three_events(events_site):
    text = main_of(html(events_site, "index.html"))
    section = text[text.index('id="next-events"') : text.index('id="near-you"')]
    # The cancelled meeting of 20 February is left out.
    assert linked_events(section) == ["webinar-art-14", "incontro-rinviato", "incontro-lodi-marzo"]
    assert 'Sito aggiornato il <time datetime="2027-01-15">15 gennaio 2027</time>' in html(
        events_site, "index.html"
    )


def structured_data(site, *parts):
    text = html(site, *parts, "index.html")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1)
    return json.loads(block)


def test_json_ld_describes_each_event(events_site):
    meeting = structured_data(events_site, "eventi", "incontro-lodi-marzo")
    assert meeting["@type"] == "Event"
    assert meeting["name"] == "Incontro informativo sulle Convenzioni ex art. 14"
    assert meeting["startDate"] == "2027-03-03T14:30:00+01:00"
    assert meeting["endDate"] == "2027-03-03T17:00:00+01:00"
    assert meeting["eventStatus"] == "https://schema.org/EventScheduled"
    assert meeting["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert meeting["location"]["@type"] == "Place"
    assert meeting["location"]["address"]["addressLocality"] == "Lodi"
    assert meeting["location"]["address"]["addressRegion"] == "LO"
    assert meeting["url"] == "http://127.0.0.1:8000/eventi/incontro-lodi-marzo/"
    english = structured_data(events_site, "en", "events", "incontro-lodi-marzo")
    assert english["name"] == "Informational meeting on art. 14 conventions"
    assert english["inLanguage"] == "en"
    webinar = structured_data(events_site, "en", "events", "webinar-art-14")
    assert webinar["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert webinar["location"] == {
        "@type": "VirtualLocation",
        "url": "https://meet.example.org/art14",
    }
    cancelled = structured_data(events_site, "eventi", "incontro-annullato")
    assert cancelled["eventStatus"] == "https://schema.org/EventCancelled"
    postponed = structured_data(events_site, "en", "events", "incontro-rinviato")
    assert postponed["eventStatus"] == "https://schema.org/EventPostponed"
    assert "startDate" not in structured_data(events_site, "eventi", "incontro-da-definire")


# Feeds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "lang"),
    [(("eventi", "calendario.ics"), "it"), (("en", "events", "calendar.ics"), "en")],
)
def test_the_all_events_feed_field_by_field(events_site, path, lang):
    calendar, events = feed(events_site, *path)
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Rome"]
    assert len(events) == 11  # every dated event, past ones too; not the undated one
    assert "incontro-da-definire@opensource14" not in events
    meeting = events["incontro-lodi-marzo@opensource14"]
    assert meeting["DTSTART"].dt == datetime.datetime(2027, 3, 3, 14, 30, tzinfo=ROME)
    assert meeting["DTSTART"].params["TZID"] == "Europe/Rome"
    assert meeting["DTEND"].dt == datetime.datetime(2027, 3, 3, 17, 0, tzinfo=ROME)
    assert meeting["DTSTAMP"].dt == datetime.datetime(2027, 1, 15, 11, 0, tzinfo=datetime.UTC)
    assert str(meeting["STATUS"]) == "CONFIRMED"
    assert int(meeting["SEQUENCE"]) == 0
    assert str(meeting["LOCATION"]) == "Sala consiliare, Piazza della Vittoria 1, Lodi"
    expected_summary = {
        "it": "Incontro informativo sulle Convenzioni ex art. 14",
        "en": "Informational meeting on art. 14 conventions",
    }[lang]
    assert str(meeting["SUMMARY"]) == expected_summary
    prefix = "/eventi/" if lang == "it" else "/en/events/"
    assert str(meeting["URL"]) == f"http://127.0.0.1:8000{prefix}incontro-lodi-marzo/"
    workshop = events["workshop-lodi-aprile@opensource14"]
    assert workshop["DTSTART"].dt == datetime.date(2027, 4, 15)
    assert workshop["DTSTART"].params.get("VALUE") == "DATE"
    assert workshop["DTEND"].dt == datetime.date(2027, 4, 16)
    assert str(events["incontro-annullato@opensource14"]["STATUS"]) == "CANCELLED"
    assert str(events["incontro-rinviato@opensource14"]["STATUS"]) == "TENTATIVE"
    online = events["webinar-art-14@opensource14"]
    assert str(online["LOCATION"]).endswith("https://meet.example.org/art14")
    for event in events.values():
        assert event["DTSTAMP"]
        assert event["UID"]


def test_times_on_daylight_saving_boundaries_keep_their_local_time(events_site):
    _, events = feed(events_site, "eventi", "calendario.ics")
    spring = events["ora-legale@opensource14"]["DTSTART"].dt
    autumn = events["ora-solare@opensource14"]["DTSTART"].dt
    assert (spring.hour, spring.minute) == (10, 0)
    assert spring.astimezone(datetime.UTC).hour == 8  # CEST, UTC+2
    assert (autumn.hour, autumn.minute) == (10, 0)
    assert autumn.astimezone(datetime.UTC).hour == 9  # CET, UTC+1
    text = html(events_site, "eventi", "calendario.ics")
    assert "DTSTART;TZID=Europe/Rome:20270328T100000" in text
    assert "DTSTART;TZID=Europe/Rome:20271031T100000" in text


def test_one_feed_per_territory_and_one_per_event(events_site):
    _, lodi = feed(events_site, "territori", "lodi", "calendario.ics")
    assert {uid.split("@")[0] for uid in lodi} == {
        "incontro-lodi-marzo",
        "workshop-lodi-aprile",
        "incontro-annullato",
        "passato-1",
        "passato-2",
        "passato-3",
        "passato-4",
    }
    _, milan = feed(events_site, "en", "territories", "milano", "calendar.ics")
    assert {uid.split("@")[0] for uid in milan} == {"webinar-art-14", "ora-legale", "ora-solare"}
    _, pavia = feed(events_site, "territori", "pavia", "calendario.ics")
    assert pavia == {}
    _, single = feed(events_site, "en", "events", "webinar-art-14", "webinar-art-14.ics")
    assert list(single) == ["webinar-art-14@opensource14"]


def build(output, data):
    content = os.path.join(os.path.dirname(output), "content")
    if not os.path.exists(content):
        events_fixture_content(os.path.dirname(output))
    result = run_pelican(output, content=content, data=str(data), env=EPOCH)
    assert result.returncode == 0, result.stderr
    _, events = feed(output, "eventi", "calendario.ics")
    _, english = feed(output, "en", "events", "calendar.ics")
    return {uid: int(e["SEQUENCE"]) for uid, e in events.items()}, english


def test_uids_are_stable_and_sequence_counts_edits(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    output = tmp_path / "output"
    first, _ = build(output, data)
    assert set(first.values()) == {0}
    again, _ = build(output, data)
    assert again == first  # a rebuild without edits changes nothing
    events_file = data / "events.yaml"
    events = yaml.safe_load(events_file.read_text())
    events[0]["start"] = "2027-03-03 15:00"
    events_file.write_text(yaml.safe_dump(events, allow_unicode=True))
    edited, english = build(output, data)
    assert set(edited) == set(first)
    assert edited["incontro-lodi-marzo@opensource14"] == 1
    assert int(english["incontro-lodi-marzo@opensource14"]["SEQUENCE"]) == 1
    assert all(seq == 0 for uid, seq in edited.items() if not uid.startswith("incontro-lodi-marzo"))
    assert build(output, data)[0] == edited
    events[0]["title"]["en"] = "Informational meeting, new title"
    events_file.write_text(yaml.safe_dump(events, allow_unicode=True))
    assert build(output, data)[0]["incontro-lodi-marzo@opensource14"] == 2


def test_dtstamp_is_when_an_event_was_last_revised(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    content = events_fixture_content(tmp_path)
    output = tmp_path / "output"
    first_day = datetime.datetime(2027, 1, 15, 11, 0, tzinfo=datetime.UTC)
    next_day = first_day + datetime.timedelta(days=1)

    def build_on(moment):
        epoch = {"SOURCE_DATE_EPOCH": str(int(moment.timestamp()))}
        result = run_pelican(output, content=content, data=str(data), env=epoch)
        assert result.returncode == 0, result.stderr
        return {
            uid: (int(event["SEQUENCE"]), event["DTSTAMP"].dt)
            for uid, event in feed(output, "en", "events", "calendar.ics")[1].items()
        }

    first = build_on(first_day)
    assert set(first.values()) == {(0, first_day)}
    unchanged_feed = (output / "eventi" / "webinar-art-14" / "webinar-art-14.ics").read_bytes()

    events_file = data / "events.yaml"
    events = yaml.safe_load(events_file.read_text())
    assert events[0]["id"] == "incontro-lodi-marzo"
    events[0]["start"] = "2027-03-03 15:00"
    events_file.write_text(yaml.safe_dump(events, allow_unicode=True))
    second = build_on(next_day)
    assert second.pop("incontro-lodi-marzo@opensource14") == (1, next_day)
    assert second == {uid: first[uid] for uid in second}
    # An unchanged event's feed is the same file, byte for byte, a day later.
    after = (output / "eventi" / "webinar-art-14" / "webinar-art-14.ics").read_bytes()
    assert after == unchanged_feed


def test_an_events_own_feed_is_named_after_its_title_through_rebuilds(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    output = tmp_path / "output"
    own_feed = ("en", "events", "incontro-lodi-marzo", "incontro-lodi-marzo.ics")
    build(output, data)
    before = str(feed(output, *own_feed)[0]["X-WR-CALNAME"])
    events_file = data / "events.yaml"
    events = yaml.safe_load(events_file.read_text())
    assert events[0]["id"] == "incontro-lodi-marzo"
    events[0]["title"]["en"] = "Informational meeting, new title"
    events_file.write_text(yaml.safe_dump(events, allow_unicode=True))
    build(output, data)
    after = str(feed(output, *own_feed)[0]["X-WR-CALNAME"])
    assert after.endswith("Informational meeting, new title")
    assert after != before
    build(output, data)
    assert str(feed(output, *own_feed)[0]["X-WR-CALNAME"]) == after


def test_each_event_is_serialized_once_per_language_for_all_its_feeds(tmp_path):
    """An event is in three feeds (all events, its territory's, its own):
    its VEVENT is made once per language and build, and reused."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    content = events_fixture_content(tmp_path)
    output, probe = tmp_path / "output", tmp_path / "probe.txt"
    plugins = {
        "PLUGIN_PATHS": ["plugins", os.path.join(ROOT, "tests", "fixtures", "plugins")],
        "PLUGINS": [*project_plugins(), "calendar_probe"],
    }

    def serialized():
        probe.unlink(missing_ok=True)
        result = run_pelican(
            output,
            content=content,
            data=str(data),
            extra=plugins,
            env={"CALENDAR_PROBE": str(probe)},
        )
        assert result.returncode == 0, result.stderr
        return dict(line.split() for line in probe.read_text().splitlines())

    events_file = data / "events.yaml"
    events = yaml.safe_load(events_file.read_text())
    dated = str(sum(1 for event in events if event.get("start")))  # undated: in no feed
    assert int(dated) > 3
    assert serialized() == {"it": dated, "en": dated}
    events[0]["title"]["en"] = "Informational meeting, new title"
    events_file.write_text(yaml.safe_dump(events, allow_unicode=True))
    assert serialized() == {"it": dated, "en": dated}
