"""Which of a catalog's descriptions hold a typed fragment, without reading them all.

A description is long (80–300 characters) and a search reads it only for a word of three
letters or more that no other field holds; still, at the third letter of a word, that is most
of the catalog read once more per keystroke. ``DescriptionWords`` reads each description once,
up front, and keeps which descriptions hold each of its words.

A fragment of ASCII letters and digits (what people type) can only occur inside one run of
such characters, so the descriptions holding it are those holding a word (a maximal run) that
holds it: a scan of the distinct words, a few hundred to a few thousand short strings, instead
of every description. Any other fragment (``2.1``, ``image-to``, ``é``) can span words: for
those ``holders`` says it cannot tell, and the caller reads the descriptions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: A maximal run of ASCII letters and digits (descriptions are lower-cased already).
_WORD = re.compile(r"[a-z0-9]+")
_FRAGMENT = re.compile(r"[a-z0-9]+")


class DescriptionWords:
    """The words of a list of lower-cased descriptions, each with the positions holding it."""

    def __init__(self, descriptions: Sequence[str]) -> None:
        postings: dict[str, list[int]] = {}
        for position, text in enumerate(descriptions):
            for word in set(_WORD.findall(text)):
                holding = postings.get(word)
                if holding is None:
                    postings[word] = [position]
                else:
                    holding.append(position)
        self._postings = postings
        self._words = list(postings)

    def holders(self, fragment: str) -> set[int] | None:
        """The positions whose description holds ``fragment``; None when the words cannot
        tell (a fragment that is not all ASCII letters and digits)."""
        if _FRAGMENT.fullmatch(fragment) is None:
            return None
        postings = self._postings
        return set().union(*(postings[word] for word in self._words if fragment in word))
