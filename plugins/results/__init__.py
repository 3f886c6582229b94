"""The results page: the project's indicators (data/results.yaml) against their targets.

EU rules (Reg. 2021/1060, Annex IX) ask the site to show the operation's
results; the page exists in every language even before any is published,
and then says when they will be.
"""

from pelican import signals
from pelican.generators import Generator

from website.pages import write_route_page
from website.routes import register as register_route


class ResultsGenerator(Generator):
    def generate_output(self, writer):
        data = self.settings.get("DATA")
        if data is None:
            return
        write_route_page(self, writer, "results", "results", indicators=data.results)


def add_generator(pelican):
    return ResultsGenerator


def register():
    register_route("results", "{results}/")
    signals.get_generators.connect(add_generator)
