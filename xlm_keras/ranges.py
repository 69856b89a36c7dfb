"""The rule of every numeric setting with a range, config value and
command-line flag alike: a finite number within its bounds, so `nan` and
`inf` never pass a one-sided bound."""

import math


def finite_in_range(value, low=None, high=None):
    """Whether `value` is a finite number in [low, high] (None: no bound)."""
    return (
        math.isfinite(value) and (low is None or value >= low) and (high is None or value <= high)
    )


def range_text(low=None, high=None):
    """What `finite_in_range(value, low, high)` asks for, e.g. "must be a
    finite number >= 0"."""
    bounds = [f">= {low}"] * (low is not None) + [f"<= {high}"] * (high is not None)
    return " ".join(["must be a finite number", " and ".join(bounds)]).strip()
