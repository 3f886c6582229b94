"""Material files: checksums, dates, published names and reproducible ZIPs."""

import datetime
import hashlib
import os
import subprocess
import zipfile

from pelican.utils import slugify

# ZIP entries carry this time when a file's own date is unknown; ZIP cannot
# store dates before 1980.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
