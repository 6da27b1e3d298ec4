from __future__ import annotations

from decimal import Decimal

from trueport.usage.pricing import PricingCatalog


def test_bedrock_models_and_inference_profiles_are_priced() -> None:
    catalog = PricingCatalog.load()
    # Claude 3.5 Haiku on Bedrock: 0.80 in, 0.08 cached in, 4.00 out per million
    cost = catalog.cost("anthropic.claude-3-5-haiku-20241022-v1:0", 1_000_000, 1_000_000, 500_000)
    assert cost == Decimal("4.44")
    assert catalog.price_of("us.amazon.nova-lite-v1:0") == catalog.price_of("amazon.nova-lite-v1:0")
    nova = catalog.price_of("amazon.nova-pro-v1:0")
    assert nova is not None and nova.cached_input == nova.input  # no cached price listed: priced as input
    assert catalog.cost("amazon.titan-embed-text-v2:0", 1_000_000, 0, 0) == Decimal("0.02")
