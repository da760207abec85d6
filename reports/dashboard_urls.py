from django.urls import path

from . import completeness_views, dashboard

app_name = "dashboard"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("completeness/", completeness_views.completeness_page, name="completeness"),
    path("completeness/csv/", completeness_views.completeness_csv, name="completeness_csv"),
    path("completeness/xlsx/", completeness_views.completeness_xlsx, name="completeness_xlsx"),
]
