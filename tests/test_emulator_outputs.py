"""Emulator outputs match every bundled Output schema; the emulator's own input validator."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from faltui.core.bundled import bundled_models, bundled_schema_ids
from faltui.emulator import schemas
from faltui.emulator.catalog import EmulatorCatalog
from faltui.emulator.files import FileStore
from faltui.emulator.outputs import OutputBuilder, image_size

BASE = "http://emu.test"
CATALOG = EmulatorCatalog()


@pytest.fixture
def builder() -> OutputBuilder:
    return OutputBuilder(CATALOG, FileStore())


def urls(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "url" and isinstance(item, str):
                yield item
            else:
                yield from urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from urls(item)


@pytest.mark.parametrize("endpoint_id", bundled_schema_ids())
def test_output_matches_the_output_schema_and_files_exist(builder, endpoint_id):
    output = builder.build(endpoint_id, {"prompt": "a test"}, "request-1", BASE)
    assert output
    doc = CATALOG.openapi(endpoint_id)
    schema = CATALOG.output_schema(endpoint_id)
    if schema.get("properties"):
        assert schemas.validate_value(schema, output, doc, []) == []
    for url in urls(output):
        assert url.startswith(BASE + "/files/")
        stored = builder.files.get(url.removeprefix(BASE + "/files/"))
        assert stored is not None and stored.size > 0


@pytest.mark.parametrize(
    "endpoint_id",
    sorted({m["endpoint_id"] for m in bundled_models()} - set(bundled_schema_ids()))[:40],
)
def test_catalog_only_endpoints_get_a_category_shaped_output(builder, endpoint_id):
    output = builder.build(endpoint_id, {"prompt": "a test"}, "request-1", BASE)
    category = CATALOG.category(endpoint_id)
    if category.endswith("-to-image"):
        assert output["images"][0]["url"]
    elif category.endswith("-to-video"):
        assert output["video"]["content_type"] == "image/webp"
    elif "3d" in category:
        assert output["model_mesh"]["content_type"] == "model/gltf-binary"
    assert output


def test_sync_mode_inlines_data_uris(builder):
    output = builder.build("fal-ai/flux/dev", {"prompt": "x", "sync_mode": True}, "r", BASE)
    assert output["images"][0]["url"].startswith("data:image/jpeg;base64,")  # flux default
    assert builder.files.files == {}


def test_output_format_and_num_images(builder):
    payload = {"prompt": "x", "output_format": "jpeg", "num_images": 3, "image_size": "square"}
    output = builder.build("fal-ai/flux/dev", payload, "r", BASE)
    assert len(output["images"]) == 3
    first = output["images"][0]
    assert first["content_type"] == "image/jpeg"
    data = builder.files.get(first["url"].removeprefix(BASE + "/files/")).data
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG" and img.size == (512, 512)
    assert len({i["url"] for i in output["images"]}) == 3


@pytest.mark.parametrize(
    ("payload", "size"),
    [
        ({"image_size": "portrait_16_9"}, (576, 1024)),
        ({"image_size": {"width": 300, "height": 100}}, (300, 100)),
        ({"image_size": {"width": 8000, "height": 4000}}, (2048, 1024)),
        ({"aspect_ratio": "16:9"}, (1024, 576)),
        ({"aspect_ratio": "9:16"}, (576, 1024)),
        ({}, (1024, 1024)),
    ],
)
def test_image_size_rules(payload, size):
    assert image_size(payload, {}) == size


def test_seed_comes_from_input_or_is_derived_from_request(builder):
    given = builder.build("fal-ai/flux/dev", {"prompt": "x", "seed": 42}, "r1", BASE)
    assert given["seed"] == 42
    one = builder.build("fal-ai/flux/dev", {"prompt": "x"}, "r1", BASE)["seed"]
    two = builder.build("fal-ai/flux/dev", {"prompt": "x"}, "r2", BASE)["seed"]
    assert one != two


# --- validator -------------------------------------------------------------------------------


def test_valid_examples_pass_and_mistakes_are_located():
    good = {"prompt": "x", "image_size": {"width": 64, "height": 64}, "seed": None}
    assert CATALOG.validate("fal-ai/flux/dev", good) == []
    errors = CATALOG.validate(
        "fal-ai/flux/dev",
        {"prompt": 5, "image_size": {"width": 0, "height": 64}, "enable_safety_checker": "yes"},
    )
    found = {tuple(e["loc"]): e["type"] for e in errors}
    assert found == {
        ("body", "prompt"): "string_type",
        ("body", "image_size", "width"): "greater_than",
        ("body", "enable_safety_checker"): "bool_type",
    }


def test_const_nullable_and_lists():
    whisper = "fal-ai/whisper"
    assert CATALOG.validate(whisper, {"audio_url": "u", "version": "3", "language": None}) == []
    errors = CATALOG.validate(whisper, {"audio_url": "u", "version": "2"})
    assert [e["type"] for e in errors] == ["literal_error"]
    rodin = CATALOG.validate("fal-ai/hyper3d/rodin", {"input_image_urls": "one"})
    assert [e["type"] for e in rodin] == ["list_type"]
    assert CATALOG.validate("fal-ai/hyper3d/rodin", {"input_image_urls": ["a", 3]})[0]["loc"] == [
        "body",
        "input_image_urls",
        1,
    ]


def test_unknown_fields_are_ignored_like_fal():
    assert CATALOG.validate("fal-ai/flux/dev", {"prompt": "x", "made_up": 1}) == []
