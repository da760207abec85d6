"""The REST API: one router for every app's viewsets, the schema and its docs.

Each app's `api.py` offers `register(router)` for its viewsets and, where a route
is not a viewset, `urlpatterns`; they come before the router's, so that
`regions/geojson/` is not read as a region's id.

Every read answers `If-None-Match` with 304 when the client's copy is current: the ETag is the
resource's version where it has one (an activity), else a digest of the answer.
"""

from importlib import import_module

from django.apps import apps
from django.middleware.http import ConditionalGetMiddleware
from django.urls import URLPattern, include, path
from django.utils.decorators import decorator_from_middleware
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

conditional_get = decorator_from_middleware(ConditionalGetMiddleware)


def conditional(patterns):
    """The same routes (plain paths, as the apps declare them), each view answering If-None-Match on GET."""
    return [URLPattern(p.pattern, conditional_get(p.callback), p.default_args, p.name) for p in patterns]


urlpatterns = [
    path("v1/", include(conditional(extra_routes))),
    path("v1/", include(conditional(router.urls))),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file, so the page runs under the CSP without inline code.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
