from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from regions.models import Region


class Bilingual(models.Model):
    """Reference content is written in Spanish, with an optional English text beside it.

    `obj.localized("name")` gives the English text on English pages when there is one,
    the Spanish text otherwise. The names of programs and services are proper names ("Familias con
    Punche", "Warmi Ñan"), which people search for and ask for as they are: they stay in Spanish
    on English pages, and their English text is a gloss beside them (`gloss`).
    """

    proper_names = ()

    class Meta:
        abstract = True

    def localized(self, field):
        if field not in self.proper_names and (get_language() or "es").startswith("en"):
            return getattr(self, f"{field}_en") or getattr(self, field)
        return getattr(self, field)


class ProperlyNamed(Bilingual):
    """A program or a service: its name is a proper name, kept in Spanish in every language."""

    proper_names = ("name",)

    class Meta:
        abstract = True

    @property
    def gloss(self):
        """The English text of the name, on English pages only, when it differs from the name."""
        english = (get_language() or "es").startswith("en")
        return self.name_en if english and self.name_en and self.name_en != self.name else ""


class Objective(Bilingual):
    """One of the campaign's four specific objectives (OE1–OE4)."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), unique=True)
    title = models.TextField(_("title (Spanish)"))
    title_en = models.TextField(_("title (English)"), blank=True)
    description = models.TextField(_("description (Spanish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    expected_result = models.TextField(_("expected result (Spanish)"))
    expected_result_en = models.TextField(_("expected result (English)"), blank=True)
    services = models.ManyToManyField(
        "Service", related_name="objectives", blank=True, verbose_name=_("services that deliver it")
    )

    class Meta:
        ordering = ["order"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        constraints = [models.CheckConstraint(condition=Q(code__regex=r"^OE[0-9]+$"), name="objective_code_format")]

    def __str__(self):
        return self.code

    @property
    def display_name(self):
        """As people know it: the code, then the title in the page's language (OE1 alone tells a
        new coordinator nothing)."""
        return f"{self.code} · {self.localized('title')}"


class Program(ProperlyNamed):
    name = models.CharField(_("name (Spanish)"), max_length=200, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    acronym = models.CharField(_("short name"), max_length=40, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    former_names = models.TextField(
        _("former names"), blank=True, help_text=_("One per line, most recent first (AURORA is now Warmi Ñan).")
    )
    description = models.TextField(_("description (Spanish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    url = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["acronym"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")

    def __str__(self):
        return self.acronym

    @property
    def former_names_list(self):
        return [line.strip() for line in self.former_names.splitlines() if line.strip()]


class Service(ProperlyNamed):
    """What a program offers in the territory, e.g. "Hombres por la igualdad"."""

    # Empty for the work of partner institutions (OE4), which are not a program.
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("program"),
        help_text=_("Leave empty for services delivered by partner institutions."),
    )
    name = models.CharField(_("name (Spanish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description (Spanish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    class Meta:
        ordering = ["program__acronym", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="service_name_unique_in_program")]

    def __str__(self):
        return f"{self.localized('name')} ({self.program.acronym})" if self.program_id else self.localized("name")


class Indicator(Bilingual):
    """A figure the campaign follows for an objective, computed from approved activities only."""

    class Computation(models.TextChoices):
        ACTIVITIES = "activities", _("Number of activities")
        PARTICIPANTS = "participants", _("Sum of participants")
        FAMILIES = "families", _("Sum of families reached")
        NETWORKS = "networks", _("Distinct support networks")
        NETWORK_LEADERS = "network_leaders", _("Leaders in the support networks")
        INSTITUTIONS = "institutions", _("Distinct partner institutions")

    objective = models.ForeignKey(
        Objective, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("objective")
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name (Spanish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    unit = models.CharField(_("unit (Spanish)"), max_length=60)
    unit_en = models.CharField(_("unit (English)"), max_length=60, blank=True)
    computation = models.CharField(_("computed as"), max_length=20, choices=Computation.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["objective__order", "order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self):
        return self.name


class Target(models.Model):
    """The value an indicator should reach in a region over a year, or a quarter of it."""

    WHOLE_YEAR = 0

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("indicator")
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="targets", verbose_name=_("region"))
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"),
        default=WHOLE_YEAR,
        choices=[(0, _("Whole year")), (1, _("Q1")), (2, _("Q2")), (3, _("Q3")), (4, _("Q4"))],
    )
    value = models.PositiveIntegerField(_("target value"))

    class Meta:
        ordering = ["year", "quarter", "region__name", "indicator__code"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region", "year", "quarter"], name="one_target_per_cell"),
            models.CheckConstraint(condition=Q(quarter__gte=0, quarter__lte=4), name="target_quarter_0_to_4"),
            models.CheckConstraint(condition=Q(year__gte=2024, year__lte=2100), name="target_year_plausible"),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_value_not_negative"),
        ]

    def __str__(self):
        period = self.year if self.quarter == self.WHOLE_YEAR else f"{self.year}-Q{self.quarter}"
        return f"{self.indicator.code} · {self.region} · {period}"

    def clean(self):
        if self.year is not None and not 2024 <= self.year <= 2100:
            raise ValidationError({"year": _("The campaign began in 2024: give a year from 2024 on.")})
