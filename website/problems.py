"""Problems an editor can fix, and how the build reports them.

Every check in the build (data files, Markdown metadata, materials) reports
``Problem`` objects. The build collects all of them, prints them in file
order as ``file:line:col: field: message`` with a hint, and stops before
anything is written. No traceback: editors need the place and the fix.
"""

import difflib
import errno
import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int = 0
    column: int = 0
    field: str = ""
    message: str = ""
    fix: str = ""

    def __str__(self):
        place = self.path
        if self.line:
            place += f":{self.line}"
            if self.column:
                place += f":{self.column}"
        text = f"{place}: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.fix:
            text += f" ({self.fix})"
        return text


class BuildStopped(SystemExit):
    """Raised to end the build after problems were printed.

    A SystemExit, so Pelican does not print a traceback for it.
    """

    def __init__(self, problems):
        super().__init__(1)
        self.problems = list(problems)


def relative(path, root=None):
    """Paths in messages are relative to the project, as editors see them."""
    try:
        return os.path.relpath(path, root or os.getcwd())
    except ValueError:
        return path


def format_report(problems):
    problems = sorted(set(problems))
    noun = "problem" if len(problems) == 1 else "problems"
    lines = [str(problem) for problem in problems]
    lines.append(f"{len(problems)} {noun} found; nothing was written to the output folder.")
    return "\n".join(lines)


def abort(problems, stream=None):
    """Print every problem and stop the build with exit status 1."""
    print(format_report(problems), file=stream or sys.stderr, flush=True)
    raise BuildStopped(problems)


def did_you_mean(word, choices):
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else ""


def shown(path):
    """A path as the editor sees it: from the project, unless it is outside."""
    path = os.fspath(path)
    as_seen = relative(path)
    return path if as_seen.startswith(os.pardir) else as_seen


def is_disk_full(error):
    return getattr(error, "errno", None) in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def cannot_write(path, error):
    if is_disk_full(error):
        message = "could not be written: the disk is full"
        fix = (
            "free some space, then build again; the site takes twice its size "
            "on disk while it is built"
        )
    else:
        message = f"could not be written: {getattr(error, 'strerror', None) or error}"
        fix = "check that the folder can be written to and has room, then build again"
    return Problem(shown(path), message=message, fix=fix)


def cannot_read(path, error):
    return Problem(
        shown(path),
        message=f"could not be read: {getattr(error, 'strerror', None) or error}",
        fix="check that the file exists and can be read, then build again",
    )
