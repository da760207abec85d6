"""The REST API: one router for every app's viewsets, the schema and its docs.

Each app's `api.py` offers `register(router)` for its viewsets and, where a route
is not a viewset, `urlpatterns`; they come before the router's, so that
`regions/geojson/` is not read as a region's id.
"""

from importlib import import_module

from django.apps import apps
from django.urls import include, path
from django.utils.module_loading import module_has_submodule
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

# In the order of their dependencies: publication (the public release) reads all the others.
API_APPS = ("accounts", "regions", "programs", "activities", "reports", "publication")

router = DefaultRouter()
extra_routes = []
for label in API_APPS:
    if module_has_submodule(apps.get_app_config(label).module, "api"):
        module = import_module(f"{label}.api")
        if hasattr(module, "register"):
            module.register(router)
        extra_routes += getattr(module, "urlpatterns", [])

urlpatterns = [
    path("v1/", include(extra_routes)),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file, so the page runs under the CSP without inline code.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
