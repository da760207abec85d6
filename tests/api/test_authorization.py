"""The Authorization header: the token as `Token <key>` or as `Bearer <key>` (what generated
clients send); any other scheme or a malformed header is refused with 401, never read as an
anonymous call (which would answer an empty list of drafts, or 404 for one's own draft)."""

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/activities/"


@pytest.fixture
def token(coord_amazonas):
    return Token.objects.create(user=coord_amazonas).key


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, status="draft", created_by=coord_amazonas)


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer", "BEARER", "token"])
def test_the_token_is_read_under_either_scheme(api, token, draft, scheme):
    api.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
    drafts = api.get(URL, {"status": "draft"})
    assert (drafts.status_code, drafts.json()["count"]) == (200, 1)
    assert api.get(f"{URL}{draft.pk}/").json()["status"] == "draft"


@pytest.mark.parametrize(
    "header",
    [
        "Basic Y29vcmQ6c2VjcmV0",
        "JWT {token}",
        "Bearer",
        "Token",
        "Bearer {token} extra",
        "{token}",
        "Bearer: {token}",
        "Bearer not-a-token",
        "Token 0000000000000000000000000000000000000000",
    ],
)
def test_any_other_authorization_is_refused_not_taken_as_anonymous(api, token, draft, header, assert_error):
    api.credentials(HTTP_AUTHORIZATION=header.format(token=token))
    for response in (api.get(URL, {"status": "draft"}), api.get(f"{URL}{draft.pk}/"), api.get("/api/v1/regions/")):
        assert_error(response, 401)
        assert response["WWW-Authenticate"] == "Token"


def test_the_unknown_scheme_is_named_in_the_refusal(api, draft, assert_error):
    api.credentials(HTTP_AUTHORIZATION="Basic Y29vcmQ6c2VjcmV0")
    error = assert_error(api.get(URL), 401, code="unsupported_authorization")
    assert "Bearer" in error["message"]


def test_a_header_that_is_not_text_is_refused(api, token, assert_error):
    api.credentials(HTTP_AUTHORIZATION=b"Bearer \xff\xfe".decode("latin-1"))
    assert_error(api.get(URL), 401)


def test_without_the_header_the_call_is_anonymous(api, draft):
    assert api.get(f"{URL}{draft.pk}/").status_code == 404


def test_a_revoked_bearer_token_is_refused(api, token, assert_error):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert_error(api.get(URL), 401)


def test_a_bearer_token_writes_as_its_owner(api, token, amazonas, coord_amazonas):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api.post(URL, {"region": amazonas.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["created_by"] == coord_amazonas.pk
