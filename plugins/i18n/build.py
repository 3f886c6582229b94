"""One build, all languages, published all at once.

The default language's run builds into a staging folder beside the output
folder; when it is done, each other language is built by its own Pelican
run into the same staging folder, then ``site_built`` lets other plugins add
site-wide files (sitemap, search index). Only then does the staging folder
replace the output folder. A build that stops for any reason leaves the
previous output untouched.
"""

import os
import shutil

from blinker import signal
from pelican import Pelican

# Sent once per build with the staging folder, after every language is written.
site_built = signal("i18n_site_built")


def staging_path(output_path):
    return os.path.normpath(output_path) + ".staging"


def start_staging(output_path):
    """A clean staging path; the writers create it when they write the first file."""
    staging = staging_path(output_path)
    shutil.rmtree(staging, ignore_errors=True)
    return staging


def discard_staging(output_path):
    shutil.rmtree(staging_path(output_path), ignore_errors=True)


def publish(staging, output_path):
    """Swap the finished staging folder in place of the output folder."""
    output_path = os.path.normpath(output_path)
    previous = output_path + ".previous"
    shutil.rmtree(previous, ignore_errors=True)
    if os.path.exists(output_path):
        os.rename(output_path, previous)
    os.rename(staging, output_path)
    shutil.rmtree(previous, ignore_errors=True)


def subsite_settings(settings, lang, output_path):
    sub = dict(settings)
    sub.update(settings["I18N_LANG_SETTINGS"][lang])
    sub["I18N_SUBSITE"] = True
    sub["OUTPUT_PATH"] = output_path
    # The theme's files are copied once, by the default language's run.
    sub["THEME_STATIC_PATHS"] = []
    sub["STATIC_CHECK_IF_MODIFIED"] = True
    return sub


def build_other_languages(settings, output_path):
    for lang in settings["LANGUAGES"]:
        if lang != settings["SITE_DEFAULT_LANG"]:
            Pelican(subsite_settings(settings, lang, output_path)).run()
