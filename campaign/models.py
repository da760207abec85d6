from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from programs.models import Bilingual
from regions.models import Region

from .markdown import plain_text, render_markdown


class NewsQuerySet(models.QuerySet):
    def published(self):
        """What visitors read: published, and not dated in the future."""
        return self.filter(published_at__isnull=False, published_at__lte=timezone.now()).order_by(
            "-published_at", "-pk"
        )


class News(Bilingual):
    """A news item staff write in the admin. Spanish first; English beside it when there is one."""

    title = models.CharField(_("title (Spanish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    body = models.TextField(
        _("body (Spanish)"),
        help_text=_(
            "Markdown. Scripts, embedded frames and images from other sites are removed when the page is shown. "
            "Never name or show a child or a victim."
        ),
    )
    body_en = models.TextField(_("body (English)"), blank=True)
    published_at = models.DateTimeField(
        _("published at"), null=True, blank=True, db_index=True, help_text=_("Empty: a draft only staff can see.")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
        help_text=_("Kept for staff; never shown on the public site."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = NewsQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("news item")
        verbose_name_plural = _("news")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaign:news-detail", args=[self.slug])

    @property
    def is_published(self):
        return self.published_at is not None and self.published_at <= timezone.now()

    def language_of(self, field):
        """The language `localized(field)` is in: English only on English pages with an English text,
        so that a screen reader reads a Spanish fallback in Spanish."""
        english = (get_language() or "es").startswith("en") and getattr(self, f"{field}_en")
        return "en" if english else "es"

    def html(self):
        return render_markdown(self.localized("body"))

    def summary(self):
        return plain_text(self.localized("body"))


# A phone as staff type it ("041 47 8312", "+51 1 419-7260"): digits, spaces, + and -, with a digit.
PHONE_PATTERN = r"^[0-9 +-]*[0-9][0-9 +-]*$"
PHONE_MESSAGE = _("Use digits, spaces, + and - only, for example 041 47 8312.")
# Not blank, not spaces alone: a centre without a name or an address leads nowhere.
FILLED = r"\S"


class EmergencyCentreQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def in_region(self, region):
        return self.filter(region=region)


class EmergencyCentre(models.Model):
    """A Centro Emergencia Mujer y Familia (CEM): where a visitor can go in person for free legal,
    psychological and social care. Staff keep the directory in the admin; a new portal starts with none.
    No coordinates: the public page asks for a region, and never locates the visitor."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="emergency_centres", verbose_name=_("region")
    )
    name = models.CharField(
        _("name"), max_length=200, help_text=_("As the ministry names it, for example “CEM Chachapoyas”.")
    )
    address = models.CharField(
        _("address"), max_length=300, help_text=_("Street and number, as a visitor would look for it.")
    )
    district = models.CharField(_("district"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=100, blank=True)
    phone = models.CharField(
        _("phone"),
        max_length=40,
        blank=True,
        validators=[RegexValidator(PHONE_PATTERN, PHONE_MESSAGE)],
        help_text=_("Optional. Shown as typed; the call link dials its digits."),
    )
    opening_hours = models.CharField(
        _("opening hours"),
        max_length=120,
        blank=True,
        help_text=_("For example “24 horas” (a CEM in a police station) or “Lunes a viernes, 8:00–16:15”."),
    )
    in_police_station = models.BooleanField(_("in a police station"), default=False)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active centres are shown on the public page.")
    )
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Within its region, lower numbers are listed first.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EmergencyCentreQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name", "pk"]
        verbose_name = _("Centro Emergencia Mujer y Familia")
        verbose_name_plural = _("Centros Emergencia Mujer y Familia")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="emergency_centre_name_unique_in_region"),
            models.CheckConstraint(condition=Q(name__regex=FILLED), name="emergency_centre_name_filled"),
            models.CheckConstraint(condition=Q(address__regex=FILLED), name="emergency_centre_address_filled"),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=PHONE_PATTERN),
                name="emergency_centre_phone_format",
                violation_error_message=PHONE_MESSAGE,
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def dial(self):
        """What the call link dials: the digits, and a leading + that makes the number international."""
        digits = "".join(c for c in self.phone if c.isdigit())
        return f"+{digits}" if digits and self.phone.strip().startswith("+") else digits
