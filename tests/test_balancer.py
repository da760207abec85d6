"""deploy/balancer.py renders HAProxy's configuration for the web nodes: every node checked in both
backends (/healthz to take traffic, /livez as the fallback when no node is ready), the timeouts the
portal expects, and a clear refusal of anything HAProxy would misread or run wrongly. HAProxy
itself validates the text when it is installed (`make cluster-drill` runs it)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))

from balancer import BalancerError, WebNode, main, render  # noqa: E402

NODES = [WebNode("web1", "10.0.0.11"), WebNode("web2", "10.0.0.12", 8001)]


def backend(config, name):
    return config.split(f"\nbackend {name}\n", 1)[1].split("\nbackend ", 1)[0]


def test_every_node_is_listed_in_both_backends_with_checks():
    config = render(NODES, host="prevenir.example.gob.pe")
    for name in ("web_ready", "web_alive"):
        section = backend(config, name)
        assert "    server web1 10.0.0.11:8000\n" in section
        assert "    server web2 10.0.0.12:8001" in section
        assert re.search(r"default-server check inter 1000ms .*fall 2 rise 2 .*maxconn 10 ", section, re.M)


def test_ready_nodes_are_checked_on_healthz_and_live_ones_on_livez_with_the_portal_host():
    config = render(NODES, host="prevenir.example.gob.pe")
    assert "uri /healthz ver HTTP/1.1 hdr Host prevenir.example.gob.pe" in backend(config, "web_ready")
    assert "uri /livez ver HTTP/1.1 hdr Host prevenir.example.gob.pe" in backend(config, "web_alive")
    assert "use_backend web_ready if { nbsrv(web_ready) gt 0 }" in config
    assert "default_backend web_alive" in config


def test_timeouts_match_the_portal():
    config = render(NODES, host="portal.example", check_timeout_ms=1500)
    assert "timeout server 60s" in config
    assert "timeout connect 2s" in config
    assert "timeout check 1500ms" in config
    assert "timeout queue 15s" in config


def test_each_node_gets_at_most_what_it_serves_at_once():
    config = render(NODES, host="portal.example", node_maxconn=4)
    assert re.search(r"default-server check .* maxconn 4 ", backend(config, "web_ready"), re.M)


def test_a_node_refusing_connections_is_taken_out_without_waiting_for_its_check():
    config = render(NODES, host="portal.example")
    assert "observe layer4 error-limit 1 on-error mark-down" in backend(config, "web_ready")


def test_only_idempotent_requests_are_retried_on_another_node():
    config = render(NODES, host="portal.example")
    assert "retry-on conn-failure empty-response" in config
    assert "http-request disable-l7-retry unless METH_GET || METH_HEAD" in config


def test_the_forwarded_headers_are_set_not_appended():
    plain = render(NODES, host="portal.example")
    assert "http-request set-header X-Forwarded-For %[src]" in plain
    assert "set-header X-Forwarded-Proto http\n" in plain
    tls = render(NODES, host="portal.example", bind=":443", certificate="/etc/haproxy/portal.pem")
    assert "bind :443 ssl crt /etc/haproxy/portal.pem" in tls
    assert "set-header X-Forwarded-Proto https\n" in tls


def test_ipv6_nodes_are_bracketed():
    config = render([WebNode("web1", "fd00::11")], host="portal.example")
    assert "server web1 [fd00::11]:8000" in config


@pytest.mark.parametrize(
    ("nodes", "options", "message"),
    [
        ([], {}, "no web nodes"),
        ([WebNode("web1", "10.0.0.300")], {}, "neither an IP address nor a host name"),
        ([WebNode("web1", "10.0.0.11 backup")], {}, "neither an IP address nor a host name"),
        ([WebNode("web1", "10.0.0.11", 0)], {}, "port 0 is not from 1 to 65535"),
        ([WebNode("web1", "10.0.0.11", 70000)], {}, "port 70000"),
        ([WebNode("web1", "10.0.0.11", "8000")], {}, "port '8000'"),
        ([WebNode("Web 1", "10.0.0.11")], {}, "web node name 'Web 1'"),
        ([WebNode("web1", "10.0.0.11"), WebNode("web1", "10.0.0.12")], {}, "listed twice"),
        ([WebNode("web1", "10.0.0.11"), WebNode("web2", "10.0.0.11")], {}, "listed twice"),
        (NODES, {"host": "portal example"}, "host 'portal example'"),
        (NODES, {"bind": "80"}, "bind '80'"),
        (NODES, {"bind": "10.0.0.1:99999"}, "bind"),
        (NODES, {"ready_path": "/healthz ver"}, "ready_path"),
        (NODES, {"check_interval_ms": 0}, "check_interval_ms"),
        (NODES, {"certificate": "portal.pem"}, "absolute path"),
        (NODES, {"fall": 0}, "fall and rise"),
        (NODES, {"node_maxconn": 0}, "node_maxconn must be a whole number above 0"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(nodes, options, message):
    options = {"host": "portal.example", **options}
    with pytest.raises(BalancerError, match=re.escape(message)):
        render(nodes, **options)


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("web1=10.0.0.11:8001", WebNode("web1", "10.0.0.11", 8001)),
        ("web1=10.0.0.11", WebNode("web1", "10.0.0.11", 8000)),
        ("web1=[fd00::11]:8001", WebNode("web1", "fd00::11", 8001)),
        ("web1=web1.internal", WebNode("web1", "web1.internal", 8000)),
    ],
)
def test_nodes_are_read_from_the_command_line(text, node):
    assert WebNode.parse(text) == node


def test_the_command_line_refuses_a_node_without_an_address(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--host", "portal.example", "10.0.0.11:8000"])
    assert exit.value.code == 2
    assert "write a web node as NAME=ADDRESS[:PORT]" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy is not installed (apt-get install haproxy)")
def test_haproxy_accepts_the_rendered_configuration(tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(render(NODES, host="portal.example", stats_socket=str(tmp_path / "admin.sock")))
    checked = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Configuration file is valid" in checked.stdout
