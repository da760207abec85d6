"""The pieces of `make cluster-drill` that decide pass or fail without a cluster: what counts as a
failed request in the balancer's log, and what wrk says it saw. (The drill itself needs root and
minutes: it is run by hand, not by `make test`.)"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from cluster_portal import balancer_requests, failed, wrk_counts  # noqa: E402

LOG = """\
1796589499.138 web_ready web1 200 ---- 12 GET /es/
1796589499.147 web_ready web1 503 SC-- 170 GET /livez
1796589499.150 web_ready web2 -1 SH-- 3 GET /api/v1/statistics/
1796589529.990 web_ready web2 -1 CD-- 40 GET /es/mapa/
1796589530.001 web_alive <NOSRV> 503 SC-- 0 GET /en/
[WARNING]  (26033) : Server web_ready/web1 is DOWN, reason: Layer4 connection problem
Server web_ready/web1 is UP, reason: Layer7 check passed, code: 200, check duration: 8ms.
"""

WRK = """\
Running 30s test @ http://10.77.0.10/
  2 threads and 64 connections
  15905 requests in 30.10s, 310.11MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:    528.41
"""


def test_the_balancer_log_is_read_request_by_request_and_its_notices_skipped(tmp_path):
    log = tmp_path / "balancer.log"
    log.write_text(LOG)
    requests = balancer_requests(log)
    assert len(requests) == 5
    assert requests[0] == (1796589499.138, "web_ready", "web1", 200, "----", 12, "GET", "/es/")


def test_a_5xx_or_a_node_that_closed_without_answering_is_a_failure(tmp_path):
    log = tmp_path / "balancer.log"
    log.write_text(LOG)
    verdicts = [failed(request) for request in balancer_requests(log)]
    # 200 ok; 503 from a refused node; -1 SH (node closed); -1 CD (wrk stopping: not the portal's); 503 no node.
    assert verdicts == [False, True, True, False, True]


def test_wrk_counts_requests_non_2xx_and_every_socket_error():
    assert wrk_counts(WRK) == {"requests": 15905, "non_2xx_3xx": 7, "socket_errors": 5}


def test_a_clean_wrk_run_counts_no_error():
    clean = "\n".join(line for line in WRK.splitlines() if "errors" not in line and "Non-2xx" not in line)
    assert wrk_counts(clean) == {"requests": 15905, "non_2xx_3xx": 0, "socket_errors": 0}
