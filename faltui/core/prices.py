"""``PriceBook``: unit prices (fal-protocol §9.2) kept in memory and on disk for a while.

Spend figures, estimates and the budget all need an endpoint's unit price. Asking fal each
time would be slow and would fail offline, so prices are kept: in memory for the session and
in ``<cache>/prices.json`` for ``catalog_ttl`` seconds (a day by default). An older price is
still used when fal cannot be asked (offline, no key) — a slightly stale price beats none —
and fetched anew whenever fal can be asked.

``get`` is synchronous (memory only: safe in a UI callback); ``fetch`` asks fal for the ids
it has no fresh price of, 50 per request.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from faltui.core.config import Settings
from faltui.core.errors import FaltuiError
from faltui.core.pricing import Price, get_prices
from faltui.core.text import safe_json

CACHE_NAME = "prices.json"


class PriceBook:
    """Unit prices by endpoint id, fetched on demand and cached on disk.

    ``http_of`` is anything ``get_prices`` accepts (a ``FalClient``, an ``httpx`` client, or
    None: a client of its own per fetch). ``cache_file`` None keeps prices in memory only.
    """

    def __init__(
        self,
        settings: Settings,
        http_of: Any = None,
        *,
        cache_file: Path | None = None,
        ttl: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.http_of = http_of
        self.cache_file = cache_file
        self.ttl = settings.catalog_ttl if ttl is None else ttl
        self.clock = clock
        self._prices: dict[str, tuple[Price, float]] = {}
        self._lock = threading.Lock()
        #: Why the last ``fetch`` could not ask fal (shown next to figures), or None.
        self.problem: str | None = None
        self._load()

    @classmethod
    def for_settings(cls, settings: Settings, http_of: Any = None) -> PriceBook:
        """The session's price book, cached in the cache folder."""
        return cls(settings, http_of, cache_file=settings.paths.cache_dir / CACHE_NAME)

    # -- reading ---------------------------------------------------------------------------

    def get(self, endpoint_id: str) -> Price | None:
        """The known price of ``endpoint_id`` (fresh or not), or None. Never asks fal."""
        with self._lock:
            entry = self._prices.get(endpoint_id)
        return entry[0] if entry is not None else None

    def known(self) -> dict[str, Price]:
        """Every price known, by endpoint id."""
        with self._lock:
            return {key: entry[0] for key, entry in self._prices.items()}

    def is_fresh(self, endpoint_id: str) -> bool:
        """True when the price was fetched less than ``ttl`` seconds ago."""
        with self._lock:
            entry = self._prices.get(endpoint_id)
        return entry is not None and self.clock() - entry[1] < self.ttl

    # -- fetching --------------------------------------------------------------------------

    async def fetch(
        self, endpoint_ids: Iterable[str], *, refresh: bool = False
    ) -> dict[str, Price]:
        """Prices of ``endpoint_ids``: the ones without a fresh price are asked of fal.

        Never raises for fal's answer: when fal cannot be asked (no key, offline, refused),
        the prices known already are returned and ``problem`` says why.
        """
        wanted = list(dict.fromkeys(i for i in endpoint_ids if i))
        missing = [i for i in wanted if refresh or not self.is_fresh(i)]
        if missing:
            try:
                prices = await get_prices(self.http_of, self.settings, missing)
            except FaltuiError as exc:
                self.problem = f"unit prices could not be fetched ({exc})"
            else:
                self.problem = None
                now = self.clock()
                with self._lock:
                    for price in prices:
                        self._prices[price.endpoint_id] = (price, now)
                self._save()
        with self._lock:
            return {i: self._prices[i][0] for i in wanted if i in self._prices}

    def put(self, price: Price) -> None:
        """Remember ``price`` as fetched now (e.g. one the caller got from fal itself)."""
        with self._lock:
            self._prices[price.endpoint_id] = (price, self.clock())
        self._save()

    # -- disk ------------------------------------------------------------------------------

    def _load(self) -> None:
        if self.cache_file is None:
            return
        try:
            data = json.loads(self.cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict):
            return
        for entry in data.get("prices") or []:
            if not isinstance(entry, dict):
                continue
            try:
                price = Price.from_api(entry)
                fetched = float(entry.get("fetched_at") or 0.0)
            except (ValueError, TypeError):
                continue
            self._prices[price.endpoint_id] = (price, fetched)

    def _save(self) -> None:
        if self.cache_file is None:
            return
        with self._lock:
            entries = [
                {
                    "endpoint_id": price.endpoint_id,
                    "unit_price": price.unit_price,
                    "unit": price.unit,
                    "currency": price.currency,
                    "fetched_at": fetched,
                }
                for price, fetched in self._prices.values()
            ]
        target = self.cache_file
        with contextlib.suppress(OSError):  # a cache: a read-only folder must not fail a run
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as sink:
                    sink.write(safe_json({"prices": entries}, indent=None))
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
