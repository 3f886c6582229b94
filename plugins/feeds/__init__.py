"""Atom feeds with absolute addresses, also in local previews.

Pages use site-relative links (SITEURL is empty while previewing), but feed
readers need absolute ones: feeds are written with FEED_DOMAIN in front.
"""

from pelican import signals
from pelican.writers import Writer


class AbsoluteFeedsWriter(Writer):
    def write_feed(self, elements, context, *args, **kwargs):
        site_url = context.get("SITEURL", "")
        if not site_url.startswith(("http://", "https://")):
            context = {**context, "SITEURL": (context.get("FEED_DOMAIN") or "") + site_url}
        return super().write_feed(elements, context, *args, **kwargs)


def use_writer(pelican):
    return AbsoluteFeedsWriter


def register():
    signals.get_writer.connect(use_writer)
