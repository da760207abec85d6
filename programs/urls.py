from django.urls import path

from . import views

app_name = "programs"

urlpatterns = [
    path("", views.targets_grid, name="targets"),
]
