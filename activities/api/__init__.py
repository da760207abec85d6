"""The signed-in activities API: activities and their review workflow, evidence files, partner
institutions and support networks, exact and live.

Every rule lives elsewhere and is only called from here: who may see and do what in
`regions.access` and `Activity.objects.visible_to`, what a valid activity is in the model
and `activities.services`, what a valid file is in `activities.evidence`. What anonymous
callers read (the public release: the list of activities, the maps, the statistics) is
publication.api's, which mounts the `activities` route with a subclass of ActivityViewSet.

- `activities`: the activities, their versions (ETag, If-Match) and the review workflow;
- `evidence`: the files attached to an activity, private to those who may see it;
- `partners`: the institutions and support networks of each region.
"""

from .activities import ActivitySerializer, ActivityViewSet
from .evidence import EvidenceViewSet
from .partners import InstitutionViewSet, SupportNetworkViewSet

__all__ = ["ActivitySerializer", "ActivityViewSet", "register"]


def register(router):
    # The activities route is publication.api's: the same viewset, answering anonymous callers from the
    # public release. This package does not know about releases (apps depend downwards only).
    router.register("evidence", EvidenceViewSet, basename="evidence")
    router.register("institutions", InstitutionViewSet, basename="institution")
    router.register("support-networks", SupportNetworkViewSet, basename="support-network")
