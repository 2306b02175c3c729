"""Model outputs shaped like each endpoint's ``...Output`` schema, with real files behind URLs.

The output schema is walked: file-like objects (``{url, content_type, ...}``) become generated
files of the right kind (image/video/audio/mesh), strings, numbers and lists get plausible values.
Endpoints without a usable output schema fall back to a shape chosen by catalog category.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from faltui.emulator import media
from faltui.emulator.catalog import EmulatorCatalog
from faltui.emulator.files import FileStore
from faltui.emulator.schemas import resolve

IMAGE_PRESETS: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
MAX_SIDE = 2048
FILE_KEYS = ("url", "content_type", "file_name", "file_size", "width", "height")
AUDIO_NAMES = {"vocals", "guitar", "bass", "piano", "other", "drums", "speech", "music"}
KNOWN_OPTIONAL = {
    "images",
    "image",
    "video",
    "audio",
    "audio_file",
    "audio_url",
    "model_mesh",
    "model_glb",
    "text",
    "chunks",
    "seed",
    "timings",
    "has_nsfw_concepts",
    "prompt",
    "output",
    "description",
    "usage",
}
TRANSCRIPT = [
    "This is an emulated transcription.",
    "No audio was analysed.",
    "The faltui emulator made it up.",
]


def _default(input_schema: dict[str, Any], name: str) -> Any:
    """The schema default of an input property (fal applies defaults to omitted inputs)."""
    props = input_schema.get("properties") or {}
    prop = props.get(name) if isinstance(props, dict) else None
    return prop.get("default") if isinstance(prop, dict) else None


def image_size(payload: dict[str, Any], input_schema: dict[str, Any]) -> tuple[int, int]:
    """Pixel size from ``image_size`` (preset or {width,height}) or ``aspect_ratio``."""
    props = input_schema.get("properties") or {}
    value = payload.get("image_size", (props.get("image_size") or {}).get("default"))
    if isinstance(value, dict):
        width, height = value.get("width"), value.get("height")
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            scale = min(1.0, MAX_SIDE / max(width, height))
            return max(1, int(width * scale)), max(1, int(height * scale))
    if isinstance(value, str) and value in IMAGE_PRESETS:
        return IMAGE_PRESETS[value]
    ratio = payload.get("aspect_ratio", (props.get("aspect_ratio") or {}).get("default"))
    if isinstance(ratio, str) and ":" in ratio:
        try:
            w, h = (float(x) for x in ratio.split(":", 1))
        except ValueError:
            w = h = 0
        if w > 0 and h > 0:
            if w >= h:
                return 1024, max(1, round(1024 * h / w))
            return max(1, round(1024 * w / h)), 1024
    if "image_size" in props:
        return IMAGE_PRESETS["landscape_4_3"]
    return IMAGE_PRESETS["square_hd"]


def _file_like(schema: dict[str, Any]) -> bool:
    props = schema.get("properties") or {}
    return "url" in props and bool({"content_type", "file_name", "width"} & set(props))


@dataclass
class _Run:
    """Per-request generation context."""

    endpoint_id: str
    category: str
    payload: dict[str, Any]
    input_schema: dict[str, Any]
    doc: dict[str, Any]
    seed: int
    base_url: str
    inline: bool
    sentence: int = 0
    in_items: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def prompt(self) -> str:
        for key in ("prompt", "text", "input", "query"):
            value = self.payload.get(key)
            if isinstance(value, str):
                return value
        return ""


class OutputBuilder:
    """Builds result JSON for a request and stores the files it references."""

    def __init__(self, catalog: EmulatorCatalog, files: FileStore) -> None:
        self.catalog = catalog
        self.files = files

    def build(
        self, endpoint_id: str, payload: Any, request_id: str, base_url: str
    ) -> dict[str, Any]:
        """The output JSON for one request."""
        payload = payload if isinstance(payload, dict) else {}
        seed = payload.get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool):
            seed = int.from_bytes(hashlib.sha256(request_id.encode()).digest()[:4]) % 2**31
        run = _Run(
            endpoint_id=endpoint_id,
            category=self.catalog.category(endpoint_id),
            payload=payload,
            input_schema=self.catalog.input_schema(endpoint_id),
            doc=self.catalog.openapi(endpoint_id) or {},
            seed=seed,
            base_url=base_url,
            inline=payload.get("sync_mode") is True,
        )
        schema = self.catalog.output_schema(endpoint_id)
        result = self._object(run, schema, 0) if schema.get("properties") else {}
        if not result:
            result = self._fallback(run)
        return result

    # --- files -------------------------------------------------------------------------------

    def _kind(self, run: _Run, name: str, schema: dict[str, Any]) -> str:
        title = str(schema.get("title") or "").lower()
        lname = name.lower()
        if "image" in title or "image" in lname or lname in {"thumbnail", "textures"}:
            return "image"
        if "video" in title or "video" in lname:
            return "video"
        if "audio" in title or "audio" in lname or lname in AUDIO_NAMES:
            return "audio"
        if "mesh" in lname or "glb" in lname or "model" in lname:
            return "mesh"
        category = run.category
        if category.endswith("-to-image"):
            return "image"
        if category.endswith("-to-video"):
            return "video"
        if "3d" in category:
            return "mesh"
        if "audio" in category or "speech" in category:
            return "audio"
        return "file"

    def _store(self, run: _Run, key: str, data: bytes, content_type: str, name: str) -> str:
        if run.inline:
            return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        path = f"out/{digest}/{name}"
        if self.files.get(path) is None:
            self.files.put(path, data, content_type)
        return f"{run.base_url}/files/{path}"

    def make_file(
        self, run: _Run, name: str, schema: dict[str, Any] | None = None, index: int = 0
    ) -> dict[str, Any]:
        """A file object (``url``, ``content_type``, ...) of the kind the field name implies."""
        schema = schema or {}
        kind = self._kind(run, name, schema)
        seed_text = f"{run.endpoint_id}|{run.prompt}|{run.seed}|{name}|{index}"
        width = height = None
        if kind == "image":
            width, height = image_size(run.payload, run.input_schema)
            fmt = run.payload.get("output_format", _default(run.input_schema, "output_format"))
            fmt = fmt if isinstance(fmt, str) and fmt.lower() in media.IMAGE_FORMATS else "png"
            data, content_type, ext = media.image_bytes(seed_text, width, height, fmt)
            file_name = f"{name}_{index}.{ext}" if name == "images" else f"{name}.{ext}"
            key = f"image|{seed_text}|{width}x{height}|{ext}"
        elif kind == "video":
            data = media.video_bytes(seed_text)
            content_type, file_name = media.VIDEO_CONTENT_TYPE, f"{name}.{media.VIDEO_EXTENSION}"
            width, height = 160, 90
            key = f"video|{seed_text}"
        elif kind == "audio":
            data, content_type, file_name = media.wav_bytes(seed_text), "audio/wav", f"{name}.wav"
            key = f"audio|{seed_text}"
        elif kind == "mesh":
            data, content_type, file_name = media.glb_bytes(), "model/gltf-binary", f"{name}.glb"
            key = "mesh"
        else:
            data = f"emulated {name} for {run.endpoint_id}\n".encode()
            content_type, file_name = "application/octet-stream", f"{name}.bin"
            key = f"file|{run.endpoint_id}|{name}"
        url = self._store(run, key + "|" + file_name, data, content_type, file_name)
        values: dict[str, Any] = {
            "url": url,
            "content_type": content_type,
            "file_name": file_name,
            "file_size": len(data),
            "width": width,
            "height": height,
        }
        declared = set((schema.get("properties") or {}).keys())
        keep = {"url", "content_type"} | (declared & set(FILE_KEYS))
        if not declared:
            keep |= {"file_name", "file_size"}
        if kind == "image":
            keep |= {"width", "height"}
        return {k: values[k] for k in FILE_KEYS if k in keep and values[k] is not None}

    # --- schema walk -------------------------------------------------------------------------

    def _object(self, run: _Run, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        order = schema.get("x-fal-order-properties") or list(props)
        names = [n for n in order if n in props] + [n for n in props if n not in order]
        out: dict[str, Any] = {}
        for name in names:
            prop = resolve(props[name], run.doc)
            concrete = self._concrete(run, prop)
            if name not in required and name not in KNOWN_OPTIONAL and not _file_like(concrete):
                continue
            if concrete.get("type") == "null" and name not in required:
                continue
            out[name] = self._value(run, name, concrete, depth + 1)
        return out

    def _concrete(self, run: _Run, schema: dict[str, Any]) -> dict[str, Any]:
        variants = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(variants, list) and variants:
            for variant in variants:
                resolved = resolve(variant, run.doc)
                if resolved.get("type") != "null":
                    return resolved
            return {"type": "null"}
        return schema

    def _value(self, run: _Run, name: str, schema: dict[str, Any], depth: int) -> Any:
        schema = self._concrete(run, resolve(schema, run.doc))
        if depth > 6:
            return None
        if _file_like(schema):
            return self.make_file(run, name, schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "array" or "prefixItems" in schema:
            return self._array(run, name, schema, depth)
        if kind == "object" or schema.get("properties"):
            if name == "usage":
                return self._usage(run)
            if schema.get("properties"):
                return self._object(run, schema, depth)
            if name == "timings":
                return {"inference": round(0.5 + run.seed % 100 / 100, 3)}
            return {}
        if kind == "string":
            return self._string(run, name)
        if kind == "integer":
            if name == "seed":
                return run.seed
            if name == "duration_ms":
                return 400
            return int(schema.get("default", schema.get("minimum", 1)) or 1)
        if kind == "number":
            if "duration" in name:
                return 0.4
            default = schema.get("default", schema.get("minimum", 1.0))
            return float(default) if isinstance(default, int | float) else 1.0
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        return self._string(run, name)

    def _count(self, run: _Run, name: str) -> int:
        if name in {"images", "has_nsfw_concepts"}:
            count = run.payload.get("num_images", 1)
            if isinstance(count, int) and not isinstance(count, bool):
                return max(1, min(count, 8))
        return 1

    def _array(self, run: _Run, name: str, schema: dict[str, Any], depth: int) -> list[Any]:
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list):
            start = run.sentence * 1.5
            return [start + i * 1.5 for i, _ in enumerate(prefix)]
        items = self._concrete(run, resolve(schema.get("items") or {}, run.doc))
        if _file_like(items):
            return [self.make_file(run, name, items, i) for i in range(self._count(run, name))]
        if items.get("type") == "boolean":
            return [False] * self._count(run, name)
        if items.get("type") == "object" or items.get("properties"):
            rows = []
            run.in_items += 1
            for _ in range(2 if name not in {"texture_urls", "textures"} else 1):
                rows.append(self._value(run, name.rstrip("s"), items, depth))
                run.sentence += 1
            run.in_items -= 1
            return rows
        if items.get("type") == "string":
            if "language" in name:
                return ["en"]
            return [self._string(run, name.rstrip("s"))]
        if items.get("type") in {"number", "integer"}:
            return [0.0, 1.0]
        return []

    def _string(self, run: _Run, name: str) -> str:
        lname = name.lower()
        if lname in {"text", "chunk", "segment", "word"}:
            if run.category in {"speech-to-text", "audio-to-text"}:
                if lname == "text" and not run.in_items:
                    return " ".join(TRANSCRIPT)
                return TRANSCRIPT[run.sentence % len(TRANSCRIPT)]
            return run.prompt or "emulated text"
        if lname in {"output", "results", "description", "caption", "response"}:
            return self._llm_text(run)
        if lname in {"prompt", "actual_prompt"}:
            return run.prompt
        if "language" in lname:
            return "en"
        if lname.endswith("_id") or lname == "id":
            return hashlib.sha256(f"{run.endpoint_id}|{run.seed}".encode()).hexdigest()[:12]
        if lname.endswith("url"):
            return str(self.make_file(run, name)["url"])
        if lname in {"speaker", "speaker_id"}:
            return "SPEAKER_00"
        return f"emulated {name}"

    def _usage(self, run: _Run) -> dict[str, Any]:
        """Token usage as OpenRouter reports it: about four characters a token, a made-up
        price per token (the emulator bills nothing)."""
        prompt = max(1, len(run.prompt) // 4)
        completion = max(1, len(self._llm_text(run)) // 4)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "cost": round((prompt + completion) * 2e-6, 9),
        }

    def _llm_text(self, run: _Run) -> str:
        prompt = " ".join(run.prompt.split())[:200]
        return f"[emulated {run.endpoint_id}] You asked: {prompt or '(no prompt)'}"

    def _fallback(self, run: _Run) -> dict[str, Any]:
        category = run.category
        if run.endpoint_id.endswith("chat/completions"):
            return {
                "id": f"chatcmpl-{run.seed}",
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": self._llm_text(run)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {k: v for k, v in self._usage(run).items() if k != "cost"},
            }
        if category in {"llm", "vision"}:
            return {"output": self._llm_text(run)}
        if category in {"speech-to-text", "audio-to-text"}:
            return {
                "text": " ".join(TRANSCRIPT),
                "chunks": [
                    {"timestamp": [i * 1.5, i * 1.5 + 1.5], "text": t}
                    for i, t in enumerate(TRANSCRIPT)
                ],
            }
        if category.endswith("-to-video"):
            return {"video": self.make_file(run, "video"), "seed": run.seed}
        if "3d" in category:
            return {"model_mesh": self.make_file(run, "model_mesh"), "seed": run.seed}
        if "audio" in category or "speech" in category:
            return {"audio": self.make_file(run, "audio")}
        if category == "training":
            return {
                "diffusers_lora_file": self.make_file(run, "diffusers_lora_file"),
                "config_file": self.make_file(run, "config_file"),
            }
        if category == "embeddings":
            return {"embeddings": [[round((run.seed % (i + 7)) / 7, 3) for i in range(8)]]}
        count = self._count(run, "images")
        return {
            "images": [self.make_file(run, "images", None, i) for i in range(count)],
            "seed": run.seed,
            "prompt": run.prompt,
            "timings": {"inference": 0.5},
            "has_nsfw_concepts": [False] * count,
        }
