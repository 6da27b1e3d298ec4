"""A Google OAuth token endpoint for the Vertex emulator, and the bearer tokens it issues.

The emulator owns one test service account: ``GET /_mock/vertex/service-account`` returns its key
file (a real service-account JSON, RSA key included, whose ``token_uri`` is this emulator's
``/token``; with ``?ttl=<seconds>`` the tokens it yields live that long). ``POST /token`` takes the
JWT-bearer grant google-auth sends (``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``,
``assertion=<RS256 JWT>``), verifies the assertion's signature with the key's public part, its
issuer, scope, audience and lifetime, and issues an opaque token with ``expires_in``. Vertex routes
accept only such a token while it lives: a missing, unknown or expired one is 401 in Google's error
shape. ``GET /_mock/vertex/tokens`` counts tokens issued and refused; ``POST
/_mock/vertex/tokens/expire`` ends every live token at once (as a revocation would).

The key is made when the emulator first needs it; it never leaves the test machine and signs nothing
but test assertions. Assertions are checked with PyJWT (a core dependency), not google-auth (the
``vertex`` extra), so the emulator runs in a plain install.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from trueport.jsonutil import JSONObject, dumps
from trueport.mockprovider.exchange import MockError, bearer_token

PROJECT = "trueport-mock"
CLIENT_EMAIL = f"trueport-test@{PROJECT}.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_TTL_S = 3600
MAX_TTL_S = 3600
LEEWAY_S = 10  # clock skew allowed on the assertion's iat and exp


@dataclass(slots=True)
class GoogleOAuth:
    """The test service account, the tokens issued to it, and the counts tests read."""

    issued: int = 0
    refused: int = 0
    _key: rsa.RSAPrivateKey | None = None
    _key_id: str = field(default_factory=lambda: secrets.token_hex(20))
    _tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (time.time())
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:
                self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._key

    def key_file(self, token_uri: str) -> JSONObject:
        pem = self.key().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return {
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": self._key_id,
            "private_key": pem.decode("ascii"),
            "client_email": CLIENT_EMAIL,
            "client_id": "100000000000000000001",
            "token_uri": token_uri,
        }

    def public_pem(self) -> str:
        return (
            self.key()
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )

    def issue(self, ttl_s: int) -> str:
        token = f"ya29.mock-{secrets.token_urlsafe(24)}"
        with self._lock:
            self._tokens[token] = time.time() + ttl_s
            self.issued += 1
        return token

    def check(self, token: str | None) -> None:
        """Raise a 401 ``MockError`` unless ``token`` was issued here and has not expired."""
        with self._lock:
            expiry = self._tokens.get(token) if token else None
            if expiry is not None and time.time() < expiry:
                return
            self.refused += 1
        if token is None:
            raise MockError(
                401, "Request is missing required authentication credential. Expected OAuth 2 access token."
            )
        reason = "expired" if expiry is not None else "invalid"
        raise MockError(401, f"Request had invalid authentication credentials ({reason} access token).")

    def expire_all(self) -> int:
        with self._lock:
            live = [token for token, expiry in self._tokens.items() if expiry > time.time()]
            for token in live:
                self._tokens[token] = 0.0
            return len(live)

    def counts(self) -> JSONObject:
        with self._lock:
            live = sum(1 for expiry in self._tokens.values() if expiry > time.time())
            return {"issued": self.issued, "refused": self.refused, "live": live}

    def reset_counts(self) -> None:
        with self._lock:
            self.issued = self.refused = 0
            self._tokens.clear()


OAUTH = web.AppKey("trueport.mockprovider.google_oauth", GoogleOAuth)


def check_request(request: web.Request) -> None:
    """The Vertex routes' credential check: a live bearer token issued by ``/token``."""
    request.app[OAUTH].check(bearer_token(request))


def _oauth_error(error: str, description: str, status: int = 400) -> web.Response:
    body = dumps({"error": error, "error_description": description})
    return web.Response(body=body, status=status, content_type="application/json")


def _ttl(request: web.Request) -> int | None:
    raw = request.query.get("ttl", str(DEFAULT_TTL_S))
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_TTL_S else None


async def _token(request: web.Request) -> web.StreamResponse:
    oauth = request.app[OAUTH]
    form = await request.post()
    if form.get("grant_type") != JWT_BEARER:
        return _oauth_error("unsupported_grant_type", f"grant_type must be {JWT_BEARER}")
    assertion = form.get("assertion")
    ttl = _ttl(request)
    if not isinstance(assertion, str) or ttl is None:
        return _oauth_error("invalid_request", "an assertion (and a ttl of 1 to 3600 seconds) is required")
    try:
        claims = jwt.decode(
            assertion,
            oauth.public_pem(),
            algorithms=["RS256"],
            leeway=LEEWAY_S,
            options={"require": ["iss", "aud", "iat", "exp"], "verify_aud": False},  # aud: below
        )
    except jwt.PyJWTError as exc:
        return _oauth_error("invalid_grant", f"Invalid JWT Signature or claims ({type(exc).__name__}).")
    audience = urlsplit(str(claims.get("aud", "")))
    if (
        claims.get("iss") != CLIENT_EMAIL
        or SCOPE not in str(claims.get("scope", "")).split()
        or audience.path != request.path
    ):
        return _oauth_error("invalid_grant", "Invalid JWT: issuer, scope or audience is wrong.")
    token = oauth.issue(ttl)
    return web.Response(
        body=dumps({"access_token": token, "expires_in": ttl, "token_type": "Bearer"}),
        content_type="application/json",
    )


async def _service_account(request: web.Request) -> web.StreamResponse:
    ttl = _ttl(request)
    if ttl is None:
        raise web.HTTPBadRequest(text="ttl must be 1 to 3600 seconds")
    token_uri = str(
        request.url.with_path("/token").with_query({"ttl": str(ttl)} if "ttl" in request.query else {})
    )
    return web.Response(body=dumps(request.app[OAUTH].key_file(token_uri)), content_type="application/json")


async def _counts(request: web.Request) -> web.StreamResponse:
    return web.Response(body=dumps(request.app[OAUTH].counts()), content_type="application/json")


async def _expire(request: web.Request) -> web.StreamResponse:
    return web.Response(
        body=dumps({"expired": request.app[OAUTH].expire_all()}), content_type="application/json"
    )


def install(app: web.Application) -> None:
    app[OAUTH] = GoogleOAuth()
    app.router.add_post("/token", _token)
    app.router.add_get("/_mock/vertex/service-account", _service_account)
    app.router.add_get("/_mock/vertex/tokens", _counts)
    app.router.add_post("/_mock/vertex/tokens/expire", _expire)
