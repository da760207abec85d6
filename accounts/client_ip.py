"""The address of the person at the other end, for the login lockout and the API throttles.

Behind nginx (DJANGO_BEHIND_PROXY=1) every connection comes from the proxy, so the lockout would
count every visitor's failures together and anyone could lock a coordinator out. nginx sets
X-Forwarded-For to the address it was connected from (deploy/nginx), so the last entry is the
client's. Without a proxy the header is whatever the client claims and is ignored.
"""

from django.conf import settings


def client_ip(request):
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")
