"""Getting results out: find media and text in a result, download files, export a job.

Downloads never carry the API key (media live on CDNs). Exports write the key as ``$FAL_KEY``
so a command can be shared or pasted without leaking it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import mimetypes
import os
import pprint
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from faltui.core.client.errors import error_from_response
from faltui.core.config import DEFAULT_URLS, Settings
from faltui.core.endpoints import EndpointId, run_url, submit_url
from faltui.core.errors import FaltuiError, TransportError

Progress = Callable[[int, int], Any]

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
_CHUNK = 256 * 1024


class DownloadError(FaltuiError):
    """An output could not be downloaded or saved."""


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


def _data_url_type(url: str) -> str | None:
    head = url[5:].split(",", 1)[0]
    mime = head.split(";", 1)[0].strip()
    return mime or None


def url_file_name(url: str) -> str | None:
    """The file name a URL ends in (decoded; no query), or None (``data:`` URLs have none)."""
    if url.startswith("data:"):
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
    if content_type is None and url.startswith("data:"):
        content_type = _data_url_type(url)
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
    content_type = _data_url_type(url) if url.startswith("data:") else None
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


# -- downloads ------------------------------------------------------------------------------------


def _safe_name(name: str) -> str:
    name = _UNSAFE_NAME.sub("_", name.replace("/", "_").replace("\\", "_")).strip(" .")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 140 - len(ext)] + dot + ext) if dot and len(ext) <= 8 else name[:150]
    return name or "output"


def file_name_for(output: OutputFile) -> str:
    """A safe local file name: ``file_name``, else the URL's last segment, with an extension."""
    name = _safe_name(output.file_name or url_file_name(output.url) or f"{output.kind}")
    if "." not in name.lstrip("."):
        mime = (output.content_type or "").split(";", 1)[0].strip()
        ext = mimetypes.guess_extension(mime) if mime else None
        if ext:
            name += ext
    return name


def _reserve(folder: Path, name: str) -> tuple[Path, int]:
    """Create ``folder/name`` exclusively (``name-1.ext``, ``name-2.ext``… when taken)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, dot, ext = name, "", ""
    n = 0
    while True:
        candidate = folder / (name if n == 0 else f"{stem}-{n}{dot}{ext}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            n += 1
            continue
        return candidate, fd


def _decode_data_url(url: str) -> bytes:
    head, _, data = url.partition(",")
    try:
        if head.endswith(";base64"):
            return base64.b64decode(data, validate=False)
        return unquote(data).encode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise DownloadError(f"the data: URL is malformed ({exc})") from exc


async def download(
    http: httpx.AsyncClient,
    output: OutputFile,
    folder: str | Path,
    *,
    progress: Progress | None = None,
) -> Path:
    """Save ``output`` into ``folder`` (created), never overwriting; returns the path.

    Streams to disk; ``progress(received, total)`` (total 0 when unknown). Sends no
    ``Authorization`` header, whatever ``http``'s defaults are.
    """
    target = Path(folder).expanduser()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create {target}: {exc.strerror or exc}") from exc
    path, fd = _reserve(target, file_name_for(output))
    try:
        with os.fdopen(fd, "wb") as sink:
            if output.url.startswith("data:"):
                data = _decode_data_url(output.url)
                sink.write(data)
                if progress is not None:
                    progress(len(data), len(data))
            else:
                await _stream_to(http, output, sink, progress)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


async def download_many(
    http: httpx.AsyncClient,
    outputs: list[OutputFile],
    folder: str | Path,
    *,
    concurrency: int = 4,
    on_done: Callable[[OutputFile, Path | Exception], None] | None = None,
) -> tuple[list[Path], list[tuple[OutputFile, Exception]]]:
    """Save many outputs into ``folder``, ``concurrency`` at a time.

    A failed file does not stop the others: returns (saved paths in ``outputs`` order, and
    the failures). ``on_done(output, path_or_error)`` follows each file as it ends.
    """
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(output: OutputFile) -> Path | Exception:
        async with gate:
            try:
                outcome: Path | Exception = await download(http, output, folder)
            except (FaltuiError, httpx.HTTPError, OSError) as exc:
                outcome = exc
        if on_done is not None:
            on_done(output, outcome)
        return outcome

    outcomes = await asyncio.gather(*(one(output) for output in outputs))
    saved = [o for o in outcomes if isinstance(o, Path)]
    failed = [
        (out, o) for out, o in zip(outputs, outcomes, strict=True) if isinstance(o, Exception)
    ]
    return saved, failed


async def _stream_to(
    http: httpx.AsyncClient, output: OutputFile, sink: Any, progress: Progress | None
) -> None:
    request = http.build_request("GET", output.url)
    request.headers.pop("Authorization", None)
    request.headers.pop("Cookie", None)
    try:
        response = await http.send(request, stream=True, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise TransportError(f"download of {output.url}: {exc}") from exc
    try:
        if not response.is_success:
            await response.aread()
            raise error_from_response(response, action="download")
        length = response.headers.get("content-length")
        total = int(length) if length and length.isdigit() else (output.file_size or 0)
        async for chunk in response.aiter_bytes(_CHUNK):  # decoded if the CDN compressed it
            sink.write(chunk)
            if progress is not None:
                progress(response.num_bytes_downloaded, total)
    except httpx.HTTPError as exc:
        raise TransportError(f"download of {output.url} broke off: {exc}") from exc
    finally:
        await response.aclose()


# -- exports --------------------------------------------------------------------------------------


def export_curl(
    endpoint_id: str, payload: dict[str, Any], settings: Settings, *, sync: bool = False
) -> str:
    """A ``curl`` command that submits the same request (key as ``$FAL_KEY``)."""
    endpoint = EndpointId.parse(endpoint_id)
    url = (
        run_url(settings.urls["run"], endpoint)
        if sync
        else submit_url(settings.urls["queue"], endpoint)
    )
    body = json.dumps(payload, ensure_ascii=False)
    lines = [
        f"curl -X POST {shlex.quote(url)}",
        '  -H "Authorization: Key $FAL_KEY"',
        "  -H 'Content-Type: application/json'",
        f"  -d {shlex.quote(body)}",
    ]
    return " \\\n".join(lines) + "\n"


def export_python(endpoint_id: str, payload: dict[str, Any], settings: Settings) -> str:
    """A Python script that runs the same request (the key comes from ``FAL_KEY``).

    Uses ``fal_client`` against fal's own hosts; with custom base URLs (the emulator) it uses
    plain ``httpx`` against them, since ``fal_client`` only speaks https to fal's hosts.
    """
    endpoint = EndpointId.parse(endpoint_id).full
    arguments = pprint.pformat(payload, indent=4, width=88, sort_dicts=False)
    if settings.urls.get("queue") == DEFAULT_URLS["queue"]:
        return (
            "# pip install fal-client ; export FAL_KEY=...\n"
            "import fal_client\n\n"
            f"result = fal_client.subscribe(\n    {endpoint!r},\n"
            f"    arguments={_indent(arguments)},\n    with_logs=True,\n)\n"
            "print(result)\n"
        )
    queue = settings.urls["queue"].rstrip("/")
    return (
        "# pip install httpx ; export FAL_KEY=...\n"
        "import os\nimport time\n\nimport httpx\n\n"
        'headers = {"Authorization": f"Key {os.environ[\'FAL_KEY\']}"}\n'
        f"arguments = {arguments}\n"
        f"submitted = httpx.post({queue + '/' + endpoint!r}, json=arguments, headers=headers)\n"
        "submitted.raise_for_status()\nhandle = submitted.json()\n"
        'while httpx.get(handle["status_url"], headers=headers).json()["status"] != "COMPLETED":\n'
        "    time.sleep(1)\n"
        'print(httpx.get(handle["response_url"], headers=headers).json())\n'
    )


def _indent(text: str) -> str:
    return text.replace("\n", "\n    ")


def export_cli(endpoint_id: str, payload: dict[str, Any], settings: Settings) -> str:
    """A ``faltui run`` command with every input as ``--param key:=<json>``."""
    endpoint = EndpointId.parse(endpoint_id).full
    parts = ["faltui", "run", "-m", shlex.quote(endpoint)]
    for key, value in payload.items():
        parts.append("--param")
        parts.append(shlex.quote(f"{key}:={json.dumps(value, ensure_ascii=False)}"))
    parts.append("-w")
    prefix = ""
    if settings.urls.get("queue") != DEFAULT_URLS["queue"]:
        prefix = f"FALTUI_QUEUE_URL={shlex.quote(settings.urls['queue'])} "
    return prefix + " ".join(parts) + "\n"
