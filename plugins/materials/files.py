"""Material files: checksums, dates, published names and reproducible ZIPs."""

import contextlib
import datetime
import hashlib
import os
import subprocess
import zipfile

from pelican.utils import slugify

from incremental import kept

# ZIP entries carry this time when a file's own date is unknown; ZIP cannot
# store dates before 1980.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Checksums:
    """SHA-256 of the material files, kept between builds: a file whose
    status (inode, size, modification and change times) is the one it had
    when hashed is not read again. Any write moves the change time."""

    NAME = "checksums.pickle"

    def __init__(self, folder):
        self.path = os.path.join(folder, self.NAME)
        found = kept.read(self.path, kept.source_digest(__file__))
        self.previous = found if isinstance(found, dict) else {}
        self.now = {}

    def of(self, path):
        status = kept.settled_status(path)
        known = self.previous.get(path)
        if status is not None and known is not None and known[0] == status:
            digest = known[1]
        else:
            digest = sha256(path)
        if status is not None:
            self.now[path] = (status, digest)
        return digest

    def save(self):
        if self.now != self.previous:
            with contextlib.suppress(OSError):  # the next build reads the files again
                kept.write(self.path, kept.source_digest(__file__), self.now)


def commit_dates(content_path, folder):
    """{path relative to content_path: date of the last commit that changed it}.

    One `git log` for the whole folder; empty outside a git checkout, or
    when the files are not committed yet.
    """
    try:
        result = subprocess.run(
            ["git", "log", "--format=@%cs", "--name-only", "--", folder],
            cwd=content_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=content_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {}
    dates = {}
    current = None
    for line in result.stdout.splitlines():
        if line.startswith("@"):
            current = datetime.date.fromisoformat(line[1:])
        elif line.strip():
            relative = os.path.relpath(os.path.join(top, line), content_path).replace(os.sep, "/")
            dates.setdefault(relative, current)
    return dates


def published_name(title, extension, taken, regex_subs):
    """A download name that says what the file is: opensource14-<title>.<ext>."""
    base = "opensource14-" + (slugify(str(title), regex_subs=regex_subs) or "materiale")
    name = f"{base}.{extension}"
    number = 2
    while name in taken:
        name = f"{base}-{number}.{extension}"
        number += 1
    taken.add(name)
    return name


class ZipCache:
    """Built ZIPs, named by a hash of what goes in them, kept between builds."""

    def __init__(self, folder):
        self.folder = folder
        self.used = set()

    def build(self, entries, checksums):
        """The path of the ZIP of ``entries`` [(name, source path, date)], built if needed.

        ``checksums`` are the SHA-256 of the entries' files, in the same order.
        """
        key = hashlib.sha256()
        for (name, _, date), checksum in sorted(zip(entries, checksums, strict=True)):
            key.update(f"{name}\0{checksum}\0{date}\0".encode())
        path = os.path.join(self.folder, key.hexdigest()[:40] + ".zip")
        self.used.add(os.path.basename(path))
        if not os.path.exists(path):
            partial = f"{path}.{os.getpid()}.part"
            write_zip(partial, entries)
            os.replace(partial, path)
        return path

    def prune(self):
        """Forget the ZIPs this build did not use."""
        for name in os.listdir(self.folder) if os.path.isdir(self.folder) else []:
            if name not in self.used:
                os.remove(os.path.join(self.folder, name))


def write_zip(target, entries):
    """A ZIP whose bytes depend only on its entries: [(name, source path, date)]."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for name, source, date in sorted(entries):
            info = zipfile.ZipInfo(
                name,
                date_time=(date.year, date.month, date.day, 0, 0, 0)
                if date and date.year >= 1980
                else ZIP_EPOCH,
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whatever system builds it
            with open(source, "rb") as handle:
                archive.writestr(info, handle.read(), compresslevel=9)
