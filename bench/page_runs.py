"""What the benchmarks of one staff page share: their options and how they print a series of times."""

import argparse
import statistics


def options(doc, user):
    """--runs and --user (a ministry or admin user seed_demo makes), described by the script's docstring."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--user", default=user)
    return parser.parse_args()


def series_ms(times):
    """The median and every run, in milliseconds."""
    return f"median {statistics.median(times) * 1000:.1f} ms of {', '.join(f'{t * 1000:.0f}' for t in times)}"
