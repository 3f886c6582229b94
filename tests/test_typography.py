"""Typographic quotes and dashes (plugins/typography): smarty's output, sooner."""

import glob
import os

import markdown
import pytest
import yaml
from markdown.treeprocessors import InlineProcessor

from sitebuild import ROOT

SAMPLES = [
    "Un'azienda, l'inclusione e un po' d'attenzione.",
    "\"Quoted\" words and 'single' ones, \"'nested' quotes\" and '\"the other way\"'.",
    "'Tis the '80s, rock 'n' roll -- and an em---dash... then more....",
    "He said, \"'Quoted' words in a larger quote.\"",
    '"*emphasis*" and "[a link](https://example.org "with a title")"',
    "`code with 'quotes' -- and ...` outside 'code'",
    "<span title=\"x\">raw 'html'</span> -- done",
    "# A heading's title\n\n- an item's text\n- \"another\" item\n\n> a 'quote' block",
    "No quotes, no dashes, nothing to change.",
    "&quot;entities&quot; and &#8220;numbers&#8221; -- with 'mixed' text",
    "Angles <<not by default>> and a lone ' and \" at the end '",
    "*'emphasised'* and **\"strong\"**, _it's_ fine",
]


def convert(extension, texts, **config):
    md = markdown.Markdown(
        extensions=["extra", extension],
        extension_configs={extension: config},
        output_format="html5",
    )
    converted = []
    for text in texts:
        md.reset()
        converted.append(md.convert(text))
    return converted


def project_texts():
    """The content's Markdown files and every text of the data files."""
    texts = []
    for path in sorted(glob.glob(os.path.join(ROOT, "content", "**", "*.md"), recursive=True)):
        with open(path, encoding="utf-8") as handle:
            texts.append(handle.read())

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    for path in sorted(glob.glob(os.path.join(ROOT, "data", "*.yaml"))):
        with open(path, encoding="utf-8") as handle:
            texts.extend(strings(yaml.safe_load(handle)))
    return texts


@pytest.mark.parametrize("config", [{}, {"smart_angled_quotes": True}])
def test_the_same_html_as_smarty(config):
    texts = SAMPLES + project_texts()
    assert len(texts) > 100
    assert convert("typography", texts, **config) == convert("smarty", texts, **config)


def test_the_samples_are_changed_where_smarty_changes_them():
    """Not a vacuous comparison: most samples have something to change."""
    smarty = convert("smarty", SAMPLES)
    plain = convert("extra", SAMPLES)
    assert sum(a != b for a, b in zip(smarty, plain, strict=True)) >= len(SAMPLES) - 2
    assert "&rsquo;" in smarty[0]


def test_texts_with_nothing_to_change_are_not_tried():
    assert "_InlineProcessor__handleInline" in vars(InlineProcessor), (
        "Python-Markdown renamed the method plugins/typography overrides"
    )
    md = markdown.Markdown(extensions=["typography"])
    smarty = md.treeprocessors["smarty"]
    tried = []
    apply_pattern = smarty._InlineProcessor__applyPattern
    smarty._InlineProcessor__applyPattern = lambda *args: tried.append(args) or apply_pattern(*args)
    md.convert("Nothing to change here.\n\n- nor here\n- nor there")
    assert tried == []
    md.reset()
    assert md.convert("l'inclusione") == "<p>l&rsquo;inclusione</p>"
    assert tried
