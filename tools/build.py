"""`pelican`, with every mistake reported as ``file:line:col: field: message (fix)``.

    python tools/build.py content -o output -s pelicanconf.py [-e NAME=VALUE ...]

It takes the `pelican` command's arguments (`make html`, `make check`, `make
publish` and the preview use it). The plugins report editors' mistakes in
content/ and data/ themselves (website/problems.py); what they cannot see is
reported here the same way, without a traceback: a mistake in the settings
file, in a template, or a file the build cannot write. Anything else is a
bug in the build's own code and keeps its traceback.
"""

import logging
import os
import sys
import traceback

import jinja2
from pelican import get_instance, parse_arguments
from pelican.log import DEFAULT_LOG_HANDLER
from pelican.log import init as init_logging

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # website/, the plugins' shared library

from website.problems import (  # noqa: E402
    BuildStopped,
    Problem,
    abort,
    cannot_write,
    is_disk_full,
    relative,
)


def main(argv=None):
    args = parse_arguments(argv)
    init_logging(
        level=args.verbosity, fatal=args.fatal, name="pelican", handler=DEFAULT_LOG_HANDLER
    )
    try:
        pelican, _ = get_instance(args)
    except BuildStopped:
        raise
    except Exception as error:  # noqa: BLE001 - any error here is in the settings file
        abort([settings_problem(error, args.settings or "pelicanconf.py")])
    try:
        pelican.run()
    except BuildStopped:
        raise
    except jinja2.TemplateError as error:
        abort([template_problem(error)])
    except OSError as error:
        if not is_disk_full(error):
            raise
        abort([cannot_write(error.filename or pelican.output_path, error)])
    except Exception as error:
        problem = template_problem(error)
        if problem is None:
            raise
        abort([problem])


def settings_problem(error, settings_file):
    """Where the settings file went wrong: a SyntaxError knows, else the traceback does."""
    path = os.path.abspath(settings_file)
    if (
        isinstance(error, SyntaxError)
        and error.filename
        and os.path.abspath(error.filename) != path
    ):
        # A module the settings import (website/, a plugin): its own file and line.
        return Problem(
            relative(os.path.abspath(error.filename)),
            error.lineno or 0,
            error.offset or 0,
            "",
            f"SyntaxError: {error.msg}",
            "correct this Python file at this line, then build again",
        )
    line = column = 0
    if (
        isinstance(error, SyntaxError)
        and error.filename
        and os.path.abspath(error.filename) == path
    ):
        line, column = error.lineno or 0, error.offset or 0
    else:
        for frame in traceback.extract_tb(error.__traceback__):
            if os.path.abspath(frame.filename) == path:
                line = frame.lineno or 0
    message = error.msg if isinstance(error, SyntaxError) else str(error)
    return Problem(
        relative(path),
        line,
        column,
        "",
        f"{type(error).__name__}: {message}",
        "correct the settings file at this line (it is Python), then build again",
    )


def template_problem(error):
    """A mistake in a theme template, at its line; None when no template is in the traceback.

    Jinja puts a template's own file and line into the traceback of any
    error raised while rendering it (and a TemplateSyntaxError carries them).
    """
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        path, line = error.filename, error.lineno
    else:
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if frame.filename.endswith((".html", ".xml", ".txt")) and os.path.isfile(frame.filename)
        ]
        if not frames:
            return None
        path, line = frames[-1].filename, frames[-1].lineno
    message = error.message if isinstance(error, jinja2.TemplateError) else str(error)
    return Problem(
        relative(path),
        line or 0,
        0,
        "",
        f"template error: {message or type(error).__name__}",
        "correct the template at this line, then build again",
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        logging.getLogger("pelican").warning("Stopped.")
        sys.exit(130)
