"""What every API test shares: a client, throttles out of the way, and a check of the error shape."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

UNTHROTTLED = {"anon": "100000/minute", "token": "100000/minute"}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture(params=["anonymous", "coord_amazonas", "coord_puno", "staff"])
def caller(request, api, db):
    """The same request from each persona: the tests assert what each one gets."""
    if request.param != "anonymous":
        api.force_authenticate(request.getfixturevalue(request.param))
    return api


@pytest.fixture
def as_staff(api, staff):
    api.force_authenticate(staff)
    return api


@pytest.fixture
def throttle_rates(settings, monkeypatch):
    """Sets the throttle rates, e.g. `throttle_rates(token="10/minute")`.

    DRF copies the rates onto SimpleRateThrottle when it is imported, so changing the
    setting alone does not reach the throttles: both are set.
    """

    def set_rates(**rates):
        merged = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": merged}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", merged)

    return set_rates


@pytest.fixture(autouse=True)
def _unthrottled(throttle_rates):
    # Throttles count in the cache, which outlives a test: each test starts from zero calls.
    # A throttle test sets its own rate with `throttle_rates`, after this one.
    cache.clear()
    throttle_rates(**UNTHROTTLED)
    yield
    cache.clear()


def check_error(response, status, code=None, field=None):
    """Asserts the documented shape {"error": {"status", "code", "message", "fields"?}}; returns the error."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) <= {"status", "code", "message", "fields"}
    assert error["status"] == status
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in error.get("fields", {}), error
        assert all(isinstance(message, str) for message in error["fields"][field])
    return error


@pytest.fixture
def assert_error():
    """`assert_error(response, status, code=None, field=None)`: see check_error."""
    return check_error
