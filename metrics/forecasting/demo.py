"""Series for the demo organisation that make the foresight features show something real on
first run (issue 17, item 6): a true driver pair, a bogus declared link and a steady decline
that will miss its quarter. Pure and seeded: the seed command stores what these return.

All three are monthly (both KPIs of a link on one cadence: nothing lost to resampling), one
value per month, oldest first, for `n` months ending with the last complete month:

- `driver_pair`: the lead wanders (a random walk); the lag follows it two months later at 0.8×
  its changes, plus a little noise. The lead→lag test finds lag 2, supported.
- `bogus_lead`: a random walk of its own, declared as a lead of the same lag: not supported.
- `steady_decline`: falls by the same step each month with small noise; against a quarter
  target near today's level it is on target now and forecast to miss by the quarter's end.
"""

from __future__ import annotations

import numpy as np

DRIVER_LAG = 2  # months from the lead's move to the lag's
SEEDS = {"driver": 2026, "lag": 2027, "bogus": 3008, "decline": 2030}  # bogus: p ≈ 0.95


def driver_pair(n: int, *, lead_level: float, lag_level: float) -> tuple[list[float], list[float]]:
    """(lead, lag) values: the lag's changes are 0.8× the lead's, DRIVER_LAG months later
    (relative to each level, so any units work)."""
    steps = np.random.default_rng(SEEDS["driver"]).normal(0, 0.04, n)
    lead = 1 + np.cumsum(steps)
    delayed = np.concatenate([np.full(DRIVER_LAG, lead[0]), lead[:-DRIVER_LAG]])
    noise = np.random.default_rng(SEEDS["lag"]).normal(0, 0.004, n)
    lag = 1 + 0.8 * (delayed - 1) + noise
    return [round(float(v) * lead_level, 2) for v in lead], [
        round(float(v) * lag_level, 2) for v in lag
    ]


def bogus_lead(n: int, *, level: float) -> list[float]:
    """A random walk unrelated to anything (declared as a lead, the data say otherwise)."""
    steps = np.random.default_rng(SEEDS["bogus"]).normal(0, 0.04, n)
    return [round(float(v) * level, 2) for v in 1 + np.cumsum(steps)]


def steady_decline(n: int, *, level: float, monthly_drop: float = 0.02) -> list[float]:
    """From 1 + n × monthly_drop of `level` down to `level` this month, with 0.3 % noise: set
    the running quarter's target (green) at about `level` and it is met now but will miss."""
    noise = np.random.default_rng(SEEDS["decline"]).normal(0, 0.003, n)
    path = 1 + monthly_drop * (n - 1 - np.arange(n)) + noise
    return [round(float(v) * level, 2) for v in path]
