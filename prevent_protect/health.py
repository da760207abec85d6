"""Health for load balancers and operators.

/livez: the process answers (no database or broker work), for a load balancer that should not take
every node out at once when the shared database is down. /healthz: can this process reach its
services? 503 naming what is down.
"""

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker():
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database}
    if settings.REDIS_URL:
        checks["broker"] = _broker
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure to answer is "down", whatever raised it
            results[name] = f"down: {exc.__class__.__name__}"
    if "broker" not in results:
        results["broker"] = "not configured (tasks run eagerly)"
    healthy = all(v == "ok" or v.startswith("not configured") for v in results.values())
    return JsonResponse({"status": "ok" if healthy else "down", **results}, status=200 if healthy else 503)


@never_cache
@require_GET
def livez(request):
    return HttpResponse("ok", content_type="text/plain")
