"""The promises of docs/architecture.md about the code itself: each plugin
stands alone, and none reaches into the libraries Pelican is built on."""

import ast
import os
import re

import pytest

from sitebuild import ROOT

PLUGINS = os.path.join(ROOT, "plugins")
PLUGIN_NAMES = sorted(
    name
    for name in os.listdir(PLUGINS)
    if os.path.isfile(os.path.join(PLUGINS, name, "__init__.py"))
)
LIBRARIES = ("pelican", "markdown", "jinja2", "docutils")
# A class's private method, overridden under its mangled name (_Class__method).
MANGLED = re.compile(r"\b_[A-Z]\w*__[a-z]\w*")


def python_files(*folders):
    for folder in folders:
        for parent, _, names in os.walk(os.path.join(ROOT, folder)):
            for name in names:
                if name.endswith(".py"):
                    yield os.path.join(parent, name)


def imported_modules(path):
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


@pytest.mark.parametrize("plugin", PLUGIN_NAMES)
def test_a_plugin_imports_no_other_plugin(plugin):
    others = set(PLUGIN_NAMES) - {plugin}
    found = [
        (os.path.relpath(path, ROOT), module)
        for path in python_files(os.path.join("plugins", plugin))
        for module in imported_modules(path)
        if module.split(".")[0] in others
    ]
    assert found == []


def test_every_plugin_has_a_register_function():
    for plugin in PLUGIN_NAMES:
        with open(os.path.join(PLUGINS, plugin, "__init__.py"), encoding="utf-8") as handle:
            assert "\ndef register(" in handle.read(), plugin


def test_no_private_name_of_the_libraries_is_used_and_no_process_ends_abruptly():
    private = re.compile(
        rf"\b(?:{'|'.join(LIBRARIES)}|readers|writers|contents|utils|Content|Writer|Readers|"
        r"Markdown|Environment|Template)\.(_[A-Za-z]\w*)"
    )
    found = []
    for path in python_files("plugins", "tools", "website"):
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if private.search(line) or MANGLED.search(line) or "os._exit" in line:
                    found.append(f"{os.path.relpath(path, ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_plugins_and_tools_stay_small():
    lines = 0
    for path in python_files("plugins", "tools"):
        with open(path, encoding="utf-8") as handle:
            lines += sum(1 for _ in handle)
    assert lines <= 6000
