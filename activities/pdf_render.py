"""Draw a PDF's first page in a process of its own, under memory and CPU limits.

PDFium is a large native library fed a file a stranger uploaded: whatever the checks before it miss
(activities.previews weighs the page first), a page that makes it allocate gigabytes or loop must
cost this short-lived process, not a web worker that serves everyone else. The web process runs

    python -I activities/pdf_render.py MEMORY_BYTES CPU_SECONDS SIDE MAX_SCALE < file.pdf

which sets its limits before it loads PDFium, draws the first page to fit SIDE pixels, and writes
"WIDTH HEIGHT MODE\\n" and the raw pixels to its standard output; exit code 2 when the file cannot be
drawn. It imports nothing of the portal (no Django, no settings, no database): what it can reach is
its standard input and output. activities.previews reads the pixels back without any image parser.
"""

import resource
import sys

CANNOT_DRAW = 2


def render_scale(width, height, side, max_scale):
    """Pixels per point to fit the page in `side` pixels, or None for a page too thin to show."""
    if min(width, height) <= 0:
        return None
    scale = min(side / max(width, height), max_scale)
    # A sliver of a page would round to no pixels at all.
    return scale if min(width, height) * scale >= 1 else None


def draw(content, side, max_scale):
    """The first page's pixels as a PIL image, or None."""
    import pypdfium2  # after the limits: the native library's own allocations count against them

    document = None
    try:
        document = pypdfium2.PdfDocument(content)
        if len(document) < 1:
            return None
        page = document[0]
        # Page sizes are in points (1/72 inch), which scale 1 renders one pixel each.
        scale = render_scale(*page.get_size(), side, max_scale)
        if scale is None:
            return None
        # No form environment: nothing in the file is run, only its page content drawn.
        return page.render(scale=scale, may_draw_forms=False).to_pil()
    except (pypdfium2.PdfiumError, ValueError):
        return None
    finally:
        if document is not None:
            document.close()


def main(argv):
    memory, seconds, side, max_scale = int(argv[1]), int(argv[2]), int(argv[3]), float(argv[4])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    image = draw(sys.stdin.buffer.read(), side, max_scale)
    if image is None:
        return CANNOT_DRAW
    out = sys.stdout.buffer
    out.write(f"{image.width} {image.height} {image.mode}\n".encode())
    out.write(image.tobytes())
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
