"""The newsletter sign-up service of the OpenSource14 website.

A small Flask application, served by waitress, that takes sign-ups from the
form on the static site, confirms them by e-mail (double opt-in), lets people
unsubscribe, and gives operators a command line (`python -m newsletter`).

This module stays import-light on purpose: the site's build imports
`newsletter.consent` to render the consent label, and must not pull in Flask.
"""
