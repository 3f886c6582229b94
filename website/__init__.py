"""What the site's plugins share: named routes and page references in every
language, Babel formatting, the data schemas, ``{route}`` links and the
report of problems an editor can fix.

Plugins import from here, never from each other.
"""
