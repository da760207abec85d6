"""Points and shapes: GeoJSON in, GeoJSON out, no GIS database.

Boundaries are GeoJSON Polygon or MultiPolygon geometries in lon/lat order, stored oriented as
RFC 7946 asks (outer rings counter-clockwise, holes clockwise). Shapely checks that a boundary is a
valid shape and orients it; point-in-region checks stay in plain Python, on the stored JSON.
"""

import math
import re
from decimal import Decimal

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from shapely.geometry import mapping, shape

# Peru's extent with a small margin (Tacna to the Putumayo, Piura to Madre de Dios).
PERU_BOUNDS = {
    "min_lat": Decimal("-18.50"),
    "max_lat": Decimal("0.00"),
    "min_lon": Decimal("-81.50"),
    "max_lon": Decimal("-68.50"),
}
POLYGON_TYPES = ("Polygon", "MultiPolygon")


def in_peru(lat, lon):
    lat, lon = Decimal(str(lat)), Decimal(str(lon))
    b = PERU_BOUNDS
    return b["min_lat"] <= lat <= b["max_lat"] and b["min_lon"] <= lon <= b["max_lon"]


def validate_point_in_peru(lat, lon):
    if not in_peru(lat, lon):
        raise ValidationError(
            _("The point (%(lat)s, %(lon)s) is outside Peru. Check the latitude (south is negative) and longitude."),
            code="outside_peru",
            params={"lat": lat, "lon": lon},
        )


def polygons(geometry):
    """The list of polygons (each a list of rings) of a Polygon or MultiPolygon."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return geometry["coordinates"]


def validate_boundary(geometry):
    """Raise ValidationError unless geometry is a valid polygon inside Peru: closed rings of at
    least four positions, none crossing another or itself. Orientation is not checked: oriented()
    fixes it, as RFC 7946 asks producers to, and readers not to refuse."""
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGON_TYPES:
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise ValidationError(
            _("A boundary must be a Polygon or MultiPolygon, not %(kind)s."), code="not_polygon", params={"kind": kind}
        )
    try:
        shapes = polygons(geometry)
        # An empty shape would make contains() fail (Polygon) or refuse every point (MultiPolygon).
        if not shapes or not all(shapes):
            raise ValidationError(_("A boundary needs at least one ring."), code="empty")
        for polygon in shapes:
            for ring in polygon:
                _validate_ring(ring)
        _validate_shape(geometry)
    except (TypeError, ValueError, IndexError, KeyError, shapely.errors.ShapelyError) as exc:
        raise ValidationError(_("The boundary's coordinates are malformed."), code="malformed") from exc


def _validate_ring(ring):
    if len(ring) < 4:
        raise ValidationError(_("A boundary ring needs at least four positions."), code="short_ring")
    for position in ring:
        lon, lat = _coordinate(position[0]), _coordinate(position[1])
        validate_point_in_peru(lat, lon)
    # Checked before shapely sees the ring: it would close an open ring silently.
    if ring[0][:2] != ring[-1][:2]:
        raise ValidationError(
            _(
                "A boundary ring is not closed: it starts at longitude %(lon)s, latitude %(lat)s "
                "and must end at the same position."
            ),
            code="not_closed",
            params={"lon": ring[0][0], "lat": ring[0][1]},
        )


# GEOS explains an invalid shape as "Reason[x y]".
VALIDITY_REASON = re.compile(r"^(?P<reason>.*)\[(?P<lon>\S+) (?P<lat>\S+)\]$")


def _validate_shape(geometry):
    reason = shapely.is_valid_reason(shape(geometry))
    if reason == "Valid Geometry":
        return
    found = VALIDITY_REASON.match(reason)
    if not found:
        raise ValidationError(
            _("The boundary is not a valid shape (%(reason)s)."), code="invalid", params={"reason": reason}
        )
    params = {"lon": _rounded(found["lon"]), "lat": _rounded(found["lat"]), "reason": found["reason"]}
    if "Self-intersection" in found["reason"]:
        raise ValidationError(
            _("The boundary crosses itself at longitude %(lon)s, latitude %(lat)s."),
            code="self_intersection",
            params=params,
        )
    raise ValidationError(
        _("The boundary is not a valid shape at longitude %(lon)s, latitude %(lat)s (%(reason)s)."),
        code="invalid",
        params=params,
    )


def _rounded(text):
    # GEOS prints full precision; six decimals (about 10 cm) find the place on any map.
    return round(float(text), 6)


def oriented(geometry):
    """A valid boundary as RFC 7946 wants it: outer rings counter-clockwise, holes clockwise, the
    positions otherwise as given. Only the type and coordinates are kept: a "bbox" or "crs" member
    would go stale beside edited coordinates."""
    fixed = mapping(shapely.orient_polygons(shape(geometry), exterior_cw=False))
    return {"type": fixed["type"], "coordinates": _lists(fixed["coordinates"])}


def _lists(value):
    # shapely answers in tuples; the stored JSON, and whoever compares it, has lists.
    return [_lists(item) for item in value] if isinstance(value, tuple | list) else value


def _coordinate(value):
    # JSON numbers only: float() would pass "-77.1", which contains() cannot compare,
    # and NaN, which in_peru() cannot order.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(value)
    return value


def _ring_contains(ring, x, y):
    # Ray casting: count the edges a horizontal ray from (x, y) crosses.
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(geometry, lat, lon):
    """Whether the point lies inside the polygon (outside its holes)."""
    x, y = float(lon), float(lat)
    for outer, *holes in polygons(geometry):
        if _ring_contains(outer, x, y) and not any(_ring_contains(h, x, y) for h in holes):
            return True
    return False
