"""Signals of the site's own build, beside Pelican's."""

from blinker import signal

# Sent once per build, with the folder every language was written into,
# before it replaces the output folder: receivers add site-wide files
# (sitemap, search index). A problem raised here leaves the output as it was.
site_built = signal("site_built")
