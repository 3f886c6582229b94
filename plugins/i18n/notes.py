"""What a folder holds before a build writes there: each file's inode and change time.

The staging folder holds some 16,000 files in 8,000 folders (a folder per
page). Walking it takes a tenth of a second of CPU, most of it the system's;
in a thread of the build it also shares the interpreter's lock with the
reading of the content, and took half a second to finish. It is walked by
a small process of its own instead (``file_notes_elsewhere``), this file run
as a script: no import but Python's own.
"""

import os
import pickle
import subprocess
import sys


def file_notes(root):
    """{path: (inode, change time in ns)} of every file under ``root``."""
    notes, folders = {}, [root]
    while folders:
        try:
            entries = os.scandir(folders.pop())
        except OSError:  # no staging folder yet
            continue
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif not entry.is_symlink() or not entry.is_dir():  # as os.walk
                    stat = entry.stat()
                    notes[entry.path] = stat.st_ino, stat.st_ctime_ns
    return notes


def file_notes_elsewhere(root):
    """``file_notes(root)``, worked out by a process of its own.

    An OSError there is raised here; if that process cannot run or says
    nothing that makes sense, the notes are taken here.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", os.path.abspath(__file__), root],
            capture_output=True,
            check=False,
        )
        outcome = pickle.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, pickle.UnpicklingError, EOFError, ValueError):
        outcome = None
    if not isinstance(outcome, tuple) or outcome[0] not in ("notes", "error"):
        return file_notes(root)
    if outcome[0] == "error":
        raise OSError(*outcome[1:])
    return outcome[1]


if __name__ == "__main__":
    try:
        found = ("notes", file_notes(sys.argv[1]))
    except OSError as error:
        found = ("error", error.errno, error.strerror, error.filename)
    sys.stdout.buffer.write(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
