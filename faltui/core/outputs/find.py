"""Finding what a result holds: its files (``OutputFile``) and its texts (``TextOutput``).

Pure functions over the result JSON; nothing here touches the network or the disk.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from faltui.core.outputs.data_url import data_url_type, is_data_url

KINDS = ("image", "video", "audio", "mesh", "text", "file")
_EXTENSION_KIND = {
    **dict.fromkeys(
        ("png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff", "avif", "heic", "svg"),
        "image",
    ),
    **dict.fromkeys(("mp4", "webm", "mov", "mkv", "avi", "m4v"), "video"),
    **dict.fromkeys(("wav", "mp3", "ogg", "flac", "m4a", "aac", "opus", "weba"), "audio"),
    **dict.fromkeys(("glb", "gltf", "obj", "fbx", "ply", "stl", "usdz", "splat"), "mesh"),
    **dict.fromkeys(("txt", "json", "srt", "vtt", "md", "csv"), "text"),
}
_MESH_TYPES = ("model/", "application/octet-stream+glb")
#: Result keys whose string values are text output (LLMs, speech-to-text, captioning).
TEXT_KEYS = (
    "output",
    "text",
    "transcript",
    "transcription",
    "response",
    "answer",
    "caption",
    "results",
)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._\- ()+=,@]+")


@dataclass(frozen=True)
class OutputFile:
    """One file in a result."""

    url: str
    path: tuple[str | int, ...]
    kind: str
    content_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    width: int | None = None
    height: int | None = None

    @property
    def label(self) -> str:
        """Where it sits in the result, e.g. ``images[0]``."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
        return out or "(result)"


def _is_media_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    lowered = value[:8].lower()
    return lowered.startswith(("http://", "https://", "data:"))


def url_file_name(url: str) -> str | None:
    """The file name a URL ends in (decoded; no query), or None (``data:`` URLs have none)."""
    if is_data_url(url):
        return None
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name or None


_ANIMATED_TYPES = ("image/gif", "image/webp")


def _field_says(path: tuple[str | int, ...], word: str) -> bool:
    """True when the innermost named field of ``path`` contains ``word``."""
    names = [part for part in path if isinstance(part, str)]
    return bool(names) and word in names[-1].lower()


def kind_of(content_type: str | None, name: str | None, path: tuple[str | int, ...] = ()) -> str:
    """``image|video|audio|mesh|text|file`` from the content type, else the extension, else the
    field name (``video``, ``audio_url``…). An animated-image container (GIF, WebP) in a
    field named for video is a video."""
    if (content_type or "").lower() in _ANIMATED_TYPES and _field_says(path, "video"):
        return "video"
    if content_type:
        major = content_type.split("/", 1)[0].lower()
        if major in ("image", "video", "audio", "text"):
            return major
        if content_type.lower().startswith(_MESH_TYPES):
            return "mesh"
        if content_type.lower() in ("application/json", "application/x-subrip"):
            return "text"
    if name and "." in name:
        ext = name.rsplit(".", 1)[1].lower()
        if ext in _EXTENSION_KIND:
            return _EXTENSION_KIND[ext]
    for part in reversed(path):
        if isinstance(part, str):
            lowered = part.lower()
            for kind in ("image", "video", "audio"):
                if kind in lowered:
                    return kind
            if "mesh" in lowered or "glb" in lowered or "model" in lowered:
                return "mesh"
            break
    return "file"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _file_object(obj: dict[str, Any], path: tuple[str | int, ...]) -> OutputFile:
    url = str(obj["url"])
    content_type = obj.get("content_type") if isinstance(obj.get("content_type"), str) else None
    if content_type is None and is_data_url(url):
        content_type = data_url_type(url)
    file_name = obj.get("file_name") if isinstance(obj.get("file_name"), str) else None
    name = file_name or url_file_name(url)
    return OutputFile(
        url=url,
        path=path,
        kind=kind_of(content_type, name, path),
        content_type=content_type,
        file_name=file_name,
        file_size=_int(obj.get("file_size")),
        width=_int(obj.get("width")),
        height=_int(obj.get("height")),
    )


def _bare(url: str, path: tuple[str | int, ...]) -> OutputFile:
    content_type = data_url_type(url) if is_data_url(url) else None
    return OutputFile(url, path, kind_of(content_type, url_file_name(url), path), content_type)


def find_outputs(result: Any) -> list[OutputFile]:
    """Every file in a result: ``{url, content_type, …}`` objects and URL strings under
    ``*_url`` / ``*_urls`` / ``url`` keys, in document order, each URL once."""
    found: list[OutputFile] = []
    seen: set[str] = set()

    def add(item: OutputFile) -> None:
        if item.url not in seen:
            seen.add(item.url)
            found.append(item)

    def walk(node: Any, path: tuple[str | int, ...], url_key: bool) -> None:
        if isinstance(node, dict):
            if _is_media_url(node.get("url")):
                add(_file_object(node, path))
                return
            for key, value in node.items():
                key_s = str(key)
                walk(value, (*path, key_s), key_s.endswith(("_url", "_urls")) or key_s == "urls")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, (*path, i), url_key)
        elif url_key and _is_media_url(node):
            add(_bare(str(node), path))

    walk(result, (), False)
    return found


def find_texts(result: Any) -> list[tuple[str, str]]:
    """``(label, text)`` for text outputs: top-level string fields named like ``output``,
    ``text``, ``transcript``…, OpenAI-style ``choices[i].message.content``; a whisper-style
    ``chunks`` list is joined when there is no ``text``."""
    if not isinstance(result, dict):
        return []
    texts: list[tuple[str, str]] = []
    for key in TEXT_KEYS:
        value = result.get(key)
        if isinstance(value, str) and value.strip() and not _is_media_url(value):
            texts.append((key, value))
    choices = result.get("choices")
    if isinstance(choices, list):
        for i, choice in enumerate(choices):
            message = choice.get("message") if isinstance(choice, dict) else None
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, str) and content.strip():
                texts.append((f"choices[{i}]", content))
    chunks = result.get("chunks")
    if not texts and isinstance(chunks, list):
        parts = [c.get("text") for c in chunks if isinstance(c, dict)]
        joined = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
        if joined:
            texts.append(("chunks", joined))
    return texts


@dataclass(frozen=True)
class TextOutput:
    """One text output of a result (an LLM answer, a transcript), saved as a ``.txt`` file."""

    label: str
    text: str
    file_name: str

    @property
    def kind(self) -> str:
        """Always ``"text"`` (matches ``OutputFile.kind``)."""
        return "text"


#: What can be saved from a result: a file (downloaded) or a text (written out).
Saveable = OutputFile | TextOutput


def safe_name(name: str) -> str:
    """``name`` made safe as one file name: no separators, no odd characters, not too long."""
    name = _UNSAFE_NAME.sub("_", name.replace("/", "_").replace("\\", "_")).strip(" .")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 140 - len(ext)] + dot + ext) if dot and len(ext) <= 8 else name[:150]
    return name or "output"


def file_name_for(output: OutputFile) -> str:
    """A safe local file name: ``file_name``, else the URL's last segment, with an extension."""
    name = safe_name(output.file_name or url_file_name(output.url) or f"{output.kind}")
    if "." not in name.lstrip("."):
        mime = (output.content_type or "").split(";", 1)[0].strip()
        ext = mimetypes.guess_extension(mime) if mime else None
        if ext:
            name += ext
    return name


def find_text_outputs(result: Any, prefix: str = "") -> list[TextOutput]:
    """The texts of a result as ``TextOutput`` files named ``<prefix>-<label>.txt``.

    ``prefix`` is usually the request id (shortened), so texts of different jobs do not
    share names; without one it is ``job``.
    """
    head = safe_name(prefix[:16]) if prefix else "job"
    return [
        TextOutput(label, text, f"{head}-{safe_name(label)}.txt")
        for label, text in find_texts(result)
    ]


def find_saveables(result: Any, prefix: str = "") -> list[Saveable]:
    """Everything "download all" saves from a result: its files, then its texts."""
    return [*find_outputs(result), *find_text_outputs(result, prefix)]
