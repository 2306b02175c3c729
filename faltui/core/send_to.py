"""Sending a job's outputs to another model: which inputs can take them, and filling them.

A finished job's outputs (``sendables``: its files — image, video, audio, mesh — and its text
outputs) go into another model's input fields that fit them, chosen from the model's schema
alone (no per-model code):

* **Which fields fit** (``field_media``): a top-level file field (``*_url``, or a ``*_urls``
  list) takes the media its name says (``image_url``, ``tail_image_url``, ``mask_url`` take
  images; ``video_url`` video; ``audio_url``/``voice``/``speech`` audio), else what its
  description says ("URL of the image"). A file field that names no media takes any file, at
  the lowest rank; one that names an archive or training data (``images_data_url``) takes none
  (a single output is not a zip of them). A text output goes into a text field (a prompt).
* **Ranking** (``rank_fields``): an exact media match before a field that takes any file; then
  the field named for the media itself (``image_url``, ``image_urls``, ``input_image_url``)
  before fields with a secondary role (``mask``, ``tail``, ``end``, ``reference``…); required
  before optional; then schema order. Several outputs of one kind prefer a list field.
* **Filling** (``plan_send``): each kind's outputs go to that kind's best free field — several
  into a list field (up to its ``maxItems``), else the first into the best single field. What
  could not be placed is returned (``SendPlan.unplaced``), never dropped silently.

Models whose schema is not on this machine are judged by their category
(``category_accepts``: an ``image-to-video`` model takes an image); the plan is made once their
schema is fetched. The job the outputs came from becomes the new job's parent
(``Job.parent_id``); ``uses_outputs_of`` says whether an input still holds any of them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from faltui.core.job import Job, JobState
from faltui.core.outputs import find_outputs, find_text_outputs
from faltui.core.schema import EMPTY, EndpointSchema, Field, default_value
from faltui.core.schema.files import file_values_by_key
from faltui.core.schema.model import array_item

#: Media a file field can name, and the words that name it (checked on the field's name).
_MEDIA_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    # Checked first: a field for a zip of images or a training set takes no single output.
    ("archive", frozenset({"archive", "zip", "data", "dataset", "training", "lora", "weights"})),
    ("video", frozenset({"video", "videos", "clip", "footage", "movie"})),
    (
        "audio",
        frozenset({"audio", "voice", "speech", "sound", "music", "song", "wav", "mp3", "vocals"}),
    ),
    ("mesh", frozenset({"mesh", "glb", "obj", "3d"})),
    (
        "image",
        frozenset(
            {"image", "images", "img", "photo", "picture", "mask", "frame", "face", "portrait"}
        ),
    ),
)
#: Words that give a file field a secondary role: ranked after the field named for the media.
_SECONDARY = frozenset(
    {
        "mask",
        "tail",
        "end",
        "last",
        "reference",
        "ref",
        "style",
        "control",
        "target",
        "depth",
        "pose",
        "background",
        "texture",
        "source",
        "config",
        "negative",
    }
)
#: Output kinds that are media files (a text output is a string, not a URL).
MEDIA_KINDS = ("image", "video", "audio", "mesh", "file")
#: Words of a description that say which media a field takes ("URL of the image").
_DESCRIPTION = re.compile(r"\b(image|video|audio|mesh|3d model)s?\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
#: Text fields that take a text output, best first.
_TEXT_NAMES = ("prompt", "text", "input", "query", "question", "instruction")


# -- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sendable:
    """One output of a job that can go into another model's input."""

    #: ``image``, ``video``, ``audio``, ``mesh``, ``file`` or ``text``.
    kind: str
    #: The file's URL (or its local copy's path) — or the text itself for a text output.
    value: str
    #: Where it sits in the result (``images[0]``, ``output``).
    label: str

    @property
    def is_text(self) -> bool:
        """True for a text output (its ``value`` is the text, not a URL)."""
        return self.kind == "text"


def sendables(job: Job, first: str | None = None) -> list[Sendable]:
    """The outputs of a finished job: files, then texts, in the result's order; the one
    whose label or URL is ``first`` (the one the user had selected) goes first."""
    if job.state is not JobState.done or not isinstance(job.result, dict):
        return []
    found = [Sendable(o.kind, o.url, o.label) for o in find_outputs(job.result)]
    found += [Sendable("text", t.text, t.label) for t in find_text_outputs(job.result)]
    if first is not None:
        found.sort(key=lambda s: s.label != first and s.value != first)
    return found


async def with_local_copies(
    outputs: Sequence[Sendable], usable_url: Callable[[str], Awaitable[str]]
) -> list[Sendable]:
    """The outputs with each file's URL replaced by ``usable_url(url)`` (the library's: the
    URL while fal's file host serves it, else the local copy's path, uploaded on submit)."""
    out: list[Sendable] = []
    for output in outputs:
        value = output.value if output.is_text else await usable_url(output.value)
        out.append(Sendable(output.kind, value, output.label))
    return out


def kinds_of(outputs: Iterable[Sendable]) -> list[str]:
    """The distinct kinds of some outputs, in order."""
    return list(dict.fromkeys(o.kind for o in outputs))


# -- fields ------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _is_file_field(f: Field) -> bool:
    if f.kind == "file":
        return True
    item = array_item(f)
    return f.kind == "file_list" or (item is not None and item.kind == "file")


def is_list_field(f: Field) -> bool:
    """True when the field holds a list (of files or texts)."""
    return f.kind in ("file_list", "array") or array_item(f) is not None


def field_media(f: Field) -> str | None:
    """What a top-level file field takes: ``image``, ``video``, ``audio``, ``mesh``,
    ``archive`` (none of our outputs), or None (any file; its name says no media).

    Fields that are not file fields give None too; callers check ``_is_file_field`` first.
    """
    words = set(_words(f.name)) - {"url", "urls", "file", "files", "input", "uri"}
    for media, names in _MEDIA_WORDS:
        if words & names:
            return media
    hint = f.schema.get("_fal_ui_field") if isinstance(f.schema, dict) else None
    if isinstance(hint, str) and hint in ("image", "video", "audio"):
        return hint
    match = _DESCRIPTION.search(f"{f.title} {f.description}")
    if match:
        word = match.group(1).lower()
        return "mesh" if word == "3d model" else word
    return None


@dataclass(frozen=True)
class FieldFit:
    """A field that can take outputs of one kind, and how well."""

    field: Field
    kind: str
    #: Higher is better (see the module docstring).
    score: int
    is_list: bool

    @property
    def name(self) -> str:
        """The field's name."""
        return self.field.name

    @property
    def capacity(self) -> int:
        """How many outputs it holds (a list's ``maxItems``, else 1)."""
        if not self.is_list:
            return 1
        most = self.field.max_items
        return most if most is not None and most > 0 else 1_000


def _file_score(f: Field, kind: str) -> int | None:
    if not _is_file_field(f):
        return None
    media = field_media(f)
    if media == "archive" or kind == "text":
        return None
    if media is None:
        score = 10  # takes any file
    elif media == kind:
        score = 100
    else:
        return None
    words = _words(f.name)
    primary = {f"{kind}_url", f"{kind}_urls", f"{kind}s_url", f"input_{kind}_url"}
    primary |= {f"input_{kind}_urls", f"{kind}s"}
    if f.name in primary:
        score += 20
    if set(words) & _SECONDARY:
        score -= 10
    return score


def _text_score(f: Field) -> int | None:
    if f.kind != "text" and not (f.kind == "string" and f.name in _TEXT_NAMES):
        return None
    if f.name in _TEXT_NAMES:
        return 100 - _TEXT_NAMES.index(f.name)
    if f.name.endswith("prompt") and "negative" not in f.name:
        return 50
    return None


def rank_fields(schema: EndpointSchema, kind: str) -> list[FieldFit]:
    """The top-level input fields that can take an output of ``kind``, best first."""
    fits: list[tuple[int, int, FieldFit]] = []
    for position, f in enumerate(schema.input):
        score = _text_score(f) if kind == "text" else _file_score(f, kind)
        if score is None:
            continue
        if f.required:
            score += 5
        fits.append((score, -position, FieldFit(f, kind, score, is_list_field(f))))
    fits.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [fit for _, _, fit in fits]


# -- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """One output put into one field (``index``: its place in a list field)."""

    output: Sendable
    field: str
    index: int | None = None

    def text(self) -> str:
        """``images[0] → image_url`` (``→ image_urls[1]`` in a list)."""
        where = self.field if self.index is None else f"{self.field}[{self.index}]"
        return f"{self.output.label} → {where}"


@dataclass(frozen=True)
class SendPlan:
    """What sending some outputs to a model fills in, and what it could not place."""

    endpoint_id: str
    #: Field name → value to put in the input (a URL, a path, a list of them, a text).
    values: dict[str, Any] = field(default_factory=dict)
    placed: tuple[Placement, ...] = ()
    unplaced: tuple[Sendable, ...] = ()

    @property
    def ok(self) -> bool:
        """True when at least one output found a field."""
        return bool(self.placed)

    def lines(self) -> list[str]:
        """Each placement, then what was not placed and why."""
        out = [placement.text() for placement in self.placed]
        out += [f"{o.label} ({o.kind}): no free field takes it" for o in self.unplaced]
        return out

    def summary(self) -> str:
        """One line: ``images[0] → image_url; 1 output not placed (images[1])``."""
        text = "; ".join(p.text() for p in self.placed) or "nothing placed"
        if self.unplaced:
            labels = ", ".join(o.label for o in self.unplaced[:3])
            more = "…" if len(self.unplaced) > 3 else ""
            count = len(self.unplaced)
            text += f"; {count} output{'s' if count != 1 else ''} not placed ({labels}{more})"
        return text


def plan_send(schema: EndpointSchema, outputs: Sequence[Sendable]) -> SendPlan:
    """Place ``outputs`` (the first is the one the user chose) into ``schema``'s inputs.

    Outputs are grouped by kind (in the order the kinds first appear). Each group takes the
    best field of its kind not used by an earlier group: a list field when the group has more
    than one output (filled up to its capacity), else the best field. Outputs left over are
    returned in ``unplaced``.
    """
    endpoint_id = str(schema.endpoint_id or "")
    groups: dict[str, list[Sendable]] = {}
    for output in outputs:
        groups.setdefault(output.kind, []).append(output)
    used: set[str] = set()
    values: dict[str, Any] = {}
    placed: list[Placement] = []
    unplaced: list[Sendable] = []
    for kind, group in groups.items():
        fits = [fit for fit in rank_fields(schema, kind) if fit.name not in used]
        if not fits:
            unplaced += group
            continue
        chosen = fits[0]
        if len(group) > 1:
            chosen = next((fit for fit in fits if fit.is_list), chosen)
        used.add(chosen.name)
        if chosen.is_list:
            taken = group[: chosen.capacity]
            values[chosen.name] = [o.value for o in taken]
            placed += [Placement(o, chosen.name, i) for i, o in enumerate(taken)]
            unplaced += group[len(taken) :]
        else:
            values[chosen.name] = group[0].value
            placed.append(Placement(group[0], chosen.name))
            unplaced += group[1:]
    return SendPlan(endpoint_id, values, tuple(placed), tuple(unplaced))


def form_values(
    schema: EndpointSchema, plan: SendPlan, draft: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The values a form opens with: the model's draft (else its defaults), the plan's
    fields on top."""
    if draft is not None:
        base = dict(draft)
    else:
        base = {}
        for f in schema.input:
            value = default_value(f)
            if value is not EMPTY:
                base[f.name] = value
    base.update(plan.values)
    return base


# -- which models ------------------------------------------------------------------------------

#: What a model's category says it takes (the part before ``-to-``).
_CATEGORY_INPUTS = {
    "image": ("image",),
    "video": ("video",),
    "audio": ("audio",),
    "speech": ("audio",),
    "text": ("text",),
    "vision": ("image", "text"),
    "llm": ("text",),
}


def missing_files(schema: EndpointSchema, plan: SendPlan) -> list[str]:
    """Required file inputs of ``schema`` that ``plan`` leaves empty (and have no default)."""
    return [
        f.name
        for f in schema.input
        if f.required and _is_file_field(f) and not f.has_default and f.name not in plan.values
    ]


def category_accepts(category: str) -> tuple[str, ...]:
    """The kinds of output a model of ``category`` takes (``image-to-video`` → image)."""
    head = (category or "").lower().split("-to-", 1)[0]
    return _CATEGORY_INPUTS.get(head, ())


@dataclass(frozen=True)
class ModelFit:
    """A model that can take (some of) the outputs, for a picker."""

    endpoint_id: str
    #: How the outputs would be placed (from its schema), or None when judged by category.
    plan: SendPlan | None
    #: Kinds the category says it takes (when there is no schema here).
    kinds: tuple[str, ...] = ()
    score: int = 0

    @property
    def checked(self) -> bool:
        """True when its schema was read (not just its category)."""
        return self.plan is not None

    def hint(self) -> str:
        """``images[0] → image_url`` or ``takes image (by category; schema checked when
        chosen)``."""
        if self.plan is not None:
            return self.plan.summary()
        return f"takes {', '.join(self.kinds)} (by category; schema checked when chosen)"


def model_fit(
    endpoint_id: str,
    category: str,
    outputs: Sequence[Sendable],
    schema: EndpointSchema | None,
) -> ModelFit | None:
    """Whether a model can take ``outputs``: by its schema when known, else by category.

    None when it takes none of them. A text-only fit counts only when the outputs hold no
    files (a video model's prompt is no place for an image's caption).
    """
    files = [o for o in outputs if not o.is_text]
    if schema is not None and schema.input:
        plan = plan_send(schema, outputs)
        file_placed = [p for p in plan.placed if not p.output.is_text]
        if not plan.ok or (files and not file_placed):
            return None
        best = max(
            (fit.score for p in plan.placed for fit in rank_fields(schema, p.output.kind)[:1]),
            default=0,
        )
        # A model that also needs a file the outputs do not give (an inpainting mask) comes
        # after one they complete.
        best -= 40 * len(missing_files(schema, plan))
        return ModelFit(endpoint_id, plan, (), best * 100 + len(plan.placed))
    wanted = set(kinds_of(files)) or {"text"}
    kinds = tuple(k for k in category_accepts(category) if k in wanted)
    if not kinds:
        return None
    return ModelFit(endpoint_id, None, kinds, 50)


def fitting_models(
    models: Iterable[tuple[str, str]],
    outputs: Sequence[Sendable],
    schema_of: Callable[[str], EndpointSchema | None],
    *,
    exclude: str | None = None,
) -> list[ModelFit]:
    """The models (``(endpoint id, category)``) that can take ``outputs``, best first:
    checked fits by score, then those judged by category. ``schema_of`` gives a model's
    schema when it is on this machine (None otherwise); ``exclude`` (the job's own model)
    is left out."""
    fits: list[ModelFit] = []
    for endpoint_id, category in models:
        if endpoint_id == exclude:
            continue
        fit = model_fit(endpoint_id, category, outputs, schema_of(endpoint_id))
        if fit is not None:
            fits.append(fit)
    fits.sort(key=lambda fit: (not fit.checked, -fit.score))
    return fits


# -- the chain ---------------------------------------------------------------------------------


def output_values(job: Job) -> set[str]:
    """Every output URL and text of a job (what a send may have put into another input)."""
    return {o.value for o in sendables(job)}


def uses_outputs_of(payload: Mapping[str, Any], parent: Job, local: Iterable[str] = ()) -> bool:
    """True when ``payload`` still holds one of ``parent``'s outputs (its URL, the path of
    its local copy in ``local``, or one of its texts in a text field)."""
    values = output_values(parent) | set(local)
    if not values:
        return False
    if any(value in values for _, value in file_values_by_key(dict(payload))):
        return True
    return any(isinstance(v, str) and v in values for v in payload.values())


__all__ = [
    "MEDIA_KINDS",
    "FieldFit",
    "ModelFit",
    "Placement",
    "SendPlan",
    "Sendable",
    "category_accepts",
    "field_media",
    "fitting_models",
    "form_values",
    "kinds_of",
    "missing_files",
    "model_fit",
    "output_values",
    "plan_send",
    "rank_fields",
    "sendables",
    "uses_outputs_of",
    "with_local_copies",
]
