import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prevent_protect.settings")

app = Celery("prevent_protect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
