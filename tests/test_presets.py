"""Presets: TOML files per model, exact round trips, and a preset applied after the model's
schema changed (the emulator serves a changed OpenAPI document for the same endpoint)."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from beyond_support import FLUX, point_cli_at, run_cli

from faltui.core import bundled
from faltui.core.presets import PresetError, PresetNotFound, PresetStore, compare, fingerprint
from faltui.core.schema import parse_openapi
from faltui.emulator import Emulator


def flux_schema():
    return parse_openapi(bundled.bundled_openapi(FLUX), FLUX)


def changed_flux_doc() -> dict[str, Any]:
    """flux/dev's document with: num_inference_steps gone, guidance_scale now a string,
    output_format without "png", and a new required field "style"."""
    doc = copy.deepcopy(bundled.bundled_openapi(FLUX))
    schema = doc["components"]["schemas"]["FluxDevInput"]
    props = schema["properties"]
    del props["num_inference_steps"]
    props["guidance_scale"] = {"type": "string", "title": "Guidance Scale"}
    props["output_format"]["enum"] = ["jpeg"]
    props["style"] = {"type": "string", "title": "Style"}
    schema["required"] = [*schema.get("required", []), "style"]
    return doc


def test_presets_round_trip_exactly_in_one_toml_file_per_model(tmp_path: Path) -> None:
    store = PresetStore(tmp_path / "presets")
    odd = {
        "prompt": 'naïve café — 猫 \u202e\n"quoted"',
        "seed": None,  # TOML has no null: kept as JSON
        "big": 2**70,
        "loras": [{"path": "a", "scale": 0.5}],
        "image_size": {"width": 512, "height": 768},
    }
    plain = {"prompt": "a dog", "num_images": 2, "guidance_scale": 3.5}
    store.save(FLUX, "odd", odd, flux_schema())
    store.save(FLUX, "plain", plain, flux_schema())
    file = tmp_path / "presets" / "fal-ai" / "flux" / "dev.toml"
    data = tomllib.loads(file.read_text(encoding="utf-8"))
    assert data["endpoint_id"] == FLUX
    assert data["presets"]["plain"]["input"] == plain  # a readable table
    assert "input_json" in data["presets"]["odd"]
    assert store.get(FLUX, "odd").input == odd
    assert store.get(FLUX, "PLAIN").input == plain  # names match without case when unique
    assert [p.name for p in store.presets(FLUX)] == ["odd", "plain"]
    assert store.models() == [FLUX]
    store.save(FLUX, "plain", {"prompt": "replaced"})
    assert store.get(FLUX, "plain").input == {"prompt": "replaced"}
    assert store.get(FLUX, "plain").schema is None  # saved without a schema
    store.delete(FLUX, "odd")
    store.delete(FLUX, "plain")
    assert not file.exists() and store.presets() == []
    with pytest.raises(PresetNotFound, match="no preset 'odd' for fal-ai/flux/dev"):
        store.get(FLUX, "odd")
    for bad in ("", " ", "x" * 81, "tab\there"):
        with pytest.raises(PresetError):
            store.save(FLUX, bad, plain)


def test_fingerprint_comparison_names_every_change() -> None:
    before = flux_schema()
    payload = {
        "prompt": "p",
        "num_inference_steps": 20,
        "guidance_scale": 4.0,
        "output_format": "png",
    }
    saved = fingerprint(before, payload)
    assert compare(saved, before, payload) == []
    after = parse_openapi(changed_flux_doc(), FLUX)
    changes = {(c.kind, c.path): c.message for c in compare(saved, after, payload)}
    assert changes == {
        ("gone", "num_inference_steps"): "field 'num_inference_steps' is gone from the model's "
        "inputs",
        ("type", "guidance_scale"): "field 'guidance_scale' was number, is now string",
        ("enum", "output_format"): "field 'output_format' no longer offers \"png\"",
        ("required", "style"): "field 'style' is now required",
    }


def test_preset_applied_after_its_schema_changed(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    home = point_cli_at(emulator, tmp_path / "home", monkeypatch)
    code, out, err = run_cli(
        capsys,
        "preset", "save", "crisp", "-m", FLUX, "-p", "a lighthouse at dusk",
        "--param", "num_inference_steps=20",
        "--param", "guidance_scale=4.5",
        "--param", "output_format=png",
    )  # fmt: skip
    assert code == 0, err
    saved = json.loads(out)
    assert saved == {
        "prompt": "a lighthouse at dusk",
        "num_inference_steps": 20,
        "guidance_scale": 4.5,
        "output_format": "png",
    }
    assert (home / "config" / "presets" / "fal-ai" / "flux" / "dev.toml").is_file()

    # Unchanged schema: the preset runs, flags change it.
    code, out, err = run_cli(capsys, "run", "-m", FLUX, "--preset", "crisp", "--seed", "3", "-w")
    assert code == 0, err
    (job,) = [j for j in emulator.jobs.values()]
    assert job.input == {**saved, "seed": 3}
    assert "changed" not in err

    emulator.catalog.add(FLUX, changed_flux_doc())

    code, out, err = run_cli(capsys, "preset", "show", "crisp", "-m", FLUX)
    assert code == 0 and json.loads(out) == saved
    assert "the schema of fal-ai/flux/dev changed since:" in err
    for line in (
        "  field 'num_inference_steps' is gone from the model's inputs",
        "  field 'guidance_scale' was number, is now string",
        "  field 'output_format' no longer offers \"png\"",
        "  field 'style' is now required",
    ):
        assert line + "\n" in err

    submitted = len(emulator.jobs)
    code, out, err = run_cli(capsys, "run", "-m", FLUX, "--preset", "crisp", "-w")
    assert code == 2 and out == ""
    assert "  field 'num_inference_steps' is gone from the model's inputs" in err
    assert "preset 'crisp' fills 'num_inference_steps', which fal-ai/flux/dev no longer has" in err
    assert len(emulator.jobs) == submitted  # nothing was sent

    # Saved again for the new schema, it runs (the remaining problems are in the flags).
    code, _, err = run_cli(
        capsys, "preset", "save", "crisp", "-m", FLUX, "-p", "a lighthouse at dusk",
        "--param", "style=ink", "--param", "output_format=jpeg",
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run_cli(capsys, "run", "-m", FLUX, "--preset", "crisp", "-w")
    assert code == 0, err
    assert "changed" not in err


def test_preset_cli_errors_are_clear(emulator, tmp_path, monkeypatch, capsys) -> None:
    point_cli_at(emulator, tmp_path / "home", monkeypatch)
    code, _, err = run_cli(capsys, "run", "-m", FLUX, "--preset", "nope", "-w")
    assert code == 2 and "no preset 'nope' for fal-ai/flux/dev (presets: none)" in err
    code, _, err = run_cli(capsys, "preset", "save", "x", "-m", FLUX, "--param", "num_images=lots")
    assert code == 2 and "the input is not valid (nothing was saved):" in err
    assert "num_images" in err
    code, _, err = run_cli(capsys, "preset", "save", "x", "-m", FLUX)
    assert code == 2 and "nothing to save" in err
    code, _, err = run_cli(capsys, "preset", "delete", "x", "-m", FLUX)
    assert code == 2 and "no preset 'x'" in err
    code, out, err = run_cli(capsys, "preset", "list")
    assert code == 0 and out == "" and "no presets yet" in err


def test_preset_from_a_journaled_job(emulator, tmp_path, monkeypatch, capsys) -> None:
    point_cli_at(emulator, tmp_path / "home", monkeypatch)
    code, out, err = run_cli(capsys, "run", "-m", FLUX, "-p", "an owl", "--seed", "9", "-a")
    assert code == 0, err
    request_id = out.strip()
    code, out, err = run_cli(capsys, "preset", "save", "owl", "--from-job", request_id)
    assert code == 0, err
    assert json.loads(out) == {"prompt": "an owl", "seed": 9}
    code, out, _ = run_cli(capsys, "preset", "list", "--json")
    (listed,) = json.loads(out)
    assert listed["endpoint_id"] == FLUX and listed["name"] == "owl"
    assert listed["schema"]["fields"]["seed"]["kind"] == "integer"


def test_a_partial_preset_takes_the_rest_from_the_flags(emulator, tmp_path, monkeypatch, capsys):
    point_cli_at(emulator, tmp_path / "home", monkeypatch)
    code, _, err = run_cli(capsys, "preset", "save", "pair", "-m", FLUX, "--param", "num_images=2")
    assert code == 0, err  # no prompt: given at run time
    code, _, err = run_cli(capsys, "run", "-m", FLUX, "--preset", "pair", "-w")
    assert code == 2 and "prompt: required" in err and not emulator.jobs
    code, _out, err = run_cli(capsys, "run", "-m", FLUX, "--preset", "pair", "-p", "two owls", "-w")
    assert code == 0, err
    (job,) = emulator.jobs.values()
    seed = job.input.pop("seed", None)  # faltui picks a fresh seed when none is given
    assert job.input == {"num_images": 2, "prompt": "two owls"}
    assert seed is None or isinstance(seed, int)
