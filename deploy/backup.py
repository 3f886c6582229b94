"""Online backup of the newsletter database, keeping the last N days of copies.

    python deploy/backup.py [--keep-days N] DATABASE FOLDER

Copies DATABASE to FOLDER/newsletter-YYYYMMDDTHHMMSSZ.sqlite3 (UTC) with
SQLite's backup API while the service keeps running. The copy is one
consistent snapshot: a transaction committed during the backup is in it
whole or not at all. The live database is opened read-only.

The copy is written under a temporary name, checked (integrity and foreign
keys), switched to a single file (rollback journal instead of WAL), flushed
to disk and only then renamed: a name of that form always holds a whole,
checked backup. It is readable by its owner only. Then backups taken more
than N days ago are deleted (default 14), and so are leftovers of
interrupted runs; the copy just made never is, and other files are left
alone.

Exit status 0 when done, 1 with one line on standard error when not.
Standard library only: it runs with any Python 3.11.
"""

import argparse
import datetime
import os
import re
import sqlite3
import sys
import urllib.request

STAMP = "%Y%m%dT%H%M%SZ"
BACKUP_NAME = re.compile(r"newsletter-(\d{8}T\d{6}Z)\.sqlite3")
PARTIAL_SUFFIX = ".partial"
DEFAULT_KEEP_DAYS = 14
BUSY_TIMEOUT = 30.0  # seconds to wait for a lock (e.g. the service's checkpoint)


class BackupError(Exception):
    pass


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="backup.py", description="Back up the newsletter database and keep N days of copies."
    )
    parser.add_argument("database", help="the live database (NEWSLETTER_DB)")
    parser.add_argument("folder", help="where the copies go")
    parser.add_argument(
        "--keep-days",
        type=int,
        default=DEFAULT_KEEP_DAYS,
        help=f"delete copies older than this many days (default {DEFAULT_KEEP_DAYS})",
    )
    args = parser.parse_args(argv)
    if args.keep_days < 1:
        parser.error("--keep-days must be at least 1")
    now = datetime.datetime.now(datetime.UTC)
    try:
        path = backup(args.database, args.folder, now)
        deleted = prune(args.folder, args.keep_days, now, keep=os.path.basename(path))
    except (BackupError, sqlite3.Error, OSError) as error:
        print(f"backup: failed: {error}", file=sys.stderr)
        return 1
    print(
        f"backup: wrote {path} ({os.path.getsize(path)} bytes); "
        f"deleted {len(deleted)} older file(s)"
    )
    return 0


def backup(database, folder, now):
    """Copy `database` into `folder`; return the new file's path."""
    if not os.path.isfile(database):
        raise BackupError(f"no database at {database}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    final = os.path.join(folder, f"newsletter-{now.strftime(STAMP)}.sqlite3")
    partial = final + PARTIAL_SUFFIX
    # Created empty (an empty file is an empty database) with owner-only access.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        uri = f"file:{urllib.request.pathname2url(os.path.abspath(database))}?mode=ro"
        source = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT)
        try:
            target = sqlite3.connect(partial, timeout=BUSY_TIMEOUT)
            try:
                # All pages in one step, under one read transaction: a snapshot.
                # In WAL mode the service goes on writing meanwhile.
                source.backup(target)
                check(target)
                # One self-contained file: no -wal beside it when opened later.
                target.execute("PRAGMA journal_mode = DELETE")
            finally:
                target.close()
        finally:
            source.close()
        descriptor = os.open(partial, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(partial, final)
        sync_folder(folder)
    except BaseException:
        for leftover in (partial, partial + "-journal"):
            if os.path.exists(leftover):
                os.remove(leftover)
        raise
    return final


def check(conn):
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError("the copy fails PRAGMA integrity_check: " + "; ".join(problems[:5]))
    if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
        raise BackupError("the copy fails PRAGMA foreign_key_check")


def prune(folder, keep_days, now, keep):
    """Delete backups taken more than `keep_days` before `now`, except `keep`."""
    cutoff = now - datetime.timedelta(days=keep_days)
    deleted = []
    for name in sorted(os.listdir(folder)):
        if name == keep:
            continue
        stem = name.removesuffix(PARTIAL_SUFFIX)
        match = BACKUP_NAME.fullmatch(stem)
        if match is None:
            continue
        taken = datetime.datetime.strptime(match[1], STAMP).replace(tzinfo=datetime.UTC)
        # A partial copy is what an interrupted run left: never a backup.
        if name != stem or taken < cutoff:
            os.remove(os.path.join(folder, name))
            deleted.append(name)
    if deleted:
        sync_folder(folder)
    return deleted


def sync_folder(folder):
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


if __name__ == "__main__":
    sys.exit(main())
