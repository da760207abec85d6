from django.shortcuts import render

from programs.models import Objective
from regions.models import Region


def home(request):
    return render(
        request,
        "campaign/home.html",
        {"objectives": Objective.objects.all(), "regions": Region.objects.in_campaign()},
    )


def get_help(request):
    return render(request, "campaign/help.html")
