"""The pieces of the lab's HTTP service (``labkit.service``): auth, limits, metrics, routes.

``labkit/service.py`` assembles them into one FastAPI app; each module here does one job.
Route modules for the four patterns import their pattern lazily, so the service starts (and
reports what is missing on ``/readyz``) even when a pattern cannot be imported.
"""
