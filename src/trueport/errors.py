"""Every error TruePort raises on purpose, and how each is shown to a client.

    TruePortError
    ├── ConfigError                 invalid settings or config file (start-up; never per request)
    ├── ApiError                    an answer the control plane (/api/v1) sends: {"error": {"code", "message"}}
    │   ├── ApiInvalid              400  a body or parameter the API cannot accept (422 for schema errors)
    │   ├── ApiUnauthorized         401  no, bad or expired credentials
    │   ├── ApiForbidden            403  authenticated, but the role or tenant does not allow it
    │   ├── ApiNotFound             404  no such object in the caller's tenant (foreign ids too)
    │   ├── ApiConflict             409  a duplicate (slug, e-mail, alias) or a stale state
    │   ├── ApiTooLarge             413  body over platform.max_body_bytes
    │   ├── ApiThrottled            429  too many attempts (carries Retry-After)
    │   └── ApiUnavailable          503  a dependency the answer needs is down
    └── GatewayError                an answer the data plane sends, with its HTTP status
        ├── InvalidRequest          400  malformed JSON, missing or wrong fields
        ├── AuthenticationFailed    401  missing, wrong, revoked or expired key
        ├── PermissionDenied        403  the key may not use this model
        ├── RegionUnavailable       403  no target of the model is in the regions the tenant or route allows
        ├── ModelNotFound           404  no such model alias
        ├── RouteNotFound           404  no such endpoint
        ├── MethodNotAllowed        405
        ├── Conflict                409  an Idempotency-Key reused with a different body
        ├── PayloadTooLarge         413  body over limits.max_body_bytes
        ├── RateLimited             429  the key's own limit (carries Retry-After)
        ├── TokenLimitExceeded      400  the request alone needs more tokens than its TPM limit allows a minute
        ├── UnsupportedOperation    400  e.g. embeddings on a provider that has none
        ├── PolicyViolation         400  the guard blocked the request (names detector, type and message, never the content)
        ├── GuardUnavailable        503  a detector failed and its policy fails closed
        ├── UpstreamRejected        the provider refused the request itself (its 400/404/413/422)
        └── UpstreamFailed          every target failed: 429 if all were rate-limited, 503 if all
                                    were unreachable or overloaded, 502 otherwise

    UpstreamError                   one failed call to one provider target (caught by failover)
    ├── UpstreamTimeout             connect or read timeout
    ├── UpstreamUnavailable         connection refused, reset, DNS
    ├── UpstreamStatus              the provider answered 4xx/5xx
    └── UpstreamMalformed           a 2xx answer the gateway cannot use: over providers.<name>.max_response_bytes,
                                    not JSON, or the wrong shape (502, not retried on the same target)
    UpstreamStreamBroken            a stream that failed after its first byte (never retried)

Data-plane errors are rendered in OpenAI's error shape on OpenAI routes (``/v1/responses`` included)
and in Anthropic's on ``/v1/messages`` (see ``trueport.gateway.error_shapes``).
"""

from __future__ import annotations


class TruePortError(Exception):
    """Base class of TruePort's own errors."""


class ConfigError(TruePortError):
    """The configuration cannot be used; the message says why (and never contains a secret)."""


class ApiError(TruePortError):
    """A control-plane error; ``code`` is stable and machine-readable, ``message`` is for people."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.headers = headers or {}


class ApiInvalid(ApiError):
    status = 400
    code = "invalid_request"


class ApiUnauthorized(ApiError):
    status = 401
    code = "unauthorized"


class ApiForbidden(ApiError):
    status = 403
    code = "forbidden"


class ApiNotFound(ApiError):
    status = 404
    code = "not_found"


class ApiConflict(ApiError):
    status = 409
    code = "conflict"


class ApiTooLarge(ApiError):
    status = 413
    code = "request_too_large"


class ApiThrottled(ApiError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None):
        super().__init__(message, code=code, headers={"retry-after": str(max(1, retry_after_s))})
        self.retry_after_s = retry_after_s


class ApiUnavailable(ApiError):
    status = 503
    code = "unavailable"


class GatewayError(TruePortError):
    status: int = 500
    type: str = "api_error"
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.headers = headers or {}


class InvalidRequest(GatewayError):
    status = 400
    type = "invalid_request_error"


class AuthenticationFailed(GatewayError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class PermissionDenied(GatewayError):
    status = 403
    type = "permission_error"
    code = "model_not_allowed"


class RegionUnavailable(GatewayError):
    """The tenant or the route is pinned to regions none of the model's targets is in."""

    status = 403
    type = "permission_error"
    code = "region_unavailable"


class ModelNotFound(GatewayError):
    status = 404
    type = "invalid_request_error"
    code = "model_not_found"


class RouteNotFound(GatewayError):
    status = 404
    type = "invalid_request_error"
    code = "unknown_url"


class MethodNotAllowed(GatewayError):
    status = 405
    type = "invalid_request_error"
    code = "method_not_allowed"


class Conflict(GatewayError):
    status = 409
    type = "invalid_request_error"
    code = "idempotency_key_reused"


class PayloadTooLarge(GatewayError):
    status = 413
    type = "invalid_request_error"
    code = "request_too_large"


class RateLimited(GatewayError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"


class TokenLimitExceeded(GatewayError):
    """The request's token estimate exceeds a whole minute of its TPM limit: waiting cannot help."""

    status = 400
    type = "invalid_request_error"
    code = "tokens_over_limit"


class UnsupportedOperation(GatewayError):
    status = 400
    type = "invalid_request_error"
    code = "unsupported_operation"


class PolicyViolation(GatewayError):
    status = 400
    type = "invalid_request_error"
    code = "policy_violation"

    def __init__(self, message: str, *, detector: str, violation_type: str, param: str | None = None):
        super().__init__(message, param=param)
        self.detector = detector
        self.violation_type = violation_type


class GuardUnavailable(GatewayError):
    status = 503
    type = "guard_error"
    code = "guard_unavailable"


class UpstreamRejected(GatewayError):
    """The provider refused the request as invalid; its status (4xx) and message go back to the client."""

    type = "invalid_request_error"
    code = "upstream_rejected"

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


class UpstreamFailed(GatewayError):
    """Every target of a model alias failed before the first byte reached the client."""

    type = "upstream_error"
    code = "all_targets_failed"

    def __init__(self, message: str, *, status: int, last: UpstreamError | None = None):
        super().__init__(message)
        self.status = status
        self.last = last
        if status == 429:
            self.type = "rate_limit_error"


class UpstreamError(TruePortError):
    """One call to one provider target failed."""

    retryable: bool = True

    def __init__(self, message: str, *, provider: str = "", status: int | None = None):
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status

    @property
    def error_class(self) -> str:
        return type(self).__name__

    @property
    def public(self) -> str:
        """What a client may be told: no provider name, model, URL or upstream text (that is ``message``)."""
        return f"answered HTTP {self.status}" if self.status is not None else "failed"


class UpstreamTimeout(UpstreamError):
    public = "timed out"


class UpstreamUnavailable(UpstreamError):
    public = "unreachable"


class UpstreamStatus(UpstreamError):
    """The provider answered with an error status.

    401/403 (this target's credential is wrong), 408, 409, 429 and 5xx move on to the next target;
    other 4xx mean the request itself is wrong and go back to the client.
    """

    def __init__(self, message: str, *, provider: str = "", status: int):
        super().__init__(message, provider=provider, status=status)
        self.retryable = status in (401, 403, 408, 409, 429) or status >= 500


class UpstreamMalformed(UpstreamError):
    """The provider answered 2xx with something unusable; repeating the call would fetch it again."""

    retryable = False
    public = "answered with an unusable (malformed or oversized) response"

    def __init__(self, message: str, *, provider: str = ""):
        super().__init__(message, provider=provider, status=502)


class UpstreamStreamBroken(UpstreamError):
    """A stream failed after its first byte; it ends with a terminal error event, never a retry."""

    retryable = False
    public = "stream broke off (malformed, oversized or cut)"

    def __init__(self, message: str, *, provider: str = "", malformed: bool = False):
        super().__init__(message, provider=provider)
        self.malformed = malformed  # the upstream sent something unusable (not a network failure)
