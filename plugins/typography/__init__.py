"""Typographic quotes, dashes and ellipses in Markdown: Python-Markdown's
``smarty`` extension, with the same patterns and the same output, which
skips the texts it cannot change.

Not a Pelican plugin: a Markdown extension, named ``typography`` in the
MARKDOWN setting and by the data's Markdown (site_data/render.py).

Smarty tries each of its patterns, eighteen of them, on every text of a
document, one after the other, and that doubled the time Python-Markdown
took per news article even where there was nothing to change
(docs/performance.md). Each of those patterns needs a quote, two dashes,
three dots or an angled quote pair to match; a text with none of them is
left as it is without trying any.
"""

import re

from markdown.extensions.smarty import SmartyExtension
from markdown.treeprocessors import InlineProcessor

# What every pattern of SmartyExtension needs to match (quotes, --, ---,
# ..., << and >>): a text without any of these is never changed.
CHANGEABLE = re.compile(r"['\"]|--|\.\.\.|<<|>>")
SMARTY_PRIORITY = 6  # where SmartyExtension registers its processor: after the inline one


class SkippingInlineProcessor(InlineProcessor):
    """Smarty's inline processor, not trying its patterns on texts they cannot change."""

    # InlineProcessor hands each text to this (private) method, which tries
    # the patterns one by one; overridden under its mangled name.
    def _InlineProcessor__handleInline(self, data, patternIndex=0):
        if CHANGEABLE.search(data) is None:
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)


class TypographyExtension(SmartyExtension):
    def extendMarkdown(self, md):
        super().extendMarkdown(md)
        smarty = md.treeprocessors["smarty"]
        skipping = SkippingInlineProcessor(md)
        skipping.inlinePatterns = smarty.inlinePatterns
        md.treeprocessors.register(skipping, "smarty", SMARTY_PRIORITY)


def makeExtension(**kwargs):  # the name Markdown looks for
    return TypographyExtension(**kwargs)
