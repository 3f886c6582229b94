"""Atom feeds with absolute addresses, also in local previews.

Pages use site-relative links (SITEURL is empty while previewing), but feed
readers need absolute ones: feeds are written with FEED_DOMAIN in front.
"""

from i18n.staging import add_writer_feature


class AbsoluteFeeds:
    """A feature of the site's writer (i18n.staging)."""

    def write_feed(self, elements, context, *args, **kwargs):
        site_url = context.get("SITEURL", "")
        if not site_url.startswith(("http://", "https://")):
            context = {**context, "SITEURL": (context.get("FEED_DOMAIN") or "") + site_url}
        return super().write_feed(elements, context, *args, **kwargs)


def register():
    add_writer_feature(AbsoluteFeeds)
