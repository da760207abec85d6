"""The portal as a cluster for `make cluster-drill`: PostgreSQL, Redis, an S3-compatible store
(moto's server; production uses a real S3-compatible service), two web nodes with gunicorn and
deploy/gunicorn.conf.py, two Celery worker nodes, one beat, and HAProxy rendered by
deploy/balancer.py, each in its own namespace (bench/cluster_nodes.py). Also the load (wrk) and
what the balancer saw: its per-request log and its view of each node, polled from its runtime API.
"""

import csv
import io
import os
import shutil
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path

from cluster_nodes import (
    BIN,
    BUCKET,
    HOST_ADDRESS,
    PORTAL_HOST,
    ROOT,
    SECRET,
    Network,
    PostgresNode,
    Process,
    address,
    port_open,
    run,
    wait_until,
)

sys.path.insert(0, str(ROOT / "deploy"))
import balancer  # noqa: E402

WEB_NODES = ("web1", "web2")
WORKER_NODES = ("worker1", "worker2")
LOAD_PATHS = (
    "/es/",
    "/es/estadisticas/",
    "/es/mapa/",
    "/en/",
    "/api/v1/activities/?page_size=50",
    "/api/v1/statistics/?by=region",
    "/api/v1/regions/geojson/",
    "/livez",
    "/healthz",
)
# A node whose path to PostgreSQL is cut must answer /healthz 503 in seconds, not hang on a socket
# that never hears back: libpq gives up connecting after connect_timeout, and on a connection whose
# sent data is not acknowledged after tcp_user_timeout (never while a query merely runs long).
# Small web nodes: the drill's whole cluster shares the machine's 2 cores.
GUNICORN_WORKERS, GUNICORN_THREADS = int(os.environ.get("CLUSTER_GUNICORN_WORKERS", "2")), 2
REDIS_PASSWORD = "drill-redis-not-secret"
DB_OPTIONS = os.environ.get("CLUSTER_DB_OPTIONS", "connect_timeout=2&tcp_user_timeout=3000")


class Cluster:
    def __init__(self, work, seed_dir):
        self.work = work
        self.seed_dir = seed_dir
        self.network = Network()
        self.postgres = PostgresNode(work, seed_dir / "pgdata")
        self.processes = {}
        self.release = ROOT
        self.static_root = seed_dir / "static"
        (work / "tmp").mkdir(parents=True, exist_ok=True)

    # --- environment ---------------------------------------------------------------------------

    def env(self, **extra):
        db = self.postgres.url() + (f"?{DB_OPTIONS}" if DB_OPTIONS else "")
        env = {
            "PATH": f"{BIN}:{os.environ['PATH']}",
            "LANG": "C.UTF-8",
            "HOME": str(self.work),
            "TMPDIR": str(self.work / "tmp"),
            "DJANGO_SETTINGS_MODULE": "prevent_protect.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": SECRET,
            # Plain HTTP on the drill's private network; production ends TLS at the balancer.
            "DJANGO_HTTPS": "0",
            "DJANGO_BEHIND_PROXY": "1",
            "DJANGO_ALLOWED_HOSTS": f"{PORTAL_HOST},{address('balancer')}",
            "SITE_URL": f"http://{PORTAL_HOST}",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": db,
            "REDIS_URL": f"redis://:{REDIS_PASSWORD}@{address('redis')}:6379/0",
            "MEDIA_S3_BUCKET": BUCKET,
            "MEDIA_S3_ENDPOINT_URL": f"http://{address('s3')}:9000",
            "MEDIA_S3_REGION": "us-east-1",
            "MEDIA_S3_ACCESS_KEY_ID": "drill",
            "MEDIA_S3_SECRET_ACCESS_KEY": "drill-secret",
            "STATIC_ROOT": str(self.static_root),
            # Every request comes from one address: the drill measures the nodes, not the throttle.
            "API_ANON_RATE": "1000000/minute",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        env.update(extra)
        return env

    def manage(self, *argv, cwd=None, **env):
        return run(BIN / "python", "manage.py", *argv, cwd=cwd or self.release, env=self.env(**env))

    # --- bringing it up ------------------------------------------------------------------------

    def start(self, log=print):
        self.network.create()
        self.postgres.start()
        log(f"PostgreSQL on {address('postgres')} (a copy of the seeded cluster)")
        self.manage("migrate", "--noinput", "--verbosity", "0")
        self._start(
            "redis",
            "redis",
            # As docs/OPERATIONS.md has it: a private address and a password, no persistence.
            ["redis-server", "--bind", address("redis"), "--port", "6379", "--requirepass", REDIS_PASSWORD]
            + ["--save", "", "--appendonly", "no"],
            env={"PATH": os.environ["PATH"]},
        )
        wait_until("Redis", lambda: port_open(address("redis"), 6379), 30)
        self._start("s3", "s3", [BIN / "moto_server", "-H", address("s3"), "-p", "9000"])
        wait_until("the S3 server", lambda: port_open(address("s3"), 9000), 60)
        self.s3().create_bucket(Bucket=BUCKET)
        log(f"Redis on {address('redis')}, S3 (moto) on {address('s3')} with bucket {BUCKET}")
        self.collectstatic()
        for node in WEB_NODES:
            self.start_web(node)
        for node in WORKER_NODES:
            self.start_worker(node)
        self._start("beat", "beat", self._celery("beat", "--schedule", self.work / "beat-schedule"))
        for node in WEB_NODES:
            self.wait_web(node)
        self.start_balancer()
        log(
            f"web nodes {', '.join(f'{n} {address(n)}' for n in WEB_NODES)}; workers"
            f" {', '.join(f'{n} {address(n)}' for n in WORKER_NODES)}; beat {address('beat')};"
            f" HAProxy {address('balancer')}:80"
        )

    def collectstatic(self):
        """Collected once for each state of static/: compressing every file takes a minute of CPU."""
        stamp = self.static_root / ".drill-source"
        source = "\n".join(f"{p}:{p.stat().st_mtime_ns}" for p in sorted((ROOT / "static").rglob("*")))
        if stamp.exists() and stamp.read_text() == source:
            return
        self.manage("collectstatic", "--noinput", "--verbosity", "0")
        stamp.write_text(source)

    def _start(self, key, node, argv, env=None, cwd=None):
        self.processes[key] = Process(node, argv, self.work / f"{key}.log", env or self.env(), cwd or ROOT).start()
        return self.processes[key]

    def _celery(self, *argv):
        return [BIN / "celery", "-A", "prevent_protect", *argv, "--loglevel", "INFO"]

    def start_web(self, node, release=None, static_root=None):
        release = release or self.release
        env = self.env(
            GUNICORN_BIND=f"{address(node)}:8000",
            GUNICORN_FORWARDED_ALLOW_IPS=address("balancer"),
            GUNICORN_WORKERS=str(GUNICORN_WORKERS),
            GUNICORN_THREADS=str(GUNICORN_THREADS),
            STATIC_ROOT=str(static_root or self.static_root),
        )
        argv = [BIN / "gunicorn", "-c", "deploy/gunicorn.conf.py"]
        return self._start(node, node, argv, env=env, cwd=release)

    def wait_web(self, node, seconds=90):
        wait_until(f"{node} /healthz", lambda: self.node_status(node, "/healthz") == 200, seconds)

    def start_worker(self, node):
        argv = self._celery("worker", "--concurrency", "1", "-n", f"{node}@%h", "--without-mingle", "--without-gossip")
        return self._start(node, node, argv)

    def start_balancer(self):
        config = balancer.render(
            [balancer.WebNode(n, address(n), 8000) for n in WEB_NODES],
            host=PORTAL_HOST,
            bind=f"{address('balancer')}:80",
            stats_socket=str(self.work / "haproxy.sock"),
            log_target="stdout format raw local0",
            node_maxconn=GUNICORN_WORKERS * GUNICORN_THREADS,
        )
        path = self.work / "haproxy.cfg"
        path.write_text(config)
        run("haproxy", "-c", "-q", "-f", path)
        self._start("balancer", "balancer", ["haproxy", "-db", "-f", path], env={"PATH": os.environ["PATH"]})
        wait_until("HAProxy", lambda: all(self.balancer_state("web_ready", n) == "UP" for n in WEB_NODES), 30)

    def balancer_state(self, backend, node):
        try:
            return self.balancer_stats().get((backend, node), ("?", 0))[0]
        except OSError:  # not listening yet
            return "?"

    def stop(self):
        for process in reversed(list(self.processes.values())):
            if process.alive():
                process.kill()
        self.postgres.stop()
        self.network.remove()

    # --- looking at it -------------------------------------------------------------------------

    def s3(self):
        import boto3

        env = self.env()
        return boto3.client(
            "s3",
            endpoint_url=env["MEDIA_S3_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="drill",
            aws_secret_access_key="drill-secret",
        )

    def node_status(self, node, path):
        """The status a web node itself answers on path (0: no answer within 3 s)."""
        request = urllib.request.Request(f"http://{address(node)}:8000{path}", headers={"Host": PORTAL_HOST})
        try:
            with urllib.request.urlopen(request, timeout=3) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def haproxy(self, command):
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.work / "haproxy.sock"))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def balancer_stats(self):
        """{(backend, node): (state, requests on it)}, state UP, DOWN, DRAIN or MAINT."""
        text = self.haproxy("show stat").lstrip("# ")
        stats = {}
        for row in csv.DictReader(io.StringIO(text)):
            if row["svname"] in WEB_NODES:
                # "UP 1/2" is a node still up after one failed check; "DOWN 1/2" one still down.
                # Requests on the node: being served, and waiting for one of its slots.
                sessions = int(row["scur"] or 0) + int(row["qcur"] or 0)
                stats[(row["pxname"], row["svname"])] = (row["status"].split(" ")[0], sessions)
        return stats

    def set_node_state(self, node, state):
        for backend in ("web_ready", "web_alive"):
            self.haproxy(f"set server {backend}/{node} state {state}")


class BalancerWatch(threading.Thread):
    """Polls the balancer's view of every node every 0.1 s and keeps each change, with its time."""

    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.cluster, self.changes, self.halt = cluster, [], threading.Event()

    def run(self):
        last = {}
        while not self.halt.is_set():
            try:
                stats = self.cluster.balancer_stats()
            except OSError:
                stats = {}
            now = time.time()
            for key, (state, _) in stats.items():
                if last.get(key) != state:
                    if key in last:
                        self.changes.append((now, key[0], key[1], last[key], state))
                    last[key] = state
            time.sleep(0.1)

    def stop(self):
        self.halt.set()
        self.join()

    def first(self, backend, node, state, after=0.0):
        return next(
            (t for t, b, n, _, s in self.changes if b == backend and n == node and s == state and t >= after), None
        )


def balancer_requests(log_path):
    """The balancer's request log as (accepted at, backend, node, status, flags, ms, method, path)."""
    requests = []
    for line in Path(log_path).read_text(errors="replace").splitlines():
        parts = line.split(" ")
        if len(parts) != 8 or not parts[3].lstrip("-").isdigit():
            continue
        try:
            accepted = float(parts[0])
        except ValueError:
            continue
        requests.append((accepted, parts[1], parts[2], int(parts[3]), parts[4], int(parts[5]), parts[6], parts[7]))
    return requests


def failed(request):
    """A request the visitor did not get an answer to: a 5xx, or no answer at all. Requests the
    load generator itself gave up on when it stopped (flags C...) are not the portal's failures."""
    status, flags = request[3], request[4]
    return status >= 500 or (status == -1 and not flags.startswith("C"))


class Load:
    """wrk from the machine (10.77.0.1) to the balancer, the public pages and API in turn."""

    def __init__(self, work, seconds, connections=64, timeout="5s"):
        self.work, self.seconds, self.connections, self.timeout = work, seconds, connections, timeout
        self.output = work / "wrk.out"
        script = work / "mix.lua"
        paths = ",\n".join(f'  "{p}"' for p in LOAD_PATHS)
        script.write_text(
            f"local paths = {{\n{paths}\n}}\nlocal n = 0\n"
            "request = function()\n  n = n + 1\n  return wrk.format('GET', paths[n % #paths + 1])\nend\n"
        )
        self.argv = [
            "wrk",
            "--threads",
            "2",
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            "--timeout",
            timeout,
            "--script",
            str(script),
            f"http://{address('balancer')}/",
        ]
        self.popen = None

    def start(self):
        import subprocess

        # Every URL once before the load, as a visited portal has them: cached pages are then
        # served from the cache, and the first seconds do not measure 64 connections on a cold one.
        for path in LOAD_PATHS:
            request = urllib.request.Request(f"http://{address('balancer')}{path}")
            wait_until(f"{path} through the balancer", lambda r=request: _answers(r), 120, every=0.5)
        with open(self.output, "w") as out:
            self.popen = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)
        return time.time()

    def wait(self):
        self.popen.wait(self.seconds + 60)
        return wrk_counts(self.output.read_text())

    def describe(self):
        return f"wrk: {self.connections} connections, {self.seconds} s, timeout {self.timeout}, from {HOST_ADDRESS}"


def _answers(request):
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 200
    except OSError:
        return False


def wrk_counts(text):
    """{"requests", "non_2xx_3xx", "socket_errors"} from wrk's summary."""
    counts = {"requests": 0, "non_2xx_3xx": 0, "socket_errors": 0}
    for line in text.splitlines():
        words = line.replace(",", "").split()
        if " requests in " in line:
            counts["requests"] = int(words[0])
        elif line.strip().startswith("Non-2xx or 3xx responses"):
            counts["non_2xx_3xx"] = int(words[-1])
        elif line.strip().startswith("Socket errors"):
            counts["socket_errors"] = sum(int(w) for w in words if w.isdigit())
    return counts


def copy_release(destination):
    """A new release of the portal: the checkout's files, as a deploy would unpack them."""
    ignore = shutil.ignore_patterns(".venv", "node_modules", ".git", "media", "staticfiles", "__pycache__", "*.sqlite3")
    shutil.copytree(ROOT, destination, ignore=ignore, symlinks=True)
    return destination
