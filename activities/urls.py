from django.urls import path

from . import import_views, offline, views

app_name = "activities"

urlpatterns = [
    path("", views.panel, name="panel"),
    path("activities/", views.activity_list, name="list"),
    path("activities/new/", views.activity_create, name="create"),
    path("activities/<int:pk>/", views.activity_detail, name="detail"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="edit"),
    path("activities/<int:pk>/submit/", views.activity_submit, name="submit"),
    path("activities/<int:pk>/submit/check/", views.activity_submit_check, name="submit_check"),
    path("activities/<int:pk>/review/", views.activity_review, name="review"),
    path("activities/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/preview/", views.evidence_preview, name="evidence_preview"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("review/", views.review_queue, name="review_queue"),
    path("import/", import_views.import_upload, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<int:pk>/", import_views.import_job, name="import_job"),
    path("import/<int:pk>/status/", import_views.import_job_status, name="import_job_status"),
    path("import/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("outbox/", offline.outbox, name="outbox"),
    path("sw.js", offline.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
]
