from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from programs.models import Bilingual

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
