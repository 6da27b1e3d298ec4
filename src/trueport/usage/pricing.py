"""The pricing catalog: a versioned data file in the package, prices per million tokens."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path

from trueport.jsonutil import loads_object

_MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Price:
    input: Decimal
    cached_input: Decimal
    output: Decimal


class PricingCatalog:
    def __init__(self, version: str, prices: dict[str, Price]):
        self.version = version
        self._prices = prices
        self._by_length = sorted(prices, key=len, reverse=True)

    @classmethod
    def load(cls, path: Path | None = None) -> PricingCatalog:
        if path is None:
            raw = resources.files("trueport.usage").joinpath("pricing_catalog.json").read_bytes()
        else:
            raw = path.read_bytes()
        data = loads_object(raw)
        prices = {
            name: Price(
                input=Decimal(str(entry["input"])),
                cached_input=Decimal(str(entry.get("cached_input", entry["input"]))),
                output=Decimal(str(entry["output"])),
            )
            for name, entry in data["models"].items()
        }
        return cls(str(data["version"]), prices)

    def price_of(self, model: str) -> Price | None:
        """Exact name first, then the longest listed prefix (dated snapshots, ``-latest``)."""
        price = self._prices.get(model)
        if price is not None:
            return price
        for name in self._by_length:
            if model.startswith(name):
                return self._prices[name]
        return None

    def cost(
        self, model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int
    ) -> Decimal | None:
        """Cost in USD, or None when the model is not in the catalog. Cached tokens are part of the prompt."""
        price = self.price_of(model)
        if price is None:
            return None
        cached = min(cached_tokens, prompt_tokens)
        total = (
            (prompt_tokens - cached) * price.input
            + cached * price.cached_input
            + completion_tokens * price.output
        )
        return total / _MILLION
