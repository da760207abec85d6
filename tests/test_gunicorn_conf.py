"""The web process's settings (deploy/gunicorn.conf.py) load the way gunicorn reads them, and each
worker's heartbeat file is in memory: a disk busy writing (a backup, an export, CI's databases) must
not block the workers that touch it every second."""

import gc
import os
from pathlib import Path

import pytest
from gunicorn.app.base import Application
from gunicorn.workers.workertmp import WorkerTmp

CONF = Path(__file__).resolve().parent.parent / "deploy" / "gunicorn.conf.py"
MEMORY_FILESYSTEMS = {"tmpfs", "ramfs"}


class _SettingsOnly(Application):
    """gunicorn's own loading of a configuration file, without the command line or an application."""

    def load_config(self):
        self.load_config_from_file(str(CONF))

    def load(self):
        raise AssertionError("the settings alone are read here")


def settings(monkeypatch, **environment):
    for name in [name for name in os.environ if name.startswith("GUNICORN_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return _SettingsOnly().cfg


def filesystem_of(path):
    """The type of the filesystem holding path, from the longest mount point above it."""
    path = os.path.realpath(path)
    best, kind = "", None
    for line in Path("/proc/mounts").read_text().splitlines():
        _, mount_point, fstype = line.split()[:3]
        mount_point = mount_point.replace("\\040", " ")
        inside = path == mount_point or path.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) > len(best):
            best, kind = mount_point, fstype
    return kind


def test_the_production_settings_load(monkeypatch):
    cfg = settings(monkeypatch)
    assert cfg.worker_class_str == "gthread"
    assert cfg.wsgi_app == "prevent_protect.wsgi:application"
    # Renewed workers are forks of a master that imported everything (docs/PERFORMANCE.md, load drill).
    assert cfg.preload_app is True


def test_the_environment_changes_the_settings(monkeypatch):
    cfg = settings(monkeypatch, GUNICORN_WORKERS="3", GUNICORN_THREADS="4", GUNICORN_MAX_REQUESTS="5000")
    assert (cfg.workers, cfg.threads, cfg.max_requests) == (3, 4, 5000)
    assert cfg.max_requests_jitter == 500


def test_a_number_that_is_not_one_stops_gunicorn_at_start(monkeypatch, capsys):
    with pytest.raises(SystemExit):
        settings(monkeypatch, GUNICORN_WORKERS="five")
    assert "invalid literal for int()" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/proc/mounts").exists(), reason="needs Linux's /proc/mounts")
def test_the_worker_heartbeat_is_on_a_memory_filesystem(monkeypatch):
    cfg = settings(monkeypatch)
    heartbeat = WorkerTmp(cfg)  # the file a worker touches every second (gunicorn.workers.base)
    try:
        where = os.readlink(f"/proc/self/fd/{heartbeat.fileno()}").removesuffix(" (deleted)")
    finally:
        heartbeat.close()
    assert filesystem_of(where) in MEMORY_FILESYSTEMS, where


def test_the_filesystem_lookup_tells_disk_from_memory():
    # The check above means something only if the lookup can say "not memory".
    assert filesystem_of("/dev/shm") in MEMORY_FILESYSTEMS
    assert filesystem_of("/proc/self") == "proc"


def test_workers_are_forked_with_the_masters_objects_set_aside_from_the_collector(monkeypatch):
    # A full collection in a worker walks every object it inherited, with both threads stopped:
    # the public pages' 99th percentile (docs/PERFORMANCE.md, "Tail latency").
    cfg = settings(monkeypatch)
    gc.unfreeze()
    try:
        cfg.pre_fork(None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
