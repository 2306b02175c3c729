"""Mesh statistics of a GLB (binary glTF 2.0) from its JSON chunk alone — stdlib only.

A GLB is a 12-byte header, then a JSON chunk (the document), then the binary buffer. Vertex and
index counts are the ``count`` of the accessors the mesh primitives use, and glTF requires a
POSITION accessor to carry ``min`` / ``max``, so the bounds come from the JSON too: only the
file's head has to be fetched, however large the binary part is.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

GLB_MAGIC = b"glTF"
JSON_CHUNK = 0x4E4F534A  # "JSON" little-endian
#: Bytes fetched first; a GLB whose JSON chunk is larger is read again up to its end.
GLB_HEAD_BYTES = 64 * 1024
#: Largest JSON chunk read (a document this large is not a real mesh description).
MAX_JSON_BYTES = 16 * 1024 * 1024
_TRIANGLES, _STRIP, _FAN = 4, 5, 6

Vector = tuple[float, float, float]


class MeshError(ValueError):
    """The bytes are not a GLB faltui can read; the message says why."""


@dataclass(frozen=True)
class MeshStats:
    """Counts over every mesh primitive of the file (node transforms not applied)."""

    meshes: int
    primitives: int
    vertices: int
    triangles: int
    bounds: tuple[Vector, Vector] | None
    materials: int
    textures: int
    compressed: tuple[str, ...]
    generator: str | None

    @property
    def size(self) -> Vector | None:
        """Extent of the bounds along x, y, z."""
        if self.bounds is None:
            return None
        low, high = self.bounds
        return (high[0] - low[0], high[1] - low[1], high[2] - low[2])


def glb_bytes_needed(head: bytes) -> int:
    """How many bytes from the start hold the header and the whole JSON chunk."""
    if len(head) < 20 or head[:4] != GLB_MAGIC:
        raise MeshError("not a GLB file (it does not start with glTF)")
    json_length = int(struct.unpack_from("<I", head, 12)[0])
    if json_length > MAX_JSON_BYTES:
        raise MeshError(f"the GLB's JSON chunk is {json_length} bytes, too large to read")
    return 20 + json_length


def glb_document(data: bytes) -> dict[str, Any]:
    """The glTF JSON document of a GLB (``data`` must hold at least the JSON chunk)."""
    needed = glb_bytes_needed(data)
    version, _total = struct.unpack_from("<II", data, 4)
    if version != 2:
        raise MeshError(f"GLB version {version}; faltui reads glTF 2.0")
    length, chunk_type = struct.unpack_from("<II", data, 12)
    if chunk_type != JSON_CHUNK:
        raise MeshError("the GLB's first chunk is not JSON")
    if len(data) < needed:
        raise MeshError(f"the GLB is cut short: {len(data)} of {needed} header bytes")
    try:
        document = json.loads(data[20 : 20 + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MeshError(f"the GLB's JSON chunk does not parse: {exc}") from None
    if not isinstance(document, dict):
        raise MeshError("the GLB's JSON chunk is not an object")
    return document


def _list(document: dict[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    return value if isinstance(value, list) else []


def _count(accessors: list[Any], index: Any) -> int | None:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(accessors):
        return None
    accessor = accessors[index]
    count = accessor.get("count") if isinstance(accessor, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


def _vector(value: Any) -> Vector | None:
    if not isinstance(value, list) or len(value) < 3:
        return None
    items = value[:3]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in items):
        return None
    if not all(math.isfinite(v) for v in items):
        return None
    return (float(items[0]), float(items[1]), float(items[2]))


def _triangles(mode: int, count: int) -> int:
    if mode == _TRIANGLES:
        return count // 3
    if mode in (_STRIP, _FAN):
        return max(0, count - 2)
    return 0  # points and lines


def mesh_stats(document: dict[str, Any]) -> MeshStats:
    """Vertex and triangle counts, bounds and the rest, summed over every primitive."""
    accessors = _list(document, "accessors")
    meshes = _list(document, "meshes")
    primitives = vertices = triangles = 0
    seen_positions: set[int] = set()
    low: list[float] | None = None
    high: list[float] | None = None
    compressed: set[str] = set()
    for mesh in meshes:
        for primitive in _list(mesh, "primitives") if isinstance(mesh, dict) else []:
            if not isinstance(primitive, dict):
                continue
            primitives += 1
            attributes = primitive.get("attributes")
            position = attributes.get("POSITION") if isinstance(attributes, dict) else None
            count = _count(accessors, position) or 0
            if isinstance(position, int) and position not in seen_positions:
                seen_positions.add(position)
                vertices += count
                accessor = accessors[position] if _count(accessors, position) is not None else {}
                mins, maxs = _vector(accessor.get("min")), _vector(accessor.get("max"))
                if mins and maxs:
                    low = [min(a, b) for a, b in zip(low or mins, mins, strict=True)]
                    high = [max(a, b) for a, b in zip(high or maxs, maxs, strict=True)]
            indices = _count(accessors, primitive.get("indices"))
            mode = primitive.get("mode", _TRIANGLES)
            mode = mode if isinstance(mode, int) else _TRIANGLES
            triangles += _triangles(mode, indices if indices is not None else count)
            extensions = primitive.get("extensions")
            if isinstance(extensions, dict):
                compressed.update(k for k in extensions if "compression" in k.lower())
    asset = document.get("asset")
    generator = asset.get("generator") if isinstance(asset, dict) else None
    bounds = None
    if low is not None and high is not None:
        bounds = ((low[0], low[1], low[2]), (high[0], high[1], high[2]))
    return MeshStats(
        meshes=len(meshes),
        primitives=primitives,
        vertices=vertices,
        triangles=triangles,
        bounds=bounds,
        materials=len(_list(document, "materials")),
        textures=len(_list(document, "textures")),
        compressed=tuple(sorted(compressed)),
        generator=generator if isinstance(generator, str) else None,
    )


def glb_stats(data: bytes) -> MeshStats:
    """``mesh_stats`` of a GLB's bytes (at least up to the end of its JSON chunk)."""
    return mesh_stats(glb_document(data))
