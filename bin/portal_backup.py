"""What bin/backup and bin/restore share: the database and media folder the portal itself uses,
table counts, checksums and the manifest that ties a backup folder together."""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar.gz"
DUMP_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
LIBPQ_ENV = {
    "dbname": "PGDATABASE",
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "sslmode": "PGSSLMODE",
}


class Refusal(Exception):
    """Why a backup or restore stops; printed as one line, with a non-zero exit."""


def portal_settings():
    """(vendor, database settings, MEDIA_ROOT) as the portal resolves them from the same environment,
    so that a backup never reads one database while the portal writes another."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prevent_protect.settings")
    from django.conf import settings

    database = settings.DATABASES["default"]
    vendor = next((name for name in DUMP_FILES if name in database["ENGINE"]), None)
    if vendor is None:
        raise Refusal(f"unsupported database engine {database['ENGINE']}: only PostgreSQL and SQLite")
    return vendor, database, Path(settings.MEDIA_ROOT)


def pg_params(database, name=None):
    options = database.get("OPTIONS") or {}
    params = {
        "dbname": name or database["NAME"],
        "host": database.get("HOST"),
        "port": database.get("PORT"),
        "user": database.get("USER"),
        "password": database.get("PASSWORD"),
        "sslmode": options.get("sslmode"),
    }
    return {key: str(value) for key, value in params.items() if value}


def pg_env(params):
    # pg_dump and pg_restore read the connection from the environment: no password in `ps`.
    return {**os.environ, **{LIBPQ_ENV[key]: value for key, value in params.items()}}


def run(command, **kwargs):
    try:
        result = subprocess.run(command, **kwargs)
    except FileNotFoundError:
        raise Refusal(f"{command[0]} not found: install the PostgreSQL client tools") from None
    if result.returncode:
        raise Refusal(f"{command[0]} failed with exit status {result.returncode} (its message is above)")


def sqlite_open(path):
    # Read-only, so that a missing file is an error rather than a new empty database.
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)


def table_counts(connection, vendor):
    """Rows of every table in the database, Django's own included, so that a restore is checked whole."""
    if vendor == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    cursor = connection.cursor()
    names = sorted(row[0] for row in cursor.execute(query).fetchall())
    counts = {}
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        counts[name] = cursor.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
    return counts


def migration_heads(connection, counts):
    """The last migration applied in each app."""
    if "django_migrations" not in counts:
        return {}
    rows = connection.cursor().execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()
    return dict(rows)


def sha256(path):
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def media_files(root):
    """Checksum of every regular file under MEDIA_ROOT, by its path relative to it."""
    if not root.is_dir():
        return {}
    paths = sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())
    return {path.relative_to(root).as_posix(): sha256(path) for path in paths}


def read_manifest(folder, vendor):
    """The manifest of a finished backup whose files are the ones it describes; refused otherwise."""
    if not folder.is_dir():
        raise Refusal(f"no backup folder at {folder}")
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        backed_up = manifest["database"]["vendor"]
        checksums = {DUMP_FILES[backed_up]: manifest["database"]["sha256"], MEDIA_ARCHIVE: manifest["media"]["sha256"]}
        listed = set(manifest["media"]["files"])
        if not isinstance(manifest["tables"], dict) or not isinstance(manifest["migrations"], dict):
            raise TypeError
    except FileNotFoundError:
        raise Refusal(f"{folder} has no {MANIFEST}: not a backup, or one that did not finish") from None
    except (ValueError, KeyError, TypeError):
        raise Refusal(f"{folder / MANIFEST} is not a backup manifest this portal can read") from None
    if backed_up != vendor:
        raise Refusal(f"{folder} holds a {backed_up} database but DATABASE_URL names a {vendor} one")
    for name, checksum in checksums.items():
        if not (folder / name).is_file() or sha256(folder / name) != checksum:
            raise Refusal(f"{folder / name} does not match {MANIFEST}: missing, changed or truncated")
    with tarfile.open(folder / MEDIA_ARCHIVE) as archive:
        archived = {member.name for member in archive.getmembers() if member.isfile()}
    if archived != listed:
        raise Refusal(f"{folder / MEDIA_ARCHIVE} does not hold the media files {MANIFEST} lists")
    return manifest
