"""Which names of its context a page's templates read while it renders.

Jinja resolves every name a template uses through its Context; the context
class here notes each one. A read is a name (``"SITEURL"``) or a path:
``("DATA", ".project")`` for an attribute, ``("I18N_GROUPS", "[pagine/x")``
for an item, ``("DATA", "?")`` for whether it is true and
``("articles_page", ".has_next", "()")`` or ``("EVENTS", ".next", "(3,)")``
for what a method returns, of a value listed in FINE_GRAINED, which every page reads a small
part of (the footer shows the project's contact, the menu a few pages, the
events' filters which territories have events).
"""

import ast
import inspect
from contextlib import contextmanager

from jinja2.runtime import Context
from jinja2.utils import missing
from pelican.paginator import Page, Paginator

from .digest import MISSING

# Names and types of values whose parts are recorded one by one rather than
# the whole: a page of a list reads its own articles, not all the list's.
FINE_GRAINED = frozenset({"DATA", "I18N_GROUPS", "EVENTS"})
FINE_GRAINED_TYPES = frozenset({Page, Paginator})

_recording = []  # a stack of sets: the page being rendered, then blocks within it


def note(path):
    if _recording:
        _recording[-1].add(path)


def note_all(paths):
    if _recording:
        _recording[-1].update(paths)


@contextmanager
def recording():
    """Record the reads made inside; they also count for any recording around."""
    reads = set()
    _recording.append(reads)
    try:
        yield reads
    finally:
        _recording.pop()
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
            fine = key in FINE_GRAINED or type(value) in FINE_GRAINED_TYPES
            if fine and value is not None and type(value) is not Parts:
                return Parts(key, value)
            _recording[-1].add(key)
        return value

    def __contains__(self, name):
        note(name)
        return super().__contains__(name)


class Parts:
    """A FINE_GRAINED value: notes which of its attributes and items are read.

    Whatever is done with it as a whole (iterated, tested, measured) counts
    as reading all of it.
    """

    __slots__ = ("_name", "_value")

    def __init__(self, name, value):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_value", value)

    def __getattr__(self, attr):
        value = getattr(self._value, attr)
        if inspect.ismethod(value) and value.__self__ is self._value:
            return _Method(self, attr, value)
        note((self._name, "." + attr))
        return value

    def __getitem__(self, key):
        if not isinstance(key, str):
            return self._whole()[key]
        note((self._name, "[" + key))
        return self._value[key]

    def __contains__(self, key):
        return key in self._whole()

    def __iter__(self):
        return iter(self._whole())

    def __len__(self):
        return len(self._whole())

    def __bool__(self):
        note((self._name, "?"))
        return bool(self._value)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def _whole(self):
        note(self._name)
        return self._value


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
            note((self._parts._name, "." + self._attr, repr(args) if args else "()"))
        return self._method(*args, **kwargs)


# Arguments a call is recorded with: written and read back as Python literals.
_LITERALS = frozenset({str, int, float, bool, type(None)})


def lookup(context, path):
    """The value a read found, evaluated in another build's context."""
    if type(path) is str:
        return context.get(path, MISSING)
    value = context.get(path[0], MISSING)
    for step in path[1:]:
        if value is MISSING:
            break
        if step == "?":
            value = bool(value)
            continue
        if step == "()":
            value = value()
            continue
        if step[0] == "(":
            value = value(*ast.literal_eval(step))
            continue
        try:
            value = getattr(value, step[1:]) if step[0] == "." else value[step[1:]]
        except (AttributeError, KeyError, TypeError, IndexError):
            value = MISSING
    return value
