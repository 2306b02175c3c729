"""Named presets: a model's input (a form state) saved under a name, per model, as TOML.

**Where.** One file per model in the config folder: ``<config>/presets/<endpoint id>.toml``
(``presets/fal-ai/flux/dev.toml``), so a model's presets are one readable, hand-editable file::

    endpoint_id = "fal-ai/flux/dev"

    [presets.portrait]
    saved_at = "2026-05-01T09:30:00Z"

    [presets.portrait.input]
    prompt = "a portrait, soft light"
    image_size = "portrait_4_3"
    num_inference_steps = 28

    [presets.portrait.schema]        # the fingerprint, see below
    required = ["prompt"]
    [presets.portrait.schema.fields.image_size]
    kind = "image_size"
    enum = ["square_hd", "square", "portrait_4_3", ...]

An input (or fingerprint) TOML cannot hold exactly (a ``null``, an integer past 64 bits) is
kept as JSON text instead (``input_json``; ``schema`` as a string): a preset gives back
exactly what was saved.

**Schema fingerprint.** With a preset is kept what the model's schema said, when it was
saved, about each field the preset fills (its kind and JSON type, its enum values, its list
item kind, nested object fields it fills) and which fields were required. Applying the preset
compares that with the model's schema now and reports exactly what changed (``SchemaChange``):
a field gone, a type changed, enum values gone, a field newly required. The saved values are
also checked against the current schema (``PresetCheck.problems``); a preset that fills a
field that is gone, or whose values no longer pass, is ``blocking``: run as it is, fal would
ignore or refuse part of it.

Writers serialise on a lock file (POSIX); files are replaced atomically.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from faltui.core.endpoints import EndpointId
from faltui.core.errors import FaltuiError, FieldError
from faltui.core.schema import EndpointSchema, Field, validate
from faltui.core.schema.model import array_item, object_children

FOLDER = "presets"
#: Longest preset name.
MAX_NAME = 80
#: Integers TOML can hold.
_TOML_INT = (-(2**63), 2**63 - 1)


class PresetError(FaltuiError):
    """A preset cannot be read, found, named or saved as asked (the message says why)."""


class PresetNotFound(PresetError):
    """No preset of that name for that model."""


def check_name(name: str) -> str:
    """The preset name, trimmed; ``PresetError`` when empty, too long or holding controls."""
    text = (name or "").strip()
    if not text:
        raise PresetError("a preset needs a name")
    if len(text) > MAX_NAME:
        raise PresetError(f"a preset name has at most {MAX_NAME} characters")
    for index, char in enumerate(text):
        if not char.isprintable():
            raise PresetError(
                f"a preset name cannot hold control characters (U+{ord(char):04X} at "
                f"character {index + 1})"
            )
    return text


# -- fingerprint --------------------------------------------------------------------------------


def _describe(f: Field, value: Any) -> dict[str, Any]:
    """What the schema says about field ``f``, as far as ``value`` (the preset's) uses it."""
    out: dict[str, Any] = {"kind": f.kind}
    if f.value_type:
        out["type"] = f.value_type
    if f.enum is not None and not f.open_enum and f.kind in ("enum", "const", "image_size"):
        out["enum"] = list(f.enum)
    item = array_item(f)
    if item is not None:
        out["item"] = item.kind
    children = object_children(f)
    if children and isinstance(value, dict):
        out["fields"] = {
            child.name: _describe(child, value[child.name])
            for child in children
            if child.name in value
        }
    return out


def fingerprint(schema: EndpointSchema, payload: dict[str, Any]) -> dict[str, Any]:
    """The parts of ``schema`` that matter to ``payload`` (see the module docstring)."""
    fields = {f.name: _describe(f, payload[f.name]) for f in schema.input if f.name in payload}
    required = [f.name for f in schema.input if f.required]
    return {"fields": fields, "required": required}


@dataclass(frozen=True)
class SchemaChange:
    """One difference between the schema a preset was saved with and the schema now."""

    #: ``gone`` | ``type`` | ``enum`` | ``required`` | ``item``
    kind: str
    #: The field, dotted (``image_size.width``).
    path: str
    message: str

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "path": self.path, "message": self.message}


def _show(values: list[Any]) -> str:
    return ", ".join(json.dumps(v, ensure_ascii=False) for v in values)


def _type_text(desc: dict[str, Any]) -> str:
    kind, kind_type = str(desc.get("kind") or "?"), desc.get("type")
    return f"{kind} ({kind_type})" if kind_type and kind_type != kind else kind


def _compare(
    saved: dict[str, Any], current: list[Field], value: dict[str, Any], prefix: str
) -> list[SchemaChange]:
    by_name = {f.name: f for f in current}
    changes: list[SchemaChange] = []
    for name, was in saved.items():
        path = f"{prefix}{name}"
        now_field = by_name.get(name)
        if now_field is None:
            changes.append(
                SchemaChange("gone", path, f"field {path!r} is gone from the model's inputs")
            )
            continue
        now = _describe(now_field, value.get(name))
        if (was.get("kind"), was.get("type")) != (now.get("kind"), now.get("type")):
            changes.append(
                SchemaChange(
                    "type",
                    path,
                    f"field {path!r} was {_type_text(was)}, is now {_type_text(now)}",
                )
            )
        if was.get("item") != now.get("item") and was.get("item") and now.get("item"):
            changes.append(
                SchemaChange(
                    "item",
                    path,
                    f"items of {path!r} were {was['item']}, are now {now['item']}",
                )
            )
        if isinstance(was.get("enum"), list):
            offered = now.get("enum")
            if isinstance(offered, list):
                gone = [v for v in was["enum"] if v not in offered]
                if gone:
                    changes.append(
                        SchemaChange(
                            "enum",
                            path,
                            f"field {path!r} no longer offers {_show(gone)}",
                        )
                    )
        if isinstance(was.get("fields"), dict) and isinstance(value.get(name), dict):
            changes += _compare(was["fields"], object_children(now_field), value[name], f"{path}.")
    return changes


def compare(
    saved: dict[str, Any], schema: EndpointSchema, payload: dict[str, Any]
) -> list[SchemaChange]:
    """What changed between a saved fingerprint and ``schema`` for ``payload``'s fields."""
    changes = _compare(saved.get("fields") or {}, schema.input, payload, "")
    was_required = set(saved.get("required") or [])
    for f in schema.input:
        if f.required and f.name not in was_required and f.name not in payload:
            changes.append(SchemaChange("required", f.name, f"field {f.name!r} is now required"))
    return changes


# -- presets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PresetCheck:
    """A preset against the model's schema now."""

    #: What changed since the preset was saved (empty: nothing, or no fingerprint kept).
    changes: list[SchemaChange] = field(default_factory=list)
    #: The preset's values against the current schema (unknown fields included; fields it
    #: leaves out are the run's business).
    problems: list[FieldError] = field(default_factory=list)
    #: False when the preset was saved without a schema (nothing to compare with).
    compared: bool = True

    @property
    def blocking(self) -> bool:
        """True when run as it is, fal would ignore or refuse part of the preset."""
        return bool(self.problems) or any(c.kind == "gone" for c in self.changes)

    def lines(self) -> list[str]:
        """Every change and problem, one line each."""
        out = [change.message for change in self.changes]
        shown = {c.path for c in self.changes if c.kind == "gone"}
        for problem in self.problems:
            path = ".".join(str(p) for p in problem.path)
            if problem.kind == "unknown" and path in shown:
                continue  # already said: the field is gone
            out.append(f"{path}: {problem.message}" if path else problem.message)
        return out


@dataclass(frozen=True)
class Preset:
    """A named input for one model."""

    endpoint_id: str
    name: str
    input: dict[str, Any]
    saved_at: str = ""
    #: What the schema said when it was saved (``fingerprint``); None = saved without one.
    schema: dict[str, Any] | None = None

    def check(self, schema: EndpointSchema | None) -> PresetCheck:
        """Compare with the model's schema now (None: nothing can be checked)."""
        if schema is None:
            return PresetCheck(compared=False)
        # A preset may leave required fields to the run (a prompt): only what it fills counts.
        problems = [
            error
            for error in validate(schema, self.input, unknown=bool(schema.input))
            if error.kind != "missing"
        ]
        if self.schema is None:
            return PresetCheck([], problems, compared=False)
        return PresetCheck(compare(self.schema, schema, self.input), problems)

    def apply(self, schema: EndpointSchema | None) -> tuple[dict[str, Any], PresetCheck]:
        """A copy of the preset's input to fill a form or a run with, and its check."""
        return copy.deepcopy(self.input), self.check(schema)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "endpoint_id": self.endpoint_id,
            "name": self.name,
            "saved_at": self.saved_at,
            "input": self.input,
            "schema": self.schema,
        }


def _toml_safe(value: Any) -> bool:
    """True when TOML holds ``value`` exactly (no null, integers within 64 bits)."""
    if value is None:
        return False
    if isinstance(value, str):
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)  # UTF-8 cannot hold these
    if isinstance(value, bool | float):
        return True
    if isinstance(value, int):
        return _TOML_INT[0] <= value <= _TOML_INT[1]
    if isinstance(value, list):
        return all(_toml_safe(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _toml_safe(v) for k, v in value.items())
    return False


def _entry(preset: Preset) -> dict[str, Any]:
    entry: dict[str, Any] = {"saved_at": preset.saved_at}
    if _toml_safe(preset.input):
        entry["input"] = preset.input
    else:
        entry["input_json"] = json.dumps(preset.input)  # ASCII: lone surrogates survive
    if preset.schema is not None:
        schema = preset.schema
        entry["schema"] = schema if _toml_safe(schema) else json.dumps(schema)
    return entry


def _from_entry(endpoint_id: str, name: str, entry: Any, where: Path) -> Preset:
    if not isinstance(entry, dict):
        raise PresetError(f"{where}: preset {name!r} is not a table")
    try:
        if "input_json" in entry:
            payload = json.loads(str(entry["input_json"]))
        else:
            payload = entry.get("input", {})
        schema = entry.get("schema")
        if isinstance(schema, str):
            schema = json.loads(schema)
    except ValueError as exc:
        raise PresetError(f"{where}: preset {name!r} holds broken JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise PresetError(f"{where}: the input of preset {name!r} is not a table")
    return Preset(
        endpoint_id,
        name,
        payload,
        str(entry.get("saved_at") or ""),
        schema if isinstance(schema, dict) else None,
    )


class PresetStore:
    """The presets in ``folder`` (``<config>/presets``)."""

    def __init__(self, folder: Path, *, clock: Any = time.time) -> None:
        self.folder = Path(folder)
        self.clock = clock

    @classmethod
    def in_config(cls, config_dir: Path) -> PresetStore:
        """The store of a config folder."""
        return cls(Path(config_dir) / FOLDER)

    def file_for(self, endpoint_id: str) -> Path:
        """``<folder>/<endpoint id>.toml`` (the id is checked: no way out of the folder)."""
        full = EndpointId.parse(endpoint_id).full
        *parents, last = full.split("/")
        return self.folder.joinpath(*parents, f"{last}.toml")

    # -- reading ---------------------------------------------------------------------------

    def _read(self, endpoint_id: str) -> dict[str, Preset]:
        path = self.file_for(endpoint_id)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise PresetError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise PresetError(f"{path} is not valid TOML: {exc}") from exc
        table = data.get("presets", {})
        if not isinstance(table, dict):
            raise PresetError(f"{path}: [presets] must be a table")
        full = EndpointId.parse(endpoint_id).full
        return {name: _from_entry(full, name, entry, path) for name, entry in table.items()}

    def presets(self, endpoint_id: str | None = None) -> list[Preset]:
        """The presets of one model (by name), or of every model (by model, then name)."""
        if endpoint_id is not None:
            return sorted(self._read(endpoint_id).values(), key=lambda p: p.name.lower())
        found: list[Preset] = []
        for model in self.models():
            found += self.presets(model)
        return found

    def models(self) -> list[str]:
        """Endpoint ids that have a presets file."""
        if not self.folder.is_dir():
            return []
        ids = []
        for path in sorted(self.folder.rglob("*.toml")):
            relative = path.relative_to(self.folder).with_suffix("")
            candidate = "/".join(relative.parts)
            with contextlib.suppress(FaltuiError):
                ids.append(EndpointId.parse(candidate).full)
        return ids

    def get(self, endpoint_id: str, name: str) -> Preset:
        """One preset; ``PresetNotFound`` names the presets there are."""
        presets = self._read(endpoint_id)
        key = (name or "").strip()
        if key in presets:
            return presets[key]
        folded = [p for n, p in presets.items() if n.lower() == key.lower()]
        if len(folded) == 1:
            return folded[0]
        have = ", ".join(sorted(presets)) or "none"
        full = EndpointId.parse(endpoint_id).full
        raise PresetNotFound(f"no preset {key!r} for {full} (presets: {have})")

    # -- writing ---------------------------------------------------------------------------

    def save(
        self,
        endpoint_id: str,
        name: str,
        payload: dict[str, Any],
        schema: EndpointSchema | None = None,
    ) -> Preset:
        """Save (or replace) a preset; with ``schema`` its fingerprint is kept too."""
        if not isinstance(payload, dict):
            raise PresetError("a preset's input must be a JSON object")
        full = EndpointId.parse(endpoint_id).full
        preset = Preset(
            full,
            check_name(name),
            copy.deepcopy(payload),
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock())),
            fingerprint(schema, payload) if schema is not None and schema.input else None,
        )
        with self._locked():
            presets = self._read(full)
            presets[preset.name] = preset
            self._write(full, presets)
        return preset

    def delete(self, endpoint_id: str, name: str) -> Preset:
        """Delete a preset and return it (``PresetNotFound`` when there is none)."""
        full = EndpointId.parse(endpoint_id).full
        with self._locked():
            preset = self.get(full, name)
            presets = self._read(full)
            del presets[preset.name]
            self._write(full, presets)
        return preset

    def _write(self, endpoint_id: str, presets: dict[str, Preset]) -> None:
        path = self.file_for(endpoint_id)
        if not presets:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return
        document = {
            "endpoint_id": endpoint_id,
            "presets": {name: _entry(p) for name, p in sorted(presets.items())},
        }
        text = f"# faltui presets for {endpoint_id} (faltui preset list)\n" + tomli_w.dumps(
            document
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".toml", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as sink:
                    sink.write(text)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise PresetError(f"cannot write {path}: {exc.strerror or exc}") from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the presets folder's lock (a no-op where ``fcntl`` is missing)."""
        try:
            import fcntl
        except ImportError:  # Windows: single-writer in practice
            yield
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = open(self.folder / ".lock", "a+")  # noqa: SIM115 - held across the yield
        except OSError as exc:
            raise PresetError(f"cannot use {self.folder}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            handle.close()
