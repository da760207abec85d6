from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from regions.admin import ContentAdmin

from .models import EmergencyCentre, News


@admin.register(News)
class NewsAdmin(ContentAdmin):
    list_display = ["title", "published_at", "published"]
    list_filter = [("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "title_en"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    fields = ["title", "title_en", "slug", "body", "body_en", "published_at"]

    @admin.display(boolean=True, description=_("published"))
    def published(self, obj):
        return obj.is_published

    def save_model(self, request, obj, form, change):
        # The author is who wrote it first; an editor's later fix does not take the credit.
        if obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)


@admin.register(EmergencyCentre)
class EmergencyCentreAdmin(ContentAdmin):
    list_display = ["name", "region", "district", "province", "phone", "opening_hours", "order", "active"]
    list_display_links = ["name"]
    list_editable = ["order", "active"]
    list_filter = ["region", "active", "in_police_station"]
    list_select_related = ["region"]
    search_fields = ["name", "district", "province"]
    ordering = ["region__name", "order", "name"]
    fieldsets = [
        (
            None,
            {
                "description": _(
                    "The public page “Find the nearest CEM” lists the active centres of the region a visitor "
                    "chooses, in this order, as soon as you save. A new portal starts with none: add each "
                    "Centro Emergencia Mujer y Familia from the ministry's official directory, and check "
                    "the address and phone before saving: someone in danger may go there."
                ),
                "fields": ["region", "name", "address", "district", "province"],
            },
        ),
        (_("How to reach it"), {"fields": ["phone", "opening_hours", "in_police_station"]}),
        (_("On the public page"), {"fields": ["active", "order"]}),
    ]
