import os

from hypothesis import HealthCheck, settings

# The first call of a kernel compiles it (or loads it from the cache): no deadline.
settings.register_profile(
    "sparseopt",
    deadline=None,
    max_examples=int(os.environ.get("SPARSEOPT_HYPOTHESIS_EXAMPLES", "60")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("sparseopt")
