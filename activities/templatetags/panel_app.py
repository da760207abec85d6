"""The installable panel's settings and words, written into each panel page for its scripts."""

import datetime

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import json_script
from django.utils.translation import get_language

from activities.models import Activity
from activities.offline import OUTBOX_TEXT

register = template.Library()


@register.simple_tag(takes_context=True)
def panel_app_config(context):
    user = context["request"].user
    data = {
        "user": user.pk,
        "lang": get_language(),
        "scope": reverse("activities:panel"),
        "sw": reverse("activities:service_worker"),
        "api": reverse("activity-list"),
        "detail": reverse("activities:detail", args=[0]),
        "form": reverse("activities:create"),
        "outbox": reverse("activities:outbox"),
        "text": {key: str(value) for key, value in OUTBOX_TEXT.items()},
        "checks": submission_messages(),
    }
    return json_script(data, "panel-app")


def submission_messages():
    """The model's own message for each check a submission must pass, for the phone to run offline.

    Drawn from an activity that fails every check, so the words are the server's, in one place.
    """
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    failing = Activity(families=1, start_date=tomorrow, end_date=tomorrow)
    return {field: str(message) for field, message in failing.submission_problems().items()}
