"""Whole numbers read from the address (a page number), for the site's pages; the API has its own.

A number the portal's own links never make (`?page=abc`, `?page=-1`, or more digits than any page
could have) is a 400: the address is wrong, and saying so beats showing some other page under
it, which the public page cache would then keep once for every such variant. A number past the
last page is left to the view: paginated lists show their last page, so a link shared before
rows were removed still opens.
"""

from django.core.exceptions import BadRequest

# The largest integer PostgreSQL stores, so a number let through can reach any query, even as
# an OFFSET multiplied by a page size.
LARGEST = 2**31 - 1


def query_int(request, name, *, default, minimum=1, maximum=LARGEST):
    """`request.GET[name]` as an int from `minimum` to `maximum`; `default` when absent or empty.
    Raises BadRequest (a 400 page) for anything else."""
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    # isdecimal() alone would let "٣" through; more digits than the maximum never fit it.
    if raw.isascii() and raw.isdecimal() and len(raw) <= len(str(maximum)) and minimum <= int(raw) <= maximum:
        return int(raw)
    raise BadRequest(f"{name} must be a whole number from {minimum} to {maximum}.")
