"""The public site. Path segments are Spanish in both languages (/es/regiones/puno/ and
/en/regiones/puno/): one address per page, whatever the language, so switching language only
swaps the prefix and shared links keep working."""

from django.urls import path

from . import downloads, help, identity, views

app_name = "campaign"

urlpatterns = [
    path("", views.home, name="home"),
    path("ayuda/", views.get_help, name="help"),
    path("ayuda/cem/", help.emergency_centres, name="emergency-centres"),
    path("aviso-legal/", identity.legal_notice, name="legal"),
    path("privacidad/", identity.privacy_notice, name="privacy"),
    path("regiones/", views.region_list, name="regions"),
    path("regiones/<slug:slug>/", views.region_detail, name="region"),
    path("objetivos/", views.objective_list, name="objectives"),
    path("objetivos/<slug:code>/", views.objective_detail, name="objective"),
    path("programas/", views.program_list, name="programs"),
    path("programas/<slug:slug>/", views.program_detail, name="program"),
    path("mapa/", views.activity_map, name="map"),
    path("estadisticas/", views.statistics, name="statistics"),
    path("datos-abiertos/", views.open_data, name="open-data"),
    path("datos-abiertos/datapackage.json", downloads.package_json, name="package"),
    path("datos-abiertos/catalogo.jsonld", downloads.catalogue_jsonld, name="catalogue"),
    path("datos-abiertos/agregados.csv", downloads.aggregates_csv, name="aggregates-csv"),
    path("datos-abiertos/regiones.geojson", downloads.regions_geojson, name="regions-geojson"),
    path("datos-abiertos/actividades.csv", downloads.activities_csv, name="activities-csv"),
    path("datos-abiertos/actividades.geojson", downloads.activities_geojson, name="activities-geojson"),
    path("datos-abiertos/<slug:name>.csv", downloads.table_csv, name="table-csv"),
    path("datos-abiertos/publicaciones/", views.release_list, name="releases"),
    path("datos-abiertos/publicaciones/<int:number>/datapackage.json", downloads.package_json, name="release-package"),
    path(
        "datos-abiertos/publicaciones/<int:number>/regiones.geojson",
        downloads.regions_geojson,
        name="release-regions-geojson",
    ),
    path(
        "datos-abiertos/publicaciones/<int:number>/actividades.csv",
        downloads.activities_csv,
        name="release-activities-csv",
    ),
    path(
        "datos-abiertos/publicaciones/<int:number>/actividades.geojson",
        downloads.activities_geojson,
        name="release-activities-geojson",
    ),
    path("datos-abiertos/publicaciones/<int:number>/<slug:name>.csv", downloads.table_csv, name="release-table-csv"),
    path("noticias/", views.news_list, name="news"),
    path("noticias/<slug:slug>/", views.news_detail, name="news-detail"),
]
