"""The OpenAPI schema tells the truth, in a shape client generators can use.

- Every operation documents the error responses the API really returns, in the `Error` shape.
- A JSON read documents `If-None-Match` and its 304 (prevent_protect.api answers it).
- Path ids are integers, whatever the route accepts to answer a bad one 404 in the API's shape.
- Names do not depend on the request's language: generators name classes after titles, which
  drf-spectacular fills with the (translated) field labels, so titles are dropped.
- A nullable object says so in a way validators and generators read (OpenAPI 3.0.3: `nullable`
  beside an `allOf` without `type` allows no null).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from .rest import Error

ERROR_CODES = {
    "GET": (400, 401, 403, 404, 406, 429),
    "POST": (400, 401, 403, 404, 406, 409, 412, 415, 428, 429),
    "PUT": (400, 401, 403, 404, 406, 412, 415, 428, 429),
    "PATCH": (400, 401, 403, 404, 406, 412, 415, 428, 429),
    "DELETE": (400, 401, 403, 404, 406, 412, 428, 429),
}
# The primary keys are PostgreSQL bigints.
MAX_ID = 2**63 - 1
IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": 'The ETag of the copy the client holds, e.g. `"3"`: when it is still current the answer '
    "is 304 with no body.",
}
NOT_MODIFIED = {"description": "The copy named in If-None-Match is current; no body."}


class PortalAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in ERROR_CODES.get(self.method, ()):
            responses.setdefault(str(code), self._get_response_for_code(Error, str(code), direction=direction))
        responses.setdefault("405", self._get_response_for_code(Error, "405", direction=direction))
        return responses

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and self.method == "GET" and _answers_json(operation):
            operation.setdefault("parameters", []).append(IF_NONE_MATCH)
            operation["responses"]["304"] = NOT_MODIFIED
        return operation

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["name"] == "id":
                parameter["schema"] = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
        return parameters


def _answers_json(operation):
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    return any(media_type.endswith("json") for media_type in content)


class TokenOrBearerScheme(OpenApiAuthenticationExtension):
    """The token as generated clients send it (`Bearer`); `Token <key>` is accepted too."""

    target_class = "prevent_protect.rest.TokenOrBearerAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The token from /api/v1/auth/token/, as `Authorization: Bearer <token>` "
            "(or `Authorization: Token <token>`). Any other Authorization header is answered 401.",
        }


def drop_titles(result, generator, request, public):
    """A postprocessing hook: removes every schema's `title` (a translated label) in place."""
    _drop_titles(result.get("paths", {}))
    _drop_titles(result.get("components", {}))
    return result


def _drop_titles(node):
    if isinstance(node, dict):
        # A property named `title` maps to a schema (a dict); the keyword maps to a string.
        if isinstance(node.get("title"), str):
            del node["title"]
            if set(node) == {"allOf"} and len(node["allOf"]) == 1:
                # The wrapper held the title beside a reference; without it, the reference alone.
                node.update(node.pop("allOf")[0])
        for key, value in node.items():
            if key not in ("example", "examples", "default", "enum"):
                _drop_titles(value)
    elif isinstance(node, list):
        for item in node:
            _drop_titles(item)


NULL = {"$ref": "#/components/schemas/NullEnum"}


def nullable_references(result, generator, request, public):
    """A postprocessing hook: `{"allOf": [X], "nullable": true}` becomes `{"oneOf": [X, NullEnum]}`,
    the shape drf-spectacular already gives nullable enums."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if _nullable_references(result.get("paths", {})) + _nullable_references(schemas):
        schemas.setdefault("NullEnum", {"enum": [None]})
    return result


def _nullable_references(node):
    changed = 0
    if isinstance(node, dict):
        if node.get("nullable") is True and "type" not in node and len(node.get("allOf", ())) == 1:
            node["oneOf"] = [node.pop("allOf")[0], NULL]
            changed += 1
        for value in node.values():
            changed += _nullable_references(value)
    elif isinstance(node, list):
        for item in node:
            changed += _nullable_references(item)
    return changed
