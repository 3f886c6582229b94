"""Digests of what a template read: equal digests, equal values.

A digest covers everything reachable from a value (lists, dicts, the
attributes of objects), so a page is written again when anything it could
have shown changed. Values that cannot be described the same way in two
runs (a file handle, an object with no attributes to compare) raise
Undigestable, and the page that read them is always rendered.
"""

import datetime
import decimal
import hashlib
import re
import types
import zoneinfo
from pathlib import PurePath

from pelican.contents import Content
from pelican.urlwrappers import URLWrapper

# Settings read in Python while a page renders do not pass through the
# template context, so the settings are in the build key as a whole (see
# Digests.settings_digest), but these, which change from build to build:
# the build's date, the site's data and the material catalog made from it
# reach pages only through their context (traced), as the names themselves
# or as what a plugin made of them; the events' SEQUENCE numbers only the
# calendar files show. A plugin that puts data in the settings adds it here.
SETTINGS_OUTSIDE_KEY = frozenset(
    {"BUILD_DATE", "DATA", "MATERIALS", "EVENT_SEQUENCES", "INCREMENTAL_EXPLAIN"}
)


class Undigestable(TypeError):
    """A value that cannot be compared across builds."""


class _Missing:
    def __repr__(self):
        return "<missing>"


MISSING = _Missing()

_ATOMS = (str, int, float, bool, type(None), bytes, decimal.Decimal, complex)
_ATOM_TYPES = frozenset(_ATOMS)  # exactly these: a subclass (Markup) is named in its digest
_DATES = (datetime.date, datetime.time, datetime.timedelta)


def render_key(value):
    """What an object defining ``render_key()`` wants compared instead of itself."""
    kind = type(value)
    try:
        method = _render_key_methods[kind]
    except KeyError:
        # Looked up once per type: a miss on a pydantic model's class costs
        # its metaclass a search and an exception.
        method = _render_key_methods[kind] = getattr(kind, "render_key", None)
    return method(value) if method is not None else None


_render_key_methods = {}


class Digests:
    """Digests of one build's values, each object walked once.

    Objects are digested from their parts (a Merkle tree), so the parts two
    pages share are walked once. Pages and articles point to each other
    (translations), which a tree cannot hold: an item's own parts are
    digested with the items in them counted by their source only, and an
    item met in a value counts as its own parts plus those of every item it
    reaches that way.

    ``ignored`` objects (the settings and the shared context, which every
    page item points to) count as a reference only: the settings are in
    ``settings_digest`` and the context in the names a page reads.
    """

    def __init__(self, ignored=()):
        self.ignored = {id(value) for value in ignored}
        self._keep = list(ignored)
        self._memo = {}  # id -> (value, digest, ()); the value kept keeps its id its own
        self._shallow_memo = {}  # the same, items counted by their source only
        self._items = {}  # id -> (item, digest of its own parts, items it points to)
        self._items_full = {}  # id -> (item, digest with the items it points to)
        self.roots = {}  # id -> (value, digest): what pages read, most of it shared
        self._terms = {}  # _term_key -> (settings, digest)

    def of(self, value):
        """The digest of a value, the pages and articles it reaches included."""
        hit = self.roots.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        if isinstance(value, _ATOMS):
            digest = _atom(value)
            if isinstance(value, str) and len(value) > LONG_TEXT:
                return digest  # a page's own (its JSON-LD...): not kept for others
        else:
            digest = self._node(value, {}, shallow=False)[0]
        self.roots[id(value)] = (value, digest)
        return digest

    def _full(self, item):
        """A page or article with the items it points to (its translations...)."""
        hit = self._items_full.get(id(item))
        if hit is not None and hit[0] is item:
            return hit[1]
        own, points_to = self._item(item)
        closure, queue = {id(item): own}, list(points_to)
        while queue:
            other = queue.pop()
            if id(other) not in closure:
                closure[id(other)], more = self._item(other)
                queue.extend(more)
        del closure[id(item)]
        digest = _hash(own + b"".join(sorted(closure.values())))
        self._items_full[id(item)] = (item, digest)
        return digest

    def _item(self, item):
        """(digest of an item's own parts, the items it points to)."""
        hit = self._items.get(id(item))
        if hit is not None and hit[0] is item:
            return hit[1], hit[2]
        # Where it comes from, what it shows, where it lives, its attributes;
        # most are text, hashed as they come (items have thousands).
        hasher = hashlib.blake2b(f"item:{type(item).__qualname__}".encode(), digest_size=16)
        fields = [("source", item.source_path), ("content", item.content)]
        fields += [("url", item.url), ("save_as", item.save_as)]
        fields += [
            (name, value)
            for name, value in sorted(vars(item).items())
            if not name.startswith("_") and name != "settings"
        ]
        reached = []
        for name, value in fields:
            hasher.update(name.encode() + b"\0")
            if isinstance(value, _ATOMS):
                hasher.update(b"a" + _atom_bytes(value))
            else:
                digest, _, items = self._node(value, {}, shallow=True)
                hasher.update(b"n" + digest)
                reached.extend(items)
        digest, reached = hasher.digest(), tuple(reached)
        self._items[id(item)] = (item, digest, reached)
        return digest, reached

    def _node(self, value, ancestors, shallow):
        """(digest, depth of the highest ancestor it points back to, items reached).

        ``shallow``: items met count by their source only, and are returned
        as reached; otherwise by their full digest.
        """
        if isinstance(value, _ATOMS):
            return _atom(value), _NONE, ()
        kind = type(value)
        if (kind is tuple or kind is list) and all(type(part) in _ATOM_TYPES for part in value):
            # What the general way below makes of it, sooner: most lists
            # pages read are a few texts ((language, address) pairs…).
            label = f"{kind.__name__}:{len(value)}".encode()
            return _hash(label + b"".join(map(_atom_bytes, value))), _NONE, ()
        if isinstance(value, _DATES):
            tz = getattr(value, "tzinfo", None)
            return _hash(f"{type(value).__name__}:{value.isoformat()}:{tz!s}".encode()), _NONE, ()
        if isinstance(value, Content):
            if shallow:
                source = value.source_path.encode(errors="surrogatepass")
                return _hash(b"item:" + source), _NONE, (value,)
            return self._full(value), _NONE, ()
        if id(value) in self.ignored:
            return _IGNORED, _NONE, ()
        memo = self._shallow_memo if shallow else self._memo
        hit = memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1], _NONE, hit[2]
        if isinstance(value, URLWrapper):
            digest = self._term(value)
            if digest is not None:
                return digest, _NONE, ()
        if id(value) in ancestors:  # a cycle: say how far up it points
            depth = ancestors[id(value)]
            return _hash(f"@{len(ancestors) - depth}".encode()), depth, ()
        depth = len(ancestors)
        ancestors[id(value)] = depth
        try:
            label, children = self._parts(value)
            parts, highest, reached = [label.encode()], _NONE, []
            for child in children:
                if isinstance(child, _ATOMS):  # most are: no digest of their own
                    parts.append(_atom_bytes(child))
                    continue
                digest, points_to, items = self._node(child, ancestors, shallow)
                parts.append(b"#" + digest)
                highest = min(highest, points_to)
                reached.extend(items)
            if label.startswith("set"):
                parts[1:] = sorted(parts[1:])
        finally:
            del ancestors[id(value)]
        digest = _hash(b"".join(parts))
        reached = tuple(reached)
        if highest >= depth:  # complete in itself: the same wherever it is met
            memo[id(value)] = (value, digest, reached)
            highest = _NONE
        return digest, highest, reached

    def _term(self, term):
        """The digest of a tag, category or author whose attributes are all
        texts: each article has its own objects for the same few terms, and
        a term's address takes a slugify and two formats to work out."""
        key = _term_key(term)
        if key is None:
            return None
        hit = self._terms.get(key)
        if hit is not None and hit[0] is term.settings:
            return hit[1]
        label, parts = self._parts(term)
        digest = _hash(label.encode() + b"".join(_atom_bytes(part) for part in parts))
        self._terms[key] = (term.settings, digest)
        return digest

    def _parts(self, value):
        """(label, the values it is made of)."""
        key = render_key(value)
        if key is not None:
            return f"key:{type(value).__qualname__}", [key]
        if isinstance(value, (list, tuple)):
            return f"{type(value).__name__}:{len(value)}", value
        if isinstance(value, dict):
            return f"dict:{len(value)}", [part for pair in value.items() for part in pair]
        if isinstance(value, (set, frozenset)):
            return f"set:{len(value)}", list(value)
        if isinstance(value, URLWrapper):
            # Its address first: Pelican's URLWrapper.as_dict() adds `name` and
            # `slug` to the object's attributes the first time it is asked.
            parts = [value.name, value.slug, value.url, value.save_as]
            return f"term:{type(value).__name__}", parts + _attributes(value, public_only=True)
        if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
            return f"code:{value.__module__}.{value.__qualname__}", []
        if isinstance(value, types.MethodType):
            return f"method:{value.__func__.__qualname__}", [value.__self__]
        if isinstance(value, types.ModuleType):
            return f"module:{value.__name__}", []
        if isinstance(value, re.Pattern):
            return f"re:{value.pattern!r}:{value.flags}", []
        if isinstance(value, (zoneinfo.ZoneInfo, datetime.tzinfo)):
            return f"tz:{value!s}", []
        if isinstance(value, PurePath):
            return f"path:{value}", []
        if hasattr(value, "__dict__") or hasattr(type(value), "__slots__"):
            label = f"object:{type(value).__module__}.{type(value).__qualname__}"
            return label, _attributes(value, public_only=False)
        raise Undigestable(f"cannot compare a {type(value).__qualname__} across builds")

    def settings_digest(self, settings):
        """The settings but the volatile ones, nested settings included."""
        return _hash(self._settings_part(settings).encode())

    def _settings_part(self, settings):
        parts = []
        for name, value in settings.items():
            if name in SETTINGS_OUTSIDE_KEY:
                continue
            if isinstance(value, dict):
                parts.append(f"{name!r}:{{{self._settings_part(value)}}}")
            else:
                parts.append(f"{name!r}:{self.of(value).hex()}")
        return "\n".join(sorted(parts))


LONG_TEXT = 256
_NONE = float("inf")  # points back to no ancestor
_IGNORED = b"ignored"


def _atom_bytes(value):
    """A text, number… as bytes that cannot be mistaken for another's (or a digest's)."""
    # The same short texts and numbers come back thousands of times (field
    # names, languages, categories); Markup and str are told apart by type.
    key = (type(value), value)
    try:
        return _short_atoms[key]
    except KeyError:
        pass
    except TypeError:  # unhashable (never for these types, but cheap to say)
        key = None
    if isinstance(value, str):  # Markup too, told apart by its name
        data = value.encode("utf-8", "surrogatepass")
    else:
        data = repr(value).encode()
    result = b"%s:%d:%s" % (type(value).__name__.encode(), len(data), data)
    if key is not None and len(data) <= SHORT_ATOM and len(_short_atoms) < SHORT_ATOMS_KEPT:
        _short_atoms[key] = result
    return result


SHORT_ATOM = 64
SHORT_ATOMS_KEPT = 100_000
_short_atoms = {}


def _atom(value):
    return _hash(_atom_bytes(value))


def _term_key(term):
    """What a term's digest follows from, when its public attributes are all
    atoms (else None): its type, settings, name, slug as set, and those."""
    public = []
    for name, value in vars(term).items():
        if name[0] == "_" or name == "settings":
            continue
        if not isinstance(value, _ATOMS):
            return None
        public.append((name, type(value), value))
    state = (term._name, term._slug, getattr(term, "_slug_from_name", None))
    return (type(term), id(term.settings), state, tuple(sorted(public)))


def _attributes(value, public_only):
    """[name, value, name, value…] of an object's attributes, by name."""
    names = set(getattr(value, "__dict__", ()))
    for cls in type(value).__mro__:
        names.update(getattr(cls, "__slots__", ()))
    parts = []
    for name in sorted(names):
        if name == "settings" or name.startswith("__") or (public_only and name[0] == "_"):
            continue
        if hasattr(value, name):
            parts += [name, getattr(value, name)]
    return parts


def _hash(data):
    return hashlib.blake2b(data, digest_size=16).digest()


def text_hash(text):
    """The digest of a page's HTML, or of any text or bytes."""
    return _hash(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
