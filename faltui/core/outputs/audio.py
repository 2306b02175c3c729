"""How long an audio file lasts, read from its first bytes: WAV (stdlib ``wave``) and MP3.

Only the head of the file is needed (``Outputs.head_bytes``): a WAV header states its data
size and byte rate; an MP3 states its frame count in a Xing/Info or VBRI header, or else its
bit rate, from which the length follows for a constant-bit-rate file. Anything else is
reported as unknown, with the reason.
"""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass

#: Bytes of a file's head that are enough for every format read here.
AUDIO_HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class AudioFacts:
    """What the header says: the duration (``None``: unknown) and what the file is, in words."""

    duration: float | None
    detail: str


def audio_facts(head: bytes, total_size: int | None, content_type: str, name: str) -> AudioFacts:
    """The duration of an audio file from its first bytes (and its full size, when known)."""
    kind = (content_type or "").lower()
    lowered = name.lower()
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return wav_facts(head, total_size)
    if head[:3] == b"ID3" or "mpeg" in kind or "mp3" in kind or lowered.endswith(".mp3"):
        return mp3_facts(head, total_size)
    what = kind or (lowered.rsplit(".", 1)[-1] if "." in lowered else "this format")
    return AudioFacts(None, f"duration unknown: faltui reads WAV and MP3 headers, not {what}")


# -- WAV ------------------------------------------------------------------------------------


def wav_facts(head: bytes, total_size: int | None) -> AudioFacts:
    """WAV via the stdlib ``wave`` module; other encodings (float, …) from the RIFF header."""
    try:
        with wave.open(io.BytesIO(head), "rb") as reader:
            rate, frames = reader.getframerate(), reader.getnframes()
            channels, width = reader.getnchannels(), reader.getsampwidth()
    except (wave.Error, EOFError, struct.error):
        return _riff_facts(head, total_size)
    if rate <= 0:
        return AudioFacts(None, "WAV header with a sample rate of 0: duration unknown")
    detail = f"WAV · {rate} Hz · {_channels(channels)} · {width * 8}-bit"
    if frames == 0 or frames * width * channels >= 0xFFFF_FFF0:  # streamed: size not filled in
        return _riff_facts(head, total_size)
    return AudioFacts(frames / rate, detail)


def _channels(count: int) -> str:
    return {1: "mono", 2: "stereo"}.get(count, f"{count} channels")


def _riff_facts(head: bytes, total_size: int | None) -> AudioFacts:
    """Read ``fmt `` and ``data`` chunk headers by hand (float WAV, streamed WAV)."""
    offset = 12
    byte_rate = rate = channels = bits = 0
    while offset + 8 <= len(head):
        chunk_id, size = struct.unpack_from("<4sI", head, offset)
        body = offset + 8
        if chunk_id == b"fmt " and body + 16 <= len(head):
            _, channels, rate, byte_rate, _, bits = struct.unpack_from("<HHIIHH", head, body)
        elif chunk_id == b"data":
            if byte_rate <= 0:
                break
            data_size = size
            if size in (0, 0xFFFF_FFFF) and total_size is not None:
                data_size = max(0, total_size - body)  # a stream: the rest of the file
            elif size in (0, 0xFFFF_FFFF):
                break
            detail = f"WAV · {rate} Hz · {_channels(channels)} · {bits}-bit"
            return AudioFacts(data_size / byte_rate, detail)
        offset = body + size + (size & 1)
    return AudioFacts(None, "WAV file whose header does not give its length: duration unknown")


# -- MP3 ------------------------------------------------------------------------------------

_BITRATES = {  # (MPEG-1?, layer) -> kbit/s by index
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_VERSION_NAMES = {3: "MPEG-1", 2: "MPEG-2", 0: "MPEG-2.5"}


@dataclass(frozen=True)
class FrameHeader:
    """The fields of one MPEG audio frame header that a duration needs."""

    version: int  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    layer: int  # 1, 2 or 3
    bitrate: int  # bit/s
    sample_rate: int
    mono: bool

    @property
    def samples(self) -> int:
        """Samples per frame."""
        if self.layer == 1:
            return 384
        return 1152 if self.layer == 2 or self.version == 3 else 576

    @property
    def side_info(self) -> int:
        """Bytes of Layer III side information after the 4-byte header."""
        if self.version == 3:
            return 17 if self.mono else 32
        return 9 if self.mono else 17


def parse_frame_header(data: bytes, offset: int) -> FrameHeader | None:
    """The MPEG audio frame header at ``offset``, or ``None`` when there is none."""
    if offset + 4 > len(data):
        return None
    b1, b2, b3 = data[offset + 1], data[offset + 2], data[offset + 3]
    if data[offset] != 0xFF or b1 & 0xE0 != 0xE0:
        return None
    version, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer = 4 - layer_bits
    kbits = _BITRATES[(version == 3, layer)][bitrate_index]
    return FrameHeader(
        version, layer, kbits * 1000, _SAMPLE_RATES[version][rate_index], (b3 >> 6) == 3
    )


def id3_size(data: bytes) -> int:
    """Bytes taken by a leading ID3v2 tag (0 when there is none)."""
    if len(data) < 10 or data[:3] != b"ID3":
        return 0
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def _vbr_frames(data: bytes, offset: int, header: FrameHeader) -> int | None:
    """The frame count of a Xing/Info or VBRI header in the first frame, if present."""
    for xing_at in (offset + 4 + header.side_info, offset + 6 + header.side_info):
        tag = data[xing_at : xing_at + 4]
        if tag in (b"Xing", b"Info") and xing_at + 12 <= len(data):
            (flags,) = struct.unpack_from(">I", data, xing_at + 4)
            if flags & 1:
                return int(struct.unpack_from(">I", data, xing_at + 8)[0])
            return None
    vbri_at = offset + 4 + 32
    if data[vbri_at : vbri_at + 4] == b"VBRI" and vbri_at + 18 <= len(data):
        return int(struct.unpack_from(">I", data, vbri_at + 14)[0])
    return None


def mp3_facts(head: bytes, total_size: int | None) -> AudioFacts:
    """MP3 duration: exact from a Xing/Info/VBRI frame count, else estimated from the bit
    rate and the file size (exact for constant bit rate)."""
    start = id3_size(head)
    if start >= len(head):
        return AudioFacts(None, "MP3 with an ID3 tag longer than the bytes read: duration unknown")
    offset = next(
        (i for i in range(start, min(len(head) - 3, start + 8192)) if parse_frame_header(head, i)),
        None,
    )
    if offset is None:
        return AudioFacts(None, "no MPEG audio frame found in the file's head: duration unknown")
    header = parse_frame_header(head, offset)
    assert header is not None
    detail = (
        f"MP3 · {_VERSION_NAMES[header.version]} layer {header.layer} · "
        f"{header.sample_rate} Hz · {'mono' if header.mono else 'stereo'}"
    )
    frames = _vbr_frames(head, offset, header)
    if frames:
        return AudioFacts(frames * header.samples / header.sample_rate, detail + " · VBR header")
    if total_size is None:
        return AudioFacts(None, detail + " · file size unknown, so duration unknown")
    audio_bytes = max(0, total_size - offset)
    estimate = audio_bytes * 8 / header.bitrate
    return AudioFacts(estimate, f"{detail} · {header.bitrate // 1000} kbit/s (CBR estimate)")
