"""Schema layer: parsing real fal OpenAPI documents, coercion, parse_params, validation."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from faltui.core.errors import FieldError, ValidationFailed
from faltui.core.schema import (
    KINDS,
    EndpointSchema,
    Field,
    FieldRow,
    coerce,
    defaults,
    field_rows,
    parse_openapi,
    parse_params,
    type_label,
    validate,
)

#: The real fal OpenAPI documents, as shipped in the package (faltui/data/schemas).
BUNDLED = Path(__file__).resolve().parents[1] / "faltui" / "data" / "schemas"
DOC_FILES = sorted(BUNDLED.glob("*.json"))


def load(name: str) -> EndpointSchema:
    """Parse one bundled document by file stem."""
    path = BUNDLED / f"{name}.json"
    return parse_openapi(json.loads(path.read_text(encoding="utf-8")))


def walk(fields: list[Field]):
    """Every field of a tree, depth first (children, items, variants)."""
    for f in fields:
        yield f
        yield from walk(f.children)
        if f.item is not None:
            yield from walk([f.item])
        yield from walk(f.variants)


def field(schema: EndpointSchema, dotted: str) -> Field:
    """The input field at a dotted path (``[]`` steps into list items)."""
    fields = schema.input
    found: Field | None = None
    for part in dotted.replace("[]", ".[]").split("."):
        if part == "[]":
            assert found is not None and found.item is not None
            found = found.item
            fields = found.children
            continue
        found = next(f for f in fields if f.name == part)
        fields = found.children
    assert found is not None
    return found


@pytest.fixture(scope="module")
def flux() -> EndpointSchema:
    return load("fal-ai__flux__dev")


@pytest.fixture(scope="module")
def kling3() -> EndpointSchema:
    return load("fal-ai__kling-video__v3__pro__text-to-video")


@pytest.fixture(scope="module")
def whisper() -> EndpointSchema:
    return load("fal-ai__whisper")


# -- every real document parses ---------------------------------------------------------


def test_there_are_many_documents() -> None:
    assert len(DOC_FILES) >= 70


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.stem)
def test_every_document_parses(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    original = copy.deepcopy(doc)
    schema = parse_openapi(doc)
    assert doc == original, "parsing must not mutate the document"
    assert schema.raw is doc
    expected_id = doc["info"]["x-fal-metadata"]["endpointId"]
    assert schema.endpoint_id == expected_id
    assert path.stem == expected_id.replace("/", "__")
    for f in walk(schema.input + schema.output):
        assert f.kind in KINDS, (f.path, f.kind)
        assert isinstance(f.path, tuple) and f.path, f.name
        if f.kind in ("enum", "image_size"):
            assert f.enum, f.path
        if f.kind in ("array", "file_list"):
            assert f.item is not None, f.path
    # every declared input property is a field, once, and required flags follow the doc
    props = schema.input_schema.get("properties", {})
    assert sorted(f.name for f in schema.input) == sorted(props)
    required = set(schema.input_schema.get("required", []))
    assert {f.name for f in schema.input if f.required} == required
    # every field has a row; defaults() only lists fields with a default
    assert len(field_rows(schema.input, nested=False)) == len(schema.input)
    assert set(defaults(schema)) == {f.name for f in schema.input if f.has_default}
    # the declared defaults themselves pass validation (fal's own values)
    payload = defaults(schema)
    errors = [e for e in validate(schema, payload) if e.kind != "missing"]
    assert errors == [], errors


def test_input_found_through_the_post_request_body(flux: EndpointSchema) -> None:
    assert flux.endpoint_id == "fal-ai/flux/dev"
    assert flux.input_schema["title"] == "BaseInput"
    assert "prompt" in flux.input_schema["properties"]
    assert [f.name for f in flux.output] == [
        "images",
        "timings",
        "seed",
        "has_nsfw_concepts",
        "prompt",
    ]


def test_missing_input_component_gives_no_fields() -> None:
    # openrouter chat completions references an Input component the document lacks
    schema = load("openrouter__router__openai__v1__chat__completions")
    assert schema.input == []
    assert schema.open_input
    assert parse_params(schema, ["messages:=[]", "model=x"]) == {"messages": [], "model": "x"}


def test_empty_output_schema_is_tolerated() -> None:
    schema = load("fal-ai__chatterbox__text-to-speech")
    assert schema.output == []
    assert field(schema, "text").kind == "text"


# -- flux dev ---------------------------------------------------------------------------


def test_flux_dev_order_kinds_defaults(flux: EndpointSchema) -> None:
    assert [(f.name, f.kind) for f in flux.input] == [
        ("prompt", "text"),
        ("image_size", "image_size"),
        ("num_inference_steps", "integer"),
        ("seed", "integer"),
        ("guidance_scale", "number"),
        ("sync_mode", "boolean"),
        ("num_images", "integer"),
        ("enable_safety_checker", "boolean"),
        ("output_format", "enum"),
        ("acceleration", "enum"),
    ]
    assert [f.name for f in flux.input if f.required] == ["prompt"]
    assert defaults(flux) == {
        "image_size": "landscape_4_3",
        "num_inference_steps": 28,
        "guidance_scale": 3.5,
        "sync_mode": False,
        "num_images": 1,
        "enable_safety_checker": True,
        "output_format": "jpeg",
        "acceleration": "none",
    }
    steps = field(flux, "num_inference_steps")
    assert (steps.minimum, steps.maximum, steps.title) == (1, 50, "Num Inference Steps")
    seed = field(flux, "seed")
    assert seed.nullable and not seed.has_default and seed.advanced
    assert seed.description.startswith("The same seed")  # leading newline/indent removed
    assert field(flux, "prompt").examples[0].startswith("Extreme close-up")
    assert not field(flux, "prompt").advanced
    assert field(flux, "acceleration").advanced


def test_flux_dev_image_size_variants(flux: EndpointSchema) -> None:
    size = field(flux, "image_size")
    assert size.enum == [
        "square_hd",
        "square",
        "portrait_4_3",
        "portrait_16_9",
        "landscape_4_3",
        "landscape_16_9",
    ]
    assert [v.kind for v in size.variants] == ["object", "enum"]
    obj = size.variants[0]
    assert obj.ref == "ImageSize"
    assert [c.name for c in obj.children] == ["width", "height"]
    width = obj.children[0]
    assert width.kind == "integer"
    assert (width.exclusive_minimum, width.maximum, width.minimum) == (0, 14142, None)
    assert not size.nullable


def test_image_size_three_way_union_is_nullable() -> None:
    ideogram = load("fal-ai__ideogram__v3")
    size = field(ideogram, "image_size")
    assert size.kind == "image_size" and size.nullable
    assert coerce(size, "null") is None
    seedream = field(load("fal-ai__bytedance__seedream__v4__text-to-image"), "image_size")
    assert seedream.default == {"height": 2048, "width": 2048}
    assert {"auto", "auto_2K", "auto_4K"} <= set(seedream.enum or [])


# -- kling v3 ---------------------------------------------------------------------------


def test_kling_v3_no_required_and_string_duration(kling3: EndpointSchema) -> None:
    assert [f for f in kling3.input if f.required] == []
    assert [f.name for f in kling3.input][:3] == ["prompt", "duration", "multi_prompt"]
    prompt = field(kling3, "prompt")
    assert (prompt.kind, prompt.nullable, prompt.max_length) == ("text", True, 2500)
    duration = field(kling3, "duration")
    assert duration.kind == "enum" and duration.value_type == "string"
    assert duration.enum == [str(n) for n in range(3, 16)]
    assert duration.default == "5"
    assert coerce(duration, "5") == "5"
    with pytest.raises(ValueError, match=r'"3", "4"'):
        coerce(duration, "2")
    errors = validate(kling3, {"duration": 5})
    assert [(e.path, e.kind) for e in errors] == [(("duration",), "enum")]
    assert 'the string "5"' in errors[0].message
    # nested multi_prompt objects keep their own required list
    item = field(kling3, "multi_prompt[].prompt")
    assert item.required and item.path == ("multi_prompt", "[]", "prompt")
    assert field(kling3, "multi_prompt").nullable


def test_number_duration_becomes_a_number() -> None:
    sora = load("fal-ai__sora-2__text-to-video")
    duration = field(sora, "duration")
    assert duration.kind == "enum" and duration.enum == [4, 8, 12]
    assert coerce(duration, "8") == 8 and isinstance(coerce(duration, "8"), int)
    with pytest.raises(ValueError, match="4, 8, 12"):
        coerce(duration, "5")
    assert field(sora, "resolution").kind == "const"
    veo = field(load("fal-ai__veo3__image-to-video"), "duration")
    assert coerce(veo, "8s") == "8s"


# -- whisper ----------------------------------------------------------------------------


def test_whisper_nullable_enum_and_const(whisper: EndpointSchema) -> None:
    audio = field(whisper, "audio_url")
    assert (audio.kind, audio.required) == ("file", True)
    language = field(whisper, "language")
    assert language.kind == "enum" and language.nullable
    assert "en" in (language.enum or []) and None not in (language.enum or [])
    assert coerce(language, "null") is None
    assert coerce(language, "de") == "de"
    version = field(whisper, "version")
    assert (version.kind, version.const, version.default) == ("const", "3", "3")
    assert coerce(version, "3") == "3"
    with pytest.raises(ValueError, match='fixed to "3"'):
        coerce(version, "2")
    errors = validate(whisper, {"audio_url": "x", "version": "2", "num_speakers": 0})
    assert [(e.dotted, e.kind) for e in errors] == [("version", "const"), ("num_speakers", "range")]
    speakers = field(whisper, "num_speakers")
    assert speakers.kind == "integer" and speakers.nullable and speakers.minimum == 1
    assert validate(whisper, {"audio_url": "x", "num_speakers": None, "language": None}) == []


def test_whisper_output_prefix_items_tuple(whisper: EndpointSchema) -> None:
    chunks = next(f for f in whisper.output if f.name == "chunks")
    assert chunks.item is not None
    stamp = next(c for c in chunks.item.children if c.name == "timestamp")
    assert stamp.kind == "array" and stamp.item is not None
    assert stamp.item.kind == "number" and stamp.item.nullable
    assert (stamp.min_items, stamp.max_items) == (2, 2)


# -- other real quirks ------------------------------------------------------------------


def test_file_fields_by_name() -> None:
    kling1 = load("fal-ai__kling-video__v1__standard__image-to-video")
    assert field(kling1, "image_url").kind == "file"
    assert field(kling1, "tail_image_url").kind == "file"
    assert field(kling1, "dynamic_masks[].mask_url").kind == "file"
    edit = load("fal-ai__nano-banana__edit")
    urls = field(edit, "image_urls")
    assert urls.kind == "file_list" and urls.required and urls.item is not None
    assert urls.item.kind == "file"
    hunyuan = load("fal-ai__hunyuan3d__v2")
    assert field(hunyuan, "input_image_url").kind == "file"
    # an OUTPUT named audio_url that is an object stays an object
    f5 = load("fal-ai__f5-tts")
    out = next(f for f in f5.output if f.name == "audio_url")
    assert out.kind == "object" and out.ref == "AudioFile"


def test_integer_enums_coerce_to_int() -> None:
    trellis = load("fal-ai__trellis")
    size = field(trellis, "texture_size")
    assert size.kind == "enum" and size.value_type == "integer"
    assert coerce(size, "1024") == 1024
    minimax = load("fal-ai__minimax__speech-02-hd")
    rate = field(minimax, "audio_setting.sample_rate")
    assert coerce(rate, "44100") == 44100
    assert parse_params(minimax, ["text=hi", "audio_setting.channel=2"]) == {
        "text": "hi",
        "audio_setting": {"channel": 2},
    }


def test_ref_with_sibling_default_and_description() -> None:
    minimax = load("fal-ai__minimax__speech-02-hd")
    voice = field(minimax, "voice_setting")
    assert voice.kind == "object" and voice.ref == "VoiceSetting"
    assert voice.default == {
        "speed": 1,
        "vol": 1,
        "voice_id": "Wise_Woman",
        "pitch": 0,
        "english_normalization": False,
    }
    assert voice.children[0].name == "voice_id"
    ideogram = load("fal-ai__ideogram__v3")
    rgb = field(ideogram, "color_palette.members[].rgb")
    assert rgb.kind == "object" and [c.name for c in rgb.children] == ["r", "g", "b"]
    assert rgb.path == ("color_palette", "members", "[]", "rgb")


def test_open_enum_accepts_free_strings() -> None:
    ultra = load("fal-ai__flux-pro__v1.1-ultra")
    ratio = field(ultra, "aspect_ratio")
    assert ratio.kind == "enum" and ratio.open_enum
    assert coerce(ratio, "16:9") == "16:9"
    assert coerce(ratio, "5:4") == "5:4"
    assert validate(ultra, {"prompt": "x", "aspect_ratio": "5:4"}) == []
    safety = field(ultra, "safety_tolerance")
    assert coerce(safety, "2") == "2"


def test_nullable_array_of_enums_and_const_unions() -> None:
    stems = field(load("fal-ai__demucs"), "stems")
    assert stems.kind == "array" and stems.nullable and stems.item is not None
    assert stems.item.kind == "enum"
    assert coerce(stems, "vocals,drums") == ["vocals", "drums"]
    with pytest.raises(ValueError, match="vocals"):
        coerce(stems, "vocals,kazoo")
    rodin = load("fal-ai__hyper3d__rodin")
    addons = field(rodin, "addons")
    assert addons.kind == "const" and addons.nullable and addons.const == "HighPack"
    assert field(rodin, "bbox_condition").item.kind == "integer"  # type: ignore[union-attr]
    assert field(rodin, "TAPose").kind == "boolean"


def test_general_union_kind_from_first_usable_variant() -> None:
    doc = _doc(
        {
            "type": "object",
            "properties": {
                "u": {"anyOf": [{"$ref": "#/components/schemas/Missing"}, {"type": "integer"}]},
                "v": {"anyOf": [{"type": "object"}, {"type": "number"}]},
            },
        }
    )
    schema = parse_openapi(doc)
    assert [v.kind for v in field(schema, "u").variants] == ["json", "integer"]
    assert field(schema, "u").kind == "integer"  # the missing ref is not usable
    assert field(schema, "v").kind == "object"


def test_general_union_prefers_the_variant_of_its_default() -> None:
    general = load("fal-ai__flux-general__image-to-image")
    scale = field(general, "loras[].scale")
    assert (scale.kind, scale.default) == ("number", 1)
    assert [v.kind for v in scale.variants] == ["object", "number"]
    assert coerce(scale, "0.7") == 0.7
    assert coerce(scale, '{"a": 1}') == {"a": 1}
    with pytest.raises(ValueError, match="a JSON object or a number"):
        coerce(scale, "big")
    assert validate(general, {"prompt": "p", "image_url": "u", "loras": [{"path": "x"}]}) == []
    errors = validate(general, {"prompt": "p", "image_url": "u", "loras": [{"scale": "s"}]})
    assert [(e.path, e.kind) for e in errors] == [
        (("loras", 0, "path"), "missing"),
        (("loras", 0, "scale"), "type"),
    ]


def test_advanced_flags() -> None:
    kling1 = load("fal-ai__kling-video__v1__standard__image-to-video")
    main = [f.name for f in kling1.input if not f.advanced]
    assert {"prompt", "image_url", "duration", "tail_image_url"} <= set(main)
    assert field(kling1, "negative_prompt").advanced
    sora = load("fal-ai__sora-2__text-to-video")
    assert field(sora, "resolution").advanced  # const: nothing to choose
    assert not field(sora, "duration").advanced
    assert sora.input_field("duration") is field(sora, "duration")
    assert sora.input_field("nope") is None
    colorize = load("bria__fibo-edit__colorize")
    assert {f.name for f in colorize.input if f.required} == {"image_url", "color"}
    assert not field(colorize, "color").advanced


def test_text_kind_for_prompt_like_strings() -> None:
    assert field(load("fal-ai__ltx-video"), "negative_prompt").kind == "text"
    assert field(load("fal-ai__minimax-music__v1.5"), "lyrics_prompt").kind == "text"
    assert field(load("fal-ai__elevenlabs__tts__multilingual-v2"), "voice").kind == "string"
    assert field(load("openrouter__router"), "system_prompt").kind == "text"


# -- hostile documents ------------------------------------------------------------------


def _doc(input_schema: Any, components: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "openapi": "3.0.4",
        "info": {"x-fal-metadata": {"endpointId": "x/y"}},
        "components": {"schemas": {"YInput": input_schema, **(components or {})}},
        "paths": {
            "/x/y": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/YInput"}}
                        }
                    }
                }
            }
        },
    }


HOSTILE: list[Any] = [
    None,
    [],
    "text",
    42,
    {},
    {"paths": None},
    {"paths": {"/a": None, "/b": {"post": None}, "/c": {"post": {"requestBody": []}}}},
    {"paths": {"/a": {"post": {"requestBody": {"content": {"application/json": 3}}}}}},
    {"components": {"schemas": {"XInput": "nope"}}},
    {"components": {"schemas": {"XInput": {"properties": []}}}},
    _doc({"type": "object", "properties": {"a": {"$ref": "#/components/schemas/Missing"}}}),
    _doc({"type": "object", "properties": {"a": {"$ref": 5}, "b": {"$ref": "http://x"}}}),
    _doc(
        {"type": "object", "properties": {"n": {"$ref": "#/components/schemas/Node"}}},
        {
            "Node": {
                "type": "object",
                "properties": {
                    "next": {"$ref": "#/components/schemas/Node"},
                    "kids": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "either": {"anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]},
                },
            }
        },
    ),
    _doc({"$ref": "#/components/schemas/YInput"}),  # the input refers to itself
    _doc({"allOf": [{"$ref": "#/components/schemas/YInput"}, 3, None]}),
    _doc(
        {
            "type": "object",
            "required": "prompt",
            "x-fal-order-properties": ["ghost", 7, "b"],
            "properties": {
                "a": {"type": ["string", "null"]},
                "b": {"type": ["integer", "string"]},
                "c": {"type": "wat"},
                "d": {"anyOf": []},
                "e": {"anyOf": [{"type": "null"}]},
                "f": {"oneOf": "x"},
                "g": {"enum": []},
                "h": {"enum": [None]},
                "i": {"type": "array", "items": [1, 2]},
                "j": {"type": "array", "prefixItems": "x"},
                "k": {"minimum": "low", "maximum": [], "type": "number", "exclusiveMinimum": True},
                "l": True,
                "m": None,
                "n": {"properties": {"x": {"type": "integer"}}},
                "o": {"allOf": "nope"},
                "p": {"type": "string", "minLength": "3", "maxLength": None},
                "q": {"examples": "not-a-list", "default": {"deep": [1, {"x": None}]}},
                "r": {"const": None},
            },
        }
    ),
]


@pytest.mark.parametrize("doc", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_documents_degrade(doc: Any) -> None:
    schema = parse_openapi(doc)
    for f in walk(schema.input + schema.output):
        assert f.kind in KINDS
    field_rows(schema.input)
    validate(schema, {})
    validate(schema, {"a": 1, "n": {"next": {"next": None}}})
    defaults(schema)


def test_python_level_cycles_and_explosions_terminate() -> None:
    node: dict[str, Any] = {"type": "object", "properties": {}}
    node["properties"]["self"] = node
    node["properties"]["both"] = {"anyOf": [node, node]}
    schema = parse_openapi(_doc(node))
    assert [f.name for f in schema.input] == ["self", "both"]
    assert schema.input[0].kind == "object"
    # a $ref DAG that doubles at every level stays within the field budget
    comps = {
        f"L{i}": {"anyOf": [{"$ref": f"#/components/schemas/L{i + 1}"}] * 2 + [{"type": "null"}]}
        for i in range(40)
    }
    comps["L40"] = {"type": "integer"}
    doc = _doc({"properties": {"deep": {"$ref": "#/components/schemas/L0"}}}, comps)
    schema = parse_openapi(doc)
    assert schema.input[0].name == "deep"


def test_cycles_are_cut_not_followed() -> None:
    schema = parse_openapi(HOSTILE[12])
    node = field(schema, "n")
    assert node.kind == "object"
    nxt = node.child("next")
    assert nxt is not None and nxt.kind == "json"  # second visit of Node: cut
    assert "cycle" in nxt.schema["x-faltui-unresolved"]


def test_weird_types_degrade_to_json_or_best_guess() -> None:
    schema = parse_openapi(HOSTILE[-1])
    kinds = {f.name: f.kind for f in schema.input}
    assert [f.name for f in schema.input][:1] == ["b"]  # order list: unknowns skipped
    assert kinds["a"] == "string" and field(schema, "a").nullable
    assert kinds["b"] == "integer" and [v.kind for v in field(schema, "b").variants] == [
        "integer",
        "string",
    ]
    assert kinds["c"] == kinds["d"] == kinds["e"] == kinds["l"] == kinds["m"] == "json"
    assert kinds["g"] == "json" and kinds["h"] == "json" and field(schema, "h").nullable
    assert kinds["n"] == "object"
    assert kinds["r"] == "const"
    assert not any(f.required for f in schema.input)  # "required" not a list: ignored
    k = field(schema, "k")
    assert (k.minimum, k.maximum, k.exclusive_minimum) == (None, None, None)
    assert coerce(field(schema, "c"), "hello") == "hello"  # json kind: lenient
    assert coerce(field(schema, "c"), "[1, 2]") == [1, 2]


def test_missing_ref_keeps_siblings() -> None:
    doc = _doc(
        {
            "type": "object",
            "properties": {
                "t": {"$ref": "#/components/schemas/TrackPoint", "description": "Points"}
            },
        }
    )
    schema = parse_openapi(doc)
    t = field(schema, "t")
    assert t.kind == "json" and t.description == "Points"
    assert validate(schema, {"t": None}) == []  # unknown shape: anything goes
    assert validate(schema, {"t": [{"x": 1}]}) == []


def test_allof_merges_properties_and_required() -> None:
    doc = _doc(
        {
            "allOf": [
                {"$ref": "#/components/schemas/Base"},
                {"properties": {"extra": {"type": "boolean"}}, "required": ["extra"]},
            ],
            "x-fal-order-properties": ["extra"],
        },
        {
            "Base": {
                "type": "object",
                "properties": {"prompt": {"type": "string"}},
                "required": ["prompt"],
            }
        },
    )
    schema = parse_openapi(doc)
    assert [(f.name, f.kind, f.required) for f in schema.input] == [
        ("extra", "boolean", True),
        ("prompt", "text", True),
    ]


def test_exclusive_bounds_openapi_30_and_31_styles() -> None:
    doc = _doc(
        {
            "type": "object",
            "properties": {
                "a": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                "b": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            },
        }
    )
    schema = parse_openapi(doc)
    assert (field(schema, "a").exclusive_minimum, field(schema, "a").minimum) == (0, None)
    errors = validate(schema, {"a": 0, "b": 1})
    assert [e.message for e in errors] == ["must be > 0, got 0", "must be < 1, got 1"]
    assert validate(schema, {"a": 0.1, "b": 0.5}) == []
    assert type_label(field(schema, "b")) == "number [>0..<1]"


# -- coerce -----------------------------------------------------------------------------


def _f(kind: str, **kw: Any) -> Field:
    return Field(name=kw.pop("name", "x"), path=("x",), kind=kind, **kw)


@pytest.mark.parametrize(
    ("f", "text", "expected"),
    [
        (_f("string"), "5", "5"),
        (_f("text"), " hi there ", " hi there "),
        (_f("integer"), "42", 42),
        (_f("integer"), "-3", -3),
        (_f("integer"), "5.0", 5),
        (_f("number"), "2.5", 2.5),
        (_f("number"), "7", 7),
        (_f("number"), "1e-3", 0.001),
        (_f("boolean"), "true", True),
        (_f("boolean"), "YES", True),
        (_f("boolean"), "on", True),
        (_f("boolean"), "1", True),
        (_f("boolean"), "false", False),
        (_f("boolean"), "no", False),
        (_f("boolean"), "off", False),
        (_f("boolean"), "0", False),
        (_f("enum", enum=["5", "10"], value_type="string"), "10", "10"),
        (_f("enum", enum=[512, 1024], value_type="integer"), "512", 512),
        (_f("enum", enum=[0.5, 1.5], value_type="number"), "1.5", 1.5),
        (_f("enum", enum=["PBR", "Shaded"], value_type="string"), "pbr", "PBR"),
        (_f("const", const="3", enum=["3"]), "3", "3"),
        (_f("file"), "./cat.png", "./cat.png"),
        (_f("file_list"), "a.png, b.png,", ["a.png", "b.png"]),
        (_f("file_list"), '["a,b.png"]', ["a,b.png"]),
        (_f("array", item=_f("integer")), "1,2,3", [1, 2, 3]),
        (_f("array", item=_f("string")), '["x", "y"]', ["x", "y"]),
        (_f("object"), '{"a": [1]}', {"a": [1]}),
        (_f("json"), "null", None),
        (_f("json"), "plain words", "plain words"),
        (_f("integer", nullable=True), "null", None),
        (_f("image_size", enum=["square"]), "square", "square"),
        (_f("image_size", enum=["square"]), "1024x768", {"width": 1024, "height": 768}),
        (_f("image_size", enum=["square"]), "640X480", {"width": 640, "height": 480}),
    ],
)
def test_coerce_table(f: Field, text: str, expected: Any) -> None:
    value = coerce(f, text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("f", "text", "message"),
    [
        (_f("integer"), "abc", "expected an integer; got 'abc'"),
        (_f("integer"), "2.5", "expected an integer"),
        (_f("number"), "nan", "expected a number"),
        (_f("number"), "3,5", "expected a number; got '3,5' (write decimals with a point"),
        (_f("integer"), "1_000", "expected an integer; got '1_000'"),
        (_f("boolean"), "maybe", "expected a boolean (true/false, yes/no, 1/0, on/off)"),
        (_f("enum", enum=["jpeg", "png"]), "gif", 'expected one of "jpeg", "png"; got \'gif\''),
        (_f("enum", enum=[4, 8, 12]), "5", "expected one of 4, 8, 12"),
        (_f("object"), "[1]", "expected a JSON object"),
        (_f("object"), "{bad", "not valid JSON"),
        (_f("array", item=_f("object")), "a,b", "expected a JSON array"),
        (_f("image_size", enum=["square"]), "huge", 'a preset ("square"), WxH'),
        (_f("string"), "null", None),  # not nullable: "null" is just text
    ],
)
def test_coerce_errors_are_clear(f: Field, text: str, message: str | None) -> None:
    if message is None:
        assert coerce(f, text) == text
        return
    with pytest.raises(ValueError) as info:
        coerce(f, text)
    assert message in str(info.value)


def test_coerce_accepts_non_text_input() -> None:
    assert coerce(_f("integer"), 7) == 7  # type: ignore[arg-type]
    assert coerce(_f("enum", enum=[512, 1024]), 1024) == 1024  # type: ignore[arg-type]
    assert coerce(_f("string"), b"caf\xc3\xa9") == "café"  # type: ignore[arg-type]


def test_long_enum_lists_are_elided(whisper: EndpointSchema) -> None:
    with pytest.raises(ValueError) as info:
        coerce(field(whisper, "language"), "klingon")
    assert "more)" in str(info.value)
    assert len(str(info.value)) < 300


# -- parse_params -----------------------------------------------------------------------


def test_parse_params_types_by_schema(flux: EndpointSchema) -> None:
    out = parse_params(
        flux,
        [
            "prompt=a cat = cute",
            "num_images=2",
            "guidance_scale=4",
            "sync_mode=yes",
            "image_size=512x512",
            "seed:=7",
            "output_format=png",
        ],
    )
    assert out == {
        "prompt": "a cat = cute",
        "num_images": 2,
        "guidance_scale": 4,
        "sync_mode": True,
        "image_size": {"width": 512, "height": 512},
        "seed": 7,
        "output_format": "png",
    }


def test_parse_params_nested_and_json() -> None:
    qwen = load("fal-ai__qwen-image")
    out = parse_params(
        qwen,
        [
            "prompt=x",
            "loras.0.path=https://a/lora.safetensors",
            "loras.0.scale=0.8",
            "loras[1].path=b",
            'loras.2:={"path": "c", "scale": 1}',
            "image_size.width=640",
            "image_size.height=480",
        ],
    )
    assert out["loras"] == [
        {"path": "https://a/lora.safetensors", "scale": 0.8},
        {"path": "b"},
        {"path": "c", "scale": 1},
    ]
    assert out["image_size"] == {"width": 640, "height": 480}
    assert validate(qwen, out) == []


def test_parse_params_collects_every_error_with_suggestions(flux: EndpointSchema) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_params(
            flux,
            [
                "promt=cat",
                "num_images=many",
                "seed:={bad json",
                "nonsense",
                "image_size.depth=3",
                "prompt.x=1",
                "=v",
            ],
        )
    errors = info.value.errors
    assert [e.dotted for e in errors] == [
        "promt",
        "num_images",
        "seed",
        "nonsense",
        "image_size.depth",
        "prompt",
        "=v",
    ]
    assert "did you mean prompt" in errors[0].message
    assert errors[0].kind == "unknown"
    assert "expected an integer" in errors[1].message
    assert "not valid JSON" in errors[2].message
    assert "width" in errors[4].message  # lists the size object's keys
    assert "no sub-keys" in errors[5].message


def test_parse_params_list_repeat_and_index_gaps() -> None:
    edit = load("fal-ai__nano-banana__edit")
    out = parse_params(edit, ["prompt=p", "image_urls=a.png", "image_urls=b.png,c.png"])
    assert out["image_urls"] == ["a.png", "b.png", "c.png"]
    qwen = load("fal-ai__qwen-image")
    with pytest.raises(ValidationFailed) as info:
        parse_params(qwen, ["loras.2.path=x"])
    assert "next index is 0" in info.value.errors[0].message
    with pytest.raises(ValidationFailed) as info:
        parse_params(qwen, ["loras.0.pth=x"])
    assert info.value.errors[0].path == ("loras", 0, "pth")
    assert "did you mean path" in info.value.errors[0].message


def test_parse_params_string_enum_stays_string(kling3: EndpointSchema) -> None:
    out = parse_params(
        kling3, ["duration=10", "multi_prompt.0.prompt=a", "multi_prompt.0.duration=3"]
    )
    assert out == {"duration": "10", "multi_prompt": [{"prompt": "a", "duration": "3"}]}
    assert validate(kling3, out) == []


def test_free_form_objects_accept_any_key() -> None:
    schema = parse_openapi(
        _doc({"type": "object", "properties": {"meta": {"type": "object"}, "cfg": {}}})
    )
    out = parse_params(schema, ["meta.a.b=1", "meta.c=hi", "cfg.x:=[1]"])
    assert out == {"meta": {"a": {"b": 1}, "c": "hi"}, "cfg": {"x": [1]}}


# -- validate ---------------------------------------------------------------------------


def test_validate_reports_every_error_with_paths() -> None:
    kling1 = load("fal-ai__kling-video__v1__standard__image-to-video")
    payload = {
        "image_url": 5,
        "duration": 10,
        "cfg_scale": 7,
        "dynamic_masks": [
            {"mask_url": "m.png", "trajectories": [{"x": 1, "y": 2}, {"x": "a"}]},
            {"trajectories": "no"},
        ],
    }
    errors = validate(kling1, payload)
    got = [(e.dotted, e.kind) for e in errors]
    assert ("prompt", "missing") in got
    assert ("image_url", "type") in got
    assert ("duration", "enum") in got
    assert ("cfg_scale", "range") in got
    assert ("dynamic_masks[0].trajectories[1].x", "type") in got
    assert ("dynamic_masks[0].trajectories[1].y", "missing") in got
    assert ("dynamic_masks[1].mask_url", "missing") in got
    assert ("dynamic_masks[1].trajectories", "type") in got
    assert all(isinstance(e, FieldError) for e in errors)
    assert errors[0].path == ("prompt",) or ("prompt", "missing") in got


def test_validate_lengths_items_and_nulls() -> None:
    banana = load("fal-ai__nano-banana")
    prompt = field(banana, "prompt")
    assert prompt.min_length is not None and prompt.max_length is not None
    errors = validate(banana, {"prompt": "x" * (prompt.max_length + 1), "num_images": None})
    assert [(e.dotted, e.kind) for e in errors] == [("prompt", "length"), ("num_images", "type")]
    assert "too long" in errors[0].message
    edit = load("fal-ai__nano-banana__edit")
    assert validate(edit, {"prompt": "a cat", "image_urls": []}) == []
    errors = validate(edit, {"prompt": "a cat", "image_urls": ["a", 3, None]})
    assert [(e.dotted, e.kind) for e in errors] == [
        ("image_urls[1]", "type"),
        ("image_urls[2]", "type"),
    ]


def test_validate_non_object_payload_and_unknown_keys(flux: EndpointSchema) -> None:
    assert [e.kind for e in validate(flux, ["x"])] == ["type"]
    assert validate(flux, {"prompt": "x", "promt": "y"}) == []
    errors = validate(flux, {"prompt": "x", "promt": "y"}, unknown=True)
    assert [(e.dotted, e.kind) for e in errors] == [("promt", "unknown")]


def test_validate_bool_is_not_an_integer(flux: EndpointSchema) -> None:
    errors = validate(flux, {"prompt": "x", "num_images": True, "guidance_scale": "3"})
    assert [(e.dotted, e.kind) for e in errors] == [
        ("guidance_scale", "type"),
        ("num_images", "type"),
    ]


def test_validate_image_size(flux: EndpointSchema) -> None:
    errors = validate(flux, {"prompt": "x", "image_size": "huge"})
    assert [(e.dotted, e.kind) for e in errors] == [("image_size", "enum")]
    errors = validate(flux, {"prompt": "x", "image_size": {"width": 0, "height": 20000}})
    assert [(e.dotted, e.kind) for e in errors] == [
        ("image_size.width", "range"),
        ("image_size.height", "range"),
    ]
    assert validate(flux, {"prompt": "x", "image_size": {"width": 64, "height": 64}}) == []


def test_defaults_are_copies() -> None:
    minimax = load("fal-ai__minimax__speech-02-hd")
    first = defaults(minimax)
    first["voice_setting"]["speed"] = 99
    assert defaults(minimax)["voice_setting"]["speed"] == 1


# -- field rows -------------------------------------------------------------------------


def test_field_rows_labels(flux: EndpointSchema, kling3: EndpointSchema) -> None:
    rows = {r.path_dotted: r for r in field_rows(flux.input)}
    assert isinstance(rows["prompt"], FieldRow)
    assert rows["prompt"].required and rows["prompt"].type_label == "text"
    assert rows["num_images"].type_label == "integer [1..4]"
    assert rows["num_images"].default_text == "1"
    assert rows["seed"].type_label == "integer or null"
    assert rows["sync_mode"].type_label == "boolean"
    assert rows["sync_mode"].default_text == "false"
    assert rows["output_format"].type_label == "string enum [jpeg|png]"
    assert rows["image_size"].type_label.startswith("image size [square_hd|square|")
    assert "\n" not in rows["seed"].description
    krows = {r.path_dotted: r for r in field_rows(kling3.input)}
    assert krows["duration"].type_label == "string enum [3|4|5|6|7|8|9|10|…+5]"
    assert krows["duration"].default_text == "5"
    assert krows["multi_prompt[].prompt"].depth == 1
    assert krows["negative_prompt"].type_label == "text (≤2500 chars)"
    whisper_rows = {r.path_dotted: r for r in field_rows(load("fal-ai__whisper").input)}
    assert whisper_rows["version"].type_label == 'const "3"'
    assert whisper_rows["prompt"].default_text == '""'
