"""The nodes of `make cluster-drill`, each in its own Linux network namespace on one machine.

A private bridge (10.77.0.0/24 by default, no route out, no forwarding) joins the namespaces; the machine itself
is 10.77.0.1 on it, for the load generator and the drill's own look-ups. Every process runs in its
node's namespace in a session of its own, so that a node can be killed whole (SIGKILL to the
session) or cut off (rules in its namespace) without touching the others. Needs root.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
# CLUSTER_NET_ID=N gives a second drill on the same machine its own bridge, names and 10.77.N.0/24.
NET_ID = int(os.environ.get("CLUSTER_NET_ID", "0"))
SUBNET = f"10.77.{NET_ID}"
BRIDGE = f"ppdrill{NET_ID}"
NS_PREFIX, CABLE_PREFIX = f"ppd{NET_ID}-", f"ppv{NET_ID}-"
HOST_ADDRESS = f"{SUBNET}.1"
PORTAL_HOST = "portal.drill"
BUCKET = "portal-media"
SECRET = "cluster-drill-not-secret"

# Node name -> last byte of its address.
ADDRESSES = {
    "balancer": 10,
    "web1": 11,
    "web2": 12,
    "worker1": 21,
    "worker2": 22,
    "beat": 23,
    "postgres": 31,
    "redis": 32,
    "s3": 33,
}


def address(node):
    return f"{SUBNET}.{ADDRESSES[node]}"


def run(*argv, check=True, **kwargs):
    return subprocess.run([str(a) for a in argv], check=check, capture_output=True, text=True, **kwargs)


def in_ns(node, *argv):
    return ["ip", "netns", "exec", namespace(node), *map(str, argv)]


def namespace(node):
    return f"{NS_PREFIX}{node}"


def wait_until(what, predicate, seconds, every=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise TimeoutError(f"{what}: not within {seconds} s")


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Network:
    """The bridge and one namespace per node; removed whole by `remove`."""

    nodes: list = field(default_factory=list)

    def create(self):
        self.remove()  # what a run killed before its teardown may have left
        run("ip", "link", "add", BRIDGE, "type", "bridge")
        run("ip", "addr", "add", f"{HOST_ADDRESS}/24", "dev", BRIDGE)
        run("ip", "link", "set", BRIDGE, "up")
        for node in ADDRESSES:
            self._add(node)

    def _add(self, node):
        ns, outside = namespace(node), f"{CABLE_PREFIX}{node}"[:15]
        run("ip", "netns", "add", ns)
        self.nodes.append(node)
        run("ip", "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", ns)
        run("ip", "link", "set", outside, "master", BRIDGE, "up")
        # No default route: nothing a node sends can leave the bridge.
        for argv in (
            ["ip", "addr", "add", f"{address(node)}/24", "dev", "eth0"],
            ["ip", "link", "set", "eth0", "up"],
            ["ip", "link", "set", "lo", "up"],
        ):
            run(*in_ns(node, *argv))

    def unplug(self, node):
        """The node's cable pulled: nothing it sends arrives, not even a TCP reset."""
        run(*in_ns(node, "ip", "link", "set", "eth0", "down"))

    def cut(self, node, peer):
        """Drop every packet between node and peer, in node's namespace (a broken route)."""
        for chain, way in (("OUTPUT", "-d"), ("INPUT", "-s")):
            run(*in_ns(node, "iptables", "-A", chain, way, address(peer), "-j", "DROP"))

    def mend(self, node):
        for chain in ("OUTPUT", "INPUT"):
            run(*in_ns(node, "iptables", "-F", chain))

    def remove(self):
        for ns in run("ip", "netns", "list").stdout.split("\n"):
            name = ns.split(" ")[0]
            if name.startswith(NS_PREFIX):
                _kill_namespace(name)
                run("ip", "netns", "del", name, check=False)
        run("ip", "link", "del", BRIDGE, check=False)
        # A deleted namespace is freed by the kernel a moment later, and its cables with it; until
        # then the next run could not create cables of the same names.
        wait_until("the previous run's cables removed", lambda: not _cables(), 60, every=0.5)
        self.nodes = []


def _cables():
    names = [line.split(":")[1].strip().split("@")[0] for line in run("ip", "-o", "link").stdout.splitlines()]
    left = [name for name in names if name.startswith(CABLE_PREFIX)]
    for name in left:
        run("ip", "link", "del", name, check=False)
    return left


def _kill_namespace(ns):
    pids = run("ip", "netns", "pids", ns, check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


@dataclass
class Process:
    """A program running in a node's namespace, in a session of its own, logging to a file."""

    node: str
    argv: list
    log: Path
    env: dict
    cwd: Path = ROOT
    popen: subprocess.Popen = None

    def start(self):
        with open(self.log, "ab") as log:
            self.popen = subprocess.Popen(
                in_ns(self.node, *self.argv),
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum):
        if self.alive():
            os.killpg(self.popen.pid, signum)

    def kill(self):
        """SIGKILL to every process of the session, as a crash or a lost machine would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self, seconds=45):
        """SIGTERM to the program (gunicorn and Celery finish what they are doing), then SIGKILL."""
        if not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(seconds)
        except subprocess.TimeoutExpired:
            self.kill()


def _trust_subnet(data):
    with open(data / "pg_hba.conf", "a") as hba:
        hba.write(f"host all all {SUBNET}.0/24 trust\n")


class PostgresNode:
    """A private PostgreSQL cluster, copied from a seeded one kept between runs."""

    def __init__(self, work, seed_dir):
        self.data = work / "pgdata"
        self.seed_dir = seed_dir
        self.bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
        self.process = None
        self.log = work / "postgres.log"

    def url(self, database="portal"):
        return f"postgres://postgres@{address('postgres')}:5432/{database}"

    def initdb(self, data):
        data.mkdir(parents=True)
        shutil.chown(data, "postgres", "postgres")
        run("runuser", "-u", "postgres", "--", self.bin / "initdb", "-D", data, "--auth=trust", "-U", "postgres")
        _trust_subnet(data)

    def start(self, data=None):
        data = data or self.data
        if data == self.data:
            run("cp", "-a", self.seed_dir, self.data)
            _trust_subnet(self.data)
        self.process = Process(
            "postgres",
            ["runuser", "-u", "postgres", "--", self.bin / "postgres", "-D", data, *self.settings()],
            self.log,
            {"PATH": os.environ["PATH"], "LANG": "C.UTF-8"},
        ).start()
        wait_until("PostgreSQL", lambda: port_open(address("postgres"), 5432), 60)

    @staticmethod
    def settings():
        # A lost machine never closes its connections: keepalives (idle ones) and the user timeout
        # (one blocked sending a result) end them, and with them the advisory lock of the report
        # its worker was running, so that the sweep sees that worker as gone.
        values = {
            "listen_addresses": address("postgres"),
            "unix_socket_directories": "",  # TCP only: no clash with the machine's own sockets
            "port": 5432,
            "max_connections": 100,
            "shared_buffers": "256MB",
            "fsync": "off",
            "tcp_keepalives_idle": 10,
            "tcp_keepalives_interval": 5,
            "tcp_keepalives_count": 3,
            "tcp_user_timeout": 20000,
        }
        return [arg for key, value in values.items() for arg in ("-c", f"{key}={value}")]

    def sql(self, query, database="portal"):
        return run(
            "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", self.url(database), "-c", query
        ).stdout.strip()

    def stop(self):
        if self.process:
            self.process.signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
