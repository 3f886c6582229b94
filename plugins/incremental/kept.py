"""Values a build keeps in its cache folder for the next one, under a key.

A record that is missing, damaged or kept under another key reads as none:
it only costs the next build the time to make the value again.
"""

import contextlib
import functools
import hashlib
import os
import pickle
import sys
import time

# What reading a damaged or foreign pickle may raise (a class or module
# since renamed: AttributeError, ImportError; a truncated or bit-flipped
# stream: also IndexError, KeyError, and more).
UNREADABLE = (
    OSError,
    EOFError,
    pickle.UnpicklingError,
    ValueError,
    TypeError,
    AttributeError,
    ImportError,
    IndexError,
    KeyError,
)
MISSING = object()


def read(path, key):
    """The value kept at ``path`` under ``key``; MISSING if there is no
    readable record, None if it was kept under another key."""
    try:
        with open(path, "rb") as handle:
            kept_key, value = pickle.load(handle)
    except UNREADABLE:
        return MISSING
    return value if kept_key == key else None


def write(path, key, value):
    """Keep ``value`` at ``path`` under ``key``, whole or not at all.

    Raises OSError if it could not be kept (a full disk, say).
    """
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as handle:
            pickle.dump((key, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


@functools.cache
def source_digest(*paths):
    """A digest of the code that makes a kept value (module files): keep it in
    the key, so that changing that code makes the value again."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def file_status(path):
    """What tells that a file is still the one seen before: inode, size,
    modification and change times. Any write moves the change time, which
    no tool can set back (but on Windows, where it is the creation time).
    None if the file is not there."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


# Longer than any local file system's clock tick: a file changed this
# recently could change again within the same tick, its status unmoved.
RECENT_NS = 100_000_000


def settled_status(path):
    """``file_status(path)``, or None when the file is not there or changed
    within RECENT_NS: then only its bytes tell whether it changed since."""
    status = file_status(path)
    if status is None or time.time_ns() - max(status[2], status[3]) < RECENT_NS:
        return None
    return status


def installed_library(path):
    """Whether a module file belongs to an installed library, not to the project."""
    real = os.path.realpath(path)
    return any(real.startswith(prefix + os.sep) for prefix in _installed_prefixes())


@functools.cache
def _installed_prefixes():
    return {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
