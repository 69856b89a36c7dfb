"""Loss coefficients that change with the step: XLM's `lambda_ae`,
`lambda_bt`, ... (`--lambda_ae '0:1,100000:0.1,300000:0'`).

A schedule is "step:value" points, linear between them, constant before the
first and after the last; "" is the constant 1.
"""

import numpy as np


def parse_schedule(text):
    """'0:1,1000:0.1' -> ([0, 1000], [1.0, 0.1]); "" -> ([0], [1.0]).

    Raises ValueError naming the problem: a point that is not step:value, a
    negative or non-finite value, steps not strictly increasing.
    """
    if not text.strip():
        return [0], [1.0]
    steps, values = [], []
    for item in text.split(","):
        parts = item.strip().split(":")
        try:
            step, value = int(parts[0]), float(parts[1])
            if len(parts) != 2:
                raise ValueError
        except (ValueError, IndexError):
            raise ValueError(
                f"{item.strip()!r} is not <step>:<value>; write e.g. '0:1,100000:0.1,300000:0'"
            ) from None
        if step < 0 or not np.isfinite(value) or value < 0:
            raise ValueError(f"{item.strip()!r}: steps and values must be finite and >= 0")
        if steps and step <= steps[-1]:
            raise ValueError(f"{item.strip()!r}: steps must increase from point to point")
        steps.append(step)
        values.append(value)
    return steps, values


def coefficient(schedule, step):
    """The value of a parsed `schedule` at `step` (float)."""
    steps, values = schedule
    return float(np.interp(step, steps, values))
