from django.urls import path

from . import views

app_name = "campaign"

urlpatterns = [
    path("", views.home, name="home"),
    path("ayuda/", views.get_help, name="help"),
]
