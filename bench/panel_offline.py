"""The installed panel on a phone (360 x 740, Chromium): what the first visit transfers, and how fast
the cached shell and form open without any network.

Run against a portal served as in production (bench/panel_offline.sh starts one):
    .venv/bin/python bench/panel_offline.py --url http://127.0.0.1:8765 --user coord-amazonas

First visit: the login page, then the new-activity form with everything it loads, and what the
service worker fetches to install, counted as bytes on the wire (compressed bodies and headers).
Offline: the form reloaded N times with the network cut, from the navigation's start to its load
event, beside the same page loaded online from the server (the baseline, in the same run).
"""

import argparse
import os
import statistics

# Playwright reports the service worker's own requests only with this switch.
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")

from playwright.sync_api import sync_playwright  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PHONE = {"viewport": {"width": 360, "height": 740}, "locale": "es-PE", "timezone_id": "America/Lima"}
LOAD_TIME = "performance.getEntriesByType('navigation')[0].loadEventEnd"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--user", default="coord-amazonas")
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "prevenir-2024"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    args = parser.parse_args()
    form = f"{args.url}/es/panel/activities/new/"
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE)
        transfers = []
        context.on("requestfinished", lambda request: transfers.append(wire_bytes(request)))
        page = context.new_page()
        page.goto(f"{args.url}/es/accounts/login/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", args.password)
        with page.expect_navigation():
            page.press("#id_password", "Enter")
        if "/panel/" not in page.url:
            raise SystemExit(f"could not log in as {args.user} (still at {page.url})")
        login_bytes = sum(size for _, size in transfers)
        transfers.clear()
        page.goto(form)
        page.evaluate("navigator.serviceWorker.ready")
        page.wait_for_timeout(1000)  # the worker's last page fetches
        panel = sum(size for _, size in transfers)
        print(f"first visit, login page: {login_bytes / 1024:.1f} KB on the wire")
        requests = len(transfers)
        print(f"first visit, form with the worker's install: {panel / 1024:.1f} KB on the wire, {requests} requests")
        for url, size in sorted(transfers, key=lambda pair: -pair[1])[:8]:
            print(f"    {size / 1024:7.1f} KB  {url.replace(args.url, '')}")
        print(f"first visit in all: {(login_bytes + panel) / 1024:.1f} KB (budget 300 KB)")

        page.reload()  # now controlled by the worker
        online = timed_loads(page, form, args.runs)
        context.set_offline(True)
        offline = timed_loads(page, form, args.runs)
        context.set_offline(False)
        print(f"form online (baseline, from the server): {summary(online)}")
        print(f"form offline (from the worker's cache):  {summary(offline)} (budget 1,000 ms)")
        browser.close()


def wire_bytes(request):
    sizes = request.sizes()
    return request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]


def timed_loads(page, url, runs):
    times = []
    for _ in range(runs):
        page.goto(url)
        times.append(page.evaluate(LOAD_TIME))
    return times


def summary(times):
    return f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms over {len(times)} loads"


if __name__ == "__main__":
    main()
