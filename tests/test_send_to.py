"""Sending a job's outputs to another model: the fields chosen from the target's schema, a
list field for several outputs, the models that fit, the local copy once fal's URL is gone,
and the parent recorded in the journal (against the emulator)."""

from __future__ import annotations

import json

import httpx

from faltui.core.bundled import bundled_openapi
from faltui.core.job import Job, JobState
from faltui.core.journal import Journal
from faltui.core.lineage import chain_of
from faltui.core.schema import parse_openapi
from faltui.core.send_to import (
    Sendable,
    fitting_models,
    missing_files,
    plan_send,
    sendables,
    uses_outputs_of,
    with_local_copies,
)
from faltui.emulator import Emulator
from faltui.services import build_services

FLUX = "fal-ai/flux/dev"
KLING = "fal-ai/kling-video/v1/standard/image-to-video"
WAN_V2V = "fal-ai/wan/v2.2-a14b/video-to-video"
NANO_EDIT = "fal-ai/nano-banana/edit"


def schema(endpoint_id: str):
    doc = bundled_openapi(endpoint_id)
    assert doc is not None, endpoint_id
    return parse_openapi(doc, endpoint_id)


def images(n: int) -> list[Sendable]:
    return [Sendable("image", f"https://x.test/{i}.png", f"images[{i}]") for i in range(n)]


def test_an_image_goes_into_the_image_url_of_an_image_to_video_model() -> None:
    plan = plan_send(schema(KLING), images(1))
    assert plan.values == {"image_url": "https://x.test/0.png"}
    assert plan.summary() == "images[0] → image_url"
    assert not plan.unplaced


def test_several_images_go_into_a_list_field_and_nothing_is_dropped_silently() -> None:
    plan = plan_send(schema(NANO_EDIT), images(3))
    assert plan.values == {"image_urls": [f"https://x.test/{i}.png" for i in range(3)]}
    assert [p.text() for p in plan.placed][1] == "images[1] → image_urls[1]"
    single = plan_send(schema(KLING), images(2))
    assert single.values == {"image_url": "https://x.test/0.png"}
    assert [o.label for o in single.unplaced] == ["images[1]"]
    assert "1 output not placed (images[1])" in single.summary()


def test_a_video_model_takes_no_image_and_nothing_maps_onto_a_text_model() -> None:
    assert not plan_send(schema(WAN_V2V), images(1)).values.get("image_url")
    assert plan_send(schema(FLUX), images(1)).ok is False


def test_models_that_fit_come_best_first_and_by_category_when_no_schema_is_here() -> None:
    models = [
        (FLUX, "text-to-image"),
        (KLING, "image-to-video"),
        ("someone/unknown-i2v", "image-to-video"),
        ("someone/unknown-tts", "text-to-speech"),
        (NANO_EDIT, "image-to-image"),
    ]
    known = {m: schema(m) for m in (FLUX, KLING, NANO_EDIT)}
    fits = fitting_models(models, images(1), known.get, exclude=FLUX)
    ids = [fit.endpoint_id for fit in fits]
    assert set(ids) == {KLING, NANO_EDIT, "someone/unknown-i2v"}
    assert ids[-1] == "someone/unknown-i2v" and not fits[-1].checked
    assert "by category" in fits[-1].hint()
    assert fits[0].checked and "→ image" in fits[0].hint()


def test_a_model_that_needs_another_file_comes_after_one_the_outputs_complete() -> None:
    inpaint = "fal-ai/inpaint"  # needs a mask_url too
    models = [(inpaint, "image-to-image"), (KLING, "image-to-video")]
    known = {m: schema(m) for m in (inpaint, KLING)}
    fits = fitting_models(models, images(1), known.get)
    assert [fit.endpoint_id for fit in fits] == [KLING, inpaint]
    assert missing_files(known[inpaint], fits[1].plan) == ["mask_url"]


async def test_send_to_uses_the_url_then_the_local_copy_and_records_the_parent(
    emulator: Emulator, emu_settings
) -> None:
    services = build_services(emu_settings)  # demo settings: outputs saved to the library
    services.open("auto_download")
    try:
        parent = await services.jobs.submit(FLUX, {"prompt": "a heron", "num_images": 1})
        await services.jobs.wait_all()
        await services.auto_download.drain()
        assert parent.state is JobState.done
        url = parent.result["images"][0]["url"]
        outputs = sendables(parent)
        assert outputs[0].kind == "image" and outputs[0].value == url
        assert (outputs[0].kind, outputs[0].value) == ("image", url)

        def usable(u: str):
            return services.library.usable_url(u, parent)

        assert (await with_local_copies(outputs, usable))[0].value == url
        emulator.files.clear()  # fal dropped the file
        assert httpx.get(url).status_code == 404
        local = await with_local_copies(outputs, usable)
        saved = services.library.local_copy(url, parent)
        assert saved is not None and local[0].value == str(saved)

        plan = plan_send(await services.catalog.get_schema(KLING), local)
        payload = {"prompt": "the heron takes off", **plan.values}
        child = await services.jobs.submit(KLING, payload, parent_id=parent.id)
        await services.jobs.wait_all()
        assert child.state is JobState.done, child.error
        # The local copy was uploaded on submit: fal got a URL, not a path.
        sent = child.input["image_url"]
        assert sent.startswith("http") and sent != url
        assert uses_outputs_of(plan.values, parent, [str(saved)])
        rerun = await services.jobs.rerun(child.id)
        assert rerun.parent_id == parent.id
        await services.jobs.wait_all()
    finally:
        await services.aclose()
    stored = {job.id: job for job in Journal(emu_settings.paths.journal_file).load_all()}
    assert stored[child.id].parent_id == parent.id
    chain = chain_of(stored[parent.id], stored.get, stored.values())
    assert [j.id for j in chain.children] == [child.id, rerun.id]
    assert [j.id for j in chain_of(stored[child.id], stored.get, stored.values()).ancestors] == [
        parent.id
    ]


def test_a_missing_parent_stops_the_chain_and_says_so() -> None:
    orphan = Job(endpoint_id=KLING, input={}, parent_id="gone-id")
    chain = chain_of(orphan, lambda _id: None, [orphan])
    assert chain.missing == "gone-id" and not chain.ancestors and not chain.empty
    assert Job.from_dict(orphan.to_dict()).parent_id == "gone-id"


def test_cli_run_from_a_job_fills_the_image_and_records_the_parent(
    emulator: Emulator, tmp_path, monkeypatch, capsys
) -> None:
    from beyond_support import point_cli_at, run_cli

    home = point_cli_at(emulator, tmp_path / "home", monkeypatch)
    code, out, err = run_cli(capsys, "run", "-m", FLUX, "-p", "a swan", "-w")
    assert code == 0, err
    image = json.loads(out)["images"][0]["url"]
    journal = home / "data" / "journal.sqlite3"
    (parent,) = Journal(journal).load_all()
    code, out, err = run_cli(
        capsys, "run", "-m", KLING, "--from", parent.request_id, "-p", "it swims", "-w"
    )
    assert code == 0, err
    assert f"from {parent.id}: images[0] → image_url" in err
    (sent,) = [j for j in emulator.jobs.values() if j.endpoint_id == KLING]
    assert sent.input["image_url"] == image and sent.input["prompt"] == "it swims"
    jobs = {j.endpoint_id: j for j in Journal(journal).load_all()}
    assert jobs[KLING].parent_id == parent.id
    # Nothing maps: a text-to-video model takes no image. Exit 2, nothing sent.
    before = len(emulator.jobs)
    text_to_video = "fal-ai/kling-video/v2.1/master/text-to-video"
    code, _, err = run_cli(capsys, "run", "-m", text_to_video, "--from", parent.id, "-p", "x")
    assert code == 2 and f"no input of {text_to_video} takes the outputs of job" in err
    assert len(emulator.jobs) == before
    code, _, err = run_cli(capsys, "run", "-m", KLING, "--from", "nosuchjob", "-p", "x")
    assert code == 2 and "no job in the journal matches 'nosuchjob'" in err
