"""Model search: how well a model matches what was typed, and the index that ranks a catalog
keystroke after keystroke.

The rule (``score``): every word of the query must match; each word scores its best match over
a model's fields — exact (100) beats a prefix (70), a word prefix (55), a substring (35) and,
in the id or the name, the word's letters in order within one segment (10) — weighted by
field (id and name 1.0, category 0.9, tags 0.8); a word of three letters or more found only in
the description scores 10.5. The whole query matching the id or the name adds a bonus (exact
id 10,000 … id contains it 1,000). Equal scores go to ``prefer``'s tier, then featured models,
shorter ids, ids, then the catalog's order.

``SearchIndex`` gives exactly that order without scoring every model on every keystroke. A
word's exact and prefix matches come from sorted tables built once (bisect, not a scan), its
other matches from one C-level substring pass over the models still in play, so most models
get an exact score as members of a few sets, and only the ones that can still reach the top
are scored one by one (a word or substring match deep in a field). The count of matches is
exact; ``rank_top`` orders only what it returns.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from heapq import heappop, heappush
from itertools import compress, count, filterfalse, repeat
from operator import contains, is_, not_
from typing import TYPE_CHECKING, NamedTuple

from faltui.core.search_words import DescriptionWords

if TYPE_CHECKING:
    from faltui.core.catalog import ModelInfo

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

# -- the rule ----------------------------------------------------------------------------------

_EXACT, _PREFIX, _WORD_PREFIX, _SUBSTRING, _SUBSEQUENCE = 100, 70, 55, 35, 10
#: The tie-break tier of a model ``prefer`` does not name (after every named tier).
_NO_TIER = 1_000
FIELD_WEIGHT = {"id": 1.0, "name": 1.0, "category": 0.9, "tags": 0.8, "description": 0.3}
_DESCRIPTION_SCORE = _SUBSTRING * FIELD_WEIGHT["description"]

Token = tuple[str, "re.Pattern[str] | None"]
#: One model's searchable fields: (lower-cased text, weight, subsequence allowed).
Fields = tuple[tuple[str, float, bool], ...]


def _subsequence_pattern(token: str) -> re.Pattern[str]:
    """The letters of ``token`` in order within ONE segment of an id or word of a name:
    ``fdev`` finds ``flux/dev``'s neighbours no more than ``f…l…u…x`` spread over
    ``fal-ai/vidu/q3/text-to-video`` would find "flux" there.

    Written ``f[^/\\sl]*+l…``: each letter at its first place after the one before (the
    earliest match leaves the most room for the rest, so nothing is lost), no backtracking.
    """
    parts = [re.escape(token[0])]
    parts += [rf"[^/\s{re.escape(ch)}]*+{re.escape(ch)}" for ch in token[1:]]
    return re.compile("".join(parts))


def _token_score(
    token: str, pattern: re.Pattern[str] | None, fields: Fields, blob: str, desc: str
) -> float | None:
    """The best match of ``token`` in one model's fields; None when its text cannot match.

    None (a cheap C-level rejection on the whole lower-cased text) is monotone: a model
    rejected for a token is rejected for every token that extends it. 0 means the text holds
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


# -- the index ---------------------------------------------------------------------------------

#: Queries whose candidates a ``SearchIndex`` remembers (typing narrows from them).
_MEMO_SIZE = 16
#: Catalogs (distinct model lists) whose ``SearchIndex`` is kept.
_INDEXES_KEPT = 4
#: A word at the start of a word (after a character that is not a letter or digit) of the id
#: or the name, though not at the start of either, scores between these: a word prefix when
#: that is where it first occurs, else a substring, unless the category or a tag does better.
_UNSURE_LOW = _SUBSTRING * FIELD_WEIGHT["id"]
_UNSURE_HIGH = _WORD_PREFIX * FIELD_WEIGHT["id"]
#: Any word in a field, neither equal to one nor at its start, scores between these.
_UNDIVIDED_LOW = _SUBSTRING * FIELD_WEIGHT["tags"]
#: Marks the start of every word but the first in a field (``mark_word_starts``).
_WORD_MARK = "\x00"
_WORD_STARTS = re.compile(r"(?<=[\W_])")  # after a character that is not alphanumeric
#: Slack on score bounds (far above float rounding, far below the smallest score step).
_SLACK = 1e-6


class Ranked(NamedTuple):
    """The best matches, in order, and how many models match in all."""

    models: list[ModelInfo]
    total: int


class _Prefixes:
    """Strings kept sorted, to find every position whose string starts with a prefix."""

    def __init__(self, keys: Sequence[str], positions: Sequence[int] | None = None) -> None:
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self._keys = list(map(keys.__getitem__, order))
        self._positions = order if positions is None else list(map(positions.__getitem__, order))
        self._distinct: list[str] | None = None

    def equal_to(self, key: str) -> list[int]:
        keys = self._keys
        lo = bisect_left(keys, key)
        return self._positions[lo : bisect_right(keys, key, lo)]

    def holding(self, token: str) -> list[str]:
        """The distinct strings that hold ``token``."""
        if self._distinct is None:
            self._distinct = list(dict.fromkeys(self._keys))
        return [key for key in self._distinct if token in key]

    def starting_with(self, prefix: str) -> list[int]:
        keys = self._keys
        lo = bisect_left(keys, prefix)
        last = ord(prefix[-1])
        if last < 0x10FFFF:  # every string with the prefix sorts before prefix-with-last+1
            hi = bisect_left(keys, prefix[:-1] + chr(last + 1), lo)
        else:
            hi = lo
            while hi < len(keys) and keys[hi].startswith(prefix):
                hi += 1
        return self._positions[lo:hi]


#: ``mark_word_starts`` for ASCII text: a mark after each ASCII character but letters, digits.
_ASCII_MARKS = {code: chr(code) + _WORD_MARK for code in range(128) if not chr(code).isalnum()}


def mark_word_starts(text: str) -> str:
    """``text`` with ``_WORD_MARK`` after every character ``str.isalnum`` rejects (before
    every word start but the first; ``\\w`` is alphanumeric or ``_``): ``word`` occurs at a
    word start of ``text`` when ``_WORD_MARK + mark_word_starts(word)`` is in
    ``mark_word_starts(text)``."""
    if text.isascii():
        return text.translate(_ASCII_MARKS)
    return _WORD_STARTS.sub(_WORD_MARK, text)


def _field_score(token: str, value: str, weight: float) -> float:
    """``_token_score``'s rule for one field that holds ``token`` somewhere (no subsequence)."""
    at = value.find(token)
    if at < 0:
        return 0.0
    if value == token:
        return _EXACT * weight
    if at == 0:
        return _PREFIX * weight
    return (_WORD_PREFIX if not value[at - 1].isalnum() else _SUBSTRING) * weight


@dataclass
class _Word:
    """One query word's score for the models that were candidates when it was typed.

    ``classes`` hold the models whose score is known without scoring them one by one (an
    exact or prefix match, letters in order, a description match; and once divided, a word
    prefix or substring of the category or a tag, a substring of the id or name); the
    others that hold it in a field are ``undivided`` (28–55) or ``unsure`` (35–55), scored
    one by one only when they may reach the top.

    ``found``, ``spread`` and ``described`` are the candidates it leaves, by where the word
    is: in a field, as letters in order in the id or name, only in the description (a word
    under three letters scores 0 there: those are not even checked, just kept as candidates
    for a longer word).
    """

    token: str
    pattern: re.Pattern[str] | None
    classes: list[tuple[float, set[int]]]
    #: Holding the word in a field, no field equal to it or starting with it, not yet split
    #: by ``SearchIndex._divide`` (it takes time, and is needed only near the top).
    undivided: set[int]
    found: list[int]
    spread: list[int]
    described: list[int]
    #: Split, but holding the word at a word start of the id or the name: a word prefix only
    #: if that is where it first occurs (``SearchIndex._score``).
    unsure: set[int] = field(default_factory=set)
    scored: dict[int, float] = field(default_factory=dict)
    category_scores: dict[str, float] = field(default_factory=dict)
    tag_scores: dict[tuple[str, ...], float] = field(default_factory=dict)

    @property
    def candidates(self) -> list[int]:
        """Every model that holds the word, or a word it may grow into."""
        return self.found + self.spread + self.described

    @property
    def matches(self) -> list[int]:
        """The candidates the word scores above 0 (once a word follows it, the only ones)."""
        if len(self.token) >= 3:
            return self.candidates
        return self.found + self.spread


@dataclass(slots=True)
class _Node:
    """Models alike so far: the same score for each word split yet, the same bonus.

    ``low`` … ``high`` bound the total of every member (the words not split yet at their
    worst and best); with every word split, no word unsure and the bonus known, the total is
    exact and the same for all.
    """

    low: float
    high: float
    members: set[int]
    #: Words split so far: each one's exact score (0.0 where only bounded).
    parts: tuple[float, ...] = ()
    #: Words whose score is only bounded: ``_Word.unsure`` (35–55) …
    unsure: tuple[int, ...] = ()
    #: … or ``_Word.undivided`` (28–55).
    undivided: tuple[int, ...] = ()
    bonus: float = 0.0
    #: The bonus is 1,000 (the id holds the query) or 0, not told yet.
    bonus_open: bool = False

    def but(
        self,
        members: set[int],
        low: float,
        high: float,
        parts: tuple[float, ...] | None = None,
        unsure: tuple[int, ...] | None = None,
        undivided: tuple[int, ...] | None = None,
        bonus: float | None = None,
    ) -> _Node:
        """A node like this one for ``members`` (``dataclasses.replace``, but quick)."""
        return _Node(
            low,
            high,
            members,
            self.parts if parts is None else parts,
            self.unsure if unsure is None else unsure,
            self.undivided if undivided is None else undivided,
            self.bonus if bonus is None else bonus,
            False if bonus is not None else self.bonus_open,
        )


class SearchIndex:
    """One catalog (a list of models) prepared for ranking keystroke after keystroke.

    Models are kept in tie-break order (a model's *position*), so sorting positions settles
    ties. For the latest queries it remembers the candidates (models whose text can still
    match) and each word's classes; a query that extends one seen before (typing on, or a new
    word) only looks at those candidates, and only for the words that changed.
    """

    def __init__(self, models: Sequence[ModelInfo]) -> None:
        self.models = list(models)
        ids = [m.endpoint_id for m in self.models]
        featured = {eid: i for i, eid in enumerate(FEATURED)}
        # Tie-break order: featured, shorter id, id, then given order (stable sorts, last key
        # first).
        order = sorted(range(len(ids)), key=ids.__getitem__)
        order.sort(key=lambda i: len(ids[i]))
        order.sort(key=lambda i: featured.get(ids[i], len(featured)))
        placed = [self.models[i] for i in order]
        self._placed = placed
        self._fields = [m.search_weighted for m in placed]
        self._blobs = [m.search_blob for m in placed]
        self._descs = [m.search_description for m in placed]
        self._description_words = DescriptionWords(self._descs)
        self._field_text = [m.search_field_text for m in placed]
        self._id_and_name = [m.search_id_and_name for m in placed]
        self._marked = [m.search_marked for m in placed]
        eids = self._eids = [m.endpoint_id.lower() for m in placed]
        names = self._names = [m.display_name.lower() for m in placed]
        cats = self._categories = [m.category.lower() for m in placed]
        self._tags = [m.search_tags for m in placed]
        #: Every position (the candidates before anything is typed).
        self._everyone = everyone = list(range(len(placed)))
        #: Positions whose id or name holds ``_WORD_MARK`` itself (marks cannot tell).
        self._unmarkable = {p for p, text in enumerate(self._id_and_name) if _WORD_MARK in text}
        tag_keys = [tag for tags in self._tags for tag in tags]
        tag_positions = [p for p, tags in enumerate(self._tags) for _ in tags]
        self._id_names = _Prefixes(eids + names, everyone + everyone)
        self._category_index = _Prefixes(cats)
        self._tag_index = _Prefixes(tag_keys, tag_positions)
        weight = FIELD_WEIGHT
        #: Where a word can be exact or a prefix, with that score (best first).
        self._field_indexes = (
            (weight["id"], self._id_names),
            (weight["category"], self._category_index),
            (weight["tags"], self._tag_index),
        )
        self._eid_prefixes = _Prefixes(eids)
        self._rest_prefixes = _Prefixes([eid.split("/", 1)[-1] for eid in eids])
        self._eid_suffixes = _Prefixes([eid[::-1] for eid in eids])
        self._eid_spaces = any(len(eid.split()) > 1 for eid in eids)
        self._memo: OrderedDict[tuple[str, ...], tuple[list[int], list[_Word]]] = OrderedDict()

    def forget(self) -> None:
        """Drop the remembered queries (the next keystroke starts from every model)."""
        self._memo.clear()

    # -- words

    def _word(
        self,
        token: str,
        pattern: re.Pattern[str] | None,
        candidates: list[int],
        typed_on: _Word | None = None,
    ) -> _Word:
        """``token``'s classes over ``candidates``.

        ``typed_on`` is the word ``token`` extends (its candidates are ``candidates``): what
        did not hold it in a field cannot hold ``token`` there, and what held it only in the
        description can hold ``token`` only there too.
        """
        to_check, spread_before, described_before = candidates, [], []
        if typed_on is not None:
            to_check = typed_on.found
            spread_before, described_before = typed_on.spread, typed_on.described
        texts = map(self._field_text.__getitem__, to_check)
        in_fields = list(map(contains, texts, repeat(token)))
        found = list(compress(to_check, in_fields))
        rest = list(compress(to_check, map(not_, in_fields))) + spread_before
        spread: list[int] = []
        if pattern is not None and rest:
            # Only where the id or the name holds the last letter can the letters be in order.
            names = map(self._id_and_name.__getitem__, rest)
            maybe = list(compress(rest, map(contains, names, repeat(token[-1]))))
            matched = set(
                compress(maybe, map(pattern.search, map(self._id_and_name.__getitem__, maybe)))
            )
            spread = [p for p in maybe if p in matched]
            rest = [p for p in rest if p not in matched] if matched else rest
        rest += described_before
        # A word under three letters scores 0 in the description: left unchecked there until
        # a longer word needs to know.
        described = self._described(token, rest) if len(token) >= 3 else rest
        in_play = set(found)
        classes: list[tuple[float, set[int]]] = []
        taken: set[int] = set()
        for weight, index in self._field_indexes:
            equal = index.equal_to(token)
            if equal:
                classes.append((_EXACT * weight, in_play.intersection(equal)))
        for weight, index in self._field_indexes:
            classes.append((_PREFIX * weight, in_play.intersection(index.starting_with(token))))
        for _, members in classes:  # best first: a model belongs to its best class only
            members -= taken
            taken |= members
        classes = [(value, members) for value, members in classes if members]
        if spread:
            classes.append((_SUBSEQUENCE * FIELD_WEIGHT["id"], set(spread)))
        if described and len(token) >= 3:
            classes.append((_DESCRIPTION_SCORE, set(described)))
        undivided = in_play - taken
        return _Word(token, pattern, classes, undivided, found, spread, described)

    def _described(self, token: str, positions: list[int]) -> list[int]:
        """Those of ``positions`` whose description holds ``token``."""
        holders = self._description_words.holders(token)
        if holders is None:
            descs = map(self._descs.__getitem__, positions)
            return list(compress(positions, map(contains, descs, repeat(token))))
        return list(compress(positions, map(holders.__contains__, positions)))

    def _divide(self, word: _Word, members: set[int]) -> None:
        """Split the undivided among ``members`` into exact classes and ``unsure``."""
        part = word.undivided & members
        if part:
            classes, unsure = self._deeper(word.token, part)
            word.classes += classes
            word.unsure |= unsure
            word.undivided -= part

    def _deeper(self, token: str, held: set[int]) -> tuple[list[tuple[float, set[int]]], set[int]]:
        """Split models that hold ``token`` in a field, none equal to it or starting with it,
        by score: exact classes, and those that hold it at a word start in the id or the
        name (a word prefix only if that is where it first occurs: ``_score`` decides)."""
        order = list(held)
        names = map(self._id_and_name.__getitem__, order)
        in_id_or_name = list(compress(order, map(contains, names, repeat(token))))
        if _WORD_MARK in token:  # marks cannot tell: each one is scored when it matters
            maybe = set(in_id_or_name)
        else:
            needle = _WORD_MARK + mark_word_starts(token)
            marked = map(self._marked.__getitem__, in_id_or_name)
            maybe = set(compress(in_id_or_name, map(contains, marked, repeat(needle))))
            maybe |= self._unmarkable.intersection(in_id_or_name)
        rest = held - maybe
        if not rest:
            return [], maybe
        word_in = {
            "category": (set[int](), set[int]()),
            "tags": (set[int](), set[int]()),
        }
        for kind, index in (("category", self._category_index), ("tags", self._tag_index)):
            weight = FIELD_WEIGHT[kind]
            starts, inside = word_in[kind]
            for value in index.holding(token):
                found = _field_score(token, value, weight)
                if found == _WORD_PREFIX * weight:
                    starts.update(index.equal_to(value))
                elif found == _SUBSTRING * weight:
                    inside.update(index.equal_to(value))
        weights = FIELD_WEIGHT
        ladder = (  # best first; the id and the name hold it only inside a word here
            (_WORD_PREFIX * weights["category"], word_in["category"][0]),
            (_WORD_PREFIX * weights["tags"], word_in["tags"][0]),
            (_SUBSTRING * weights["id"], set(in_id_or_name)),
            (_SUBSTRING * weights["category"], word_in["category"][1]),
            (_SUBSTRING * weights["tags"], word_in["tags"][1]),
        )
        classes: list[tuple[float, set[int]]] = []
        for score, members in ladder:
            part = rest & members
            if part:
                classes.append((score, part))
                rest -= part
        if rest:  # cannot happen: each holds the word in some field
            maybe |= rest
        return classes, maybe

    def _score(self, word: _Word, position: int) -> float:
        """The exact score of a model ``word`` is unsure about: the word is in one of its
        fields, but no field equals it or starts with it (``_token_score``'s rule, short)."""
        found = word.scored.get(position)
        if found is not None:
            return found
        token = word.token
        eid, name = self._eids[position], self._names[position]
        at_id, at_name = eid.find(token), name.find(token)
        if (at_id > 0 and not eid[at_id - 1].isalnum()) or (
            at_name > 0 and not name[at_name - 1].isalnum()
        ):
            found = _WORD_PREFIX * FIELD_WEIGHT["id"]
        else:
            found = _SUBSTRING * FIELD_WEIGHT["id"] if at_id > 0 or at_name > 0 else 0.0
            category = self._categories[position]
            in_category = word.category_scores.get(category)
            if in_category is None:
                in_category = _field_score(token, category, FIELD_WEIGHT["category"])
                word.category_scores[category] = in_category
            tags = self._tags[position]
            in_tags = word.tag_scores.get(tags)
            if in_tags is None:
                weight = FIELD_WEIGHT["tags"]
                in_tags = max((_field_score(token, tag, weight) for tag in tags), default=0.0)
                word.tag_scores[tags] = in_tags
            found = max(found, in_category, in_tags)
        word.scored[position] = found
        return found

    def _candidates(self, tokens: list[Token]) -> tuple[list[int], list[_Word]]:
        """Positions whose text can match every token, and each token's classes."""
        key = tuple(t for t, _ in tokens)
        memo = self._memo.get(key)
        if memo is not None:
            self._memo.move_to_end(key)
            return memo
        candidates = self._everyone
        words: list[_Word] = []
        typed_on: _Word | None = None
        best = len(candidates) + 1
        for old, (old_candidates, old_words) in self._memo.items():
            if _extends(key, old) and len(old_candidates) < best:  # the narrowest it extends
                best = len(old_candidates)
                candidates = old_candidates
                if key[len(old) - 1] == old[-1]:  # the same words, and more: keep them all
                    words, typed_on = old_words, None
                else:  # the last word typed on
                    words, typed_on = old_words[:-1], old_words[-1]
        for token, pattern in tokens[len(words) :]:
            if words and typed_on is None:  # a new word: the one before can no longer grow
                candidates = words[-1].matches
            word = self._word(token, pattern, candidates, typed_on)
            candidates, typed_on = word.candidates, None
            words = [*words, word]
        self._memo[key] = (candidates, words)
        if len(self._memo) > _MEMO_SIZE:
            self._memo.popitem(last=False)
        return candidates, words

    # -- the query as a whole

    def _bonus_classes(self, q: str, live: set[int]) -> tuple[list[tuple[float, set[int]]], bool]:
        """``_query_bonus``'s classes among ``live`` that sorted tables tell (10,000 … 1,500),
        best first, each model in one only; and whether an id may hold the query (1,000)."""
        starts = [*self._eid_prefixes.starting_with(q), *self._rest_prefixes.starting_with(q)]
        found = [
            (10_000.0, live.intersection(self._eid_prefixes.equal_to(q))),
            (2_000.0, live.intersection(starts)),
            # equal to the id or the name: those equal to the id are in 10,000 already
            (1_800.0, live.intersection(self._id_names.equal_to(q))),
            (1_500.0, live.intersection(self._eid_suffixes.starting_with(("/" + q)[::-1]))),
        ]
        taken: set[int] = set()
        for _, members in found:
            members -= taken
            taken |= members
        may_hold = self._eid_spaces or len(q.split()) == 1  # else no id can hold the query
        return [(value, members) for value, members in found if members], may_hold

    def _best(
        self, q: str, live: set[int], words: list[_Word], wanted: int
    ) -> dict[float, list[int]]:
        """Models of ``live`` by exact total, at least the ``wanted`` best among them (and
        every one that ties with the last): best-first, so big sets of models that cannot
        reach the top are never split or scored."""
        if wanted <= 0:
            return {}
        # The rest of the words at their worst and best, from each word on.
        rest_low, rest_high = [0.0], [0.0]
        for word in reversed(words):
            lows = [score for score, _ in word.classes]
            highs = list(lows)
            if word.unsure:
                lows.append(_UNSURE_LOW)
                highs.append(_UNSURE_HIGH)
            if word.undivided:
                lows.append(_UNDIVIDED_LOW)
                highs.append(_UNSURE_HIGH)
            rest_low.append(rest_low[-1] + min(lows, default=0.0))
            rest_high.append(rest_high[-1] + max(highs, default=0.0))
        rest_low.reverse()
        rest_high.reverse()
        heap: list[tuple[float, int, _Node]] = []
        tick = count()

        def push(node: _Node) -> None:
            heappush(heap, (-node.high, next(tick), node))

        bonuses, may_hold = self._bonus_classes(q, live)
        rest = live.difference(*(members for _, members in bonuses)) if bonuses else live
        for bonus, members in bonuses:
            push(_Node(bonus + rest_low[0], bonus + rest_high[0], members, bonus=bonus))
        if rest:
            top_bonus = 1_000.0 if may_hold else 0.0
            push(_Node(rest_low[0], top_bonus + rest_high[0], rest, bonus_open=may_hold))

        accepted: dict[float, list[int]] = {}
        taken = 0
        threshold: float | None = None

        def accept(total: float, members: Iterable[int]) -> None:
            nonlocal taken, threshold
            bucket = accepted.setdefault(total, [])
            before = len(bucket)
            bucket.extend(members)
            taken += len(bucket) - before
            threshold = None

        while heap:
            node = heap[0][2]
            if taken >= wanted:
                if threshold is None:
                    threshold = _kth_best(accepted, wanted)
                if node.high + _SLACK < threshold:
                    break
            heappop(heap)
            depth = len(node.parts)
            if node.bonus_open:  # tell 1,000 from 0: one pass over the ids
                order = list(node.members)
                eids = map(self._eids.__getitem__, order)
                holding = set(compress(order, map(contains, eids, repeat(q))))
                if holding:
                    push(node.but(holding, node.low + 1_000.0, node.high, bonus=1_000.0))
                if len(holding) < len(node.members):
                    rest = node.members - holding
                    push(node.but(rest, node.low, node.high - 1_000.0, bonus=0.0))
            elif depth < len(words):  # split by the next word's classes
                for sub in self._split(node, words[depth], depth, rest_low, rest_high):
                    push(sub)
            elif node.undivided:  # divide, then split again by that word
                j = node.undivided[0]
                word = words[j]
                self._divide(word, node.members)
                for sub in self._resplit(node, word, j, rest_low, rest_high):
                    push(sub)
            elif node.unsure:  # score each one
                by_total: dict[float, list[int]] = {}
                for position in node.members:
                    total = 0.0
                    for j, part in enumerate(node.parts):
                        total += self._score(words[j], position) if j in node.unsure else part
                    by_total.setdefault(total + node.bonus, []).append(position)
                for total, scored in by_total.items():
                    accept(total, scored)
            else:
                total = 0.0
                for part in node.parts:
                    total += part  # in word order, as ``score`` sums: the same float
                accept(total + node.bonus, node.members)
        return accepted

    @staticmethod
    def _split(
        node: _Node, word: _Word, depth: int, rest_low: list[float], rest_high: list[float]
    ) -> Iterable[_Node]:
        """``node`` split by ``word`` (its ``depth``-th word)."""
        acc_low, acc_high = node.low - rest_low[depth], node.high - rest_high[depth]
        after = depth + 1
        members = node.members
        for score, cls in word.classes:
            part = members & cls
            if part:
                low = acc_low + score + rest_low[after]
                high = acc_high + score + rest_high[after]
                yield node.but(part, low, high, parts=(*node.parts, score))
        part = members & word.unsure
        if part:
            low = acc_low + _UNSURE_LOW + rest_low[after]
            high = acc_high + _UNSURE_HIGH + rest_high[after]
            yield node.but(part, low, high, parts=(*node.parts, 0.0), unsure=(*node.unsure, depth))
        part = members & word.undivided
        if part:
            low = acc_low + _UNDIVIDED_LOW + rest_low[after]
            high = acc_high + _UNSURE_HIGH + rest_high[after]
            undivided = (*node.undivided, depth)
            yield node.but(part, low, high, parts=(*node.parts, 0.0), undivided=undivided)

    @staticmethod
    def _resplit(
        node: _Node, word: _Word, j: int, rest_low: list[float], rest_high: list[float]
    ) -> Iterable[_Node]:
        """``node`` (every word split) split again by word ``j``, divided since."""
        undivided = tuple(k for k in node.undivided if k != j)
        low, high = node.low - _UNDIVIDED_LOW, node.high - _UNSURE_HIGH
        members = node.members
        for score, cls in word.classes:
            part = members & cls
            if part:
                parts = (*node.parts[:j], score, *node.parts[j + 1 :])
                yield node.but(part, low + score, high + score, parts=parts, undivided=undivided)
        part = members & word.unsure
        if part:
            unsure = (*node.unsure, j)
            low, high = low + _UNSURE_LOW, high + _UNSURE_HIGH
            yield node.but(part, low, high, unsure=unsure, undivided=undivided)

    def top(
        self,
        query: str,
        category: str | None = None,
        *,
        prefer: Mapping[str, int] | None = None,
        limit: int | None = None,
    ) -> Ranked:
        """The best ``limit`` matches (all with None), in ``rank``'s order, and the count."""
        q = query.strip().lower()
        wanted = category.strip().lower() if category else None
        if not q:
            return self._unranked(wanted, limit)
        _, words = self._candidates(_tokens(q))
        live = set(words[-1].matches)  # the words before left only what they score
        if wanted is not None:
            live.intersection_update(self._category_index.equal_to(wanted))
        matches = len(live)
        if not live:
            return Ranked([], 0)
        wanted_n = matches if limit is None else max(0, min(limit, matches))
        by_total = self._best(q, live, words, wanted_n)
        tier_of: dict[int, int] = {}
        for eid, tier in (prefer or {}).items():
            for position in self._eid_prefixes.equal_to(eid.lower()):
                if self._placed[position].endpoint_id == eid:
                    tier_of[position] = tier
        chosen: list[int] = []
        for total in sorted(by_total, reverse=True):
            if len(chosen) >= wanted_n:
                break
            members = sorted(by_total[total])
            if tier_of:
                members = _by_tier(members, tier_of)
            chosen.extend(members[: wanted_n - len(chosen)])
        return Ranked(list(map(self._placed.__getitem__, chosen)), matches)

    def _unranked(self, wanted: str | None, limit: int | None) -> Ranked:
        """Nothing typed: featured models first, then the rest in the catalog's order."""
        featured = {eid: i for i, eid in enumerate(FEATURED)}
        models = self.models
        pool = [m for m in models if wanted is None or m.category.lower() == wanted]
        pool = [
            m
            for _, _, m in sorted(
                (featured.get(m.endpoint_id, len(featured)), i, m) for i, m in enumerate(pool)
            )
        ]
        return Ranked(pool if limit is None else pool[:limit], len(pool))

    def rank(
        self,
        query: str,
        category: str | None = None,
        *,
        prefer: Mapping[str, int] | None = None,
    ) -> list[ModelInfo]:
        """``rank(models, query, category, prefer=prefer)`` over this index's models."""
        return self.top(query, category, prefer=prefer).models


def _by_tier(members: list[int], tier_of: Mapping[int, int]) -> list[int]:
    """``members`` (in position order) stably sorted by tier (``_NO_TIER`` unless named)."""
    named: dict[int, list[int]] = {}
    for position in tier_of.keys() & set(members):
        named.setdefault(tier_of[position], []).append(position)
    if not named:
        return members
    out: list[int] = []
    for tier in sorted({*named, _NO_TIER}):
        if tier == _NO_TIER:
            rest = filterfalse(tier_of.__contains__, members)
            out += sorted([*rest, *named.get(tier, ())])
        else:
            out += sorted(named[tier])
    return out


def _kth_best(by_total: Mapping[float, list[int]], k: int) -> float:
    """The ``k``-th best total among ``by_total``'s members (k ≥ 1, and that many there)."""
    seen = 0
    for total in sorted(by_total, reverse=True):
        seen += len(by_total[total])
        if seen >= k:
            return total
    raise ValueError("fewer than k members")


def _extends(new: tuple[str, ...], old: tuple[str, ...]) -> bool:
    """True when every model that can match ``new`` can match ``old`` (typing went on)."""
    if not old or len(old) > len(new):
        return False
    last = len(old) - 1
    return new[:last] == old[:last] and new[last].startswith(old[last])


_indexes: OrderedDict[tuple[int, ...], SearchIndex] = OrderedDict()


def search_index(models: Sequence[ModelInfo]) -> SearchIndex:
    """The ``SearchIndex`` of this list of models (the same objects in the same order), built
    on first use and kept for the few latest catalogs."""
    if _indexes:  # the latest catalog again (a fresh list of the same models): no hashing
        latest = next(reversed(_indexes.values()))
        if (
            len(latest.models) == len(models)
            and latest.models == models
            and all(map(is_, latest.models, models))
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


def _pool(models: Iterable[ModelInfo]) -> Sequence[ModelInfo]:
    return models if isinstance(models, list | tuple) else list(models)


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
    return search_index(_pool(models)).top(query, category, prefer=prefer).models


def rank_top(
    models: Iterable[ModelInfo],
    query: str,
    category: str | None = None,
    *,
    prefer: Mapping[str, int] | None = None,
    limit: int,
) -> Ranked:
    """``rank(...)[:limit]`` and ``len(rank(...))``, without ordering the rest (what a list
    showing the first ``limit`` matches and a count needs)."""
    return search_index(_pool(models)).top(query, category, prefer=prefer, limit=limit)
