"""The services' refusals, answered in the API's shape with their codes."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions

from prevent_protect.rest import Conflict, PreconditionFailed, Refused
from regions import access

from .. import services
from ..evidence import ClientUuidTaken


@contextmanager
def service_errors():
    """Answer the services' refusals in the API's shape, keeping their codes."""
    try:
        yield
    except services.EditConflict as exc:
        raise PreconditionFailed(exc.messages[0]) from exc
    except ClientUuidTaken as exc:
        raise Conflict(exc.messages[0]) from exc
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise  # field errors: the shared handler names each field
        # The shared handler would call any non-field refusal `invalid`; a client needs to
        # tell a bad transition from a locked activity or a refused file.
        raise Refused(exc.messages[0], code=getattr(exc, "code", None) or "invalid") from exc


def require_author(user, region_id):
    if not access.can_author_in_region(user, region_id):
        raise exceptions.PermissionDenied(_("Only the coordinators of the activity's region can log or change it."))
