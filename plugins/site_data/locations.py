"""From a field path to the line and column an editor should look at.

Files are parsed with the fast C loader and positions are only worked out
when there is a problem to report, by composing the YAML node tree again.
"""

import functools
import re

import yaml

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader


class SafeLoader(_BaseLoader):
    """The C safe loader, leaving dates and times, and numbers with dots
    between thousands, as text.

    The schema parses them, so that an impossible date (2026-02-30) is
    reported with its place like any other mistake instead of crashing.
    """


# "35.000" is how Italians write thirty-five thousand, and YAML would read
# 35.0: such numbers stay text too, and the schema reports them (schema.Amount).
_THOUSANDS = r"[-+]?[0-9]{1,3}(?:\.[0-9]{3})+"


def _resolver(tag, regexp):
    if tag == "tag:yaml.org,2002:float":
        return tag, re.compile(rf"^(?!{_THOUSANDS}$)" + regexp.pattern[1:], regexp.flags)
    return tag, regexp


SafeLoader.yaml_implicit_resolvers = {
    first: [
        _resolver(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"
    ]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


@functools.lru_cache(maxsize=32)
def _compose(text):
    try:
        return yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return None


def _child(node, step):
    """The node for ``step`` below ``node``, and the node to point at for it."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == str(step):
                return value_node, key_node
        return None, None
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(step, int)
        and 0 <= step < len(node.value)
    ):
        item = node.value[step]
        return item, item
    return None, None


def locate(text, loc, at_key=False):
    """(line, column), 1-based, of the node at ``loc``; the deepest one that exists.

    With ``at_key`` the position is that of the last key rather than its value.
    """
    node = _compose(text)
    if node is None:
        return 1, 1
    target = node
    steps = [step for step in loc if step != "[key]"]
    for index, step in enumerate(steps):
        child, key_node = _child(node, step)
        if child is None:
            break
        last = index == len(steps) - 1
        target = key_node if (last and at_key) else child
        node = child
    mark = target.start_mark
    return mark.line + 1, mark.column + 1


def field_path(stem, loc):
    """``("events", 3, "territory")`` → ``events[3].territory``."""
    text = "" if stem is None else stem
    for step in loc:
        if step == "[key]":
            continue
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else str(step)
    return text
