"""Build :class:`~faltui.core.schema.model.Field` trees from (OpenAPI) JSON schemas.

Follows fal-protocol.md §10.3: kinds from types and name conventions (``*_url`` files,
prompt-like text), unions (nullable, image_size, enums, general), bounds, defaults, order.
Everything degrades instead of failing: a construct it does not understand becomes a field
of kind ``"json"``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from faltui.core.schema.model import Field
from faltui.core.schema.resolve import MAX_DEPTH, Resolver, clean_text

log = logging.getLogger(__name__)

#: Most fields built for one document (guards against crafted exponential documents).
MAX_FIELDS = 5_000

#: String fields shown as multi-line "text" boxes.
TEXT_NAMES = frozenset(
    {
        "prompt",
        "negative_prompt",
        "text",
        "lyrics",
        "system_prompt",
        "gen_text",
        "ref_text",
        "style_prompt",
        "lyrics_prompt",
        "texture_prompt",
        "previous_text",
        "next_text",
        "structured_instruction",
    }
)

#: Top-level inputs that are never "advanced" even when optional.
MAIN_NAMES = frozenset(
    {
        "prompt",
        "text",
        "lyrics",
        "gen_text",
        "input",
        "query",
        "messages",
        "image_size",
        "aspect_ratio",
        "duration",
        "resolution",
        "num_images",
        "multi_prompt",
        "style",
        "voice",
        "model",
    }
)

#: Inputs that are "advanced" unless required, whatever else holds.
ADVANCED_NAMES = frozenset(
    {
        "seed",
        "sync_mode",
        "enable_safety_checker",
        "safety_tolerance",
        "num_inference_steps",
        "guidance_scale",
        "acceleration",
        "output_format",
        "enable_output_safety_checker",
    }
)

_FILE_UI_HINTS = frozenset({"image", "video", "audio", "file", "image_url", "file_url"})
_PROMPT_WORD = re.compile(r"\bprompts?\b", re.IGNORECASE)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _value_type(values: list[Any]) -> str:
    types = set()
    for v in values:
        if isinstance(v, bool):
            types.add("boolean")
        elif isinstance(v, int):
            types.add("integer")
        elif isinstance(v, float):
            types.add("number")
        elif isinstance(v, str):
            types.add("string")
        else:
            types.add("json")
    if types == {"integer", "number"}:
        return "number"
    return types.pop() if len(types) == 1 else ""


def _is_text(name: str, schema: dict[str, Any], max_length: int | None) -> bool:
    if name in TEXT_NAMES or name.endswith("_prompt") or name.endswith("prompt"):
        return True
    if max_length is not None and max_length > 200:
        return True
    return bool(_PROMPT_WORD.search(clean_text(schema.get("description"))))


def _is_file_string(name: str, schema: dict[str, Any]) -> bool:
    if name.endswith("_url"):
        return True
    if schema.get("format") in ("uri", "binary", "url", "uri-reference"):
        return True
    hint = schema.get("_fal_ui_field")
    return isinstance(hint, str) and hint in _FILE_UI_HINTS


class FieldBuilder:
    """Builds :class:`Field` objects from (resolved) schemas of one document."""

    def __init__(self, resolver: Resolver, budget: int = MAX_FIELDS) -> None:
        self.resolver = resolver
        self.budget = budget

    # -- objects -----------------------------------------------------------------------

    def properties(
        self, schema: dict[str, Any], path: tuple[str, ...], seen: frozenset[str], depth: int
    ) -> list[Field]:
        """The ordered child fields of an object schema (``x-fal-order-properties`` first)."""
        props = schema.get("properties")
        if not isinstance(props, dict):
            return []
        required_raw = schema.get("required")
        required = (
            set(r for r in required_raw if isinstance(r, str))
            if isinstance(required_raw, list)
            else set()
        )
        order: list[str] = []
        declared = schema.get("x-fal-order-properties")
        if isinstance(declared, list):
            for name in declared:
                if isinstance(name, str) and name in props and name not in order:
                    order.append(name)
        order += [str(n) for n in props if n not in order]
        fields = []
        for name in order:
            fields.append(
                self.build(name, (*path, name), props.get(name), name in required, seen, depth)
            )
        return fields

    # -- one field ---------------------------------------------------------------------

    def build(
        self,
        name: str,
        path: tuple[str, ...],
        raw: Any,
        required: bool,
        seen: frozenset[str],
        depth: int,
    ) -> Field:
        """The field ``name`` described by ``raw`` (never raises; unknown → kind json)."""
        try:
            return self._build(name, path, raw, required, seen, depth)
        except Exception:  # a construct we did not foresee: degrade, never fail
            log.debug("schema field %s degraded to json", ".".join(path), exc_info=True)
            return Field(name=name, path=path, kind="json", required=required)

    def _build(
        self,
        name: str,
        path: tuple[str, ...],
        raw: Any,
        required: bool,
        seen: frozenset[str],
        depth: int,
    ) -> Field:
        f = Field(name=name, path=path, kind="json", required=required)
        self.budget -= 1
        if not isinstance(raw, dict) or depth > MAX_DEPTH or self.budget < 0:
            return f
        schema, seen, ref = self.resolver.resolve(raw, seen)
        f.schema = schema
        f.ref = ref
        self._meta(f, schema)
        if "x-faltui-unresolved" in schema:
            return f
        union = schema.get("anyOf")
        if not isinstance(union, list):
            union = schema.get("oneOf")
        if isinstance(union, list):
            self._union(f, schema, union, seen, depth)
        else:
            self._typed(f, schema, seen, depth)
        if schema.get("nullable") is True:
            f.nullable = True
        return f

    def _meta(self, f: Field, schema: dict[str, Any]) -> None:
        f.title = clean_text(schema.get("title"))
        f.description = clean_text(schema.get("description"))
        if "default" in schema:
            f.default = schema["default"]
            f.has_default = True
        examples = schema.get("examples")
        if isinstance(examples, list):
            f.examples = list(examples)
        elif "example" in schema:
            f.examples = [schema["example"]]
        f.deprecated = schema.get("deprecated") is True

    def _typed(self, f: Field, schema: dict[str, Any], seen: frozenset[str], depth: int) -> None:
        """Fill ``f`` from a schema that is not a union."""
        if "const" in schema:
            f.kind = "const"
            f.const = schema["const"]
            f.enum = [schema["const"]]
            f.value_type = _value_type(f.enum)
            return
        kind = schema.get("type")
        if isinstance(kind, list):
            types = [t for t in kind if isinstance(t, str) and t != "null"]
            if "null" in kind:
                f.nullable = True
            if len(types) > 1:
                branches = [{**schema, "type": t} for t in types]
                self._union(
                    f, {k: v for k, v in schema.items() if k != "type"}, branches, seen, depth
                )
                return
            kind = types[0] if types else "null"
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            values = [v for v in enum if v is not None]
            if len(values) < len(enum):
                f.nullable = True
            if values:
                f.kind = "enum"
                f.enum = values
                f.value_type = _value_type(values)
                return
        if not isinstance(kind, str):
            if isinstance(schema.get("properties"), dict):
                kind = "object"
            elif "items" in schema or "prefixItems" in schema:
                kind = "array"
        if kind == "string":
            self._string(f, schema)
        elif kind in ("integer", "number"):
            f.kind = kind
            f.value_type = kind
            self._bounds(f, schema)
        elif kind == "boolean":
            f.kind = "boolean"
            f.value_type = "boolean"
        elif kind == "array":
            self._array(f, schema, seen, depth)
        elif kind == "object":
            f.kind = "object"
            f.children = self.properties(schema, f.path, seen, depth + 1)
        elif kind == "null":
            f.nullable = True

    def _string(self, f: Field, schema: dict[str, Any]) -> None:
        f.min_length = _int(schema.get("minLength"))
        f.max_length = _int(schema.get("maxLength"))
        f.value_type = "string"
        if _is_file_string(f.name, schema):
            f.kind = "file"
        elif _is_text(f.name, schema, f.max_length):
            f.kind = "text"
        else:
            f.kind = "string"

    def _bounds(self, f: Field, schema: dict[str, Any]) -> None:
        f.minimum = _number(schema.get("minimum", schema.get("ge")))
        f.maximum = _number(schema.get("maximum", schema.get("le")))
        low, high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if low is True:  # OpenAPI 3.0 style: the boolean makes ``minimum`` exclusive
            f.exclusive_minimum, f.minimum = f.minimum, None
        else:
            f.exclusive_minimum = _number(low if low is not None else schema.get("gt"))
        if high is True:
            f.exclusive_maximum, f.maximum = f.maximum, None
        else:
            f.exclusive_maximum = _number(high if high is not None else schema.get("lt"))

    def _array(self, f: Field, schema: dict[str, Any], seen: frozenset[str], depth: int) -> None:
        f.kind = "array"
        f.min_items = _int(schema.get("minItems"))
        f.max_items = _int(schema.get("maxItems"))
        items = schema.get("items")
        if not isinstance(items, dict) or not items:
            prefix = schema.get("prefixItems")
            items = prefix[0] if isinstance(prefix, list) and prefix else items
        item = self.build(f.name, (*f.path, "[]"), items, False, seen, depth + 1)
        f.item = item
        if f.name.endswith("_urls") and item.kind in ("string", "text", "file"):
            f.kind = "file_list"
            item.kind = "file"

    # -- unions ------------------------------------------------------------------------

    def _union(
        self,
        f: Field,
        schema: dict[str, Any],
        branches: list[Any],
        seen: frozenset[str],
        depth: int,
    ) -> None:
        """``anyOf``/``oneOf``: nullable, image_size, enum merges, else a general union."""
        variants: list[Field] = []
        for branch in branches:
            resolved, _, _ = self.resolver.resolve(branch, seen)
            if not isinstance(branch, dict):
                continue
            if resolved.get("type") == "null" or resolved.get("enum") == [None]:
                f.nullable = True
                continue
            v = self.build(f.name, f.path, branch, f.required, seen, depth + 1)
            if v.nullable:
                f.nullable = True
            variants.append(v)
        if not variants:
            return
        if len(variants) == 1:
            self._adopt(f, variants[0])
            return
        if self._image_size(f, variants):
            return
        if all(v.kind in ("enum", "const", "string") for v in variants) and any(
            v.kind in ("enum", "const") for v in variants
        ):
            values: list[Any] = []
            for v in variants:
                values += [x for x in (v.enum or []) if x not in values]
            f.kind = "enum"
            f.enum = values
            f.value_type = _value_type(values)
            f.open_enum = any(v.kind == "string" for v in variants)
            f.variants = variants
            return
        usable = [v for v in variants if v.kind != "json"]
        main = next((v for v in usable if f.has_default and _accepts(v, f.default)), None)
        main = main or (usable[0] if usable else None)
        if main is not None:
            self._adopt(f, main)
        f.variants = variants

    def _adopt(self, f: Field, v: Field) -> None:
        """Copy the shape of variant ``v`` into ``f`` (keeping ``f``'s own metadata)."""
        f.kind = v.kind
        f.enum = v.enum
        f.const = v.const
        f.value_type = v.value_type
        f.open_enum = v.open_enum
        for attr in (
            "minimum",
            "maximum",
            "exclusive_minimum",
            "exclusive_maximum",
            "min_length",
            "max_length",
            "min_items",
            "max_items",
        ):
            setattr(f, attr, getattr(v, attr))
        f.children = v.children
        f.item = v.item
        f.variants = v.variants
        f.ref = f.ref or v.ref
        if not f.title:
            f.title = v.title
        if not f.description:
            f.description = v.description
        if not f.has_default and v.has_default:
            f.default, f.has_default = v.default, True
        if not f.examples:
            f.examples = v.examples
        if v.kind == "string" and f.kind == "string":
            # the outer schema's name/description may make it a prompt-like text
            f.kind = "file" if _is_file_string(f.name, v.schema) else f.kind
            if f.kind == "string" and _is_text(f.name, f.schema, f.max_length):
                f.kind = "text"

    def _image_size(self, f: Field, variants: list[Field]) -> bool:
        """A preset enum plus a ``{width, height}`` object → kind ``image_size``."""
        size = next(
            (
                v
                for v in variants
                if v.kind == "object"
                and ({"width", "height"} <= {c.name for c in v.children} or v.ref == "ImageSize")
            ),
            None,
        )
        presets = [v for v in variants if v.kind in ("enum", "const") and v.value_type == "string"]
        if size is None or not presets or len(variants) != 1 + len(presets):
            return False
        f.kind = "image_size"
        f.enum = [x for v in presets for x in (v.enum or [])]
        f.value_type = "string"
        f.variants = variants
        f.children = size.children
        return True


def _accepts(f: Field, value: Any) -> bool:
    """Whether ``value`` is valid for variant ``f`` (used to pick a union's main kind)."""
    from faltui.core.schema.validate import check_value

    return not check_value(f, value)


def mark_advanced(fields: list[Field], top: bool = True) -> None:
    """Set :attr:`Field.advanced`: optional fields that are not a model's main inputs."""
    for f in fields:
        if f.required:
            f.advanced = False
        elif f.name in ADVANCED_NAMES or f.kind == "const":
            f.advanced = True
        elif f.name in MAIN_NAMES or f.kind in ("file", "file_list"):
            f.advanced = False
        else:
            # optional with no default and no null: the model has no fallback for it
            f.advanced = f.has_default or f.nullable or not top
        if f.children:
            mark_advanced(f.children, top=False)
        if f.item is not None and f.item.children:
            mark_advanced(f.item.children, top=False)
