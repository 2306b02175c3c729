"""Real, small media files: images (Pillow), WAV tones, glTF binary cubes, animated WebP clips.

Everything is deterministic from a seed string, and cached by parameters, so a batch of 200
identical requests costs one encode.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import wave
from functools import lru_cache

from PIL import Image, ImageDraw

IMAGE_FORMATS = {
    "png": ("PNG", "image/png", "png"),
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "jpg": ("JPEG", "image/jpeg", "jpg"),
    "webp": ("WEBP", "image/webp", "webp"),
}


def _digest(seed: str) -> bytes:
    return hashlib.sha256(seed.encode("utf-8")).digest()


def _palette(seed: str, count: int) -> list[tuple[int, int, int]]:
    data = _digest(seed) * 2
    return [(data[i * 3], data[i * 3 + 1], data[i * 3 + 2]) for i in range(count)]


BANDS = 16


def _picture(seed: str, width: int, height: int) -> Image.Image:
    """A palette image: 16 bands blending two colours, plus three shapes.

    Palette mode keeps PNG encoding cheap (~10 ms at 1024²) while seeds stay visibly distinct.
    """
    top, bottom, shape_a, shape_b = _palette(seed, 4)
    palette: list[int] = []
    for band in range(BANDS):
        mix = band / (BANDS - 1)
        palette.extend(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
    palette.extend([*shape_a, *shape_b])
    image = Image.new("P", (width, height), 0)
    image.putpalette(palette)
    draw = ImageDraw.Draw(image)
    for band in range(BANDS):
        draw.rectangle((0, band * height // BANDS, width, (band + 1) * height // BANDS), fill=band)
    data = _digest(seed + "/shapes")
    for index in range(3):
        x0 = data[index * 4] / 255 * width * 0.7
        y0 = data[index * 4 + 1] / 255 * height * 0.7
        size = (0.1 + data[index * 4 + 2] / 255 * 0.3) * min(width, height)
        box = (x0, y0, x0 + size, y0 + size)
        colour = BANDS + index % 2
        if data[index * 4 + 3] % 2:
            draw.ellipse(box, fill=colour)
        else:
            draw.rectangle(box, fill=colour)
    return image


@lru_cache(maxsize=256)
def image_bytes(seed: str, width: int, height: int, fmt: str = "png") -> tuple[bytes, str, str]:
    """(bytes, content type, extension) of a ``width``×``height`` image for ``seed``."""
    pil_format, content_type, ext = IMAGE_FORMATS.get(fmt.lower(), IMAGE_FORMATS["png"])
    buffer = io.BytesIO()
    options: dict[str, int] = {"quality": 80}
    if pil_format == "PNG":
        options = {"compress_level": 1}
    elif pil_format == "WEBP":
        options["method"] = 0
    image = _picture(seed, width, height)
    if pil_format != "PNG":
        image = image.convert("RGB")
    image.save(buffer, pil_format, **options)
    return buffer.getvalue(), content_type, ext


@lru_cache(maxsize=64)
def wav_bytes(seed: str, seconds: float = 0.4, rate: int = 16000) -> bytes:
    """A mono 16-bit WAV sine tone whose pitch depends on ``seed``."""
    frequency = 220 + _digest(seed)[0] * 2
    frames = int(seconds * rate)
    samples = (
        int(12000 * math.sin(2 * math.pi * frequency * n / rate) * min(1.0, (frames - n) / 400))
        for n in range(frames)
    )
    pcm = struct.pack(f"<{frames}h", *samples)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def _pad(data: bytes, filler: bytes) -> bytes:
    return data + filler * ((4 - len(data) % 4) % 4)


@lru_cache(maxsize=1)
def glb_bytes() -> bytes:
    """A valid glTF 2.0 binary (GLB) holding a unit cube (positions + triangle indices)."""
    corners = [(x, y, z) for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]
    faces = [
        (0, 1, 3, 2),
        (4, 6, 7, 5),
        (0, 4, 5, 1),
        (2, 3, 7, 6),
        (0, 2, 6, 4),
        (1, 5, 7, 3),
    ]
    indices = [i for a, b, c, d in faces for i in (a, b, c, a, c, d)]
    positions = b"".join(struct.pack("<3f", *p) for p in corners)
    index_data = struct.pack(f"<{len(indices)}H", *indices)
    index_offset = len(positions)
    binary = _pad(positions + index_data, b"\x00")
    document = {
        "asset": {"version": "2.0", "generator": "faltui emulator"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": len(positions), "target": 34962},
            {
                "buffer": 0,
                "byteOffset": index_offset,
                "byteLength": len(index_data),
                "target": 34963,
            },
        ],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": len(corners),
                "type": "VEC3",
                "min": [-0.5, -0.5, -0.5],
                "max": [0.5, 0.5, 0.5],
            },
            {"bufferView": 1, "componentType": 5123, "count": len(indices), "type": "SCALAR"},
        ],
    }
    json_chunk = _pad(json.dumps(document, separators=(",", ":")).encode("utf-8"), b" ")
    total = 12 + 8 + len(json_chunk) + 8 + len(binary)
    return b"".join(
        [
            struct.pack("<4sII", b"glTF", 2, total),
            struct.pack("<I4s", len(json_chunk), b"JSON"),
            json_chunk,
            struct.pack("<I4s", len(binary), b"BIN\x00"),
            binary,
        ]
    )


@lru_cache(maxsize=32)
def video_bytes(seed: str, width: int = 160, height: int = 90, frames: int = 8) -> bytes:
    """An animated WebP clip (the emulator cannot build MP4 without ffmpeg)."""
    base = _picture(seed, width, height).convert("RGB")
    shots = []
    for index in range(frames):
        shift = int(index * width / frames)
        frame = Image.new("RGB", (width, height))
        frame.paste(base.crop((shift, 0, width, height)), (0, 0))
        frame.paste(base.crop((0, 0, shift, height)), (width - shift, 0))
        shots.append(frame)
    buffer = io.BytesIO()
    shots[0].save(
        buffer,
        "WEBP",
        save_all=True,
        append_images=shots[1:],
        duration=120,
        loop=0,
        lossless=True,
        method=0,
    )
    return buffer.getvalue()


#: Content type and extension of the emulator's "video" files.
VIDEO_CONTENT_TYPE = "image/webp"
VIDEO_EXTENSION = "webp"
