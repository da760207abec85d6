from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import geo

LAT_IN_PERU = Q(latitude__gte=geo.PERU_BOUNDS["min_lat"], latitude__lte=geo.PERU_BOUNDS["max_lat"])
LON_IN_PERU = Q(longitude__gte=geo.PERU_BOUNDS["min_lon"], longitude__lte=geo.PERU_BOUNDS["max_lon"])


class RegionQuerySet(models.QuerySet):
    def in_campaign(self):
        return self.filter(in_campaign=True)


class Region(models.Model):
    """A region of the campaign: a department, or Lima Metropolitana (a province)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    inei_code = models.CharField(
        _("INEI code"),
        max_length=6,
        unique=True,
        help_text=_("Ubigeo code: two digits for a department, four for a province."),
    )
    capital = models.CharField(_("capital"), max_length=100)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    boundary = models.JSONField(_("boundary"), null=True, blank=True, help_text=_("GeoJSON Polygon or MultiPolygon."))
    in_campaign = models.BooleanField(_("in the campaign"), default=True)
    launched_on = models.DateField(_("launched on"), null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(condition=LAT_IN_PERU & LON_IN_PERU, name="region_centroid_in_peru"),
            models.CheckConstraint(
                condition=Q(inei_code__regex=r"^[0-9]{2}([0-9]{2})?$"), name="region_inei_code_format"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.latitude is not None and self.longitude is not None:
            try:
                geo.validate_point_in_peru(self.latitude, self.longitude)
            except ValidationError as exc:
                # On a field, not the form: full_clean() then skips the region_centroid_in_peru
                # constraint, whose generic "Constraint … is violated" would repeat it less clearly.
                errors["latitude"] = exc.error_list
        if self.boundary:
            try:
                geo.validate_boundary(self.boundary)
            except ValidationError as exc:
                errors["boundary"] = exc.error_list
        if errors:
            raise ValidationError(errors)

    def contains(self, lat, lon):
        """Whether a point falls in the region; without a boundary there is nothing to refuse."""
        # Falsy, as in clean(): the admin stores a typed "{}" as is, and it means no boundary.
        return not self.boundary or geo.contains(self.boundary, lat, lon)


class RegionMembership(models.Model):
    """Ties a coordinator to a region they report for."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="memberships")
    since = models.DateField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("region membership")
        verbose_name_plural = _("region memberships")
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="one_membership_per_user_region")]

    def __str__(self):
        return f"{self.user} · {self.region}"
