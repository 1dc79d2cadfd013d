"""Reliability suite settings: hypothesis profiles (`ci` by default, `soak` for long runs).

`HYPOTHESIS_PROFILE=soak pytest -m soak tests/reliability` runs the fuzz tests with many more
examples; the default `ci` profile keeps each fuzz test to a few seconds.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=2000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "soak",
    max_examples=3000,
    deadline=10000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
