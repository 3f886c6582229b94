"""Settings for publishing (`make publish`, the deploy workflow).

Everything of pelicanconf.py, with the site's public address: set SITEURL
in the environment, e.g.

    SITEURL=https://www.example.org make publish
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: F403

SITEURL = os.environ.get("SITEURL", "").rstrip("/")
if not SITEURL.startswith(("https://", "http://")):
    sys.exit(
        "publishconf.py: set SITEURL to the site's public address, "
        "e.g. SITEURL=https://www.example.org make publish"
    )
FEED_DOMAIN = SITEURL
# Where the form posts: the service behind the same site by default (see
# docs/newsletter.md), or NEWSLETTER_ENDPOINT from the environment.
NEWSLETTER_ENDPOINT = os.environ.get("NEWSLETTER_ENDPOINT") or f"{SITEURL}/subscribe"
RELATIVE_URLS = False
DRAFTS_VISIBLE = False
