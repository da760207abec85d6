"""The campaign's reference data, checked against CAMPAIGN.md (written out here, not
imported from programs.reference), and the rules that keep regions and targets sane."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from programs.models import Indicator, Objective, Program, Service, Target
from programs.reference import load_reference_data
from regions.models import Region

# CAMPAIGN.md, "The 15 regions": name, INEI code, capital, latitude, longitude.
CAMPAIGN_REGIONS = [
    ("Amazonas", "01", "Chachapoyas", "-6.2294", "-77.8728"),
    ("Áncash", "02", "Huaraz", "-9.5297", "-77.5292"),
    ("Arequipa", "04", "Arequipa", "-16.3933", "-71.5289"),
    ("Ayacucho", "05", "Ayacucho", "-13.1603", "-74.2253"),
    ("Cajamarca", "06", "Cajamarca", "-7.1547", "-78.5108"),
    ("Callao", "07", "Callao", "-12.0631", "-77.1469"),
    ("Cusco", "08", "Cusco", "-13.5192", "-71.9767"),
    ("Huánuco", "10", "Huánuco", "-9.9300", "-76.2397"),
    ("Lambayeque", "14", "Chiclayo", "-6.7669", "-79.8506"),
    ("Lima Metropolitana", "1501", "Lima", "-12.0453", "-77.0308"),
    ("Loreto", "16", "Iquitos", "-3.7481", "-73.2442"),
    ("Madre de Dios", "17", "Puerto Maldonado", "-12.5936", "-69.1767"),
    ("Puno", "21", "Puno", "-15.8403", "-70.0281"),
    ("San Martín", "22", "Moyobamba", "-6.0347", "-76.9742"),
    ("Tumbes", "24", "Tumbes", "-3.5711", "-80.4592"),
]

# CAMPAIGN.md, "The four specific objectives": how each title and expected result begins.
CAMPAIGN_OBJECTIVES = {
    "OE1": (
        "Sensibilizar a la población para que cuestione creencias",
        "Raise awareness among the population to question beliefs",
        "La población cuestiona creencias y actitudes",
        "The population questions beliefs and attitudes",
    ),
    "OE2": (
        "Fortalecer las habilidades parentales en las familias",
        "Strengthen parental skills in families",
        "Las familias adoptan buenas prácticas de crianza",
        "Families adopt good parenting practices",
    ),
    "OE3": (
        "Promover la participación comunitaria mediante la conformación de redes de soporte",
        "Promote community participation through the formation of support networks",
        "Redes de soporte conformadas que realizan activismo local y comunitario",
        "Established support networks that carry out local and community activism",
    ),
    "OE4": (
        "Involucrar a instituciones públicas y privadas",
        "Involve public and private institutions",
        "Instituciones públicas y privadas involucradas",
        "Public and private institutions involved",
    ),
}

# CAMPAIGN.md: the services that deliver each objective, and their program.
WARMI_NAN_OE1 = {"Mujeres acompañando mujeres", "Mujeres empoderadas y autónomas", "Hombres por la igualdad"}
INABIF_OE2 = {
    "Familias con Punche",
    "Estrategia de Fortalecimiento Familiar Acercándonos",
    "Asistencia Económica por Orfandad",
}
WARMI_NAN_OE3 = {"Hombres por la igualdad", "Mujeres acompañando mujeres", "Estrategia educativa"}


def service_names(code):
    return set(Objective.objects.get(code=code).services.values_list("name", flat=True))


class TestRegions:
    def test_there_are_the_fifteen_campaign_regions_with_their_inei_codes_and_capitals(self, db):
        stored = {(r.name, r.inei_code, r.capital) for r in Region.objects.all()}
        assert stored == {(name, code, capital) for name, code, capital, _, _ in CAMPAIGN_REGIONS}

    @pytest.mark.parametrize(
        "name, code, capital, lat, lon", CAMPAIGN_REGIONS, ids=[row[0] for row in CAMPAIGN_REGIONS]
    )
    def test_each_region_is_placed_at_its_capital(self, db, name, code, capital, lat, lon):
        region = Region.objects.get(inei_code=code)
        assert (region.latitude, region.longitude) == (Decimal(lat), Decimal(lon))
        assert region.in_campaign

    def test_lima_metropolitana_is_the_province_1501_not_the_department(self, db):
        assert Region.objects.get(name="Lima Metropolitana").inei_code == "1501"
        assert not Region.objects.filter(inei_code="15").exists()

    def test_amazonas_launched_the_campaign_on_14_june_2024(self, amazonas):
        assert amazonas.launched_on == datetime.date(2024, 6, 14)
        first = Region.objects.exclude(launched_on=None).order_by("launched_on").first()
        assert first == amazonas

    def test_every_region_passes_its_own_validation(self, db):
        for region in Region.objects.all():
            region.full_clean()

    @pytest.mark.parametrize(
        "latitude, longitude",
        [
            pytest.param(Decimal("6.2294"), Decimal("-77.8728"), id="north of the equator"),
            pytest.param(Decimal("-12.0453"), Decimal("-60.0000"), id="in Brazil"),
            pytest.param(Decimal("-77.0308"), Decimal("-12.0453"), id="latitude and longitude swapped"),
        ],
    )
    def test_a_region_centred_outside_peru_is_refused_by_validation_and_by_the_database(self, db, latitude, longitude):
        fields = {
            "name": "Región de prueba",
            "slug": "region-de-prueba",
            "inei_code": "99",
            "capital": "Ninguna",
            "latitude": latitude,
            "longitude": longitude,
        }
        with translation.override("en"):
            with pytest.raises(ValidationError) as caught:
                Region(**fields).full_clean()
            # Once, beside the coordinates, in words staff can act on.
            assert caught.value.message_dict == {
                "latitude": [
                    f"The point ({latitude}, {longitude}) is outside Peru. "
                    "Check the latitude (south is negative) and longitude."
                ]
            }

        before = Region.objects.count()
        with pytest.raises(IntegrityError), transaction.atomic():
            Region.objects.create(**fields)
        assert Region.objects.count() == before

    @pytest.mark.parametrize("code", ["1", "123", "15O1", "150101"], ids=lambda c: f"INEI code {c!r}")
    def test_an_inei_code_that_is_not_two_or_four_digits_is_refused_by_the_database(self, db, code):
        with pytest.raises(IntegrityError), transaction.atomic():
            Region.objects.create(
                name="Región de prueba", slug="prueba", inei_code=code, capital="X", latitude=-10, longitude=-75
            )

    def test_a_malformed_boundary_is_refused_beside_the_boundary_field(self, amazonas):
        amazonas.boundary = {"type": "Point", "coordinates": [-77.87, -6.23]}
        with translation.override("en"):
            with pytest.raises(ValidationError) as caught:
                amazonas.full_clean()
            assert caught.value.message_dict == {
                "boundary": ["A boundary must be a Polygon or MultiPolygon, not Point."]
            }


class TestObjectives:
    def test_there_are_four_objectives_oe1_to_oe4_in_order(self, db):
        assert list(Objective.objects.values_list("code", flat=True)) == ["OE1", "OE2", "OE3", "OE4"]

    @pytest.mark.parametrize("code", CAMPAIGN_OBJECTIVES)
    def test_each_objective_has_its_title_and_expected_result_in_spanish_and_english(self, db, code):
        title, title_en, result, result_en = CAMPAIGN_OBJECTIVES[code]
        objective = Objective.objects.get(code=code)
        assert objective.title.startswith(title)
        assert objective.title_en.startswith(title_en)
        assert objective.expected_result.startswith(result)
        assert objective.expected_result_en.startswith(result_en)

    def test_localized_gives_english_on_english_pages_and_spanish_on_spanish_pages(self, db):
        objective = Objective.objects.get(code="OE2")
        with translation.override("en"):
            assert objective.localized("title").startswith("Strengthen parental skills")
            assert objective.localized("expected_result").startswith("Families adopt")
        with translation.override("es"):
            assert objective.localized("title").startswith("Fortalecer las habilidades parentales")
            assert objective.localized("expected_result").startswith("Las familias adoptan")

    def test_localized_falls_back_to_spanish_when_there_is_no_english_text(self, db):
        indicator = Indicator.objects.first()
        indicator.name_en = ""
        with translation.override("en"):
            assert indicator.localized("name") == indicator.name

    def test_program_and_service_names_stay_spanish_with_an_english_gloss(self, db):
        service = Service.objects.get(slug="familias-con-punche")
        with translation.override("en"):
            assert (service.localized("name"), service.gloss) == ("Familias con Punche", "With Punch Families")
        with translation.override("es"):
            assert (service.localized("name"), service.gloss) == ("Familias con Punche", "")

    def test_each_objective_has_at_least_one_default_indicator(self, db):
        for objective in Objective.objects.all():
            assert objective.indicators.exists(), objective.code

    def test_indicators_are_named_in_both_languages_with_a_unit(self, db):
        for indicator in Indicator.objects.all():
            assert indicator.name and indicator.name_en and indicator.unit and indicator.unit_en, indicator.code


class TestProgramsAndServices:
    def test_warmi_nan_is_the_current_name_of_aurora(self, db):
        program = Program.objects.get(acronym="Warmi Ñan")
        assert "Warmi Ñan" in program.name
        assert "AURORA" in program.former_names_list

    def test_inabif_is_the_national_program_for_family_welfare(self, db):
        program = Program.objects.get(acronym="INABIF")
        assert program.name == "Programa Integral Nacional para el Bienestar Familiar"

    def test_hombres_por_la_igualdad_serves_oe1_and_oe3(self, db):
        service = Service.objects.get(name="Hombres por la igualdad")
        assert set(service.objectives.values_list("code", flat=True)) == {"OE1", "OE3"}

    def test_oe1_is_delivered_by_three_warmi_nan_services(self, db):
        assert service_names("OE1") == WARMI_NAN_OE1
        programs = Objective.objects.get(code="OE1").services.values_list("program__acronym", flat=True)
        assert set(programs) == {"Warmi Ñan"}

    def test_oe2_is_delivered_by_the_three_inabif_services(self, db):
        assert service_names("OE2") == INABIF_OE2
        programs = Objective.objects.get(code="OE2").services.values_list("program__acronym", flat=True)
        assert set(programs) == {"INABIF"}

    def test_oe3_is_delivered_by_three_warmi_nan_services(self, db):
        assert service_names("OE3") == WARMI_NAN_OE3
        programs = Objective.objects.get(code="OE3").services.values_list("program__acronym", flat=True)
        assert set(programs) == {"Warmi Ñan"}

    def test_oe4_is_delivered_by_public_and_private_institutions_not_by_a_program(self, db):
        services = Objective.objects.get(code="OE4").services.all()
        assert services.exists()
        assert all(service.program is None for service in services)
        names = " ".join(service.name for service in services)
        assert "públicas" in names
        assert "privadas" in names

    def test_every_service_has_an_english_name(self, db):
        assert not Service.objects.filter(name_en="").exists()


class TestLoadingAgain:
    def test_loading_again_creates_nothing(self, db):
        counts = {model: model.objects.count() for model in (Region, Program, Service, Objective, Indicator)}
        links = Objective.services.through.objects.count()
        assert set(load_reference_data().values()) == {0}
        assert {model: model.objects.count() for model in counts} == counts
        assert Objective.services.through.objects.count() == links

    def test_loading_again_keeps_what_staff_edited(self, db):
        region = Region.objects.get(slug="amazonas")
        region.capital = "Chachapoyas (capital)"
        region.save()
        objective = Objective.objects.get(code="OE1")
        objective.title = "Sensibilizar a la población (texto revisado)"
        objective.save()
        objective.services.remove(Service.objects.get(slug="hombres-por-la-igualdad"))
        program = Program.objects.get(slug="warmi-nan")
        program.description = "Descripción revisada."
        program.save()

        load_reference_data()

        assert Region.objects.get(slug="amazonas").capital == "Chachapoyas (capital)"
        assert Objective.objects.get(code="OE1").title == "Sensibilizar a la población (texto revisado)"
        assert "Hombres por la igualdad" not in service_names("OE1")
        assert "Hombres por la igualdad" in service_names("OE3")
        assert Program.objects.get(slug="warmi-nan").description == "Descripción revisada."

    def test_loading_again_restores_a_region_that_was_deleted(self, db):
        Region.objects.get(slug="tumbes").delete()
        assert load_reference_data()["regions"] == 1
        assert Region.objects.get(inei_code="24").capital == "Tumbes"


@pytest.fixture
def indicator(db):
    return Indicator.objects.get(code="oe1-people-reached")


class TestTargets:
    def test_a_target_per_indicator_region_year_and_quarter_is_accepted(self, indicator, amazonas):
        whole_year = Target(indicator=indicator, region=amazonas, year=2025, value=1200)
        whole_year.full_clean()
        whole_year.save()
        q1 = Target(indicator=indicator, region=amazonas, year=2025, quarter=1, value=300)
        q1.full_clean()
        q1.save()
        assert Target.objects.filter(indicator=indicator, region=amazonas).count() == 2

    def test_a_second_target_for_the_same_cell_is_refused(self, indicator, amazonas):
        Target.objects.create(indicator=indicator, region=amazonas, year=2025, quarter=2, value=300)
        duplicate = Target(indicator=indicator, region=amazonas, year=2025, quarter=2, value=500)
        with pytest.raises(ValidationError):
            duplicate.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            duplicate.save()
        assert Target.objects.get(indicator=indicator, region=amazonas, year=2025, quarter=2).value == 300

    def test_the_same_quarter_in_another_region_is_a_different_target(self, indicator, amazonas, puno):
        Target.objects.create(indicator=indicator, region=amazonas, year=2025, quarter=2, value=300)
        Target.objects.create(indicator=indicator, region=puno, year=2025, quarter=2, value=250)

    @pytest.mark.parametrize(
        "field, value",
        [
            pytest.param("value", -1, id="a negative target value"),
            pytest.param("quarter", 5, id="a fifth quarter"),
            pytest.param("year", 2023, id="a year before the campaign"),
        ],
    )
    def test_an_impossible_target_is_refused_by_validation_and_by_the_database(self, indicator, amazonas, field, value):
        fields = {"indicator": indicator, "region": amazonas, "year": 2025, "quarter": 1, "value": 100, field: value}
        with pytest.raises(ValidationError) as caught:
            Target(**fields).full_clean()
        assert field in caught.value.message_dict

        with pytest.raises(IntegrityError), transaction.atomic():
            Target.objects.create(**fields)
        assert not Target.objects.exists()
