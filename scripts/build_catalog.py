#!/usr/bin/env python3
"""Build faltui's bundled offline catalog from the shared reference material.

Reads the seed skill (its model tables) and the saved fal OpenAPI documents, then writes

* ``faltui/data/schemas/<endpoint id with "/" -> "__">.json`` — byte copies of the documents;
* ``faltui/data/catalog.json`` — ``{"snapshot_date", "models": [...]}`` where every model is
  shaped like an entry of fal's Platform API ``GET /v1/models`` answer (fal-protocol.md §9.1).

Re-runnable: ``python scripts/build_catalog.py [--shared /work/shared] [--out faltui/data]``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path
from typing import Any

SNAPSHOT_DATE = "2026-11-24"
UPDATED_AT = f"{SNAPSHOT_DATE}T00:00:00Z"
ROOT = Path(__file__).resolve().parent.parent

_ROW = re.compile(r"^\|\s*`([^`]+/[^`]+)`\s*\|\s*(.*?)\s*\|\s*$")
_HEADING = re.compile(r"^#{2,3}\s+(.*)$")
_MONTH_NAMES = (
    "January February March April May June July August September October November December"
)
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES.split(" "))}

#: Display names for the saved OpenAPI documents (fal's names for them, shortened).
SCHEMA_NAMES: dict[str, str] = {
    "bria/fibo-edit/colorize": "Bria Fibo Edit Colorize",
    "fal-ai/ace-step": "ACE-Step",
    "fal-ai/birefnet": "BiRefNet Background Removal",
    "fal-ai/bria/background/remove": "Bria Background Remove",
    "fal-ai/bytedance/omnihuman": "OmniHuman",
    "fal-ai/bytedance/seedream/v4/edit": "Seedream 4.0 Edit",
    "fal-ai/bytedance/seedream/v4/text-to-image": "Seedream 4.0",
    "fal-ai/chatterbox/speech-to-speech": "Chatterbox Speech-to-Speech",
    "fal-ai/chatterbox/text-to-speech": "Chatterbox TTS",
    "fal-ai/clarity-upscaler": "Clarity Upscaler",
    "fal-ai/demucs": "Demucs",
    "fal-ai/diffrhythm": "DiffRhythm",
    "fal-ai/dubbing": "Dubbing",
    "fal-ai/elevenlabs/audio-isolation": "ElevenLabs Audio Isolation",
    "fal-ai/elevenlabs/speech-to-text": "ElevenLabs Speech to Text",
    "fal-ai/elevenlabs/text-to-dialogue/eleven-v3": "ElevenLabs Text to Dialogue v3",
    "fal-ai/elevenlabs/tts/multilingual-v2": "ElevenLabs TTS Multilingual v2",
    "fal-ai/esrgan": "ESRGAN Upscaler",
    "fal-ai/f5-tts": "F5 TTS",
    "fal-ai/florence-2-large/caption": "Florence-2 Large Caption",
    "fal-ai/flux-2/klein/9b": "FLUX.2 [klein] 9B",
    "fal-ai/flux-general/image-to-image": "FLUX.1 General Image-to-Image",
    "fal-ai/flux-krea-lora": "FLUX.1 Krea [dev] LoRA",
    "fal-ai/flux-pro/v1.1-ultra": "FLUX1.1 [pro] ultra",
    "fal-ai/flux/dev": "FLUX.1 [dev]",
    "fal-ai/flux/schnell": "FLUX.1 [schnell]",
    "fal-ai/hunyuan-image/v3/text-to-image": "Hunyuan Image 3.0",
    "fal-ai/hunyuan-video-lora-training": "Hunyuan Video LoRA Training",
    "fal-ai/hunyuan3d-v21": "Hunyuan3D 2.1",
    "fal-ai/hunyuan3d/v2": "Hunyuan3D 2.0",
    "fal-ai/hyper3d/rodin": "Hyper3D Rodin",
    "fal-ai/ideogram/v3": "Ideogram V3",
    "fal-ai/ideogram/v3/edit": "Ideogram V3 Edit",
    "fal-ai/image2svg": "Image to SVG",
    "fal-ai/imageutils/depth": "Depth Map",
    "fal-ai/infinitalk": "InfiniTalk",
    "fal-ai/inpaint": "Inpainting",
    "fal-ai/kling-video/v1/standard/image-to-video": "Kling 1.0 Standard Image to Video",
    "fal-ai/kling-video/v2.1/master/text-to-video": "Kling 2.1 Master Text to Video",
    "fal-ai/kling-video/v3/pro/text-to-video": "Kling 3.0 Pro Text to Video",
    "fal-ai/kokoro/american-english": "Kokoro TTS (American English)",
    "fal-ai/latentsync": "LatentSync",
    "fal-ai/ltx-2/image-to-video": "LTX-2 Image to Video",
    "fal-ai/ltx-video": "LTX Video",
    "fal-ai/lyria2": "Lyria 2",
    "fal-ai/meshy/v6-preview/text-to-3d": "Meshy 6 Preview Text to 3D",
    "fal-ai/minimax-music/v1.5": "MiniMax Music 1.5",
    "fal-ai/minimax/speech-02-hd": "MiniMax Speech-02 HD",
    "fal-ai/mmaudio-v2/text-to-audio": "MMAudio V2 Text to Audio",
    "fal-ai/nano-banana": "Nano Banana",
    "fal-ai/nano-banana-pro": "Nano Banana Pro",
    "fal-ai/nano-banana/edit": "Nano Banana Edit",
    "fal-ai/photomaker": "PhotoMaker",
    "fal-ai/pixverse/v4.5/text-to-video": "PixVerse v4.5 Text to Video",
    "fal-ai/qwen-image": "Qwen Image",
    "fal-ai/qwen-image-edit": "Qwen Image Edit",
    "fal-ai/recraft/v3/create-style": "Recraft V3 Create Style",
    "fal-ai/sam2/image": "Segment Anything 2 (image)",
    "fal-ai/seedvr/upscale/image": "SeedVR2 Image Upscaler",
    "fal-ai/sora-2/text-to-video": "Sora 2 Text to Video",
    "fal-ai/speech-to-text/turbo": "Speech to Text Turbo",
    "fal-ai/stable-audio": "Stable Audio Open",
    "fal-ai/sync-lipsync/v2": "Sync Lipsync 2.0",
    "fal-ai/topaz/upscale/video": "Topaz Video Upscale",
    "fal-ai/trellis": "Trellis",
    "fal-ai/turbo-flux-trainer": "Turbo FLUX Trainer",
    "fal-ai/veo3.1": "Veo 3.1",
    "fal-ai/veo3/image-to-video": "Veo 3 Image to Video",
    "fal-ai/video-understanding": "Video Understanding",
    "fal-ai/wan-trainer/t2v": "Wan Trainer (text to video)",
    "fal-ai/wan/v2.2-a14b/image-to-video": "Wan 2.2 A14B Image to Video",
    "fal-ai/wan/v2.2-a14b/video-to-video": "Wan 2.2 A14B Video to Video",
    "fal-ai/whisper": "Whisper",
    "fal-ai/wizper": "Wizper (Whisper v3 Large, fast)",
    "fal-ai/z-image/turbo": "Z-Image Turbo",
    "openrouter/router": "OpenRouter (any LLM)",
    "openrouter/router/openai/v1/chat/completions": "OpenRouter OpenAI Chat Completions",
    "openrouter/router/vision": "OpenRouter Vision",
}

#: Short descriptions for the saved documents whose ``info.description`` is only boilerplate.
SCHEMA_BLURBS: dict[str, str] = {
    "text-to-image": "Generate images from a text prompt.",
    "image-to-image": "Edit or transform an input image.",
    "text-to-video": "Generate a video from a text prompt.",
    "image-to-video": "Animate an input image into a video.",
    "video-to-video": "Transform an input video.",
    "text-to-speech": "Turn text into natural speech.",
    "speech-to-speech": "Convert a voice recording into another voice.",
    "speech-to-text": "Transcribe speech in an audio file to text.",
    "text-to-audio": "Generate audio (speech, music or sound) from text.",
    "audio-to-audio": "Process or separate an audio file.",
    "image-to-3d": "Turn an image into a 3D model.",
    "text-to-3d": "Generate a 3D model from a text prompt.",
    "training": "Train a LoRA or style from your own data.",
    "llm": "Run a large language model.",
    "vision": "Describe or analyse images and video with a vision model.",
}

#: Category of seed endpoints the id alone does not settle.
SEED_CATEGORIES: dict[str, str] = {
    "fal-ai/z-image/base": "text-to-image",
    "fal-ai/flux-2/klein/9b/base/lora": "text-to-image",
    "fal-ai/glm-image": "text-to-image",
    "bria/fibo-edit/edit": "image-to-image",
    "bria/fibo-edit/blend": "image-to-image",
    "bria/fibo-edit/relight": "image-to-image",
    "bria/fibo-edit/restyle": "image-to-image",
    "fal-ai/veo3.1": "text-to-video",
    "fal-ai/veo3.1/fast": "text-to-video",
    "fal-ai/veo3.1/extend-video": "video-to-video",
    "fal-ai/live-avatar": "image-to-video",
    "clarityai/crystal-video-upscaler": "video-to-video",
    "fal-ai/creatify/aurora": "image-to-video",
    "fal-ai/longcat-multi-avatar/image-audio-to-video": "image-to-video",
    "fal-ai/kling-video/o3/pro/reference-to-video": "image-to-video",
    "fal-ai/qwen-3-tts/clone-voice/1.7b": "text-to-speech",
    "fal-ai/qwen-3-tts/clone-voice/0.6b": "text-to-speech",
    "fal-ai/qwen-3-tts/voice-design/1.7b": "text-to-speech",
    "fal-ai/nemotron/asr": "speech-to-text",
    "fal-ai/nemotron/asr/stream": "speech-to-text",
    "fal-ai/elevenlabs/voice-changer": "audio-to-audio",
    "fal-ai/deepfilternet3": "audio-to-audio",
    "fal-ai/sam-audio/separate": "audio-to-audio",
    "fal-ai/elevenlabs/music": "text-to-audio",
    "fal-ai/maya/batch": "text-to-speech",
    "fal-ai/demucs": "audio-to-audio",
    "fal-ai/ultrashape": "image-to-3d",
    "fal-ai/trellis-2": "image-to-3d",
    "fal-ai/hunyuan-motion": "text-to-3d",
    "openrouter/router/audio": "audio-to-text",
    "openrouter/router/audio/stream": "audio-to-text",
    "openrouter/router/audio/enterprise": "audio-to-text",
    "openrouter/router/audio/enterprise/stream": "audio-to-text",
    "openrouter/router/openai/v1/embeddings": "embeddings",
}

_ID_RULES: list[tuple[str, str]] = [
    ("text-to-image", "text-to-image"),
    ("image-to-image", "image-to-image"),
    ("/edit", "image-to-image"),
    ("text-to-video", "text-to-video"),
    ("image-to-video", "image-to-video"),
    ("text-to-3d", "text-to-3d"),
    ("image-to-3d", "image-to-3d"),
    ("speech-to-text", "speech-to-text"),
    ("text-to-speech", "text-to-speech"),
    ("speech-", "text-to-speech"),
    ("openrouter/router/vision", "vision"),
    ("openrouter/router/video", "vision"),
    ("openrouter/", "llm"),
]

_SECTION_DEFAULT = {"image": "text-to-image", "video": "text-to-video", "audio": "text-to-audio"}


def seed_category(endpoint_id: str, section: str) -> str:
    """fal's category for a seed endpoint: explicit table, then id keywords, then section."""
    if endpoint_id in SEED_CATEGORIES:
        return SEED_CATEGORIES[endpoint_id]
    for needle, category in _ID_RULES:
        if needle in endpoint_id:
            return category
    low = section.lower()
    for word, category in _SECTION_DEFAULT.items():
        if word in low:
            return category
    return "llm" if "openrouter" in endpoint_id else "text-to-image"


def parse_seed(text: str) -> list[dict[str, Any]]:
    """Every ``| `owner/app…` | description |`` table row of the seed's catalog sections.

    Returns dicts with ``endpoint_id``, ``text`` (the description cell), ``section`` (nearest
    heading) and ``date`` (ISO date from a "Month YYYY" heading, or "").
    """
    rows: list[dict[str, Any]] = []
    section = ""
    in_catalog = False
    recommended: set[str] = set()
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            section = heading.group(1).strip()
            if section in {"Model Catalog", "OpenRouter Endpoints"}:
                in_catalog = True
            if section == "Model Selection Guide":
                in_catalog = False
            continue
        if line.startswith("|"):
            ids = re.findall(r"`([\w.\-]+/[\w.\-/]+)`", line)
            if section == "Model Selection Guide":
                recommended.update(ids)
                continue
            row = _ROW.match(line)
            if in_catalog and row:
                rows.append({"endpoint_id": row.group(1), "text": row.group(2), "section": section})
    for row in rows:
        row["recommended"] = row["endpoint_id"] in recommended
        month = re.search(r"(\w+)\s+(\d{4})", row["section"])
        row["date"] = (
            f"{month.group(2)}-{_MONTHS[month.group(1)]:02d}-01"
            if month and month.group(1) in _MONTHS
            else ""
        )
    return rows


def split_text(text: str) -> tuple[str | None, str]:
    """``"Name: blurb"`` → (name, blurb); otherwise (None, text)."""
    if ":" in text:
        name, _, blurb = text.partition(":")
        return name.strip(), blurb.strip()
    return None, text.strip()


def tags_for(endpoint_id: str, text: str, category: str) -> list[str]:
    """A few search-friendly tags derived from the id and the description."""
    low = f"{endpoint_id} {text}".lower()
    tags: list[str] = []
    words = {
        "fast": r"turbo|flash|fast|rapid|distilled|schnell|lightweight",
        "pro": r"pro|max|ultra|master|hd",
        "editing": r"edit\w*|inpaint\w*",
        "lora": r"lora|trainer|training",
        "streaming": r"stream\w*",
        "enterprise": r"enterprise",
        "upscaling": r"upscal\w*",
        "lipsync": r"lipsync|lip-sync|avatar|\w*talk",
        "voice-clone": r"clone",
        "music": r"music|lyria\w*|diffrhythm|ace-step",
        "openai-compatible": r"openai",
    }
    for tag, pattern in words.items():
        if re.search(rf"(?<![a-z0-9])(?:{pattern})(?![a-z0-9])", low):
            tags.append(tag)
    if endpoint_id.startswith("openrouter/"):
        tags.append("openrouter")
    if category in {"llm", "vision", "audio-to-text", "embeddings"}:
        tags.append("llm")
    return tags


def model_object(
    endpoint_id: str,
    *,
    display_name: str,
    category: str,
    description: str,
    tags: list[str],
    date: str,
    thumbnail_url: str = "",
    highlighted: bool = False,
    status: str = "active",
) -> dict[str, Any]:
    """One Platform-API-shaped model entry."""
    alias = endpoint_id.split("/")[1] if "/" in endpoint_id else endpoint_id
    return {
        "endpoint_id": endpoint_id,
        "metadata": {
            "display_name": display_name,
            "category": category,
            "description": description,
            "status": status,
            "tags": tags,
            "updated_at": UPDATED_AT,
            "is_favorited": False,
            "thumbnail_url": thumbnail_url,
            "model_url": f"https://fal.run/{endpoint_id}",
            "date": f"{date}T00:00:00Z" if date else UPDATED_AT,
            "group": {"key": alias, "label": category.replace("-", " ").title()},
            "highlighted": highlighted,
            "kind": "training" if category == "training" else "inference",
            "pinned": False,
        },
    }


def schema_file_name(endpoint_id: str) -> str:
    """File name of a bundled OpenAPI document."""
    return endpoint_id.replace("/", "__") + ".json"


def build(shared: Path, out: Path) -> dict[str, Any]:
    """Copy the schemas and write catalog.json; returns the catalog."""
    schema_dir = out / "schemas"
    schema_dir.mkdir(parents=True, exist_ok=True)
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted((shared / "fal-schemas").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        meta = doc.get("info", {}).get("x-fal-metadata", {})
        endpoint_id = meta.get("endpointId") or path.stem.replace("__", "/")
        if schema_file_name(endpoint_id) != path.name:
            raise SystemExit(f"{path.name}: endpoint id {endpoint_id!r} does not match the name")
        shutil.copyfile(path, schema_dir / path.name)
        docs[endpoint_id] = doc

    models: dict[str, dict[str, Any]] = {}
    seed = parse_seed((shared / "seed-fal-generate.md").read_text(encoding="utf-8"))
    for row in seed:
        eid = row["endpoint_id"]
        name, blurb = split_text(row["text"])
        if eid.startswith("openrouter/") and not (name or "").startswith("OpenRouter"):
            name = f"OpenRouter {name or row['text']}"
        category = seed_category(eid, row["section"])
        models[eid] = model_object(
            eid,
            display_name=name or row["text"],
            category=category,
            description=row["text"],
            tags=tags_for(eid, row["text"], category),
            date=row["date"],
            highlighted=row["recommended"],
        )

    for eid, doc in docs.items():
        info = doc.get("info", {})
        meta = info.get("x-fal-metadata", {})
        category = meta.get("category") or "other"
        described = (info.get("description") or "").strip()
        boiler = described.startswith("The OpenAPI schema for")
        deprecated = bool(doc.get("paths", {}).get(f"/{eid}", {}).get("post", {}).get("deprecated"))
        if eid in models:  # seed entry: keep its words, take fal's category and thumbnail
            md = models[eid]["metadata"]
            md["category"] = category
            md["thumbnail_url"] = meta.get("thumbnailUrl", "")
            md["group"]["label"] = category.replace("-", " ").title()
            md["tags"] = tags_for(eid, md["display_name"], category)
            continue
        name = SCHEMA_NAMES.get(eid) or eid.split("/", 1)[1]
        blurb = described if described and not boiler else SCHEMA_BLURBS.get(category, "")
        models[eid] = model_object(
            eid,
            display_name=name,
            category=category,
            description=blurb,
            tags=tags_for(eid, name, category),
            date="2026-01-01",
            thumbnail_url=meta.get("thumbnailUrl", ""),
            status="deprecated" if deprecated else "active",
        )

    catalog = {"snapshot_date": SNAPSHOT_DATE, "models": sorted(models.values(), key=_order)}
    (out / "catalog.json").write_text(
        json.dumps(catalog, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return catalog


def _order(model: dict[str, Any]) -> tuple[str, str]:
    return (model["metadata"]["category"], model["endpoint_id"])


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("/work/shared"))
    parser.add_argument("--out", type=Path, default=ROOT / "faltui" / "data")
    args = parser.parse_args()
    catalog = build(args.shared, args.out)
    schemas = len(list((args.out / "schemas").glob("*.json")))
    print(f"{len(catalog['models'])} models, {schemas} schemas → {args.out}")


if __name__ == "__main__":
    main()
