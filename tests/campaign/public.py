"""What the public site's tests share: the pages and files a visitor can reach, and readers for them."""

import csv
import io
import re

LANGUAGES = ["es", "en"]
# Every public HTML page, by its path after the language prefix.
PAGES = [
    "",
    "ayuda/",
    "ayuda/cem/",
    "ayuda/cem/?region=amazonas",
    "aviso-legal/",
    "privacidad/",
    "regiones/",
    "regiones/amazonas/",
    "objetivos/",
    "objetivos/oe1/",
    "programas/",
    "programas/warmi-nan/",
    "mapa/",
    "mapa/?region=amazonas",
    "estadisticas/",
    "datos-abiertos/",
    "datos-abiertos/publicaciones/",
    "noticias/",
]
DOWNLOADS = [
    "datos-abiertos/datapackage.json",
    "datos-abiertos/catalogo.jsonld",
    "datos-abiertos/agregados.csv",
    "datos-abiertos/cifras-region-objetivo.csv",
    "datos-abiertos/cifras-servicio.csv",
    "datos-abiertos/cifras-periodo.csv",
    "datos-abiertos/cifras-region-anio.csv",
    "datos-abiertos/cifras-organizaciones.csv",
    "datos-abiertos/publicaciones/1/datapackage.json",
    "datos-abiertos/publicaciones/1/actividades.csv",
    "datos-abiertos/regiones.geojson",
    "datos-abiertos/actividades.csv",
    "datos-abiertos/actividades.geojson",
    "datos-abiertos/actividades.geojson?limit=10",
]
SIX = ("girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men")
TABLE = re.compile(r"<table>(.*?)</table>", re.S)
CELL = re.compile(r'data-field="([^"]+)"[^>]*>([^<]*)<')


def text(response):
    """The text of a response, streamed or not."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def csv_rows(response):
    """The rows of a CSV file as dicts, after checking it starts with a UTF-8 byte order mark."""
    body = text(response)
    assert body.startswith("\ufeff"), body[:20]
    return list(csv.DictReader(io.StringIO(body[1:])))


def number(cell):
    """A shown count as an int, or None when it is hidden ("<5", "x")."""
    cell = cell.strip().replace("&lt;", "<")
    if cell in ("<5", "x"):
        return None
    return int(re.sub(r"[^\d]", "", cell))


def assert_not_derivable(parts, total, where=""):
    """The public rule for a line of parts and its total: no hidden part can be worked out, and
    the hidden parts together are not a small count."""
    values = [number(p) for p in parts]
    shown_total = number(total)
    hidden = [i for i, v in enumerate(values) if v is None]
    if not hidden or shown_total is None:
        return
    assert len(hidden) >= 2, f"{where}: the only hidden cell is the total minus the others ({parts}, {total})"
    rest = shown_total - sum(v for v in values if v is not None)
    assert not 0 < rest < 5, f"{where}: the hidden cells add up to {rest} ({parts}, {total})"


def table_lines(html):
    """Each table's lines of parts and their total, from the cells' data-field names: a column per
    field when the body repeats a field, the whole body against "participants" when it does not
    (the sex and age table)."""
    lines = []
    for table in TABLE.findall(html):
        head, _, foot = table.partition("<tfoot>")
        cells = CELL.findall(head)
        totals = dict(CELL.findall(foot))
        fields = [field for field, _ in cells]
        if fields and set(fields) <= set(SIX):
            lines.append(([value for _, value in cells], totals.get("participants")))
            continue
        for field, total in totals.items():
            lines.append(([value for name, value in cells if name == field], total))
    return lines
