"""`make backup` and `make restore`, run as an operator runs them: a backup brought back into a fresh
database and media folder has the same rows in every table and the same bytes in every file, and
a restore that would overwrite something, or read a folder that is not a complete backup, refuses
and changes nothing. SQLite is tried on a file of its own; PostgreSQL on the test run's database."""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from activities.models import Activity, Evidence
from reports.models import Report

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# Bytes of every value, so that a text-mode or truncating copy would show.
FILES = {
    "evidence/3/0f1e2d3c4b5a69788796a5b4c3d2e1f0.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 40,
    "reports/2025/01/5a69788796a5b4c3d2e1f00f1e2d3c4b-actividades.csv": "región,actividades\nPuno,12\n".encode(),
}
SETTINGS_FROM_ENV = ("DATABASE_URL", "MEDIA_ROOT", "BACKUP_DIR", "BACKUP", "FORCE", "REDIS_URL")


def portal_env(database_url, media_root, **extra):
    """The environment of a shell that points the portal at one database and media folder."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in SETTINGS_FROM_ENV}
    return {**base, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media_root), **extra}


def make(target, env, **variables):
    command = ["make", "--no-print-directory", "-s", target, *(f"{k}={v}" for k, v in variables.items())]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def backup(env):
    result = make("backup", env)
    assert result.returncode == 0, result.stdout + result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def portal_tables():
    tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    return sorted(tables | {"django_migrations"})


def counts(cursor):
    """Rows of every table of the portal's apps (and Django's), read by the test, not by the scripts."""
    return {table: cursor.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in portal_tables()}


def sqlite_counts(path):
    with sqlite3.connect(path) as database:
        return counts(database.cursor())


def file_bytes(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


def write_files(root):
    for name, content in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)


def assert_refused(result, *words):
    assert result.returncode != 0
    message = result.stderr.splitlines()[0]
    assert message.startswith("restore: ")
    for word in words:
        assert word in message


# SQLite ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_portal(tmp_path_factory):
    """A portal on a SQLite file with 50 demo activities and two private files, backed up once."""
    base = tmp_path_factory.mktemp("sqlite-portal")
    env = portal_env(f"sqlite:///{base / 'db.sqlite3'}", base / "media", BACKUP_DIR=str(base / "backups"))
    for command in (["migrate", "--noinput"], ["seed_demo", "--activities", "50", "--seed", "1"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
    write_files(base / "media")
    return SimpleNamespace(database=base / "db.sqlite3", media=base / "media", backup=backup(env))


@pytest.fixture
def target(tmp_path):
    """Where a restore goes: a database file and a media folder that do not exist yet."""
    database, media = tmp_path / "restored" / "db.sqlite3", tmp_path / "restored-media"
    return SimpleNamespace(database=database, media=media, env=portal_env(f"sqlite:///{database}", media))


@pytest.fixture
def copy_of_backup(sqlite_portal, tmp_path):
    return Path(shutil.copytree(sqlite_portal.backup, tmp_path / "copy" / sqlite_portal.backup.name))


def test_sqlite_backup_restores_into_a_new_file_with_the_same_rows_and_files(sqlite_portal, target):
    result = make("restore", target.env, BACKUP=sqlite_portal.backup)

    assert result.returncode == 0, result.stdout + result.stderr
    restored = sqlite_counts(target.database)
    assert restored == sqlite_counts(sqlite_portal.database)
    assert restored["activities_activity"] == 50
    assert file_bytes(target.media) == FILES
    assert "activities_activity" in result.stdout
    assert "media files: 2 (manifest: 2)" in result.stdout


def test_backup_folder_is_private_and_named_by_the_utc_time(sqlite_portal):
    folder = sqlite_portal.backup

    assert len(folder.name) == len("20250131-235959") and folder.name[8] == "-"
    assert (folder.stat().st_mode & 0o777) == 0o700
    names = {path.name for path in folder.iterdir()}
    assert names == {"database.sqlite3", "media.tar.gz", "manifest.json"}
    for path in folder.iterdir():
        assert (path.stat().st_mode & 0o777) == 0o600, path


def test_manifest_counts_every_table_and_media_file_and_names_the_migration_heads(sqlite_portal):
    manifest = json.loads((sqlite_portal.backup / "manifest.json").read_text())

    counted = {table: n for table, n in manifest["tables"].items() if table in portal_tables()}
    assert counted == sqlite_counts(sqlite_portal.database)
    assert manifest["media"]["count"] == 2
    assert sorted(manifest["media"]["files"]) == sorted(FILES)
    [(_, reports_head)] = [node for node in MigrationLoader(None).graph.leaf_nodes() if node[0] == "reports"]
    assert manifest["migrations"]["reports"] == reports_head
    assert set(manifest["migrations"]) >= {"accounts", "regions", "programs", "activities", "reports", "campaign"}


def test_restore_refuses_an_existing_database_file_unless_forced(sqlite_portal, target):
    target.database.parent.mkdir()
    target.database.write_bytes(b"the portal of yesterday")

    refused = make("restore", target.env, BACKUP=sqlite_portal.backup)

    assert_refused(refused, str(target.database), "already exists", "FORCE=1")
    assert target.database.read_bytes() == b"the portal of yesterday"
    assert not target.media.exists()

    forced = make("restore", target.env, BACKUP=sqlite_portal.backup, FORCE=1)

    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert sqlite_counts(target.database) == sqlite_counts(sqlite_portal.database)


def test_restore_refuses_a_media_folder_that_is_not_empty_unless_forced(sqlite_portal, target):
    stray = target.media / "evidence" / "1" / "stray.jpg"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"not in the backup")

    refused = make("restore", target.env, BACKUP=sqlite_portal.backup)

    assert_refused(refused, "MEDIA_ROOT", "not empty", "FORCE=1")
    assert stray.read_bytes() == b"not in the backup"
    assert not target.database.exists()

    forced = make("restore", target.env, BACKUP=sqlite_portal.backup, FORCE=1)

    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert file_bytes(target.media) == FILES


def test_restore_refuses_a_folder_that_does_not_exist(target, tmp_path):
    result = make("restore", target.env, BACKUP=tmp_path / "backups" / "20250101-000000")

    assert_refused(result, "no backup folder")
    assert not target.database.exists() and not target.media.exists()


def test_restore_refuses_a_folder_without_a_manifest(copy_of_backup, target):
    (copy_of_backup / "manifest.json").unlink()

    result = make("restore", target.env, BACKUP=copy_of_backup)

    assert_refused(result, "has no manifest.json")
    assert not target.database.exists() and not target.media.exists()


def test_restore_refuses_a_dump_that_does_not_match_its_manifest(copy_of_backup, target):
    with open(copy_of_backup / "database.sqlite3", "ab") as dump:
        dump.write(b"\0")

    result = make("restore", target.env, BACKUP=copy_of_backup)

    assert_refused(result, "database.sqlite3 does not match manifest.json")
    assert not target.database.exists() and not target.media.exists()


def test_restore_refuses_a_manifest_that_lists_other_media_files(copy_of_backup, target):
    manifest = json.loads((copy_of_backup / "manifest.json").read_text())
    manifest["media"]["files"]["evidence/3/missing.pdf"] = "0" * 64
    (copy_of_backup / "manifest.json").write_text(json.dumps(manifest))

    result = make("restore", target.env, BACKUP=copy_of_backup)

    assert_refused(result, "media.tar.gz does not hold the media files manifest.json lists")
    assert not target.database.exists() and not target.media.exists()


def test_restore_fails_when_a_restored_count_differs_from_the_manifest(copy_of_backup, target):
    manifest = json.loads((copy_of_backup / "manifest.json").read_text())
    manifest["tables"]["activities_activity"] = 51
    (copy_of_backup / "manifest.json").write_text(json.dumps(manifest))

    result = make("restore", target.env, BACKUP=copy_of_backup)

    assert result.returncode != 0
    assert "MISMATCH: manifest says 51" in next(
        line for line in result.stdout.splitlines() if "activities_activity " in line
    )
    assert "does not match" in result.stderr and "1 MISMATCH" in result.stderr


def test_make_restore_without_a_backup_folder_says_what_it_needs(target):
    result = make("restore", target.env)

    assert result.returncode != 0
    assert "make restore needs BACKUP=backups/<time>" in result.stderr
    assert not target.database.exists() and not target.media.exists()


# PostgreSQL ------------------------------------------------------------------------------------

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the test database is not PostgreSQL")


def database_url(name):
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"


def pg_connect(name):
    return psycopg.connect(database_url(name), autocommit=True)


@pytest.fixture
def restore_database(django_db_setup):
    """A database name of this test run's own, absent before the test and dropped after it."""
    name = connection.settings_dict["NAME"] + "_restore"

    def drop():
        with pg_connect("postgres") as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}"')

    drop()
    yield name
    drop()


def pg_counts(name):
    with pg_connect(name) as database:
        return counts(database.cursor())


@needs_postgresql
def test_postgresql_backup_restores_into_a_fresh_database_with_the_same_rows_and_files(
    transactional_db, settings, tmp_path, restore_database
):
    settings.DEBUG = True  # seed_demo is made for a development portal
    call_command("seed_demo", "--activities", "300", "--seed", "1", stdout=io.StringIO())
    evidence, report_file = FILES.values()
    Evidence.objects.create(
        activity=Activity.objects.order_by("id").first(),
        file=ContentFile(evidence, name="acta.pdf"),
        content_type="application/pdf",
        size=len(evidence),
    )
    report = Report.objects.create(kind="activities", format="csv", status="done")
    report.file.save("actividades.csv", ContentFile(report_file))
    source = connection.settings_dict["NAME"]
    media = Path(settings.MEDIA_ROOT)
    folder = backup(portal_env(database_url(source), media, BACKUP_DIR=str(tmp_path / "backups")))
    restored_media = tmp_path / "restored-media"

    result = make("restore", portal_env(database_url(restore_database), restored_media), BACKUP=folder)

    assert result.returncode == 0, result.stdout + result.stderr
    restored = pg_counts(restore_database)
    assert restored == pg_counts(source)
    assert restored["activities_activity"] == 300 and restored["activities_evidence"] == 1
    assert len(file_bytes(restored_media)) == 2
    assert file_bytes(restored_media) == file_bytes(media)
    assert planner_statistics(restore_database, "activities_activity") == (True, 300)


def planner_statistics(name, table):
    """(analysed since the restore, rows the planner expects): pg_restore's COPY collects none."""
    with pg_connect(name) as database:
        return database.execute(
            "SELECT s.last_analyze IS NOT NULL, c.reltuples::int FROM pg_stat_user_tables s"
            " JOIN pg_class c ON c.oid = s.relid WHERE s.relname = %s",
            [table],
        ).fetchone()


@needs_postgresql
def test_postgresql_restore_refuses_a_database_that_has_tables_unless_forced(db, tmp_path, restore_database):
    folder = backup(
        portal_env(database_url(connection.settings_dict["NAME"]), tmp_path / "media", BACKUP_DIR=str(tmp_path))
    )
    env = portal_env(database_url(restore_database), tmp_path / "restored-media")
    first = make("restore", env, BACKUP=folder)
    assert first.returncode == 0, first.stdout + first.stderr
    backed_up = pg_counts(restore_database)
    with pg_connect(restore_database) as restored:
        restored.execute("INSERT INTO django_session VALUES ('written-after-the-restore', '', now())")
    changed = pg_counts(restore_database)

    refused = make("restore", env, BACKUP=folder)

    assert_refused(refused, f"database {restore_database} already has", "FORCE=1")
    assert pg_counts(restore_database) == changed != backed_up

    forced = make("restore", env, BACKUP=folder, FORCE=1)

    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert pg_counts(restore_database) == backed_up
