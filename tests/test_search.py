"""The search index ranks exactly as the rule does: the ranking as first written (one pass over
every model, one sort) is the specification, keystroke by keystroke, for the full ranking and
for the top K with the count."""

from __future__ import annotations

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from faltui.core import bundled
from faltui.core.catalog import ModelInfo, rank, rank_top
from faltui.core.search import FEATURED, SearchIndex, mark_word_starts, search_index
from faltui.core.search_words import DescriptionWords


def _reference_rank(
    models: list[ModelInfo], query: str, category: str | None, prefer: dict[str, int]
) -> list[str]:
    """The ranking as first written (one pass over every model, one sort): the specification
    ``rank``'s index and narrowing must reproduce exactly."""
    import re

    exact, prefix, word_prefix, substring, subsequence = 100, 70, 55, 35, 10
    weight = {"id": 1.0, "name": 1.0, "category": 0.9, "tags": 0.8, "description": 0.3}

    def field_score(token: str, value: str, pattern: re.Pattern[str] | None) -> int:
        if not value:
            return 0
        if value == token:
            return exact
        if value.startswith(token):
            return prefix
        pos = value.find(token)
        if pos >= 0:
            return word_prefix if not value[pos - 1].isalnum() else substring
        if pattern is not None and pattern.search(value):
            return subsequence
        return 0

    def token_score(token: str, pattern: re.Pattern[str] | None, model: ModelInfo) -> float:
        best = 0.0
        for name, value, sub in model.search_fields:
            best = max(best, field_score(token, value, pattern if sub else None) * weight[name])
        if best == 0 and len(token) >= 3 and token in model.search_description:
            best = substring * weight["description"]
        return best

    def model_score(model: ModelInfo, q: str) -> float:
        total = 0.0
        for token in q.split():
            pattern = (
                re.compile(r"[^/\s]*?".join(re.escape(c) for c in token))
                if len(token) >= 2
                else None
            )
            found = token_score(token, pattern, model)
            if found <= 0:
                return 0.0
            total += found
        eid = model.endpoint_id.lower()
        if eid == q:
            total += 10_000.0
        elif eid.startswith(q) or eid.split("/", 1)[-1].startswith(q):
            total += 2_000.0
        elif q == model.display_name.lower():
            total += 1_800.0
        elif eid.endswith("/" + q):
            total += 1_500.0
        elif q in eid:
            total += 1_000.0
        return total

    wanted = category.strip().lower() if category else None  # as typed in a box: trimmed
    pool = [m for m in models if wanted is None or m.category.lower() == wanted]
    featured = {eid: i for i, eid in enumerate(FEATURED)}
    q = query.strip().lower()
    hits = [(model_score(m, q), m) for m in pool]
    hits = [(s, m) for s, m in hits if s > 0]
    hits.sort(
        key=lambda sm: (
            -sm[0],
            prefer.get(sm[1].endpoint_id, 1_000),
            featured.get(sm[1].endpoint_id, len(featured)),
            len(sm[1].endpoint_id),
            sm[1].endpoint_id,
        )
    )
    return [m.endpoint_id for _, m in hits]


def _scaled_models(n: int) -> list[ModelInfo]:
    """The bundled models plus deterministic variants (other owners, suffixes, descriptions)."""
    import random

    rng = random.Random(3)
    base = bundled.bundled_models()
    out = [ModelInfo.from_api(obj) for obj in base]
    suffixes = ["v2", "pro", "lite", "turbo", "lora", "8b", "edit", "fast", "x"]
    while len(out) < n:
        obj = rng.choice(base)
        meta = dict(obj["metadata"])
        owner, _, rest = obj["endpoint_id"].partition("/")
        suffix = rng.choice(suffixes)
        eid = f"{rng.choice([owner, 'community', 'acme-labs'])}/{rest}-{suffix}{len(out)}"
        meta["display_name"] = f"{meta.get('display_name', rest)} {suffix}"
        meta["description"] = f"{meta.get('description', '')}. Fast {suffix} variant for tests"
        meta["tags"] = [*meta.get("tags", []), suffix] if rng.random() < 0.5 else []
        out.append(ModelInfo.from_api({"endpoint_id": eid, "metadata": meta}))
    return out


QUERIES = [
    "flux dev",
    "text to speech",
    "kling v3 text video",
    "t",
    "te x",
    "lora",
    "fal-ai/flux/schnell",
    "x fast",
    "fdev",
    "3d",
    "veo 3",
    "remove background",
    "n",
    "image edit",
    "-vi",
    "/",
]


def _typed(query: str) -> list[str]:
    """Every keystroke typing ``query``, then deleting back to one character."""
    typed = [query[:i] for i in range(1, len(query) + 1)]
    return typed + typed[::-1][1:]


def test_rank_typed_keystroke_by_keystroke_equals_the_ranking_from_scratch() -> None:
    models = _scaled_models(600)
    prefer = {models[5].endpoint_id: 0, models[300].endpoint_id: 1, "fal-ai/flux/dev": 1}
    search_index(models).forget()
    for query in QUERIES:
        for text in _typed(query):
            for category in (None, "text-to-image"):
                got = [m.endpoint_id for m in rank(models, text, category, prefer=prefer)]
                want = _reference_rank(models, text, category, prefer)
                assert got == want, (text, category)
    # A fresh list of the same models ranks the same (and a changed list is indexed anew).
    assert [m.endpoint_id for m in rank(list(models), "flux")] == _reference_rank(
        models, "flux", None, {}
    )
    fewer = models[::2]
    assert [m.endpoint_id for m in rank(fewer, "flux")] == _reference_rank(fewer, "flux", None, {})


def test_top_k_and_count_keystroke_by_keystroke_equal_the_ranking_from_scratch() -> None:
    models = _scaled_models(1500)
    prefer = {models[7].endpoint_id: 0, models[900].endpoint_id: 1, "fal-ai/flux/dev": 1}
    index = SearchIndex(models)
    for query in QUERIES:
        for text in _typed(query):
            want = _reference_rank(models, text, None, prefer)
            for limit in (1, 7, 60, 300):
                top = index.top(text, prefer=prefer, limit=limit)
                assert [m.endpoint_id for m in top.models] == want[:limit], (text, limit)
                assert top.total == len(want), text
    assert rank_top(models, "flux", "text-to-image", limit=3) == (
        rank(models, "flux", "text-to-image")[:3],
        len(rank(models, "flux", "text-to-image")),
    )


def test_top_k_returns_the_same_model_objects_and_the_empty_query_lists_everything() -> None:
    models = _scaled_models(200)
    index = SearchIndex(models)
    top = index.top("flux", limit=5)
    assert all(any(m is x for x in models) for m in top.models)
    empty = index.top("   ", limit=4)
    assert empty.total == len(models)
    assert empty.models == rank(models, "")[:4]
    assert index.top("flux", "no-such-category", limit=5) == ([], 0)
    assert index.top("zzzzqqq", limit=5) == ([], 0)
    assert index.top("flux", limit=0).models == []


# -- hostile and random catalogs ---------------------------------------------------------------

#: Few letters, so that words collide: separators, an underscore (a word character to ``\\w``
#: but not to ``str.isalnum``), digits (ASCII and of other scripts), a mark the index uses
#: itself, spaces.
ALPHABET = "abte1-/_. \n\t٣éÉ\x00ǅ"
texts = st.text(alphabet=ALPHABET, max_size=10)


@st.composite
def catalogs(draw: st.DrawFn) -> list[ModelInfo]:
    n = draw(st.integers(1, 14))
    models = []
    for _ in range(n):
        eid = draw(st.one_of(texts, st.sampled_from(["fal-ai/flux/dev", "a/b", "ab", "b-a/t"])))
        models.append(
            ModelInfo(
                endpoint_id=eid,
                display_name=draw(texts),
                category=draw(st.one_of(st.sampled_from(["text-to-image", "ab", ""]), texts)),
                description=draw(texts),
                tags=tuple(draw(st.lists(texts, max_size=3))),
            )
        )
    return models


@settings(max_examples=400, deadline=None)
@given(
    models=catalogs(),
    queries=st.lists(texts, min_size=1, max_size=3),
    category=st.one_of(st.none(), st.sampled_from(["text-to-image", "AB", "é"]), texts),
    tiers=st.lists(st.integers(-2, 1_002), max_size=3),
    limit=st.integers(0, 6),
)
def test_any_catalog_typed_any_way_ranks_like_the_rule(
    models: list[ModelInfo],
    queries: list[str],
    category: str | None,
    tiers: list[int],
    limit: int,
) -> None:
    prefer = {m.endpoint_id: tier for m, tier in zip(models, tiers, strict=False)}
    index = SearchIndex(models)
    for query in queries:
        for text in _typed(query):
            if not text.strip():  # nothing typed lists everything (test_catalog)
                continue
            want = _reference_rank(models, text, category, prefer)
            full = index.top(text, category, prefer=prefer)
            assert [m.endpoint_id for m in full.models] == want, text
            top = index.top(text, category, prefer=prefer, limit=limit)
            assert [m.endpoint_id for m in top.models] == want[:limit], (text, limit)
            assert top.total == len(want)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=30), word=st.text(min_size=1, max_size=4))
def test_word_starts_are_marked_as_str_isalnum_says(text: str, word: str) -> None:
    starts = [i for i in range(1, len(text)) if not text[i - 1].isalnum()]
    at_a_start = any(text.startswith(word, i) for i in starts)
    if "\x00" not in text + word:
        assert ("\x00" + mark_word_starts(word) in mark_word_starts(text)) == at_a_start


def test_prefix_lookup_at_the_last_code_point() -> None:
    top = "\U0010ffff"
    models = [
        ModelInfo(endpoint_id=f"a{top}", display_name=f"a{top}{top}"),
        ModelInfo(endpoint_id="a", display_name="b"),
        ModelInfo(endpoint_id=f"{top}x", display_name="c"),
    ]
    for text in (f"a{top}", top, f"{top}x", "a"):
        assert [m.endpoint_id for m in rank(models, text)] == _reference_rank(
            models, text, None, {}
        ), text


def test_a_shuffled_catalog_ranks_like_the_rule() -> None:
    models = _scaled_models(400)
    random.Random(5).shuffle(models)
    index = SearchIndex(models)
    for query in ("video", "text to", "fal-ai/", "v2 pro", "k"):
        want = _reference_rank(models, query, None, {})
        assert [m.endpoint_id for m in index.top(query, limit=25).models] == want[:25]
        assert index.top(query, limit=25).total == len(want)
    assert re  # (used by the reference rule)


def test_description_words_find_fragments_inside_words_and_leave_the_rest_to_a_scan() -> None:
    words = DescriptionWords(["upscale images 4x", "remove the background", "", "über-fast tts"])
    assert words.holders("cal") == {0}
    assert words.holders("ro") == {1}
    assert words.holders("4x") == {0}
    assert words.holders("fast") == {3}
    assert words.holders("zzz") == set()
    # Fragments that may span words (or are not ASCII letters and digits) cannot be told.
    assert words.holders("e i") is None
    assert words.holders("r-f") is None
    assert words.holders("über") is None
