"""The OpenAPI schema documents the error responses the API really returns."""

from drf_spectacular.openapi import AutoSchema

from .rest import Error

ERROR_CODES = {
    "GET": (400, 401, 403, 404, 406, 429),
    "POST": (400, 401, 403, 404, 406, 409, 412, 415, 428, 429),
    "PUT": (400, 401, 403, 404, 406, 412, 415, 428, 429),
    "PATCH": (400, 401, 403, 404, 406, 412, 415, 428, 429),
    "DELETE": (400, 401, 403, 404, 406, 412, 428, 429),
}


class PortalAutoSchema(AutoSchema):
    """Adds the shared error responses to every operation, so the schema tells the truth."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in ERROR_CODES.get(self.method, ()):
            responses.setdefault(str(code), self._get_response_for_code(Error, str(code), direction=direction))
        responses.setdefault("405", self._get_response_for_code(Error, "405", direction=direction))
        return responses
