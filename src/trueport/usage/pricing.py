"""The pricing catalog: a versioned data file in the package, prices per million tokens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from trueport.db.engine import SessionFactory
from trueport.db.models import PricingOverride
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


class TenantPrices:
    """Tenants' negotiated prices (``PricingOverride`` rows) over the catalog, held in memory.

    The record writer prices every record with ``cost`` and must never query per record: ``reload``
    reads all overrides at once and is run by the live-config watcher whenever the configuration
    changes (the billing API announces each override change), so a new price applies within moments
    on every replica. Matching is as in the catalog: the exact upstream model name, then the longest
    listed prefix.
    """

    OVERRIDE_VERSION = "tenant-override"  # the ``pricing_version`` of a record priced by an override

    def __init__(self, catalog: PricingCatalog, sessions: SessionFactory | None = None):
        self.catalog = catalog
        self._sessions = sessions
        self._by_tenant: dict[str, PricingCatalog] = {}

    def set_overrides(self, overrides: Iterable[tuple[str, str, Price]]) -> None:
        """Replace every override: ``(tenant_id, model, price)`` triples."""
        grouped: dict[str, dict[str, Price]] = {}
        for tenant_id, model, price in overrides:
            grouped.setdefault(tenant_id, {})[model] = price
        self._by_tenant = {
            tenant: PricingCatalog(self.OVERRIDE_VERSION, prices) for tenant, prices in grouped.items()
        }

    async def reload(self) -> None:
        if self._sessions is None:
            return
        async with self._sessions() as session:
            # Every tenant's overrides at once: the gateway's pricing, not a tenant-scoped query.
            rows = (await session.execute(select(PricingOverride))).scalars().all()
        self.set_overrides(
            (
                row.tenant_id,
                row.model,
                Price(
                    input=Decimal(row.input_per_mtok),
                    cached_input=Decimal(
                        row.cached_input_per_mtok
                        if row.cached_input_per_mtok is not None
                        else row.input_per_mtok
                    ),
                    output=Decimal(row.output_per_mtok),
                ),
            )
            for row in rows
        )

    def cost(
        self,
        tenant_id: str | None,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int,
    ) -> tuple[Decimal, str] | None:
        """The cost and the pricing version it came from, or None when nothing prices the model."""
        overrides = self._by_tenant.get(tenant_id) if tenant_id is not None else None
        for prices in (overrides, self.catalog):
            if prices is None:
                continue
            cost = prices.cost(model, prompt_tokens, completion_tokens, cached_tokens)
            if cost is not None:
                return cost, prices.version
        return None
