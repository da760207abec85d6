"""/api/v1/institutions/ and /api/v1/support-networks/: partner organisations, read by everyone
(they are organisations, not people), maintained by ministry staff; filtered by region; a partner
named in activities is not deleted from under them."""

import datetime

import pytest

from activities.models import Institution, SupportNetwork
from tests.factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

INSTITUTIONS = "/api/v1/institutions/"
NETWORKS = "/api/v1/support-networks/"


def as_user(api, user):
    if user is not None:
        api.force_login(user)
    return api


def persona_user(persona, request):
    return None if persona == "anonymous" else request.getfixturevalue(persona)


def rows(model):
    return list(model.objects.order_by("pk").values())


@pytest.fixture
def partners(amazonas, puno):
    return {
        "hospital": InstitutionFactory(
            name="Hospital Regional", sector="public", region=amazonas, actuemos_ya_since=datetime.date(2024, 7, 1)
        ),
        "school": InstitutionFactory(name="Colegio Privado Andino", sector="private", region=puno),
        "network": SupportNetworkFactory(name="Red de Bagua", region=amazonas, leaders=14),
        "puno_network": SupportNetworkFactory(name="Red de Juliaca", region=puno, leaders=7),
    }


def names(response):
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


class TestReading:
    @pytest.mark.parametrize("persona", ["anonymous", "coord_puno", "staff"])
    def test_everyone_reads_the_institutions(self, api, partners, amazonas, persona, request):
        response = as_user(api, persona_user(persona, request)).get(INSTITUTIONS)
        assert names(response) == ["Colegio Privado Andino", "Hospital Regional"]
        assert response.json()["results"][1] == {
            "id": partners["hospital"].pk,
            "name": "Hospital Regional",
            "sector": "public",
            "region": amazonas.pk,
            "actuemos_ya_since": "2024-07-01",
        }

    @pytest.mark.parametrize("persona", ["anonymous", "coord_puno", "staff"])
    def test_everyone_reads_the_support_networks(self, api, partners, amazonas, persona, request):
        response = as_user(api, persona_user(persona, request)).get(NETWORKS)
        assert names(response) == ["Red de Bagua", "Red de Juliaca"]
        assert response.json()["results"][0] == {
            "id": partners["network"].pk,
            "name": "Red de Bagua",
            "region": amazonas.pk,
            "formed_on": None,
            "leaders": 14,
        }

    def test_one_partner(self, api, partners):
        assert api.get(f"{INSTITUTIONS}{partners['school'].pk}/").json()["sector"] == "private"
        assert api.get(f"{NETWORKS}{partners['network'].pk}/").json()["leaders"] == 14

    @pytest.mark.parametrize("region", ["puno", "pk"])
    def test_filtered_by_region_id_or_slug(self, api, partners, puno, region):
        value = puno.pk if region == "pk" else "puno"
        assert names(api.get(INSTITUTIONS, {"region": value})) == ["Colegio Privado Andino"]
        assert names(api.get(NETWORKS, {"region": value})) == ["Red de Juliaca"]

    def test_institutions_filtered_by_sector_and_searched_by_name(self, api, partners):
        assert names(api.get(INSTITUTIONS, {"sector": "public"})) == ["Hospital Regional"]
        assert names(api.get(INSTITUTIONS, {"search": "andino"})) == ["Colegio Privado Andino"]
        assert names(api.get(NETWORKS, {"ordering": "-name"})) == ["Red de Juliaca", "Red de Bagua"]

    @pytest.mark.parametrize(
        ("url", "param", "value"),
        [
            (INSTITUTIONS, "region", "99999"),
            (INSTITUTIONS, "region", "atlantis"),
            (INSTITUTIONS, "sector", "military"),
            (INSTITUTIONS, "ordering", "region__inei_code"),
            (NETWORKS, "region", "99999"),
            (NETWORKS, "ordering", "leaders,secret"),
        ],
    )
    def test_a_bad_filter_is_refused_naming_it(self, api, partners, url, param, value, assert_error):
        assert_error(api.get(url, {param: value}), 400, code="invalid", field=param)

    @pytest.mark.parametrize("pk", ["999999", "abc", "1.5"])
    def test_an_unknown_partner_is_not_found(self, api, db, pk, assert_error):
        assert_error(api.get(f"{INSTITUTIONS}{pk}/"), 404, code="not_found")
        assert_error(api.get(f"{NETWORKS}{pk}/"), 404, code="not_found")


NEW_INSTITUTION = {"name": "DEMUNA de Bagua", "sector": "public", "actuemos_ya_since": "2025-01-15"}
NEW_NETWORK = {"name": "Red de Condorcanqui", "formed_on": "2024-11-20", "leaders": 9}


class TestWriting:
    def test_staff_add_an_institution(self, api, staff, amazonas):
        response = as_user(api, staff).post(INSTITUTIONS, {**NEW_INSTITUTION, "region": amazonas.pk}, format="json")
        assert response.status_code == 201, response.content
        assert Institution.objects.get().name == "DEMUNA de Bagua"

    def test_staff_add_a_support_network(self, api, staff, amazonas):
        response = as_user(api, staff).post(NETWORKS, {**NEW_NETWORK, "region": amazonas.pk}, format="json")
        assert response.status_code == 201, response.content
        assert SupportNetwork.objects.get().leaders == 9

    def test_staff_correct_a_partner(self, api, staff, partners):
        api = as_user(api, staff)
        response = api.patch(f"{NETWORKS}{partners['network'].pk}/", {"leaders": 20}, format="json")
        assert response.status_code == 200, response.content
        partners["network"].refresh_from_db()
        assert partners["network"].leaders == 20

    @pytest.mark.parametrize(
        ("persona", "status", "code"),
        [("anonymous", 401, "not_authenticated"), ("coord_amazonas", 403, "permission_denied")],
    )
    def test_only_staff_write(self, api, partners, amazonas, persona, status, code, request, assert_error):
        api = as_user(api, persona_user(persona, request))
        before = (rows(Institution), rows(SupportNetwork))
        hospital, network = partners["hospital"].pk, partners["network"].pk
        attempts = [
            api.post(INSTITUTIONS, {**NEW_INSTITUTION, "region": amazonas.pk}, format="json"),
            api.post(NETWORKS, {**NEW_NETWORK, "region": amazonas.pk}, format="json"),
            api.patch(f"{INSTITUTIONS}{hospital}/", {"name": "Otro"}, format="json"),
            api.put(f"{NETWORKS}{network}/", {**NEW_NETWORK, "region": amazonas.pk}, format="json"),
            api.delete(f"{INSTITUTIONS}{hospital}/"),
            api.delete(f"{NETWORKS}{network}/"),
        ]
        for response in attempts:
            assert_error(response, status, code=code)
        assert (rows(Institution), rows(SupportNetwork)) == before

    @pytest.mark.parametrize(
        ("url", "data", "field"),
        [
            (INSTITUTIONS, {**NEW_INSTITUTION, "sector": "military"}, "sector"),
            (INSTITUTIONS, {**NEW_INSTITUTION, "region": 99999}, "region"),
            (INSTITUTIONS, {**NEW_INSTITUTION, "actuemos_ya_since": "pronto"}, "actuemos_ya_since"),
            (INSTITUTIONS, {**NEW_INSTITUTION, "director": "Ana Pérez"}, "director"),
            (INSTITUTIONS, {**NEW_INSTITUTION, "name": ""}, "name"),
            (NETWORKS, {**NEW_NETWORK, "leaders": -1}, "leaders"),
            (NETWORKS, {**NEW_NETWORK, "leaders": "many"}, "leaders"),
            (NETWORKS, {**NEW_NETWORK, "leader_names": ["Ana"]}, "leader_names"),
        ],
    )
    def test_bad_input_is_refused_naming_the_field(self, api, staff, amazonas, url, data, field, assert_error):
        payload = {"region": amazonas.pk, **data}
        assert_error(as_user(api, staff).post(url, payload, format="json"), 400, code="invalid", field=field)
        assert not Institution.objects.exists()
        assert not SupportNetwork.objects.exists()

    def test_a_name_is_unique_within_a_region_only(self, api, staff, partners, amazonas, puno, assert_error):
        api = as_user(api, staff)
        data = {"name": "Hospital Regional", "sector": "public"}
        response = api.post(INSTITUTIONS, {**data, "region": amazonas.pk}, format="json", HTTP_ACCEPT_LANGUAGE="en")
        error = assert_error(response, 400, code="invalid")
        assert error["message"] == "This region already has a partner with this name."
        assert api.post(INSTITUTIONS, {**data, "region": puno.pk}, format="json").status_code == 201
        assert Institution.objects.filter(name="Hospital Regional").count() == 2

    def test_malformed_json_is_refused(self, api, staff, assert_error):
        response = as_user(api, staff).post(INSTITUTIONS, '{"name": ', content_type="application/json")
        assert_error(response, 400, code="parse_error")
        assert not Institution.objects.filter(name__startswith="DEMUNA").exists()


class TestMethods:
    @pytest.mark.parametrize("url", [INSTITUTIONS, NETWORKS])
    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_a_collection_is_not_replaced_or_deleted(self, api, staff, partners, url, method, assert_error):
        before = (rows(Institution), rows(SupportNetwork))
        assert_error(getattr(as_user(api, staff), method)(url, {}, format="json"), 405, code="method_not_allowed")
        assert (rows(Institution), rows(SupportNetwork)) == before

    def test_a_partner_is_not_posted_to(self, api, staff, partners, assert_error):
        before = rows(Institution)
        response = as_user(api, staff).post(f"{INSTITUTIONS}{partners['hospital'].pk}/", {}, format="json")
        assert_error(response, 405, code="method_not_allowed")
        assert rows(Institution) == before


class TestDeleting:
    def test_staff_delete_an_unused_partner(self, api, staff, partners):
        api = as_user(api, staff)
        assert api.delete(f"{INSTITUTIONS}{partners['school'].pk}/").status_code == 204
        assert api.delete(f"{NETWORKS}{partners['puno_network'].pk}/").status_code == 204
        assert not Institution.objects.filter(pk=partners["school"].pk).exists()
        assert not SupportNetwork.objects.filter(pk=partners["puno_network"].pk).exists()

    def test_a_partner_named_in_an_activity_stays(self, api, staff, partners, amazonas, assert_error):
        activity = ActivityFactory(region=amazonas, status="approved", support_network=partners["network"])
        activity.institutions.set([partners["hospital"]])
        api = as_user(api, staff)
        assert_error(api.delete(f"{INSTITUTIONS}{partners['hospital'].pk}/"), 400, code="in_use")
        assert_error(api.delete(f"{NETWORKS}{partners['network'].pk}/"), 400, code="in_use")
        activity.refresh_from_db()
        assert activity.support_network == partners["network"]
        assert list(activity.institutions.all()) == [partners["hospital"]]
