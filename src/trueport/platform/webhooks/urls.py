"""The SSRF guard for webhook URLs: checked when saved and again before every delivery.

A tenant chooses where events go and the worker then POSTs from inside the installation's network,
so the rules of tenants' upstreams apply (``trueport.platform.credentials.urls``); the delivery's
HTTP client also re-checks each connection (``credentials.egress``), against DNS rebinding.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from trueport.platform.credentials.urls import UnsafeUrl, check_base_url


async def check_webhook_url(url: str, *, allow_private: bool) -> str:
    """The URL if events may be sent there; ``UnsafeUrl`` otherwise (the SSRF guard of upstreams).

    Unlike a provider's base URL, a webhook URL may carry a ``?query`` (receivers put tokens there):
    the rest of it is checked, and the query is kept as it is.
    """
    path, _, query = url.partition("?")
    if "#" in query:
        raise UnsafeUrl("url must not have a #fragment")
    try:
        checked = await check_base_url(path, allow_private=allow_private)
    except UnsafeUrl as exc:
        raise UnsafeUrl(str(exc).replace("base_url", "url")) from None
    if urlsplit(path).path.endswith("/") and not checked.endswith("/"):
        checked += "/"  # the receiver's path as given: "/hook/" and "/hook" may differ
    return f"{checked}?{query}" if query else checked
