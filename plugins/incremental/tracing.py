"""Which names of its context a page's templates read while it renders.

Jinja resolves every name a template uses through its Context; the context
class here notes each one. A read is a name (``"SITEURL"``) or a path:
``("DATA", ".project")`` for an attribute, ``("I18N_GROUPS", "[pagine/x")``
for an item, ``("DATA", "?")`` for whether it is true and
``("articles_page", ".has_next", "()")`` or ``("EVENTS", ".next", "(3,)")``
for what a method returns, of a value listed in FINE_GRAINED, which every
page reads a small part of (the footer shows the project's contact, the menu
a few pages, the events' filters which territories have events).

Pages and articles are read part by part too, and so are lists of them:
``("article", ".title")``, ``("articles_page", ".object_list", "#3",
".url")`` for the address of a list's fourth article, ``("articles",
"#len")`` for how many there are. A news page then depends on the titles and
summaries it shows, not on all its articles hold (their text, their
translations and what those hold), which comparing took a third of a
rebuild.

Template functions that work a value out of the page's context (its
addresses in each language, whether search engines may list it) are
recorded as what they return: ``("=alternates", "()")`` (see ``derived``).
"""

import ast
import functools
import inspect
from contextlib import contextmanager

from jinja2 import pass_context
from jinja2.runtime import Context
from jinja2.utils import missing
from pelican.contents import Article, Page, Static
from pelican.paginator import Page as ListPage
from pelican.paginator import Paginator

from .digest import MISSING

# Names and types of values whose parts are recorded one by one rather than
# the whole: a page of a list reads its own articles, not all the list's.
FINE_GRAINED = frozenset({"DATA", "I18N_GROUPS", "EVENTS"})
ITEM_TYPES = frozenset({Article, Page, Static})
FINE_GRAINED_TYPES = frozenset({ListPage, Paginator}) | ITEM_TYPES

_recording = []  # a stack of sets: the page being rendered, then blocks within it
_pages = []  # the contexts pages are rendered with, the innermost last


def note(path):
    if _recording:
        _recording[-1].add(path)


def note_all(paths):
    if _recording:
        _recording[-1].update(paths)


@contextmanager
def recording(page=None):
    """Record the reads made inside; they also count for any recording around.

    ``page``: the context a page is rendered with, for ``derived``.
    """
    reads = set()
    _recording.append(reads)
    if page is not None:
        _pages.append(page)
    try:
        yield reads
    finally:
        _recording.pop()
        if page is not None:
            _pages.pop()
        note_all(reads)


class TracingContext(Context):
    # Called for every name of every template: kept short (a name is
    # recorded as itself, not as a path of one).
    def resolve_or_missing(self, key):
        if key in self.vars:
            value = self.vars[key]
        elif key in self.parent:
            value = self.parent[key]
        else:
            value = missing
        if _recording:
            kind = type(value)
            if kind is Parts or kind is PartsList:  # set by the template from one
                return value
            if key in FINE_GRAINED or kind in FINE_GRAINED_TYPES:
                if value is not None and value is not missing:
                    return Parts((key,), value)
            elif isinstance(value, list) and _holds_items(value):
                return PartsList((key,), value)
            _recording[-1].add(key)
        return value

    def __contains__(self, name):
        note(name)
        return super().__contains__(name)


def _read(path):
    """A path as it is recorded: a name alone as itself."""
    return path[0] if len(path) == 1 else path


def _part(path, value):
    """What a template gets for the part at ``path``: pages, articles and
    lists of them to be read part by part in turn; anything else is noted."""
    kind = type(value)
    if kind in ITEM_TYPES:
        return Parts(path, value)
    if isinstance(value, (list, tuple)) and _holds_items(value):
        return PartsList(path, value)
    note(_read(path))
    return value


def _holds_items(sequence, depth=3):
    """Whether a list holds pages or articles, or lists of them: Pelican's
    ``categories`` and ``tags`` are lists of (term, [articles])."""
    if not sequence or depth == 0:
        return False
    for element in (sequence[0], sequence[-1]):
        if type(element) in ITEM_TYPES:
            return True
        if isinstance(element, (list, tuple)) and _holds_items(element, depth - 1):
            return True
    return False


class Parts:
    """A FINE_GRAINED value, a page or an article: notes which of its
    attributes and items are read.

    Whatever is done with it as a whole (iterated, printed, measured) counts
    as reading all of it.
    """

    __slots__ = ("_path", "_value")

    def __init__(self, path, value):
        object.__setattr__(self, "_path", (path,) if isinstance(path, str) else tuple(path))
        object.__setattr__(self, "_value", value)

    def __getattr__(self, attr):
        if attr.startswith("__"):  # asked by Python itself (hasattr(x, "__html__")…)
            return getattr(self._whole(), attr)
        path = (*self._path, "." + attr)
        try:
            value = getattr(self._value, attr)
        except AttributeError:
            note(path)  # not there now: the page changes when it comes
            raise
        if inspect.ismethod(value) and value.__self__ is self._value:
            return _Method(self, attr, value)
        return _part(path, value)

    def __getitem__(self, key):
        if not isinstance(key, str):
            return self._whole()[key]
        path = (*self._path, "[" + key)
        try:
            value = self._value[key]
        except (KeyError, TypeError):
            note(path)
            raise
        return _part(path, value)

    def __contains__(self, key):
        return key in self._whole()

    def __iter__(self):
        return iter(self._whole())

    def __len__(self):
        return len(self._whole())

    def __bool__(self):
        note((*self._path, "?"))
        return bool(self._value)

    def __str__(self):
        return str(self._whole())

    # Compared as what it stands for (`{% if item == page %}`, `in`): all of it.
    def __eq__(self, other):
        return self._whole() == _unwrapped(other)

    def __ne__(self, other):
        return self._whole() != _unwrapped(other)

    def __hash__(self):
        return hash(self._whole())

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def _whole(self):
        note(_read(self._path))
        return self._value


class PartsList:
    """A list of pages or articles: notes how many it holds wherever that
    counts (iterated, measured, sliced) and gives each one as Parts."""

    __slots__ = ("_path", "_value")

    def __init__(self, path, value):
        self._path, self._value = tuple(path), value

    def _length(self):
        note((*self._path, "#len"))
        return len(self._value)

    def __iter__(self):
        for number in range(self._length()):
            yield _part((*self._path, f"#{number}"), self._value[number])

    def __reversed__(self):
        for number in reversed(range(self._length())):
            yield _part((*self._path, f"#{number}"), self._value[number])

    def __len__(self):
        return self._length()

    def __bool__(self):
        return self._length() > 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            numbers = range(*index.indices(self._length()))
            return [_part((*self._path, f"#{number}"), self._value[number]) for number in numbers]
        if isinstance(index, int):
            number = index
            if not 0 <= index < len(self._value):  # which one, or none, by the length
                number = range(self._length())[index]
            return _part((*self._path, f"#{number}"), self._value[number])
        return self._whole()[index]

    def __contains__(self, item):
        return _unwrapped(item) in self._whole()

    def __getattr__(self, attr):  # a list's own methods (index, count…): all of it
        return getattr(self._whole(), attr)

    def __str__(self):
        return str(self._whole())

    def _whole(self):
        note(_read(self._path))
        return self._value


def _unwrapped(value):
    """What a Parts or PartsList stands for (read whole), any other value as it is."""
    return value._whole() if type(value) in (Parts, PartsList) else value


class _Method:
    """A method of a FINE_GRAINED value: what it returns is recorded, called
    without arguments or with texts and numbers only (``EVENTS.next(3)``);
    called with anything else, the whole value counts."""

    __slots__ = ("_attr", "_method", "_parts")

    def __init__(self, parts, attr, method):
        self._parts, self._attr, self._method = parts, attr, method

    def __call__(self, *args, **kwargs):
        if kwargs or not all(type(arg) in _LITERALS for arg in args):
            self._parts._whole()
        else:  # "()", or the arguments as a literal, "(3,)": see lookup
            note((*self._parts._path, "." + self._attr, repr(args) if args else "()"))
        return self._method(*args, **kwargs)


# Arguments a call is recorded with: written and read back as Python literals.
_LITERALS = frozenset({str, int, float, bool, type(None)})


def derived(name, function):
    """``function(context, *args)`` as a template global recorded as what it
    returns, ``("=name", "()")``, rather than as every name it reads.

    While a page is recorded, it is given the context the page was rendered
    with (not the names the templates set themselves), as ``lookup`` gives it
    on the next build; for the same context it must return the same.
    """
    _derived[name] = function

    @pass_context
    def call(context, *args):
        if not _pages:
            return function(context, *args)
        page = _pages[-1]
        if all(type(arg) in _LITERALS for arg in args):
            note(("=" + name, repr(args)))
        else:  # what it read, then: any name of the context
            note_all(page)
        return function(page, *args)

    call.__name__ = name
    return call


_derived = {}


def lookup(context, path):
    """The value a read found, evaluated in another build's context."""
    if type(path) is str:
        return context.get(path, MISSING)
    if path[0][0] == "=":
        return derive(context, path)
    value = context.get(path[0], MISSING)
    for step in path[1:]:
        value = take(value, *parse_step(step))
    return value


def plan(reads):
    """How to look up every read of a page, each part of a path once.

    ``(parent, kind, arg, read)`` steps, in order: ``parent`` is the index of
    the step whose value this one takes a part of (-1: a name of the
    context, ``arg``; -2: a ``derived`` function's value for the read
    ``arg``), ``read`` the read it gives the value of, or None for a part
    on the way (``("articles_page", ".object_list")`` for the reads of its
    articles).
    """
    steps, index = [], {}

    def place(path):
        if path in index:
            return index[path]
        if len(path) == 1:
            step = (-1, "name", path[0])
        elif path[0][0] == "=":
            step = (-2, "derived", path)
        else:
            step = (place(path[:-1]), *parse_step(path[-1]))
        steps.append([*step, None])
        index[path] = len(steps) - 1
        return index[path]

    for read in reads:
        steps[place((read,) if type(read) is str else read)][3] = read
    return tuple(tuple(step) for step in steps)


@functools.lru_cache(maxsize=4096)
def parse_step(step):
    """``".title"`` → ``(".", "title")``, ``"#3"`` → ``("#", 3)``, ``"(3,)"`` → ``("(", (3,))``."""
    if step in ("?", "()", "#len"):
        return step, None
    kind = step[0]
    if kind == "#":
        return kind, int(step[1:])
    if kind == "(":
        return kind, ast.literal_eval(step)
    return kind, step[1:]  # "." or "["


def take(value, kind, arg):
    """The part ``(kind, arg)`` (see ``parse_step``) of ``value``; MISSING if none."""
    if value is MISSING:
        return value
    try:
        if kind == ".":
            return getattr(value, arg)
        if kind == "#":
            return value[arg]
        if kind == "[":
            return value[arg]
        if kind == "?":
            return bool(value)
        if kind == "#len":
            return len(value)
        if kind == "()":
            return value()
        return value(*arg)  # "("
    except (AttributeError, KeyError, TypeError, IndexError):
        return MISSING


def derive(context, read):
    """What a ``derived`` function read as ``read`` gives in ``context``."""
    try:
        return _derived[read[0][1:]](context, *parse_step(read[1])[1] or ())
    except Exception:  # noqa: BLE001 - then not what it was, whatever it is
        return MISSING
