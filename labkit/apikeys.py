"""The one API key an HTTP request presents: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``.

The service's routes, its ``/v1`` gateway routes and the standalone gateway all read the key
with :func:`presented_key`, and both authentication and billing use its one result, so no
route can authenticate one key and charge another. A request is refused
(``NotAuthenticated``, 401) when it is ambiguous: two ``Authorization`` headers, two
``X-API-Key`` headers, an ``Authorization`` and an ``X-API-Key`` that carry different keys,
or an ``Authorization`` header that is not ``Bearer KEY``.

It does not look keys up (the service's key table and the gateway's ``keys`` do that).

Example:
    >>> presented_key([(b"authorization", b"Bearer lab-key-hr")])
    'lab-key-hr'
    >>> presented_key([(b"x-api-key", b"lab-key-hr")])
    'lab-key-hr'
    >>> presented_key([]) is None
    True
    >>> presented_key([(b"authorization", b"Bearer a"), (b"authorization", b"Bearer b")])
    Traceback (most recent call last):
    ...
    labkit.errors.NotAuthenticated: more than one Authorization header: send exactly one API key
"""

from __future__ import annotations

from collections.abc import Iterable

from labkit.errors import NotAuthenticated


def presented_key(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The API key in raw (ASGI) ``headers``, None if there is none; ``NotAuthenticated`` if ambiguous.

    ``headers`` is the raw list (``scope["headers"]`` or ``request.headers.raw``), not a
    mapping: a mapping keeps one of two repeated headers, which is how a caller could be
    authenticated by one key and billed to another.
    """
    authorization: list[bytes] = []
    api_keys: list[bytes] = []
    for name, value in headers:
        name = name.lower()
        if name == b"authorization":
            authorization.append(value)
        elif name == b"x-api-key":
            api_keys.append(value)
    if len(authorization) > 1:
        raise NotAuthenticated("more than one Authorization header: send exactly one API key")
    if len(api_keys) > 1:
        raise NotAuthenticated("more than one X-API-Key header: send exactly one API key")
    bearer = None
    if authorization:
        scheme, _, token = authorization[0].decode("latin-1").strip().partition(" ")
        if scheme.lower() != "bearer":
            raise NotAuthenticated("the Authorization header must be 'Bearer KEY' "
                                   "(or send the key as 'X-API-Key: KEY')")
        bearer = token.strip() or None  # "Bearer " with no key: as if no header was sent
    api_key = (api_keys[0].decode("latin-1").strip() or None) if api_keys else None
    if bearer and api_key and bearer != api_key:
        raise NotAuthenticated("the Authorization and X-API-Key headers carry different keys: "
                               "send exactly one API key")
    return bearer or api_key
