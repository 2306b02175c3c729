"""Facts about one media output — audio length, video first frame and length, mesh statistics —
fetched through the ``Outputs`` service (keyless, from a saved copy when there is one).

Only as much of a file is read as the facts need: an audio or GLB header is a few kilobytes
however large the file; an animated image is read whole up to the preview cap; a real video is
handed to ffprobe/ffmpeg (as its saved copy, or its URL, which they read partially).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from dataclasses import dataclass

from faltui.core.outputs.audio import AUDIO_HEAD_BYTES, AudioFacts, audio_facts
from faltui.core.outputs.data_url import is_data_url
from faltui.core.outputs.fetch import DownloadError
from faltui.core.outputs.find import OutputFile, file_name_for
from faltui.core.outputs.mesh import (
    GLB_HEAD_BYTES,
    MeshError,
    MeshStats,
    glb_bytes_needed,
    glb_stats,
    mesh_stats,
)
from faltui.core.outputs.service import Outputs
from faltui.core.outputs.video import (
    VideoFacts,
    VideoTools,
    animated_image_facts,
    ffmpeg_facts,
)

_ANIMATED_EXTENSIONS = (".gif", ".webp", ".png", ".apng")
_MESH_FORMATS = "GLB and glTF"


@dataclass(frozen=True)
class MediaFacts:
    """What was learnt about one output; ``problem`` says why nothing could be (gone, too big…)."""

    audio: AudioFacts | None = None
    video: VideoFacts | None = None
    mesh: MeshStats | None = None
    problem: str | None = None


async def media_facts(
    outputs: Outputs, output: OutputFile, tools: VideoTools | None = None
) -> MediaFacts:
    """The facts of an audio, video or mesh output (an empty ``MediaFacts`` for other kinds)."""
    try:
        if output.kind == "audio":
            return MediaFacts(audio=await _audio(outputs, output))
        if output.kind == "video":
            return MediaFacts(video=await _video(outputs, output, tools or VideoTools.find()))
        if output.kind == "mesh":
            return MediaFacts(mesh=await _mesh(outputs, output))
    except DownloadError as exc:
        return MediaFacts(problem=str(exc))
    except MeshError as exc:
        return MediaFacts(problem=f"no mesh statistics: {exc}")
    return MediaFacts()


async def _audio(outputs: Outputs, output: OutputFile) -> AudioFacts:
    head, total = await outputs.head_bytes(output.url, AUDIO_HEAD_BYTES)
    return audio_facts(head, total, output.content_type or "", file_name_for(output))


def _is_animated_image(output: OutputFile) -> bool:
    content_type = (output.content_type or "").lower()
    return content_type.startswith("image/") or file_name_for(output).lower().endswith(
        _ANIMATED_EXTENSIONS
    )


async def _video(outputs: Outputs, output: OutputFile, tools: VideoTools) -> VideoFacts:
    if _is_animated_image(output):
        data = await outputs.preview_bytes(output.url)
        facts = await asyncio.to_thread(animated_image_facts, data)
        if facts is not None:
            return facts
    if not (tools.ffprobe or tools.ffmpeg):
        return VideoFacts(note=f"no first frame or duration: {tools.missing}")
    saved = outputs.local_copy(output)
    if saved is not None:
        return await asyncio.to_thread(ffmpeg_facts, str(saved), tools)
    if not is_data_url(output.url):
        return await asyncio.to_thread(ffmpeg_facts, output.url, tools)
    data = await outputs.preview_bytes(output.url)
    return await asyncio.to_thread(_facts_of_bytes, data, file_name_for(output), tools)


def _facts_of_bytes(data: bytes, name: str, tools: VideoTools) -> VideoFacts:
    """ffmpeg on bytes held in memory (an inline ``data:`` video), through a temporary file."""
    suffix = os.path.splitext(name)[1] or ".bin"
    with tempfile.TemporaryDirectory(prefix="faltui-video-") as folder:
        path = os.path.join(folder, "video" + suffix)
        with open(path, "wb") as sink:
            sink.write(data)
        return ffmpeg_facts(path, tools)


async def _mesh(outputs: Outputs, output: OutputFile) -> MeshStats:
    name = file_name_for(output).lower()
    content_type = (output.content_type or "").lower()
    if name.endswith(".gltf") or content_type == "model/gltf+json":
        data = await outputs.preview_bytes(output.url)
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise MeshError(f"the glTF file does not parse: {exc}") from None
        if not isinstance(document, dict):
            raise MeshError("the glTF file does not hold an object")
        return mesh_stats(document)
    head, total = await outputs.head_bytes(output.url, GLB_HEAD_BYTES)
    if head[:4] != b"glTF":
        raise MeshError(f"faltui reads {_MESH_FORMATS} files; this one is not ({name})")
    needed = glb_bytes_needed(head)
    if needed > len(head) and (total is None or total >= needed):
        head, total = await outputs.head_bytes(output.url, needed)
    return glb_stats(head)
