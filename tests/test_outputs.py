"""core/outputs: finding files and texts in results, downloading (never with the key), exports.

The service's own guarantees against the emulator are in test_outputs_service.py.
"""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from http_recorder import Recorder

from faltui.core.config import Settings
from faltui.core.outputs import (
    DownloadProgress,
    FileGone,
    OutputFile,
    Outputs,
    file_name_for,
    find_outputs,
    find_texts,
    kind_of,
)

SECRET = "secret-key-id:secret-key-value"

FLUX_RESULT = {
    "images": [
        {
            "url": "https://v3.fal.media/files/rabbit/abc_out.png",
            "width": 1024,
            "height": 768,
            "content_type": "image/png",
        },
        {"url": "https://v3.fal.media/files/rabbit/def.jpeg", "content_type": "image/jpeg"},
    ],
    "seed": 42,
    "has_nsfw_concepts": [False, False],
    "prompt": "a cat",
}


def test_find_outputs_image_objects() -> None:
    found = find_outputs(FLUX_RESULT)
    assert [o.url for o in found] == [i["url"] for i in FLUX_RESULT["images"]]
    first = found[0]
    assert first.kind == "image"
    assert (first.width, first.height) == (1024, 768)
    assert first.path == ("images", 0)
    assert first.label == "images[0]"


def test_find_outputs_mixed_shapes_and_kinds() -> None:
    result = {
        "video": {"url": "https://cdn.example/v/clip", "content_type": "video/mp4"},
        "audio_url": "https://cdn.example/a/speech.wav",
        "model_mesh": {"url": "https://cdn.example/m/thing.glb", "file_size": 1234},
        "frame_urls": ["https://cdn.example/f/1.webp", "https://cdn.example/f/2.webp"],
        "thumbnail_url": "not a url",
        "description": "https://example.com/not-a-file-field",
        "inline": {"url": "data:image/png;base64,iVBORw0KGgo=", "file_name": "x.png"},
        "file": {"url": "https://cdn.example/blob"},
        "duplicate_url": "https://cdn.example/a/speech.wav",
    }
    found = {o.label: o for o in find_outputs(result)}
    assert set(found) == {
        "video",
        "audio_url",
        "model_mesh",
        "frame_urls[0]",
        "frame_urls[1]",
        "inline",
        "file",
    }
    assert found["video"].kind == "video"
    assert found["audio_url"].kind == "audio"
    assert found["model_mesh"].kind == "mesh"
    assert found["model_mesh"].file_size == 1234
    assert found["frame_urls[1]"].kind == "image"
    assert found["inline"].content_type == "image/png"
    assert found["file"].kind == "file"


@pytest.mark.parametrize(
    ("content_type", "name", "kind"),
    [
        ("image/webp", None, "image"),
        ("model/gltf-binary", None, "mesh"),
        ("application/octet-stream", "x.GLB", "mesh"),
        (None, "song.mp3", "audio"),
        (None, "subs.srt", "text"),
        ("text/plain; charset=utf-8", None, "text"),
        (None, "archive.zip", "file"),
    ],
)
def test_kind_of(content_type: str | None, name: str | None, kind: str) -> None:
    assert kind_of(content_type, name) == kind


def test_find_texts() -> None:
    assert find_texts({"output": "Hello", "usage": {"tokens": 3}}) == [("output", "Hello")]
    whisper = {"text": "full text", "chunks": [{"text": "full"}, {"text": "text"}]}
    assert find_texts(whisper) == [("text", "full text")]
    assert find_texts({"chunks": [{"text": " a "}, {"text": "b"}]}) == [("chunks", "a b")]
    assert find_texts({"text": "https://cdn.example/x.txt"}) == []
    assert find_texts(FLUX_RESULT) == []
    chat = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!"}}]}
    assert find_texts(chat) == [("choices[0]", "Hi!")]


def test_file_name_for_sanitises_and_adds_extension() -> None:
    out = OutputFile("https://x/files/a/..%2F..%2Fevil", ("x",), "image", "image/png")
    name = file_name_for(out)
    assert "/" not in name and not name.startswith(".")
    assert name.endswith(".png")
    named = OutputFile("https://x/y.bin", ("x",), "file", None, file_name="report 1.txt")
    assert file_name_for(named) == "report 1.txt"


async def test_download_streams_without_key_and_never_overwrites(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 4000  # ~1 MB
    with Recorder() as rec:
        url = rec.serve("/files/b/out.png", payload, content_type="image/png")
        output = find_outputs({"images": [{"url": url, "content_type": "image/png"}]})[0]
        # Even a client with a default Authorization header must not leak it to a download.
        async with httpx.AsyncClient(headers={"Authorization": f"Key {SECRET}"}) as http:
            outputs = Outputs(tmp_path / "dl", http=http)
            seen: list[DownloadProgress] = []
            first = await outputs.download(output, on_progress=seen.append, reuse=False)
            second = await outputs.download(output, reuse=False)
    assert first.path.read_bytes() == payload
    assert first.path.name == "out.png"
    assert second.path.name == "out-1.png"
    assert second.path.read_bytes() == payload
    assert seen[-1] == DownloadProgress(1, 1, 0, len(payload), len(payload))
    assert rec.headers_seen("authorization") == [None, None]


async def test_download_decodes_compressed_bodies(tmp_path: Path) -> None:
    import gzip

    text = b"transcript line\n" * 2000
    with Recorder() as rec:
        url = rec.serve(
            "/files/t.txt", gzip.compress(text), content_type="text/plain", content_encoding="gzip"
        )
        seen: list[DownloadProgress] = []
        async with Outputs(tmp_path) as outputs:
            saved = await outputs.download(
                OutputFile(url, ("text",), "text"), on_progress=seen.append
            )
    assert saved.path.read_bytes() == text
    # the announced length is of the gzip bytes, so the total is what was saved, at the end
    assert seen[-1].bytes_total == seen[-1].bytes_done == len(text)


async def test_download_error_leaves_no_file(tmp_path: Path) -> None:
    with Recorder() as rec:
        output = OutputFile(rec.base_url + "/files/gone.png", ("image",), "image")
        async with Outputs(tmp_path) as outputs:
            with pytest.raises(FileGone, match=r"no longer served .*\(HTTP 404 Not Found\)"):
                await outputs.download(output)
    assert list(tmp_path.iterdir()) == []


async def test_download_data_url(tmp_path: Path) -> None:
    raw = b"\x89PNG fake bytes"
    url = "data:image/png;base64," + base64.b64encode(raw).decode()
    output = find_outputs({"image": {"url": url}})[0]
    async with Outputs(tmp_path) as outputs:
        saved = await outputs.download(output)
    assert saved.path.read_bytes() == raw
    assert saved.path.suffix == ".png"


def _settings(**urls: str) -> Settings:
    return Settings(key=SECRET).with_urls(**urls)


# The exports are tested by running them: tests/test_exports.py.


# -- against the emulator -------


async def test_emulator_image_result_downloads_as_real_png(
    emu_settings: Settings, tmp_path: Path
) -> None:
    from PIL import Image

    from faltui.core.client import FalClient

    async with FalClient(emu_settings) as fal:
        payload = {"prompt": "a red fox", "image_size": {"width": 320, "height": 200}}
        result = await fal.run("fal-ai/flux/dev", payload)
    outputs = find_outputs(result)
    assert outputs and outputs[0].kind == "image"
    async with Outputs.from_settings(emu_settings) as service:
        path = (await service.download(outputs[0], tmp_path)).path
    with Image.open(path) as image:
        assert image.size == (320, 200)
    assert (outputs[0].width, outputs[0].height) == (320, 200)


@pytest.mark.parametrize(
    ("endpoint", "payload", "label"),
    [
        ("fal-ai/whisper", {"audio_url": "https://example.com/a.wav"}, "text"),
        ("openrouter/router", {"prompt": "Say hi", "model": "google/gemini-2.5-flash"}, "output"),
        (
            "openrouter/router/openai/v1/chat/completions",
            {"model": "x", "messages": [{"role": "user", "content": "hi"}]},
            "choices[0]",
        ),
    ],
)
async def test_emulator_text_outputs(
    emu_settings: Settings, endpoint: str, payload: dict, label: str
) -> None:
    from faltui.core.client import FalClient

    async with FalClient(emu_settings) as fal:
        result = await fal.run(endpoint, payload)
    texts = dict(find_texts(result))
    assert label in texts and texts[label].strip()


def test_animated_webp_in_a_video_field_is_a_video() -> None:
    from faltui.core.outputs import kind_of

    assert kind_of("image/webp", "video.webp", ("video",)) == "video"
    assert kind_of("image/webp", "a.webp", ("images", 0)) == "image"
