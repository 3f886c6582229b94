"""One page per territory in data/territories.yaml, an index with a map.

Territory pages gather what happens in a province: partners, events,
workshops and their materials, intervention lines, local contacts. They are
made from data alone: adding, renaming or removing a territory in YAML
changes the pages with no code change.
"""

from dataclasses import dataclass, field

from pelican import signals
from pelican.generators import Generator

from website.pages import write_route_page
from website.routes import register as register_route
from website.schedule import schedule_for

RECENT_PAST_EVENTS = 3


@dataclass
class TerritoryView:
    """A territory with everything the site knows happens there."""

    territory: object
    partners: list
    lines: list
    workshops: list
    upcoming: list
    recent_past: list
    undated: list
    nearby: list = field(default_factory=list)  # active neighbours on the map

    @property
    def id(self):
        return self.territory.id

    @property
    def active(self):
        return bool(self.partners or self.lines or self.workshops or self.upcoming or self.undated)


def neighbours(view, views):
    """The other active territories next to this one on the schematic map.

    The map's tiles stand where the provinces are, so tiles that touch are
    neighbouring provinces: where a visitor may go to the nearest meeting.
    """
    here = view.territory.map
    if here is None:
        return []

    def distance(other):
        there = other.territory.map
        return max(abs(there.column - here.column), abs(there.row - here.row))

    around = [
        other
        for other in views
        if other is not view and other.active and other.territory.map and distance(other) == 1
    ]
    return sorted(around, key=lambda other: other.id)


def territory_views(data, schedule):
    views = [
        TerritoryView(
            territory=territory,
            partners=data.partners_in(territory.id),
            lines=[line for line in data.lines if territory.id in line.territories],
            workshops=[w for w in data.workshops if w.territory == territory.id],
            upcoming=schedule.upcoming_in(territory.id),
            recent_past=schedule.past_in(territory.id, RECENT_PAST_EVENTS),
            undated=schedule.undated_in(territory.id),
        )
        for territory in data.territories
    ]
    for view in views:
        view.nearby = neighbours(view, views)
    return views


def publish_views(generator):
    data = generator.settings.get("DATA")
    if data is not None and "TERRITORIES" not in generator.context:
        generator.context["TERRITORIES"] = territory_views(data, schedule_for(generator))


class TerritoryPagesGenerator(Generator):
    def generate_output(self, writer):
        views = self.context.get("TERRITORIES")
        if views is None:
            return
        write_route_page(self, writer, "territories", "territories")
        for view in views:
            write_route_page(self, writer, "territory", "territory", {"id": view.id}, view=view)


def add_generator(pelican):
    return TerritoryPagesGenerator


def register():
    register_route("territories", "{territories}/")
    register_route("territory", "{territories}/{id}/")
    signals.generator_init.connect(publish_views)
    signals.get_generators.connect(add_generator)
