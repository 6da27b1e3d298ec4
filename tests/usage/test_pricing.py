from __future__ import annotations

from decimal import Decimal

from trueport.usage.pricing import PricingCatalog


def test_catalog_prices_known_models() -> None:
    catalog = PricingCatalog.load()
    assert catalog.version
    # gpt-4o-mini: 0.15 in, 0.075 cached in, 0.60 out per million
    cost = catalog.cost("gpt-4o-mini", prompt_tokens=1_000_000, completion_tokens=1_000_000, cached_tokens=0)
    assert cost == Decimal("0.75")
    cached = catalog.cost("gpt-4o-mini", prompt_tokens=1_000_000, completion_tokens=0, cached_tokens=500_000)
    assert cached == Decimal("0.1125")


def test_dated_snapshots_use_the_longest_prefix() -> None:
    catalog = PricingCatalog.load()
    assert catalog.price_of("gpt-4o-mini-2024-07-18") == catalog.price_of("gpt-4o-mini")
    assert catalog.price_of("gpt-4o-2024-08-06") == catalog.price_of("gpt-4o")
    assert catalog.price_of("unknown-model") is None
    assert catalog.cost("unknown-model", 10, 10, 0) is None
