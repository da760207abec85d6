from django.urls import path

from . import views

app_name = "publication"

urlpatterns = [
    path("", views.release_list, name="releases"),
]
