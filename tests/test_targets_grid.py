"""The targets grid (/<lang>/panel/targets/): staff set every region × indicator target of a period
on one page; a wrong cell is refused beside the cell and nothing is saved; coordinators and
visitors are kept out; the cost in queries does not grow with the grid."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.test.utils import CaptureQueriesContext

from programs.models import Indicator, Objective, Target
from programs.services import MAX_TARGET, targets_save
from regions.models import Region

URL = "/{lang}/panel/targets/"


def cell(region, indicator):
    return f"cell-{region.pk}-{indicator.pk}"


def indicator(code):
    return Indicator.objects.get(code=code)


def grid_data(**cells):
    """The whole grid as the page posts it: every cell, empty unless given."""
    data = {cell(r, i): "" for r in Region.objects.all() for i in Indicator.objects.all()}
    data.update(cells)
    return data


def stored(year=2025, quarter=0):
    return {
        (t.region.slug, t.indicator.code): t.value
        for t in Target.objects.filter(year=year, quarter=quarter).select_related("region", "indicator")
    }


@pytest.fixture
def people():
    return indicator("oe1-people-reached")


@pytest.fixture
def families():
    return indicator("oe2-families-reached")


class TestTheGrid:
    def test_shows_one_labelled_cell_per_region_and_indicator(self, staff_client, amazonas, people):
        Target.objects.create(indicator=people, region=amazonas, year=2025, quarter=0, value=1200)
        response = staff_client.get(URL.format(lang="en") + "?year=2025")
        html = response.content.decode()
        assert response.status_code == 200
        assert html.count('class="cell"') == Region.objects.count() * Indicator.objects.count()
        field = f'id="id_{cell(amazonas, people)}"'
        assert field in html
        assert f'<label class="visually-hidden" for="id_{cell(amazonas, people)}">' in html
        assert "People reached by awareness activities – Amazonas" in html
        assert 'value="1200"' in html

    def test_columns_are_grouped_by_objective(self, staff_client):
        html = staff_client.get(URL.format(lang="en") + "?year=2025").content.decode()
        for code in ("OE1", "OE2", "OE3", "OE4"):
            assert f'<th scope="colgroup" colspan="2">{code}</th>' in html

    def test_an_objective_narrows_the_columns(self, staff_client):
        objective = Objective.objects.get(code="OE2")
        html = staff_client.get(URL.format(lang="en") + f"?year=2025&objective={objective.pk}").content.decode()
        assert html.count('class="cell"') == Region.objects.count() * 2
        assert "Families reached with parenting sessions" in html
        assert "Awareness activities" not in html

    def test_without_a_period_the_current_year_is_shown(self, staff_client):
        response = staff_client.get(URL.format(lang="en"))
        assert response.status_code == 200
        assert response.context["period"].cleaned_data["quarter"] == 0

    @pytest.mark.parametrize("query", ["?year=1999", "?year=abc", "?year=2025&quarter=7", "?year=2025&objective=999"])
    def test_a_wrong_period_is_refused(self, staff_client, query):
        response = staff_client.get(URL.format(lang="en") + query)
        assert response.status_code == 400
        assert 'class="cell"' not in response.content.decode()


class TestSaving:
    def test_staff_create_update_and_delete_targets_in_one_save(self, staff_client, amazonas, puno, people, families):
        Target.objects.create(indicator=people, region=amazonas, year=2025, quarter=0, value=100)
        Target.objects.create(indicator=families, region=puno, year=2025, quarter=0, value=40)
        data = grid_data(**{cell(amazonas, people): "150", cell(puno, people): " 2 000 "})
        response = staff_client.post(URL.format(lang="en") + "?year=2025", data)
        assert response.status_code == 302
        assert response["Location"] == URL.format(lang="en") + "?year=2025"
        assert stored() == {("amazonas", "oe1-people-reached"): 150, ("puno", "oe1-people-reached"): 2000}
        message = staff_client.get(response["Location"]).content.decode()
        assert "Targets saved: 1 new, 1 changed, 1 removed." in message

    def test_saving_the_same_grid_again_changes_nothing(self, staff_client, amazonas, people):
        data = grid_data(**{cell(amazonas, people): "150"})
        staff_client.post(URL.format(lang="en") + "?year=2025", data)
        response = staff_client.post(URL.format(lang="en") + "?year=2025", data, follow=True)
        assert "Nothing changed" in response.content.decode()
        assert stored() == {("amazonas", "oe1-people-reached"): 150}

    def test_zero_is_a_target(self, staff_client, amazonas, people):
        staff_client.post(URL.format(lang="en") + "?year=2025", grid_data(**{cell(amazonas, people): "0"}))
        assert stored() == {("amazonas", "oe1-people-reached"): 0}

    def test_a_quarter_is_saved_apart_from_the_whole_year(self, staff_client, amazonas, people):
        Target.objects.create(indicator=people, region=amazonas, year=2025, quarter=0, value=1000)
        staff_client.post(URL.format(lang="en") + "?year=2025&quarter=2", grid_data(**{cell(amazonas, people): "300"}))
        assert stored(quarter=2) == {("amazonas", "oe1-people-reached"): 300}
        assert stored(quarter=0) == {("amazonas", "oe1-people-reached"): 1000}

    def test_a_grid_narrowed_to_one_objective_leaves_the_others(self, staff_client, amazonas, people, families):
        Target.objects.create(indicator=people, region=amazonas, year=2025, quarter=0, value=1000)
        oe2 = Objective.objects.get(code="OE2")
        data = {cell(r, i): "" for r in Region.objects.all() for i in oe2.indicators.all()}
        data[cell(amazonas, families)] = "80"
        staff_client.post(URL.format(lang="en") + f"?year=2025&objective={oe2.pk}", data)
        assert stored() == {("amazonas", "oe1-people-reached"): 1000, ("amazonas", "oe2-families-reached"): 80}


class TestRefusals:
    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("-5", "A target cannot be negative."),
            ("abc", "Enter a whole number, with no points or commas"),
            ("12.5", "Enter a whole number, with no points or commas"),
            ("1.000", "Enter a whole number, with no points or commas"),
            ("1,000", "Enter a whole number, with no points or commas"),
            (str(MAX_TARGET + 1), "At most 40,000,000: a bigger target is more than the population of Peru."),
            ("9" * 5000, "At most 40,000,000: a bigger target is more than the population of Peru."),
        ],
    )
    def test_a_wrong_cell_is_refused_beside_the_cell_and_nothing_is_saved(
        self, staff_client, amazonas, puno, people, families, typed, message
    ):
        Target.objects.create(indicator=families, region=puno, year=2025, quarter=0, value=40)
        data = grid_data(**{cell(amazonas, people): typed, cell(puno, people): "500"})
        response = staff_client.post(URL.format(lang="en") + "?year=2025", data)
        html = response.content.decode()
        assert response.status_code == 400
        field_id = f"id_{cell(amazonas, people)}"
        # In the cell, tied to its input, and in the summary, linking to the input.
        assert f'<div id="{field_id}_error"><p class="error">{message}' in html
        assert f'aria-describedby="{field_id}_error"' in html
        assert 'aria-invalid="true"' in html
        assert f'<a href="#{field_id}">People reached by awareness activities – Amazonas: {message}' in html
        # What was typed stays in the cell, to be corrected.
        assert f'value="{typed}"' in html
        assert stored() == {("puno", "oe2-families-reached"): 40}

    def test_several_wrong_cells_are_each_reported(self, staff_client, amazonas, puno, people):
        data = grid_data(**{cell(amazonas, people): "-1", cell(puno, people): "x"})
        html = staff_client.post(URL.format(lang="en") + "?year=2025", data).content.decode()
        assert html.count('aria-invalid="true"') == 2
        assert f'href="#id_{cell(amazonas, people)}"' in html
        assert f'href="#id_{cell(puno, people)}"' in html

    def test_coordinators_are_refused(self, client, coord_amazonas, amazonas, people):
        client.force_login(coord_amazonas)
        assert client.get(URL.format(lang="es")).status_code == 403
        response = client.post(URL.format(lang="es") + "?year=2025", grid_data(**{cell(amazonas, people): "10"}))
        assert response.status_code == 403
        assert not Target.objects.exists()

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_visitors_are_sent_to_log_in(self, client, method):
        response = getattr(client, method)(URL.format(lang="es"))
        assert response.status_code == 302
        assert response["Location"].startswith("/es/accounts/login/")

    def test_other_methods_are_refused(self, staff_client):
        assert staff_client.put(URL.format(lang="en")).status_code == 405
        assert staff_client.delete(URL.format(lang="en")).status_code == 405


class TestTheService:
    def test_refuses_anyone_who_may_not_edit_content(self, coord_amazonas, amazonas, people):
        with pytest.raises(PermissionDenied):
            targets_save(year=2025, quarter=0, values={(amazonas.pk, people.pk): 5}, by=coord_amazonas)

    @pytest.mark.parametrize("value", [-1, MAX_TARGET + 1, 2.5, "7", True])
    def test_refuses_a_value_that_is_not_a_whole_number_in_range(self, staff, amazonas, people, value):
        with pytest.raises(ValidationError):
            targets_save(year=2025, quarter=0, values={(amazonas.pk, people.pk): value}, by=staff)
        assert not Target.objects.exists()

    @pytest.mark.parametrize(("year", "quarter"), [(2023, 0), (2025, 5)])
    def test_refuses_a_period_outside_the_campaign(self, staff, amazonas, people, year, quarter):
        with pytest.raises(ValidationError):
            targets_save(year=year, quarter=quarter, values={(amazonas.pk, people.pk): 1}, by=staff)

    def test_counts_what_it_did(self, staff, amazonas, puno, people, families):
        Target.objects.create(indicator=people, region=amazonas, year=2025, quarter=0, value=1)
        Target.objects.create(indicator=families, region=amazonas, year=2025, quarter=0, value=2)
        values = {(amazonas.pk, people.pk): 10, (amazonas.pk, families.pk): None, (puno.pk, people.pk): 3}
        assert targets_save(year=2025, quarter=0, values=values, by=staff) == {
            "created": 1,
            "updated": 1,
            "deleted": 1,
        }

    def test_writes_the_whole_grid_in_the_same_four_queries(self, staff, people):
        """One read, one upsert, and the delete: Django reads the rows it deletes to send their post_delete."""
        regions = list(Region.objects.all())
        indicators = list(Indicator.objects.all())
        for region in regions[:5]:
            Target.objects.create(indicator=people, region=region, year=2025, quarter=0, value=7)
        values = {(r.pk, i.pk): None if r in regions[:5] else 100 for r in regions for i in indicators}
        with CaptureQueriesContext(connection) as queries:
            targets_save(year=2025, quarter=0, values=values, by=staff)
        statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
        assert len(statements) == 4, statements
        assert Target.objects.filter(year=2025).count() == (len(regions) - 5) * len(indicators)

    def test_tells_the_receivers_of_every_saved_and_deleted_target(self, staff, amazonas, puno, people):
        """The public pages' cache is refreshed on these signals (campaign.signals)."""
        Target.objects.create(indicator=people, region=amazonas, year=2025, quarter=0, value=1)
        saved, deleted = [], []

        def on_save(sender, instance, created, **kwargs):
            saved.append((instance.region_id, instance.value, created))

        def on_delete(sender, instance, **kwargs):
            deleted.append(instance.region_id)

        post_save.connect(on_save, sender=Target)
        post_delete.connect(on_delete, sender=Target)
        try:
            targets_save(
                year=2025, quarter=0, values={(amazonas.pk, people.pk): None, (puno.pk, people.pk): 9}, by=staff
            )
        finally:
            post_save.disconnect(on_save, sender=Target)
            post_delete.disconnect(on_delete, sender=Target)
        assert saved == [(puno.pk, 9, True)]
        assert deleted == [amazonas.pk]


class TestQueries:
    def queries(self, client, method, url, data=None):
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
        assert response.status_code in (200, 302), response.content.decode()[:500]
        return len(captured)

    def test_the_page_costs_the_same_with_more_indicators(self, staff_client):
        oe1 = Objective.objects.get(code="OE1")
        url = URL.format(lang="en") + f"?year=2025&objective={oe1.pk}"
        before = self.queries(staff_client, "get", url)
        for n in range(4):
            Indicator.objects.create(
                objective=oe1, code=f"extra-{n}", name=f"Extra {n}", unit="x", computation="activities"
            )
        after = self.queries(staff_client, "get", url)
        assert after == before
        assert after <= 8

    def test_the_page_costs_the_same_with_more_regions(self, staff_client):
        before = self.queries(staff_client, "get", URL.format(lang="en") + "?year=2025")
        for n in range(5):
            Region.objects.create(
                name=f"Región {n}", slug=f"region-{n}", inei_code=f"9{n}", capital="X", latitude=-10, longitude=-75
            )
        assert self.queries(staff_client, "get", URL.format(lang="en") + "?year=2025") == before

    def test_saving_costs_the_same_for_one_cell_as_for_the_whole_grid(self, staff_client, amazonas, people):
        url = URL.format(lang="en") + "?year=2025"
        one = self.queries(staff_client, "post", url, grid_data(**{cell(amazonas, people): "5"}))
        everything = {name: "9" for name in grid_data()}
        whole = self.queries(staff_client, "post", url, everything)
        assert whole == one
        assert Target.objects.filter(year=2025).count() == len(everything)


class TestLanguages:
    @pytest.mark.parametrize(
        ("lang", "indicator_name", "region_label"),
        [
            ("es", "Personas sensibilizadas", "Personas sensibilizadas – Amazonas"),
            ("en", "People reached by awareness activities", "People reached by awareness activities – Amazonas"),
        ],
    )
    def test_the_grid_speaks_the_language_of_its_address(self, staff_client, lang, indicator_name, region_label):
        response = staff_client.get(URL.format(lang=lang) + "?year=2025")
        html = response.content.decode()
        assert response["Content-Language"] == lang
        assert f'<html lang="{lang}">' in html
        assert indicator_name in html
        assert region_label in html
