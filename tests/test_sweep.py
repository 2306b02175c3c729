"""Sweep parsing, mapping across models, planning through the gate, and the grid layout."""

from __future__ import annotations

import random

import pytest

from faltui.core.bundled import bundled_openapi
from faltui.core.input_map import map_input
from faltui.core.job import Job
from faltui.core.schema import EndpointSchema, parse_openapi
from faltui.core.sweep import SweepAxis, SweepInvalid, axes_from_items, plan_sweep
from faltui.core.sweep_grid import build_grid, sweep_jobs
from faltui.core.sweep_tag import SweepTag
from faltui.core.sweep_values import SweepValueError, value_texts

DEV, SCHNELL, BANANA = "fal-ai/flux/dev", "fal-ai/flux/schnell", "fal-ai/nano-banana"


def schema(endpoint_id: str) -> EndpointSchema:
    doc = bundled_openapi(endpoint_id)
    assert doc is not None
    return parse_openapi(doc, endpoint_id)


@pytest.fixture(scope="module")
def schemas() -> dict[str, EndpointSchema | None]:
    return {m: schema(m) for m in (DEV, SCHNELL, BANANA)}


# -- value specs ------------------------------------------------------------------------------


def test_ranges_count_in_decimal_both_ways() -> None:
    assert value_texts("1..8", None) == [str(i) for i in range(1, 9)]
    assert value_texts("3..1", None) == ["3", "2", "1"]
    assert value_texts("0.1..0.5 step 0.1", None) == ["0.1", "0.2", "0.3", "0.4", "0.5"]
    assert value_texts("2..6 step 2", None) == ["2", "4", "6"]


def test_lists_json_arrays_and_every_enum_value(schemas) -> None:
    dev = schemas[DEV]
    assert value_texts("2, 4,6", dev.input_field("guidance_scale")) == ["2", "4", "6"]
    assert value_texts("*", dev.input_field("output_format")) == ["jpeg", "png"]
    assert value_texts("*", dev.input_field("sync_mode")) == ["true", "false"]
    # a prompt is never split at commas; several prompts come as a JSON array
    prompt = dev.input_field("prompt")
    assert value_texts("a cat, sitting", prompt) == ["a cat, sitting"]
    assert value_texts('["a, b", "c"]', prompt, as_json=True) == ["a, b", "c"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "no values"),
        ("1..x", "end of the range"),
        ("1..5 step 0", "more than 0"),
        ("1..100000", "at most"),
        ("2,4,2", "listed twice"),
        ("[1,", "JSON"),
    ],
)
def test_bad_value_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(SweepValueError, match=message):
        value_texts(spec, None)


def test_star_on_a_number_field_is_refused(schemas) -> None:
    with pytest.raises(SweepValueError, match="enum or boolean"):
        value_texts("*", schemas[DEV].input_field("guidance_scale"))


def test_sweep_items_name_their_field(schemas) -> None:
    dev = schemas[DEV]
    axes = axes_from_items(["seed=1..3", "guidance_scale=2,4"], dev.input_field)
    assert axes == [SweepAxis("seed", ("1", "2", "3")), SweepAxis("guidance_scale", ("2", "4"))]
    with pytest.raises(SweepInvalid) as caught:
        axes_from_items(["seed", "guidance_scale=2,2"], dev.input_field)
    texts = [p.text() for p in caught.value.problems]
    assert any("expected FIELD=VALUES" in t for t in texts)
    assert any(t.startswith("guidance_scale:") and "twice" in t for t in texts)


# -- mapping one input onto another model -------------------------------------------------------


def test_mapping_carries_what_the_target_takes_and_reports_the_rest(schemas) -> None:
    base = {
        "prompt": "a cat",
        "num_inference_steps": 28,  # flux/dev's default: schnell's own default applies
        "guidance_scale": 5,
        "image_size": "square_hd",
        "output_format": "jpeg",  # flux/dev's default: nano-banana's own (png) applies
        "acceleration": "high",
    }
    mapped = map_input(base, schemas[DEV], schemas[SCHNELL], SCHNELL)
    assert mapped.payload["prompt"] == "a cat" and mapped.payload["guidance_scale"] == 5
    assert "num_inference_steps" not in mapped.payload
    assert [d.field for d in mapped.defaulted] == ["num_inference_steps"]
    banana = map_input(base, schemas[DEV], schemas[BANANA], BANANA)
    unmapped = {u.field: u.reason for u in banana.unmapped}
    assert set(unmapped) == {"num_inference_steps", "guidance_scale", "image_size", "acceleration"}
    assert unmapped["guidance_scale"] == "no such field"
    assert banana.payload == {"prompt": "a cat"}
    assert [(d.field, d.default) for d in banana.defaulted] == [("output_format", "png")]


def test_mapping_reports_a_value_outside_the_targets_enum(schemas) -> None:
    mapped = map_input({"output_format": "webp"}, schemas[BANANA], schemas[DEV], DEV)
    assert mapped.payload == {}
    assert mapped.unmapped[0].field == "output_format"
    assert "webp" in mapped.unmapped[0].reason


# -- planning ---------------------------------------------------------------------------------


def test_plan_is_the_cartesian_product_per_model_through_the_gate(schemas) -> None:
    axes = [SweepAxis("seed", ("1", "2", "3")), SweepAxis("guidance_scale", ("2", "4"))]
    plan = plan_sweep({"prompt": "a cat"}, axes, [DEV, SCHNELL], schemas)
    assert plan.count == 12
    assert plan.describe() == "seed 3 values × guidance_scale 2 values × 2 models = 12 jobs"
    first = plan.cells[0]
    assert first.endpoint_id == DEV and first.key == ("1", "2")
    assert first.prepared.payload == {"prompt": "a cat", "seed": 1, "guidance_scale": 2}
    assert [c.key for c in plan.cells_of(SCHNELL)][-1] == ("3", "4")
    assert plan.cells[1].label(plan.axes) == "sweep · seed 1 · guidance_scale 4"


def test_a_value_the_field_cannot_take_names_field_value_and_model(schemas) -> None:
    axes = [SweepAxis("num_inference_steps", ("10", "30"))]
    with pytest.raises(SweepInvalid) as caught:
        plan_sweep({"prompt": "x"}, axes, [DEV, SCHNELL], schemas)
    (problem,) = caught.value.problems
    assert problem.field == "num_inference_steps" and problem.endpoint_id == SCHNELL
    assert "30" in problem.message
    with pytest.raises(SweepInvalid) as caught:
        plan_sweep({"prompt": "x"}, [SweepAxis("guidance_scale", ("2", "lots"))], [DEV], schemas)
    assert "'lots'" in caught.value.problems[0].text()


def test_a_field_no_model_has_is_an_error_with_a_hint(schemas) -> None:
    with pytest.raises(SweepInvalid, match="guidance_scal") as caught:
        plan_sweep({"prompt": "x"}, [SweepAxis("guidance_scal", ("2",))], [DEV], schemas)
    assert "did you mean guidance_scale" in caught.value.problems[0].message


def test_a_model_without_the_field_runs_once_and_says_so(schemas) -> None:
    axes = [SweepAxis("guidance_scale", ("2", "4", "6"))]
    plan = plan_sweep({"prompt": "a cat"}, axes, [DEV, BANANA], schemas)
    assert [c.endpoint_id for c in plan.cells] == [DEV] * 3 + [BANANA]
    report = plan.report_of(BANANA)
    assert report is not None and report.skipped_axes == ("guidance_scale",)
    assert any("not swept: guidance_scale" in line for line in report.lines())


def test_an_unswept_random_seed_is_one_seed_for_every_job(schemas) -> None:
    plan = plan_sweep(
        {"prompt": "x"},
        [SweepAxis("guidance_scale", ("2", "4"))],
        [DEV],
        schemas,
        rng=random.Random(5),
    )
    seeds = {c.prepared.payload["seed"] for c in plan.cells}
    assert seeds == {plan.shared_seed} and plan.shared_seed is not None


def test_too_many_jobs_are_refused(schemas) -> None:
    axes = [
        SweepAxis("seed", tuple(str(i) for i in range(30))),
        SweepAxis("guidance_scale", tuple(str(i) for i in range(1, 20))),
    ]
    with pytest.raises(SweepInvalid, match="at most 500"):
        plan_sweep({"prompt": "x"}, axes, [DEV], schemas)


# -- the grid -----------------------------------------------------------------------------------


def _job(endpoint_id: str, index: int, key: tuple[str | None, ...], axes=("seed", "g")) -> Job:
    return Job(endpoint_id, {}, sweep=SweepTag("s1", index, 12, tuple(axes), key))


def test_grid_rows_are_the_first_field_columns_the_models_and_the_rest() -> None:
    jobs = [
        _job(model, i, (seed, g))
        for i, (model, seed, g) in enumerate(
            (m, s, g) for m in (DEV, SCHNELL) for s in ("1", "2", "3") for g in ("2", "4")
        )
    ]
    restored = [Job.from_dict(job.to_dict()) for job in reversed(jobs)]  # from the journal
    grid = build_grid(restored)
    assert grid is not None
    assert grid.rows.name == "seed" and grid.rows.values == ("1", "2", "3")
    assert grid.column_title() == "model · g"
    assert [grid.column_label(c) for c in grid.columns] == [
        "flux/dev · 2",
        "flux/dev · 4",
        "flux/schnell · 2",
        "flux/schnell · 4",
    ]
    cell = grid.job_at("2", ("flux/schnell", "4"))
    assert cell is not None and cell.id == jobs[9].id


def test_one_field_is_a_list_and_other_sweeps_are_kept_apart() -> None:
    jobs = [_job(DEV, i, (str(i),), axes=("seed",)) for i in range(3)]
    other = Job(DEV, {}, sweep=SweepTag("s2", 0, 1, ("seed",), ("9",)))
    assert set(sweep_jobs([*jobs, other, Job(DEV, {})])) == {"s1", "s2"}
    grid = build_grid(jobs)
    assert grid is not None and grid.column_dims == ()
    assert grid.columns == [()] and grid.rows.values == ("0", "1", "2")


def test_a_damaged_sweep_tag_is_dropped_not_fatal() -> None:
    data = Job(DEV, {}).to_dict()
    data["sweep"] = {"id": "x", "axes": ["seed"], "key": [], "index": 0, "count": 1}
    assert Job.from_dict(data).sweep is None


def test_the_base_is_mapped_from_the_forms_model_even_when_it_is_not_swept(schemas) -> None:
    base = {"prompt": "a cat", "num_inference_steps": 28}  # flux/dev's form, its default
    plan = plan_sweep(base, [SweepAxis("seed", ("1", "2"))], [SCHNELL], schemas, source=DEV)
    assert [c.prepared.payload for c in plan.cells] == [
        {"prompt": "a cat", "seed": 1},
        {"prompt": "a cat", "seed": 2},
    ]  # schnell's own default steps (its maximum is 12), not dev's 28
    with pytest.raises(SweepInvalid, match="must be ≤ 12"):
        plan_sweep(base, [SweepAxis("seed", ("1",))], [SCHNELL], schemas)  # base is schnell's
