"""Pages made from data/: the partners and the intervention lines."""

from pelican import signals
from pelican.generators import Generator

from website.pages import write_route_page
from website.routes import register as register_route


class DataPagesGenerator(Generator):
    def generate_output(self, writer):
        data = self.settings.get("DATA")
        if data is None:
            return
        write_route_page(self, writer, "partners", "partners")
        write_route_page(self, writer, "lines", "lines")
        for line in data.lines:
            write_route_page(self, writer, "line", "line", {"id": line.id}, line=line)


def add_generator(pelican):
    return DataPagesGenerator


def register():
    register_route("partners", "{partners}/")
    register_route("lines", "{lines}/")
    register_route("line", "{lines}/{id}/")
    signals.get_generators.connect(add_generator)
