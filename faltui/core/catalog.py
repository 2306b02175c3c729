"""The model catalog: bundled snapshot, cached live pages, fal's Platform API, OpenAPI schemas.

Search and schemas work offline: ``local_models`` and ``search`` only read the bundled snapshot
plus what earlier live calls cached; ``get_openapi`` tries a fresh cache, then fal, then a stale
cache, then the bundled document. Live calls follow fal-protocol.md §9 (``GET /v1/models``) and
§10 (``GET …/openapi.json?endpoint_id=…``); the key is sent only where
``Settings.may_send_key`` allows.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from faltui.core import bundled
from faltui.core.config import Settings, origin
from faltui.core.endpoints import EndpointId
from faltui.core.errors import (
    ApiError,
    FaltuiError,
    LockedError,
    NotFoundError,
    RateLimitedError,
    TransportError,
    UnauthorizedError,
)
from faltui.core.search import FEATURED as FEATURED
from faltui.core.search import FIELD_WEIGHT, mark_word_starts
from faltui.core.search import Ranked as Ranked
from faltui.core.search import rank as rank
from faltui.core.search import rank_top as rank_top
from faltui.core.search import score as score
from faltui.core.text import safe_json

if TYPE_CHECKING:  # httpx is imported when first used: the bundled catalog does not need it
    import httpx

    from faltui.core.schema import EndpointSchema

#: Page size used when walking the live catalog (fal documents no maximum; stay ≤ 100).
LIVE_PAGE_SIZE = 100
#: Safety stop for the live walk (a cursor that never ends must not loop forever).
MAX_LIVE_PAGES = 200
#: fal's own hosts: without a key we do not go there for schemas (offline-first).
FAL_HOST_SUFFIXES = ("fal.ai", "fal.run", "fal.media")


@dataclass(frozen=True)
class ModelInfo:
    """One model (endpoint) as the UI and CLI show it."""

    endpoint_id: str
    display_name: str = ""
    category: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    status: str = "active"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def from_api(cls, obj: dict[str, Any]) -> ModelInfo:
        """Build from a Platform API model object (tolerates missing or odd fields)."""
        if not isinstance(obj, dict) or not isinstance(obj.get("endpoint_id"), str):
            raise ValueError("a model object needs a string endpoint_id")
        endpoint_id = obj["endpoint_id"].strip()
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}

        def text(key: str, default: str = "") -> str:
            value = meta.get(key)
            return value.strip() if isinstance(value, str) and value.strip() else default

        tags = meta.get("tags")
        return cls(
            endpoint_id=endpoint_id,
            display_name=text("display_name", endpoint_id),
            category=text("category"),
            description=text("description"),
            tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
            status=text("status", "active"),
            raw=obj,
        )

    @cached_property
    def search_fields(self) -> tuple[tuple[str, str, bool], ...]:
        """(field, lower-cased text, subsequence allowed) triples used by ``rank``."""
        return (
            ("id", self.endpoint_id.lower(), True),
            ("name", self.display_name.lower(), True),
            ("category", self.category.lower(), False),
            *(("tags", tag.lower(), False) for tag in self.tags),
        )

    @cached_property
    def search_blob(self) -> str:
        """Every searchable field (and the description) in one lower-cased string."""
        return "\n".join([*(v for _, v, _ in self.search_fields), self.search_description])

    @cached_property
    def search_description(self) -> str:
        """The description, lower-cased (weakest match source)."""
        return self.description.lower()

    @cached_property
    def search_field_text(self) -> str:
        """Every searchable field but the description, lower-cased, one per line."""
        return "\n".join(v for _, v, _ in self.search_fields)

    @cached_property
    def search_id_and_name(self) -> str:
        """The lower-cased id and name, one per line (where letters in order may match)."""
        return self.search_fields[0][1] + "\n" + self.search_fields[1][1]

    @cached_property
    def search_marked(self) -> str:
        """``search_id_and_name`` with its word starts marked (``mark_word_starts``)."""
        return (
            mark_word_starts(self.search_fields[0][1])
            + "\n"
            + mark_word_starts(self.search_fields[1][1])
        )

    @cached_property
    def search_tags(self) -> tuple[str, ...]:
        """The tags, lower-cased."""
        return tuple(v for _, v, _ in self.search_fields[3:])

    @cached_property
    def search_weighted(self) -> tuple[tuple[str, float, bool], ...]:
        """``search_fields`` as (lower-cased text, weight, subsequence allowed) for ``rank``."""
        return tuple((v, FIELD_WEIGHT[name], sub) for name, v, sub in self.search_fields)


# -- errors ----------------------------------------------------------------------------------


def platform_error(response: httpx.Response, what: str) -> ApiError:
    """The typed error for a non-2xx Platform API answer (``{"error": {type, message}}``)."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text[:300] if response.text else None
    error_type: str | None = None
    message = ""
    request_id = response.headers.get("x-fal-request-id") or None
    if isinstance(body, dict):
        env = body.get("error")
        if isinstance(env, dict):
            error_type = env.get("type") if isinstance(env.get("type"), str) else None
            message = str(env.get("message") or "")
            if isinstance(env.get("request_id"), str):
                request_id = request_id or env["request_id"]
        elif isinstance(body.get("detail"), str):
            message = body["detail"]
            error_type = body.get("error_type") if isinstance(body.get("error_type"), str) else None
    elif isinstance(body, str):
        message = " ".join(body.split())
    status = response.status_code
    text = f"{what}: {message}" if message else f"{what}: HTTP {status} {response.reason_phrase}"
    if request_id:
        text += f" (request id {request_id})"
    kwargs: dict[str, Any] = {
        "status": status,
        "error_type": error_type,
        "body": body,
        "request_id": request_id,
        "retryable": status in (429, 500, 502, 503, 504),
    }
    cls: type[ApiError] = {
        401: UnauthorizedError,
        402: LockedError,
        403: LockedError,
        404: NotFoundError,
        429: RateLimitedError,
    }.get(status, ApiError)
    return cls(text, **kwargs)


def _transport_error(exc: httpx.HTTPError, url: str) -> TransportError:
    import httpx

    return TransportError(
        f"could not reach {origin(url)}: {type(exc).__name__} {exc}".rstrip(),
        maybe_sent=not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout),
    )


# -- disk cache ------------------------------------------------------------------------------


def _write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            # safe_json: a lone surrogate in server text is escaped (UTF-8 cannot hold it raw)
            fh.write(safe_json(data, indent=None))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _looks_like_openapi(doc: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(doc, dict) and isinstance(doc.get("paths") or doc.get("components"), dict)


def _is_fal_url(url: str) -> bool:
    import httpx

    host = (httpx.URL(url).host or "").lower()
    return any(host == s or host.endswith("." + s) for s in FAL_HOST_SUFFIXES)


# -- the catalog -----------------------------------------------------------------------------


class Catalog:
    """Models and schemas from the bundled snapshot, the disk cache and fal's Platform API."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient | Callable[[], httpx.AsyncClient] | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``http``: a client to share, a function giving one on first use (a session's pool,
        made only when the catalog goes online), or None (one of its own, closed by
        ``aclose``)."""
        self.settings = settings
        self.clock = clock
        self._http: httpx.AsyncClient | None = None
        self._http_of: Callable[[], httpx.AsyncClient] | None = None
        if callable(http):  # a function giving the client (an httpx client is not callable)
            self._http_of = http
        elif http is not None:
            self._http = http
        self._owns_http = http is None
        self._local: list[ModelInfo] | None = None

    # -- plumbing

    @property
    def http(self) -> httpx.AsyncClient:
        """The HTTP client (created on first use when none was given)."""
        if self._http is None and self._http_of is not None:
            self._http = self._http_of()
        if self._http is None:
            import httpx

            timeout = httpx.Timeout(
                self.settings.read_timeout, connect=self.settings.connect_timeout
            )
            self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=True)
        return self._http

    async def aclose(self) -> None:
        """Close the HTTP client if this catalog created it."""
        if self._http is not None and self._owns_http:
            await self._http.aclose()
            self._http = None

    @property
    def cache_dir(self) -> Path:
        """Root of this catalog's cache files."""
        return self.settings.paths.cache_dir

    @property
    def models_cache_file(self) -> Path:
        """Where model objects seen live are kept (``{"saved_at", "models": [...]}``)."""
        return self.cache_dir / "catalog" / "live-models.json"

    def openapi_cache_file(self, endpoint_id: str) -> Path:
        """Where an endpoint's OpenAPI document is cached."""
        return self.cache_dir / "openapi" / bundled.schema_file_name(endpoint_id)

    def _headers(self, url: str) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.settings.key and self.settings.may_send_key(url):
            headers["Authorization"] = f"Key {self.settings.key}"
        return headers

    async def _get_json(self, url: str, params: Sequence[tuple[str, str]], what: str) -> Any:
        import httpx

        try:
            response = await self.http.get(url, params=list(params), headers=self._headers(url))
        except httpx.HTTPError as exc:
            raise _transport_error(exc, url) from exc
        if response.status_code >= 400:
            raise platform_error(response, what)
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(f"{what}: the answer was not JSON", status=response.status_code) from exc

    # -- local models

    def _cached_model_objects(self) -> list[dict[str, Any]]:
        data = _read_json(self.models_cache_file)
        models = data.get("models") if isinstance(data, dict) else None
        return [m for m in models or [] if isinstance(m, dict)]

    def local_models(self) -> list[ModelInfo]:
        """Bundled snapshot merged with cached live models (live info wins), no network."""
        if self._local is None:
            merged: dict[str, ModelInfo] = {}
            for obj in [*bundled.bundled_models(), *self._cached_model_objects()]:
                try:
                    info = ModelInfo.from_api(obj)
                except ValueError:
                    continue
                merged[info.endpoint_id] = info
            self._local = list(merged.values())
        return list(self._local)

    def _remember(self, models: Iterable[ModelInfo]) -> None:
        """Add live model objects to the disk cache (without embedded OpenAPI documents)."""
        fresh = {m.endpoint_id: {k: v for k, v in m.raw.items() if k != "openapi"} for m in models}
        if not fresh:
            return
        kept = {m.get("endpoint_id"): m for m in self._cached_model_objects()}
        kept.update(fresh)
        try:
            _write_json_atomic(
                self.models_cache_file, {"saved_at": self.clock(), "models": list(kept.values())}
            )
        except OSError:
            return  # a read-only cache must not break browsing
        self._local = None

    def search(self, query: str, category: str | None = None) -> list[ModelInfo]:
        """Rank the local models (bundled + cached) for ``query``."""
        return rank(self.local_models(), query, category)

    # -- live models

    async def list_models(
        self,
        q: str | None = None,
        category: str | None = None,
        status: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        endpoint_ids: Sequence[str] | None = None,
        expand: Sequence[str] | None = None,
    ) -> tuple[list[ModelInfo], str | None]:
        """One page of ``GET {platform}/models``; returns (models, next cursor or None).

        Models seen are cached on disk (and embedded OpenAPI documents, with
        ``expand=["openapi-3.0"]``, go to the schema cache).
        """
        params: list[tuple[str, str]] = []
        if q:
            params.append(("q", q))
        if category:
            params.append(("category", category))
        if status:
            params.append(("status", status))
        for endpoint_id in endpoint_ids or ():
            params.append(("endpoint_id", endpoint_id))
        params.append(("limit", str(max(1, int(limit)))))
        if cursor:
            params.append(("cursor", cursor))
        for item in expand or ():
            params.append(("expand", item))
        url = self.settings.urls["platform"].rstrip("/") + "/models"
        body = await self._get_json(url, params, "model list")
        if not isinstance(body, dict) or not isinstance(body.get("models"), list):
            raise ApiError("model list: unexpected answer (no models list)", status=200, body=body)
        models: list[ModelInfo] = []
        for obj in body["models"]:
            try:
                info = ModelInfo.from_api(obj)
            except ValueError:
                continue
            models.append(info)
            doc = obj.get("openapi")
            if _looks_like_openapi(doc):
                self._store_openapi(info.endpoint_id, doc)
        self._remember(models)
        next_cursor = body.get("next_cursor")
        has_more = bool(body.get("has_more")) and isinstance(next_cursor, str) and next_cursor
        return models, (next_cursor if has_more else None)

    async def iter_models(
        self, q: str | None = None, category: str | None = None
    ) -> AsyncIterator[list[ModelInfo]]:
        """Pages of models: the local ones first, then (with a key) new or changed live ones.

        Live pages are de-duplicated against everything yielded before (by endpoint id; a
        model comes again only if its live data differs) and cached on disk.
        """
        local = rank(self.local_models(), q or "", category)
        seen: dict[str, ModelInfo] = {m.endpoint_id: m for m in local}
        if local:
            yield local
        if not self.settings.key:
            return
        cursor: str | None = None
        cursors: set[str] = set()
        for _ in range(MAX_LIVE_PAGES):
            page, cursor = await self.list_models(
                q=q, category=category, limit=LIVE_PAGE_SIZE, cursor=cursor
            )
            fresh = []
            for model in page:
                old = seen.get(model.endpoint_id)
                if old is None or old.raw.get("metadata") != model.raw.get("metadata"):
                    fresh.append(model)
                    seen[model.endpoint_id] = model
            if fresh:
                yield fresh
            if cursor is None or cursor in cursors:
                return
            cursors.add(cursor)

    # -- schemas

    def _store_openapi(self, endpoint_id: str, doc: dict[str, Any]) -> None:
        record = {"fetched_at": self.clock(), "endpoint_id": endpoint_id, "openapi": doc}
        with contextlib.suppress(OSError):
            _write_json_atomic(self.openapi_cache_file(endpoint_id), record)

    def cached_openapi(self, endpoint_id: str) -> tuple[dict[str, Any], float] | None:
        """(document, age in seconds) from the disk cache, or None."""
        record = _read_json(self.openapi_cache_file(endpoint_id))
        if not isinstance(record, dict) or not _looks_like_openapi(record.get("openapi")):
            return None
        fetched = record.get("fetched_at")
        age = self.clock() - fetched if isinstance(fetched, int | float) else float("inf")
        return record["openapi"], age

    def _may_fetch_openapi(self) -> bool:
        url = self.settings.urls["openapi"]
        return bool(self.settings.key) or not _is_fal_url(url)

    async def fetch_openapi(self, endpoint_id: str) -> dict[str, Any]:
        """``GET {openapi}?endpoint_id=ID`` (no cache); stores the answer in the cache."""
        url = self.settings.urls["openapi"]
        doc = await self._get_json(url, [("endpoint_id", endpoint_id)], f"schema of {endpoint_id}")
        if not _looks_like_openapi(doc):
            error = doc.get("error") if isinstance(doc, dict) else None
            if isinstance(error, dict):
                raise NotFoundError(
                    f"schema of {endpoint_id}: {error.get('message') or error}", status=200
                )
            raise ApiError(f"schema of {endpoint_id}: not an OpenAPI document", status=200)
        self._store_openapi(endpoint_id, doc)
        return doc

    async def get_openapi(self, endpoint_id: str) -> dict[str, Any]:
        """The endpoint's OpenAPI document: fresh cache → live → stale cache → bundled.

        Raises ``NotFoundError`` when no source has it (or the live error, e.g.
        ``TransportError``, when fal could not be asked and nothing local exists).
        """
        endpoint_id = EndpointId.parse(endpoint_id).full
        cached = self.cached_openapi(endpoint_id)
        if cached is not None and cached[1] < self.settings.catalog_ttl:
            return cached[0]
        live_error: FaltuiError | None = None
        if self._may_fetch_openapi():
            try:
                return await self.fetch_openapi(endpoint_id)
            except (ApiError, TransportError) as exc:
                live_error = exc
        if cached is not None:
            return cached[0]
        doc = bundled.bundled_openapi(endpoint_id)
        if doc is not None:
            return doc
        if live_error is not None and not isinstance(live_error, NotFoundError):
            raise live_error
        raise NotFoundError(
            f"no schema for {endpoint_id}: not in the bundled snapshot or the cache"
            + ("" if live_error else " (set FAL_KEY to ask fal)")
            + (f"; fal said: {live_error}" if live_error else ""),
            status=404,
        )

    def local_schema(self, endpoint_id: str) -> EndpointSchema | None:
        """The endpoint's schema from this machine only (cache, else the bundled snapshot),
        or None: no network (a picker judging many models at once)."""
        from faltui.core.schema import parse_openapi

        try:
            endpoint_id = EndpointId.parse(endpoint_id).full
        except ValueError:
            return None
        cached = self.cached_openapi(endpoint_id)
        doc = cached[0] if cached is not None else bundled.bundled_openapi(endpoint_id)
        if doc is None:
            return None
        try:
            return parse_openapi(doc, endpoint_id)
        except (FaltuiError, ValueError, KeyError, TypeError):
            return None

    async def get_schema(self, endpoint_id: str) -> EndpointSchema:
        """The parsed schema of an endpoint (see ``get_openapi`` for where it comes from)."""
        from faltui.core.schema import parse_openapi

        endpoint_id = EndpointId.parse(endpoint_id).full
        return parse_openapi(await self.get_openapi(endpoint_id), endpoint_id)
