"""Liveness for load balancers and operators: can this process reach its services?"""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
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
