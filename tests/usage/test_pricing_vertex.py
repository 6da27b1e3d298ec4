"""Vertex AI model names in the pricing catalog."""

from __future__ import annotations

from decimal import Decimal

from trueport.usage.pricing import PricingCatalog


def test_claude_on_vertex_is_priced_under_its_vertex_name() -> None:
    catalog = PricingCatalog.load()
    # Claude 3.5 Haiku: 0.80 in, 0.08 cached in, 4.00 out per million
    assert catalog.cost("claude-3-5-haiku@20241022", 1_000_000, 1_000_000, 500_000) == Decimal("4.44")
    assert catalog.price_of("claude-sonnet-4@20250514") == catalog.price_of("claude-3-5-sonnet-v2@20241022")
    # newer Vertex names share the Anthropic entries' prefixes (claude-sonnet-4-5@20250929)
    assert catalog.price_of("claude-sonnet-4-5@20250929") == catalog.price_of("claude-sonnet-4-5")


def test_gemini_on_vertex_shares_the_gemini_entries() -> None:
    catalog = PricingCatalog.load()
    assert catalog.price_of("gemini-2.0-flash-001") == catalog.price_of("gemini-2.0-flash")
    assert catalog.cost("gemini-embedding-001", 1_000_000, 0, 0) == Decimal("0.15")
