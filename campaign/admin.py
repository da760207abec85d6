from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from regions.admin import ContentAdmin

from .models import News


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
