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
import operator
import os
import re
import tempfile
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import httpx

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
from faltui.core.text import safe_json

if TYPE_CHECKING:
    from faltui.core.schema import EndpointSchema

#: Well-known endpoints shown first when nothing is typed (all present in the bundled snapshot).
FEATURED: list[str] = [
    "fal-ai/flux/dev",
    "fal-ai/flux/schnell",
    "fal-ai/flux-2/klein/9b",
    "fal-ai/z-image/turbo",
    "fal-ai/nano-banana",
    "fal-ai/nano-banana/edit",
    "fal-ai/nano-banana-pro",
    "fal-ai/qwen-image-max/edit",
    "fal-ai/kling-video/v3/pro/text-to-video",
    "fal-ai/kling-video/o3/pro/image-to-video",
    "fal-ai/veo3.1",
    "fal-ai/ltx-2-19b/distilled/text-to-video",
    "fal-ai/minimax/speech-2.8-hd",
    "fal-ai/kokoro/american-english",
    "fal-ai/chatterbox/text-to-speech",
    "fal-ai/whisper",
    "fal-ai/wizper",
    "fal-ai/trellis",
    "fal-ai/hunyuan-3d/v3.1/rapid/image-to-3d",
    "fal-ai/stable-audio",
    "openrouter/router",
    "openrouter/router/vision",
]

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
    def search_weighted(self) -> tuple[tuple[str, float, bool], ...]:
        """``search_fields`` as (lower-cased text, weight, subsequence allowed) for ``rank``."""
        return tuple((v, _FIELD_WEIGHT[name], sub) for name, v, sub in self.search_fields)

    @cached_property
    def search_letters(self) -> dict[str, float]:
        """The score of every one-letter query word found in ``search_fields`` (``rank``)."""
        return _letter_scores(self.search_fields)


# -- ranking ---------------------------------------------------------------------------------

_EXACT, _PREFIX, _WORD_PREFIX, _SUBSTRING, _SUBSEQUENCE = 100, 70, 55, 35, 10
#: The tie-break tier of a model ``prefer`` does not name (after every named tier).
_NO_TIER = 1_000
_FIELD_WEIGHT = {"id": 1.0, "name": 1.0, "category": 0.9, "tags": 0.8, "description": 0.3}
_DESCRIPTION_SCORE = _SUBSTRING * _FIELD_WEIGHT["description"]
#: Queries whose candidates a ``SearchIndex`` remembers (typing narrows from them).
_MEMO_SIZE = 16
#: Catalogs (distinct model lists) whose ``SearchIndex`` is kept.
_INDEXES_KEPT = 4

Token = tuple[str, "re.Pattern[str] | None"]
#: One model's searchable fields: (lower-cased text, weight, subsequence allowed).
Fields = tuple[tuple[str, float, bool], ...]


def _subsequence_pattern(token: str) -> re.Pattern[str]:
    """The letters of ``token`` in order within ONE segment of an id or word of a name:
    ``fdev`` finds ``flux/dev``'s neighbours no more than ``f…l…u…x`` spread over
    ``fal-ai/vidu/q3/text-to-video`` would find "flux" there."""
    return re.compile(r"[^/\s]*?".join(re.escape(ch) for ch in token))


def _token_score(
    token: str, pattern: re.Pattern[str] | None, fields: Fields, blob: str, desc: str
) -> float | None:
    """The best match of ``token`` in one model's fields; None when its text cannot match.

    None (a cheap C-level rejection on the whole lower-cased text) is monotone: a model
    rejected for a token is rejected for every token that extends it, which is what lets a
    ``SearchIndex`` narrow from the previous keystroke's candidates. 0 means the text holds
    the token but no field scores it (a short token found only in the description).
    """
    if token not in blob and (pattern is None or not pattern.search(blob)):
        return None
    best = 0.0
    for value, weight, subsequence in fields:
        if not value:
            continue
        if token in value:
            if value == token:
                found = _EXACT * weight
            elif value.startswith(token):
                found = _PREFIX * weight
            else:
                pos = value.find(token)
                found = (_WORD_PREFIX if not value[pos - 1].isalnum() else _SUBSTRING) * weight
        elif subsequence and pattern is not None and pattern.search(value):
            found = _SUBSEQUENCE * weight
        else:
            continue
        if found > best:
            best = found
    if best == 0 and len(token) >= 3 and token in desc:
        best = _DESCRIPTION_SCORE
    return best


def _letter_scores(search_fields: tuple[tuple[str, str, bool], ...]) -> dict[str, float]:
    """``_token_score`` of every one-character token at once (one has no subsequence, and
    the description counts only for three characters or more)."""
    best: dict[str, float] = {}
    for name, value, _ in search_fields:
        weight = _FIELD_WEIGHT[name]
        for letter in set(value):
            pos = value.find(letter)
            if value == letter:
                found = _EXACT * weight
            elif pos == 0:
                found = _PREFIX * weight
            else:
                found = (_WORD_PREFIX if not value[pos - 1].isalnum() else _SUBSTRING) * weight
            if found > best.get(letter, 0.0):
                best[letter] = found
    return best


def _query_bonus(q: str, eid: str, name: str) -> float:
    """Extra weight when the whole query matches the id or the name."""
    if eid == q:
        return 10_000.0
    if eid.startswith(q) or eid.split("/", 1)[-1].startswith(q):
        return 2_000.0
    if q == name:
        return 1_800.0
    if eid.endswith("/" + q):
        return 1_500.0
    if q in eid:
        return 1_000.0
    return 0.0


def _tokens(query: str) -> list[Token]:
    return [(t, _subsequence_pattern(t) if len(t) >= 2 else None) for t in query.split()]


def score(model: ModelInfo, query: str) -> float:
    """How well ``model`` matches ``query`` (0 = no match; every query word must match)."""
    q = query.strip().lower()
    if not q:
        return 1.0
    fields, blob, desc = model.search_weighted, model.search_blob, model.search_description
    total = 0.0
    for token, pattern in _tokens(q):
        found = _token_score(token, pattern, fields, blob, desc)
        if not found:
            return 0.0
        total += found
    return total + _query_bonus(q, model.endpoint_id.lower(), model.display_name.lower())


def _extends(new: tuple[str, ...], old: tuple[str, ...]) -> bool:
    """True when every model that can match ``new`` can match ``old`` (typing went on)."""
    if not old or len(old) > len(new):
        return False
    last = len(old) - 1
    return new[:last] == old[:last] and new[last].startswith(old[last])


class SearchIndex:
    """One catalog (a list of models) prepared for ranking keystroke after keystroke.

    It keeps each model's lower-cased fields, a fixed tie-break order, and, for the latest
    queries, the models whose text can still match with their per-word scores. A query that
    extends one seen before (typing on, or a new word) only re-checks those candidates, and
    only for the words that changed; the ranking is exactly ``rank``'s from scratch.
    """

    def __init__(self, models: Sequence[ModelInfo]) -> None:
        self.models = list(models)
        self._fields = [m.search_weighted for m in self.models]
        self._blobs = [m.search_blob for m in self.models]
        self._descs = [m.search_description for m in self.models]
        self._eids = [m.endpoint_id.lower() for m in self.models]
        self._names = [m.display_name.lower() for m in self.models]
        self._categories = [m.category.lower() for m in self.models]
        featured = {eid: i for i, eid in enumerate(FEATURED)}
        keys = [
            (featured.get(m.endpoint_id, len(featured)), len(m.endpoint_id), m.endpoint_id)
            for m in self.models
        ]
        order = {key: i for i, key in enumerate(sorted(set(keys)))}
        static = [order[key] for key in keys]
        #: Every model in tie-break order (featured, shorter id, id, then given order):
        #: candidates stay in it, so sorting hits by score alone (stable) settles ties.
        self._order = sorted(range(len(self.models)), key=lambda i: (static[i], i))
        self._by_id: dict[str, list[int]] = {}
        for i, model in enumerate(self.models):
            self._by_id.setdefault(model.endpoint_id, []).append(i)
        self._letters: list[dict[str, float]] | None = None
        self._memo: OrderedDict[tuple[str, ...], tuple[list[int], list[tuple[float, ...]]]] = (
            OrderedDict()
        )

    def _letter_tables(self) -> list[dict[str, float]]:
        if self._letters is None:
            self._letters = [m.search_letters for m in self.models]
        return self._letters

    def forget(self) -> None:
        """Drop the remembered queries (the next keystroke starts from every model)."""
        self._memo.clear()

    def _candidates(self, tokens: list[Token]) -> tuple[list[int], list[tuple[float, ...]]]:
        """Models whose text can match every token, with each token's score."""
        words = tuple(t for t, _ in tokens)
        memo = self._memo.get(words)
        if memo is not None:
            self._memo.move_to_end(words)
            return memo
        base: tuple[list[int], list[tuple[float, ...]]] | None = None
        kept = 0
        for old, earlier in self._memo.items():  # the narrowest earlier query this extends
            if _extends(words, old) and (base is None or len(earlier[0]) < len(base[0])):
                base, kept = earlier, len(old) - 1
        if base is None:
            idxs: list[int] = self._order
            scores: list[tuple[float, ...]] = [()] * len(idxs)
        else:
            idxs, scores = base
            scores = [s[:kept] for s in scores]
        fields, blobs, descs = self._fields, self._blobs, self._descs
        for token, pattern in tokens[kept:]:
            next_idxs: list[int] = []
            next_scores: list[tuple[float, ...]] = []
            if len(token) == 1:  # one letter: a look-up in each model's precomputed table
                letters = self._letter_tables()
                for i, before in zip(idxs, scores, strict=True):
                    if token in blobs[i]:
                        next_idxs.append(i)
                        next_scores.append((*before, letters[i].get(token, 0.0)))
            else:
                for i, before in zip(idxs, scores, strict=True):
                    found = _token_score(token, pattern, fields[i], blobs[i], descs[i])
                    if found is not None:
                        next_idxs.append(i)
                        next_scores.append((*before, found))
            idxs, scores = next_idxs, next_scores
        self._memo[words] = (idxs, scores)
        if len(self._memo) > _MEMO_SIZE:
            self._memo.popitem(last=False)
        return idxs, scores

    def rank(
        self,
        query: str,
        category: str | None = None,
        *,
        prefer: Mapping[str, int] | None = None,
    ) -> list[ModelInfo]:
        """``rank(models, query, category, prefer=prefer)`` over this index's models."""
        q = query.strip().lower()
        wanted = category.strip().lower() if category else None
        models = self.models
        if not q:
            featured = {eid: i for i, eid in enumerate(FEATURED)}
            pool = [
                i for i in range(len(models)) if wanted is None or self._categories[i] == wanted
            ]
            pool.sort(key=lambda i: (featured.get(models[i].endpoint_id, len(featured)), i))
            return [models[i] for i in pool]
        idxs, scores = self._candidates(_tokens(q))
        eids, names, categories = self._eids, self._names, self._categories
        hits: list[int] = []
        negated: list[float] = []
        for i, found in zip(idxs, scores, strict=True):
            if 0.0 in found or (wanted is not None and categories[i] != wanted):
                continue
            total = sum(found)
            eid = eids[i]
            if q in eid or q == names[i]:  # else no bonus applies
                total += _query_bonus(q, eid, names[i])
            hits.append(i)
            negated.append(-total)
        # Hits are in tie-break order; stable sorts by tier, then by score, finish the job
        # (the same order as sorting by (-score, tier, featured, len(id), id), only faster).
        positions = list(range(len(hits)))
        if prefer:
            tier_of = {i: tier for eid, tier in prefer.items() for i in self._by_id.get(eid, ())}
            if tier_of:
                tiers = [tier_of.get(i, _NO_TIER) for i in hits]
                positions.sort(key=tiers.__getitem__)
        positions.sort(key=negated.__getitem__)
        return [models[hits[p]] for p in positions]


_indexes: OrderedDict[tuple[int, ...], SearchIndex] = OrderedDict()


def search_index(models: Sequence[ModelInfo]) -> SearchIndex:
    """The ``SearchIndex`` of this list of models (the same objects in the same order), built
    on first use and kept for the few latest catalogs."""
    if _indexes:  # the latest catalog again (a fresh list of the same models): no hashing
        latest = next(reversed(_indexes.values()))
        if (
            len(latest.models) == len(models)
            and latest.models == models
            and all(map(operator.is_, latest.models, models))
        ):
            return latest
    key = tuple(map(id, models))
    index = _indexes.get(key)
    if index is None:
        index = _indexes[key] = SearchIndex(models)  # holds the models: their ids stay theirs
        if len(_indexes) > _INDEXES_KEPT:
            _indexes.popitem(last=False)
    else:
        _indexes.move_to_end(key)
    return index


def rank(
    models: Iterable[ModelInfo],
    query: str,
    category: str | None = None,
    *,
    prefer: Mapping[str, int] | None = None,
) -> list[ModelInfo]:
    """Models matching ``query`` (fuzzy: id, name, category, tags), best first.

    Exact id beats an id prefix, which beats a substring, which beats a subsequence. Every word
    of the query must match somewhere. With an empty query: featured models first, then the
    rest in their given order. ``category`` filters exactly (case-insensitive). ``prefer``
    (endpoint id → tier, lower first; e.g. favourites 0, recents 1) only breaks ties between
    equally good matches: a recent model never beats a better match.

    Ranking the same list again (keystroke after keystroke) reuses its ``SearchIndex``.
    """
    pool = models if isinstance(models, list | tuple) else list(models)
    return search_index(pool).rank(query, category, prefer=prefer)


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
        if isinstance(http, httpx.AsyncClient):
            self._http = http
        elif http is not None:
            self._http_of = http
        self._owns_http = http is None
        self._local: list[ModelInfo] | None = None

    # -- plumbing

    @property
    def http(self) -> httpx.AsyncClient:
        """The HTTP client (created on first use when none was given)."""
        if self._http is None and self._http_of is not None:
            self._http = self._http_of()
        if self._http is None:
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
