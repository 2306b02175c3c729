"""Media facts of outputs: transcripts as SRT/VTT, token usage, audio length (WAV, MP3), GLB
mesh statistics, video first frames and lengths, players — and reading only a file's head.

The media files come from the emulator (its WAV tones, GLB cube and animated WebP clips) over
loopback HTTP, or are built here byte by byte (MP3 frames, float and streamed WAVs, GLBs).
"""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import sys
import wave
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from test_outputs_service import EndlessServer, endless  # noqa: F401  (fixture)

from faltui.core.client import FalClient
from faltui.core.config import Settings
from faltui.core.outputs import OutputFile, Outputs, find_outputs
from faltui.core.outputs.audio import audio_facts, id3_size, mp3_facts, wav_facts
from faltui.core.outputs.facts import media_facts
from faltui.core.outputs.mesh import MeshError, glb_stats, mesh_stats
from faltui.core.outputs.player import choose_player, why_no_player
from faltui.core.outputs.transcript import Segment, find_segments, short_clock, to_srt, to_vtt
from faltui.core.outputs.usage import TokenUsage, find_usage
from faltui.core.outputs.video import VideoTools, animated_image_facts, ffmpeg_facts
from faltui.emulator import Emulator, media

# -- transcripts ------------------------------------------------------------------------------

WHISPER = {
    "text": "Hello there. General Kenobi.",
    "chunks": [
        {"timestamp": [0.0, 1.52], "text": " Hello there."},
        {"timestamp": [1.52, None], "text": "General --> Kenobi.\n\nYou are", "speaker": "B"},
        {"timestamp": [3.2, 3600.5], "text": "a <bold> one & all"},
    ],
}


def test_segments_fill_open_ends_and_export_as_srt_and_vtt() -> None:
    segments = find_segments(WHISPER)
    assert segments[1] == Segment(1.52, None, "General --> Kenobi.\n\nYou are", "B")
    assert to_srt(segments) == (
        "1\n00:00:00,000 --> 00:00:01,520\nHello there.\n\n"
        "2\n00:00:01,520 --> 00:00:03,200\nB: General -> Kenobi.\nYou are\n\n"
        "3\n00:00:03,200 --> 01:00:00,500\na <bold> one & all\n"
    )
    assert to_vtt(segments) == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:01.520\nHello there.\n\n"
        "00:00:01.520 --> 00:00:03.200\n<v B>General -> Kenobi.\nYou are\n\n"
        "00:00:03.200 --> 01:00:00.500\na &lt;bold> one &amp; all\n"
    )
    assert short_clock(1.52) == "0:01.5" and short_clock(3600.5) == "1:00:00.5"
    assert short_clock(None) == "?"


def test_segments_variants_and_junk() -> None:
    last_open = find_segments({"chunks": [{"timestamp": [4.0, None], "text": "end"}]})
    assert "00:00:04,000 --> 00:00:06,000" in to_srt(last_open)  # 2 s when nothing says
    starts = find_segments({"segments": [{"start": 1, "end": 2.5, "text": "x"}]})
    assert starts == [Segment(1.0, 2.5, "x")]
    assert find_segments({"chunks": [{"timestamp": [None, None], "text": "x"}, "junk"]}) == []
    assert find_segments({"chunks": "not a list"}) == [] and find_segments(None) == []
    assert find_segments({"chunks": [{"timestamp": [-1, float("nan")], "text": "x"}]}) == []


# -- token usage -------------------------------------------------------------------------------


def test_usage_from_openrouter_and_openai_shapes() -> None:
    usage = find_usage(
        {"output": "hi", "usage": {"prompt_tokens": 40, "completion_tokens": 227,
                                   "total_tokens": 267, "cost": 0.0005795}}
    )  # fmt: skip
    assert usage == TokenUsage(40, 227, 267, 0.0005795)
    assert usage.describe() == "40 prompt + 227 completion = 267 tokens · cost 0.0005795"
    partial = find_usage({"usage": {"input_tokens": 1200, "output_tokens": 30}})
    assert (
        partial is not None and partial.describe() == "1,200 prompt + 30 completion = 1,230 tokens"
    )
    assert find_usage({"usage": {"total_tokens": 5}}).describe() == "5 tokens"  # type: ignore[union-attr]
    assert find_usage({"usage": {"cost": 0.5}}).describe() == "cost 0.5"  # type: ignore[union-attr]
    assert find_usage({"usage": {"prompt_tokens": True, "cost": "free"}}) is None
    assert find_usage({"output": "no usage"}) is None and find_usage([1]) is None


# -- audio -------------------------------------------------------------------------------------


def wav(seconds: float, rate: int = 8000, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * channels * int(seconds * rate))
    return buffer.getvalue()


def float_wav(seconds: float, rate: int = 8000, data_size: int | None = None) -> bytes:
    frames = int(seconds * rate)
    data = b"\0\0\0\0" * frames
    size = len(data) if data_size is None else data_size
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)  # IEEE float: wave refuses it
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", size)
    return b"RIFF" + struct.pack("<I", 4 + len(body) - 4 + len(data)) + body + data


def test_wav_durations_from_the_header_alone() -> None:
    tone = media.wav_bytes("x", seconds=0.4, rate=16000)  # the emulator's own WAV
    facts = audio_facts(tone[:64], len(tone), "audio/wav", "speech.wav")
    assert facts.duration == pytest.approx(0.4) and facts.detail == "WAV · 16000 Hz · mono · 16-bit"
    long = wav(90.0, rate=8000, channels=2)
    assert wav_facts(long[:44], len(long)).duration == pytest.approx(90.0)
    floats = float_wav(2.5)
    assert wav_facts(floats[:100], len(floats)).duration == pytest.approx(2.5)
    streamed = float_wav(3.0, data_size=0xFFFFFFFF)  # a stream that never filled in its size
    assert wav_facts(streamed[:100], len(streamed)).duration == pytest.approx(3.0)
    unknown = wav_facts(streamed[:100], None)
    assert unknown.duration is None and "does not give its length" in unknown.detail


def mp3_frame(bitrate_index: int = 9, padding: bool = False) -> bytes:
    """One MPEG-1 Layer III frame, 44.1 kHz stereo (bitrate index 9 = 128 kbit/s)."""
    header = bytes([0xFF, 0xFB, (bitrate_index << 4) | (int(padding) << 1), 0x00])
    kbits = {9: 128, 5: 64}[bitrate_index]
    length = 144 * kbits * 1000 // 44100 + int(padding)
    return header + b"\0" * (length - 4)


def test_mp3_duration_from_a_cbr_stream_and_a_xing_header() -> None:
    frames = b"".join(mp3_frame() for _ in range(200))
    tag = b"ID3\x04\x00\x00" + bytes([0, 0, 1, 0]) + b"\0" * 128  # 128-byte ID3v2 body
    assert id3_size(tag) == 138
    cbr = tag + frames
    facts = mp3_facts(cbr[:4096], len(cbr))
    assert facts.duration == pytest.approx(len(frames) * 8 / 128000)
    assert "128 kbit/s (CBR estimate)" in facts.detail and "44100 Hz" in facts.detail
    first = bytearray(mp3_frame(5))  # a VBR file: the first frame carries a Xing header
    first[4 + 32 : 4 + 32 + 12] = b"Xing" + struct.pack(">II", 1, 1000)
    vbr = bytes(first) + frames
    facts = mp3_facts(vbr[:2048], None)
    assert facts.duration == pytest.approx(1000 * 1152 / 44100) and "VBR header" in facts.detail
    assert mp3_facts(frames[:2048], None).duration is None  # CBR without a size: unknown
    assert mp3_facts(b"\0" * 4096, 4096).duration is None


def test_other_audio_formats_are_unknown_in_words() -> None:
    facts = audio_facts(b"OggS" + b"\0" * 100, 104, "audio/ogg", "a.ogg")
    assert facts.duration is None
    assert facts.detail == "duration unknown: faltui reads WAV and MP3 headers, not audio/ogg"


# -- meshes ------------------------------------------------------------------------------------


def glb(document: dict[str, Any], binary: bytes = b"") -> bytes:
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<I4s", len(text), b"JSON") + text
    if binary:
        chunks += struct.pack("<I4s", len(binary), b"BIN\x00") + binary
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


def test_glb_stats_of_the_emulators_cube() -> None:
    stats = glb_stats(media.glb_bytes())
    assert (stats.meshes, stats.primitives, stats.vertices, stats.triangles) == (1, 1, 8, 12)
    assert stats.bounds == ((-0.5, -0.5, -0.5), (0.5, 0.5, 0.5)) and stats.size == (1, 1, 1)
    assert stats.generator == "faltui emulator" and stats.compressed == ()


def test_glb_stats_over_modes_shared_accessors_and_extensions() -> None:
    document = {
        "asset": {"version": "2.0"},
        "accessors": [
            {"count": 30, "min": [0, 0, 0], "max": [2, 1, 1]},
            {"count": 10, "min": [-3, 0, 0], "max": [0, 4, 0.5]},
            {"count": 36},
        ],
        "meshes": [
            {"primitives": [{"attributes": {"POSITION": 0}}]},  # no indices: 30 / 3
            {"primitives": [{"attributes": {"POSITION": 1}, "mode": 5}]},  # strip: 10 - 2
            {
                "primitives": [
                    {"attributes": {"POSITION": 0}, "indices": 2},  # shared vertices
                    {"attributes": {"POSITION": 1}, "mode": 1},  # lines: no triangles
                    {
                        "attributes": {"POSITION": 1},
                        "indices": 2,
                        "extensions": {"KHR_draco_mesh_compression": {}},
                    },
                ]
            },
        ],
        "materials": [{}, {}],
        "textures": [{}],
    }
    stats = mesh_stats(document)
    assert stats.primitives == 5 and stats.vertices == 40
    assert stats.triangles == 10 + 8 + 12 + 0 + 12
    assert stats.bounds == ((-3.0, 0.0, 0.0), (2.0, 4.0, 1.0))
    assert (stats.materials, stats.textures) == (2, 1)
    assert stats.compressed == ("KHR_draco_mesh_compression",)
    assert glb_stats(glb(document, b"\0" * 8)) == stats


def test_broken_glbs_say_why() -> None:
    with pytest.raises(MeshError, match="does not start with glTF"):
        glb_stats(b"PK\x03\x04" + b"\0" * 40)
    whole = glb({"meshes": []})
    with pytest.raises(MeshError, match="cut short"):
        glb_stats(whole[:30])
    bad = bytearray(whole)
    bad[20] = ord("[")
    with pytest.raises(MeshError, match="does not parse"):
        glb_stats(bytes(bad[:-1]) + b"!")
    version_one = struct.pack("<4sII", b"glTF", 1, 20) + whole[12:]
    with pytest.raises(MeshError, match="version 1"):
        glb_stats(version_one)


# -- video -------------------------------------------------------------------------------------


def test_animated_webp_first_frame_and_duration() -> None:
    clip = media.video_bytes("seed", width=64, height=36, frames=8)  # the emulator's "video"
    facts = animated_image_facts(clip)
    assert facts is not None and facts.frames == 8
    assert facts.duration == pytest.approx(8 * 0.12)
    assert (facts.width, facts.height) == (64, 36)
    assert facts.first_frame is not None and facts.first_frame.size == (64, 36)
    assert animated_image_facts(b"\0\0\0\x18ftypmp42" + b"\0" * 100) is None  # an MP4


def test_without_ffmpeg_a_video_says_so() -> None:
    tools = VideoTools.find(which=lambda name: None)
    assert tools.missing == "ffprobe and ffmpeg are not installed (not on PATH)"
    facts = ffmpeg_facts("/tmp/x.mp4", tools)
    assert facts.duration is None and facts.first_frame is None
    assert (
        facts.note
        == "no first frame or duration: ffprobe and ffmpeg are not installed (not on PATH)"
    )


def fake_tool(folder: Path, name: str, script: str) -> str:
    """A stand-in executable (Python) for ffprobe/ffmpeg, recording its arguments."""
    path = folder / name
    path.write_text(f"#!{sys.executable}\n{script}", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.mark.skipif(os.name == "nt", reason="stand-in tools are POSIX scripts")
def test_ffprobe_and_ffmpeg_are_run_and_read(tmp_path: Path) -> None:
    frame = io.BytesIO()
    Image.new("RGB", (32, 18), (10, 200, 10)).save(frame, "PNG")
    (tmp_path / "frame.png").write_bytes(frame.getvalue())
    log = tmp_path / "argv.jsonl"
    record = f"import json, sys\nopen({str(log)!r}, 'a').write(json.dumps(sys.argv) + '\\n')\n"
    info = {"format": {"duration": "5.005"}, "streams": [{"width": 1280, "height": 720,
            "nb_frames": "120"}]}  # fmt: skip
    ffprobe = fake_tool(tmp_path, "ffprobe", record + f"print({json.dumps(info)!r})\n")
    ffmpeg = fake_tool(
        tmp_path,
        "ffmpeg",
        record + f"sys.stdout.buffer.write(open({str(tmp_path / 'frame.png')!r}, 'rb').read())\n",
    )
    facts = ffmpeg_facts("https://v3.fal.media/files/x/clip.mp4", VideoTools(ffprobe, ffmpeg))
    assert (facts.duration, facts.width, facts.height, facts.frames) == (5.005, 1280, 720, 120)
    assert facts.first_frame is not None and facts.first_frame.size == (32, 18)
    assert facts.how == "ffprobe + ffmpeg" and facts.note is None
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    for argv in calls:  # no concat:/subfile: tricks from a URL in a result
        assert argv[argv.index("-protocol_whitelist") + 1] == "file,http,https,tcp,tls"
    assert calls[1][-1] == "-" and "-frames:v" in calls[1]
    broken = fake_tool(
        tmp_path,
        "ffprobe2",
        "import sys\nsys.stderr.write('moov atom not found\\n')\nsys.exit(1)\n",
    )
    facts = ffmpeg_facts("/tmp/clip.mp4", VideoTools(broken, None))
    assert facts.note == (
        "ffprobe could not read it: moov atom not found; "
        "no first frame: ffmpeg is not installed (not on PATH)"
    )
    with pytest.raises(ValueError, match="absolute path"):
        ffmpeg_facts("concat:a.mp4|b.mp4", VideoTools(ffprobe, ffmpeg))


# -- players -----------------------------------------------------------------------------------


def test_player_choice_per_platform_and_format(tmp_path: Path) -> None:
    def only(*names: str):  # type: ignore[no-untyped-def]
        return lambda name: f"/usr/bin/{name}" if name in names else None

    wav_file, mp3_file, mp4_file = tmp_path / "a.wav", tmp_path / "a.mp3", tmp_path / "a.mp4"
    player = choose_player(wav_file, "audio", which=only("ffplay", "paplay"))
    assert player is not None and player.name == "ffplay" and "-nodisp" in player.argv
    video = choose_player(mp4_file, "video", which=only("ffplay"))
    assert video is not None and "-nodisp" not in video.argv and video.argv[-1] == str(mp4_file)
    mac = choose_player(mp3_file, "audio", which=only("afplay"), platform="darwin")
    assert mac is not None and mac.argv == ["/usr/bin/afplay", str(mp3_file)]
    assert choose_player(mp3_file, "audio", which=only("afplay"), platform="linux") is None
    pulse = choose_player(wav_file, "audio", which=only("paplay"), platform="linux")
    assert pulse is not None and pulse.name == "paplay"
    assert choose_player(mp3_file, "audio", which=only("paplay")) is None
    assert why_no_player(mp3_file, "audio", which=only("paplay")) == (
        "paplay cannot play .mp3 files and ffplay is not installed"
    )
    assert why_no_player(wav_file, "audio", which=only()) == (
        "none of ffplay, afplay, paplay is installed"
    )
    assert choose_player(mp4_file, "video", which=only("paplay", "afplay")) is None


# -- through the outputs service, over loopback ------------------------------------------------


async def run_model(settings: Settings, endpoint: str, payload: dict[str, Any]) -> dict[str, Any]:
    async with FalClient(settings) as fal:
        return await fal.run(endpoint, payload)


async def test_media_facts_of_emulator_outputs(emulator: Emulator, emu_settings: Settings) -> None:
    speech = await run_model(emu_settings, "fal-ai/kokoro/american-english", {"prompt": "hi"})
    mesh = await run_model(emu_settings, "fal-ai/trellis", {"image_url": "https://x/y.png"})
    clip = await run_model(emu_settings, "fal-ai/ltx-video", {"prompt": "waves"})
    no_tools = VideoTools(None, None)
    async with Outputs.from_settings(emu_settings) as outputs:
        audio = await media_facts(outputs, find_outputs(speech)[0])
        assert audio.audio is not None and audio.audio.duration == pytest.approx(0.4)
        stats = await media_facts(outputs, find_outputs(mesh)[0])
        assert stats.mesh is not None and stats.mesh.triangles == 12
        video = await media_facts(outputs, find_outputs(clip)[0], no_tools)
        assert video.video is not None and video.video.frames == 8
        assert video.video.first_frame is not None
        mp4 = OutputFile("https://v3.fal.media/files/clip.mp4", ("video",), "video", "video/mp4")
        missing = await media_facts(outputs, mp4, no_tools)
        assert missing.video is not None and "ffprobe and ffmpeg are not installed" in (
            missing.video.note or ""
        )
        gone = find_outputs(speech)[0]
        del emulator.files.files[gone.url.split("/files/", 1)[1]]  # fal's retention ran out
        expired = await media_facts(outputs, gone)
        assert expired.problem is not None and "no longer served" in expired.problem
    assert emulator.counters["file_with_auth"] == 0


async def test_head_bytes_reads_only_the_head(
    endless: EndlessServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    async with Outputs(tmp_path) as outputs:
        head, total = await outputs.head_bytes(endless.url, 1000)
    assert len(head) == 1000 and total is None
    assert endless.sent < 16 * 1024 * 1024  # stopped long before a preview's cap


async def test_head_bytes_from_a_saved_copy_and_a_data_url(tmp_path: Path) -> None:
    async with Outputs(tmp_path, record_file=tmp_path / "record.jsonl") as outputs:
        url = "http://127.0.0.1:9/files/a.glb"  # nothing listens there
        path = tmp_path / "a.glb"
        path.write_bytes(media.glb_bytes())
        outputs.record.add(url, path, path.stat().st_size)
        head, total = await outputs.head_bytes(url, 20)
        assert head == media.glb_bytes()[:20] and total == len(media.glb_bytes())
        head, total = await outputs.head_bytes("data:text/plain,hello%20world", 5)
        assert (head, total) == (b"hello", 11)


# -- gone URLs ----------------------------------------------------------------------------------


async def test_a_gone_url_is_saved_from_the_copy_saved_earlier(
    emulator: Emulator, emu_settings: Settings, tmp_path: Path
) -> None:
    result = await run_model(
        emu_settings,
        "fal-ai/flux/dev",
        {"prompt": "x", "num_images": 2, "image_size": {"width": 32, "height": 24}},
    )
    kept, lost = find_outputs(result)
    async with Outputs.from_settings(emu_settings) as outputs:
        first = await outputs.download(kept, tmp_path / "a")
        for output in (kept, lost):  # fal's retention ran out for both
            del emulator.files.files[output.url.split("/files/", 1)[1]]
        progress: list[Any] = []
        report = await outputs.download_all(
            [kept, lost], tmp_path / "b", on_progress=progress.append
        )
    copied = report.saved[0]
    assert copied.copied_from == first.path and copied.path == tmp_path / "b" / first.path.name
    assert copied.path.read_bytes() == first.path.read_bytes()
    assert [f.item for f in report.failed] == [lost]
    assert "no longer served" in report.failed[0].reason
    assert report.headline() == (
        f"Saved 1 of 2 files to {tmp_path / 'b'} (1 from copies saved earlier: their URLs no "
        "longer answer); 1 failed"
    )
    assert progress[-1].bytes_done == first.size and progress[-1].files_failed == 1
