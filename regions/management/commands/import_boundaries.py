"""Load region boundaries from a GeoJSON FeatureCollection, matching features to regions by INEI code.

All or nothing: every matched feature is validated before the first write, so a bad file leaves the
boundaries exactly as they were, and the refusal lists every bad feature at once so that one fix
of the file is enough. Boundaries are stored oriented as RFC 7946 asks, whatever the file's order.
`load_campaign` loads the boundaries shipped in data/ through this same command.
"""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.db import transaction

from regions import geo
from regions.models import Region


class Command(BaseCommand):
    help = (
        "Import region boundaries from a GeoJSON FeatureCollection (lon/lat), matching each feature's "
        "--code-property to a region's INEI code. Regions without a feature in the file keep their boundary."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="GeoJSON FeatureCollection in lon/lat (CRS84).")
        parser.add_argument(
            "--code-property", required=True, help="Feature property holding the INEI code, e.g. FIRST_IDDP."
        )
        parser.add_argument("--dry-run", action="store_true", help="Validate and report, but save nothing.")
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="Fill in only the regions without a boundary; a boundary already loaded stays as it is.",
        )

    # Operators read this output next to INEI tables; keep it in one language whatever LANGUAGE_CODE says.
    @no_translations
    def handle(self, *args, file, code_property, dry_run, keep_existing, **options):
        features = read_features(file)
        require_property(features, code_property)
        regions = {region.inei_code: region for region in Region.objects.all()}
        boundaries = match_boundaries(features, code_property, regions)
        kept = [code for code in sorted(boundaries) if regions[code].boundary] if keep_existing else []
        for code in kept:
            del boundaries[code]
        if not dry_run:
            save_boundaries(regions, boundaries)
        self.stdout.write(summary(features, regions, boundaries, kept))
        if dry_run:
            count = plural(len(boundaries), "boundary", "boundaries")
            self.stdout.write(self.style.WARNING(f"Dry run: nothing saved ({count} would be)."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Saved {plural(len(boundaries), 'boundary', 'boundaries')}."))


def read_features(path):
    """The file's features, each checked to be a Feature with a geometry."""
    try:
        # utf-8-sig: files saved by desktop GIS tools on Windows often start with a BOM.
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file.") from None
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot be read ({exc}).") from None
    kind = data.get("type") if isinstance(data, dict) else type(data).__name__
    if kind != "FeatureCollection":
        raise CommandError(f"{path}: not a GeoJSON FeatureCollection (found {kind!r}).")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise CommandError(f"{path}: the FeatureCollection has no features.")
    for index, feature in enumerate(features):
        check_feature(index, feature)
    return features


def check_feature(index, feature):
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise CommandError(f"features[{index}]: not a GeoJSON Feature.")
    if not isinstance(feature.get("geometry"), dict):
        raise CommandError(f"features[{index}]: the feature has no geometry.")
    if not isinstance(feature.get("properties"), dict | None):
        raise CommandError(f"features[{index}]: the feature's properties are not an object.")


def properties(feature):
    return feature.get("properties") or {}


def require_property(features, name):
    # A misspelt property would otherwise look like a file where nothing matches.
    if not any(name in properties(feature) for feature in features):
        found = ", ".join(sorted(properties(features[0]))) or "none"
        raise CommandError(f"No feature has the property {name!r} (the first feature has: {found}).")


def feature_code(feature, name):
    # Some files store codes as numbers; compare their text and never pad: 1 is not "01".
    value = properties(feature).get(name)
    return None if value is None else str(value)


def match_boundaries(features, code_property, regions):
    """{INEI code: geometry} for the features that match a region, each validated as a boundary and
    oriented. A file with any bad matched feature is refused whole, every problem named."""
    boundaries, seen, problems = {}, {}, []
    for index, feature in enumerate(features):
        code = feature_code(feature, code_property)
        if code not in regions:
            continue
        where = f"features[{index}] (code {code}, {regions[code].name})"
        if code in seen:
            problems.append(f"{where}: features[{seen[code]}] carries the same code; expected one per region.")
            continue
        seen[code] = index
        try:
            geo.validate_boundary(feature["geometry"])
        except ValidationError as exc:
            problems.append(f"{where}: {' '.join(exc.messages)}")
            continue
        boundaries[code] = geo.oriented(feature["geometry"])
    if len(problems) == 1:
        raise CommandError(problems[0])
    if problems:
        # One line per feature: an operator fixing the file wants the whole list, not the first.
        header = f"{len(problems)} features cannot be stored as boundaries; nothing was saved:"
        raise CommandError("\n".join([header, *(f"  {problem}" for problem in problems)]))
    return boundaries


@transaction.atomic
def save_boundaries(regions, boundaries):
    for code, boundary in boundaries.items():
        region = regions[code]
        region.boundary = boundary
        region.save(update_fields=["boundary"])


def summary(features, regions, boundaries, kept):
    # INEI order reads like the operator's code tables, and sorts "Áncash" where it belongs.
    matched = [regions[code] for code in sorted(boundaries)]
    missing = [regions[code] for code in sorted(regions) if code not in boundaries and code not in kept]
    lines = [f"Matched {plural(len(matched), 'region', 'regions')}" + (":" if matched else ".")]
    lines += [f"  {region.name} ({region.inei_code})" for region in matched]
    if kept:
        count = plural(len(kept), "region", "regions")
        lines.append(f"Kept the boundary already loaded for {count}: {names(regions[code] for code in kept)}")
    if missing:
        count = plural(len(missing), "region", "regions")
        lines.append(f"No feature in this file for {count} (left unchanged): {names(missing)}")
    used = len(matched) + len(kept)
    lines.append(
        f"{plural(len(features), 'feature', 'features')}: {used} matched, {len(features) - used} matched no region."
    )
    return "\n".join(lines)


def names(regions):
    return ", ".join(f"{region.name} ({region.inei_code})" for region in regions)


def plural(count, one, many):
    return f"{count} {one if count == 1 else many}"
