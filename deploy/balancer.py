#!/usr/bin/env python3
"""The HAProxy configuration for the portal's web nodes, rendered from deploy/haproxy.cfg.template.

    python3 deploy/balancer.py --bind :443 --certificate /etc/haproxy/portal.pem \\
        --host prevenir.example.gob.pe web1=10.0.0.11:8000 web2=10.0.0.12:8000 > /etc/haproxy/haproxy.cfg
    haproxy -c -f /etc/haproxy/haproxy.cfg

Every node is listed twice: in `web_ready`, checked on /healthz (the node reaches PostgreSQL and
Redis), and in `web_alive`, checked on /livez (its process answers). Traffic goes to the ready
nodes; only when none is ready does it go to the live ones (docs/OPERATIONS.md). Standard library
only, so that it runs on a balancer without the portal's virtualenv.
"""

import argparse
import ipaddress
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).with_name("haproxy.cfg.template")
NODE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# A DNS name (RFC 1123 labels) or an IP address; nothing that could carry HAProxy syntax.
HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*", re.I)
PATH = re.compile(r"/[A-Za-z0-9._~/-]*")


class BalancerError(ValueError):
    """The configuration asked for cannot be rendered; the message says what to change."""


@dataclass(frozen=True)
class WebNode:
    """One web node: gunicorn listening on address:port (GUNICORN_BIND on that node)."""

    name: str
    address: str
    port: int = 8000

    @classmethod
    def parse(cls, text):
        """`web1=10.0.0.11:8000` (the port defaults to 8000)."""
        name, sep, where = text.partition("=")
        if not sep:
            raise BalancerError(f"{text!r}: write a web node as NAME=ADDRESS[:PORT], e.g. web1=10.0.0.11:8000")
        address, port = where, "8000"
        if where.startswith("["):  # [IPv6]:port
            address, _, rest = where[1:].partition("]")
            port = rest.removeprefix(":") or port
        elif where.count(":") == 1:
            address, port = where.split(":")
        if not port.isdigit():
            raise BalancerError(f"{text!r}: the port must be a number from 1 to 65535")
        return cls(name, address, int(port))

    def endpoint(self):
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"


def _check_node(node):
    if not NODE_NAME.fullmatch(node.name):
        raise BalancerError(
            f"web node name {node.name!r}: use 1-32 lower-case letters, digits, - or _, starting with a letter"
        )
    if not _is_address(node.address):
        raise BalancerError(f"web node {node.name}: {node.address!r} is neither an IP address nor a host name")
    if isinstance(node.port, bool) or not isinstance(node.port, int) or not 1 <= node.port <= 65535:
        raise BalancerError(f"web node {node.name}: port {node.port!r} is not from 1 to 65535")


def _is_address(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        # All digits and dots is a mistyped IPv4 address, not a host name.
        return bool(HOSTNAME.fullmatch(text)) and not re.fullmatch(r"[0-9.]+", text)
    return True


def _check_bind(bind):
    address, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise BalancerError(f"bind {bind!r}: write ADDRESS:PORT or :PORT, e.g. :443 or 10.0.0.10:80")
    if address and not _is_address(address.strip("[]")):
        raise BalancerError(f"bind {bind!r}: {address!r} is not an IP address or host name")


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise BalancerError(f"{name} must be a whole number above 0, not {value!r}")
    return value


def _positive_ms(name, value):
    return _positive(f"{name} (milliseconds)", value)


def render(
    nodes,
    *,
    host,
    bind=":80",
    certificate=None,
    stats_socket="/run/haproxy/admin.sock",
    log_target="/dev/log local0",
    check_interval_ms=1000,
    check_timeout_ms=2000,
    fall=2,
    rise=2,
    slowstart_ms=5000,
    node_maxconn=10,
    ready_path="/healthz",
    alive_path="/livez",
):
    """The configuration text for these web nodes; raises BalancerError on anything it would not
    run with. `host` is the portal's name (the checks send it: Django refuses other hosts).
    `node_maxconn` is what one node serves at once: GUNICORN_WORKERS × GUNICORN_THREADS (10 with
    deploy/gunicorn.conf.py's defaults on 2 cores)."""
    nodes = list(nodes)
    if not nodes:
        raise BalancerError("no web nodes: list at least one, e.g. web1=10.0.0.11:8000")
    for node in nodes:
        _check_node(node)
    for seen in ({n.name for n in nodes}, {n.endpoint() for n in nodes}):
        if len(seen) != len(nodes):
            raise BalancerError("every web node needs its own name and its own address:port; one is listed twice")
    if not HOSTNAME.fullmatch(host or ""):
        raise BalancerError(f"host {host!r}: the portal's host name, e.g. prevenir.example.gob.pe")
    _check_bind(bind)
    for name, path in (("ready_path", ready_path), ("alive_path", alive_path)):
        if not PATH.fullmatch(path):
            raise BalancerError(f"{name} {path!r}: a plain path such as /healthz")
    if certificate is not None and (not certificate.startswith("/") or any(c.isspace() for c in certificate)):
        raise BalancerError(f"certificate {certificate!r}: an absolute path without spaces")
    if fall < 1 or rise < 1:
        raise BalancerError("fall and rise must be at least 1")
    interval = _positive_ms("check_interval_ms", check_interval_ms)
    # Once a check has failed (or passed while down), the next ones come 4 times faster, so that
    # a dead node is out after about interval + (fall - 1) × interval / 4.
    options = (
        f"check inter {interval}ms fastinter {max(interval // 4, 100)}ms downinter {max(interval // 2, 100)}ms"
        f" fall {fall} rise {rise} slowstart {_positive_ms('slowstart_ms', slowstart_ms)}ms"
        f" maxconn {_positive('node_maxconn', node_maxconn)}"
        # A node that refuses connections frees its slots at once and would draw every request
        # (and every retry) until the next check: out at the first refused connection instead.
        " observe layer4 error-limit 1 on-error mark-down"
    )

    def servers():
        return "\n".join(f"    server {n.name} {n.endpoint()}" for n in nodes)

    if certificate:
        bind_line = f"{bind} ssl crt {certificate} alpn h2,http/1.1"
        proto = "http-request set-header X-Forwarded-Proto https"
    else:
        bind_line = bind
        # Plain HTTP here: TLS ends in front of this balancer, or this is a drill on a private network.
        proto = "http-request set-header X-Forwarded-Proto http"
    return Template(TEMPLATE.read_text()).substitute(
        log_target=log_target,
        stats_socket=stats_socket,
        check_timeout_ms=f"{_positive_ms('check_timeout_ms', check_timeout_ms)}ms",
        bind=bind_line,
        forwarded_proto=proto,
        host=host,
        ready_path=ready_path,
        alive_path=alive_path,
        server_options=options,
        ready_servers=servers(),
        alive_servers=servers(),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("nodes", nargs="+", metavar="NAME=ADDRESS[:PORT]", help="the web nodes")
    parser.add_argument("--host", required=True, help="the portal's host name")
    parser.add_argument("--bind", default=":80")
    parser.add_argument("--certificate", help="PEM with certificate and key: TLS ends here")
    parser.add_argument("--stats-socket", default="/run/haproxy/admin.sock")
    parser.add_argument("--log", default="/dev/log local0", dest="log_target")
    parser.add_argument("--check-interval-ms", type=int, default=1000)
    parser.add_argument("--node-maxconn", type=int, default=10, help="GUNICORN_WORKERS × GUNICORN_THREADS")
    args = parser.parse_args(argv)
    try:
        nodes = [WebNode.parse(text) for text in args.nodes]
        options = {k: v for k, v in vars(args).items() if k != "nodes"}
        sys.stdout.write(render(nodes, **options))
    except BalancerError as error:
        parser.error(str(error))


if __name__ == "__main__":
    main()
