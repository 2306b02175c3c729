"""Send a job's outputs to another model, in the TUI: pick a model that can take them, open
the form on it with the fields filled (and say which came from which output), and give the
next submit of that form the job as its parent."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from faltui.core.catalog import ModelInfo
from faltui.core.errors import FaltuiError
from faltui.core.job import Job, JobState
from faltui.core.schema import EndpointSchema
from faltui.core.send_to import (
    Sendable,
    fitting_models,
    form_values,
    plan_send,
    sendables,
    uses_outputs_of,
    with_local_copies,
)
from faltui.tui.screens.send_to import SendToScreen
from faltui.tui.widgets.form_labels import short_id

if TYPE_CHECKING:
    from faltui.tui.screens.main import MainScreen


@dataclass(frozen=True)
class PendingSend:
    """A form opened by a send: its model, the job it came from, the values placed."""

    endpoint_id: str
    parent: Job
    #: Local copies' paths put in place of URLs fal no longer serves.
    local: frozenset[str]


class SendFlow:
    """The send-to steps of one main screen."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.pending: PendingSend | None = None
        self._schemas: dict[str, EndpointSchema | None] = {}

    def start(self, job_id: str | None, first: str | None = None) -> None:
        """Send the outputs of ``job_id`` (``first``: the label or URL of the one selected,
        placed first) to a model the user picks."""
        screen = self.screen
        job = screen.job(job_id)
        if job is None:
            screen.notify("Highlight a job in the jobs pane first.", markup=False)
            return
        outputs = sendables(job, first)
        if not outputs:
            why = "it has not finished" if not job.final else f"it is {job.state.value}"
            if job.state is JobState.done:
                why = "its result holds no file or text"
            screen.notify(f"Nothing to send: {why}.", title="Send to model", markup=False)
            return
        screen.run_worker(
            self._pick(job, outputs), group="send", exclusive=True, exit_on_error=False
        )

    def _local_schema(self, endpoint_id: str) -> EndpointSchema | None:
        if endpoint_id not in self._schemas:
            self._schemas[endpoint_id] = self.screen.services.catalog.local_schema(endpoint_id)
        return self._schemas[endpoint_id]

    async def _pick(self, job: Job, outputs: list[Sendable]) -> None:
        screen = self.screen
        models = {m.endpoint_id: m for m in screen.known_models()}
        pairs = [(m.endpoint_id, m.category) for m in models.values()]
        screen.status_bar.set_busy("finding models that take these outputs…")
        try:
            fits = await asyncio.to_thread(
                fitting_models, pairs, outputs, self._local_schema, exclude=job.endpoint_id
            )
        finally:
            screen.status_bar.set_busy(None)
        # Among equals, the models the user favoured or used lately come first.
        state = screen.state
        used = {m: i for i, m in enumerate(dict.fromkeys([*state.favourites, *state.recents]))}
        fits.sort(key=lambda fit: (not fit.checked, -fit.score, used.get(fit.endpoint_id, 1e9)))
        if not fits:
            kinds = ", ".join(dict.fromkeys(o.kind for o in outputs))
            screen.notify(
                f"No known model takes {kinds} outputs.", title="Send to model", markup=False
            )
            return
        names = {fit.endpoint_id: models[fit.endpoint_id].display_name for fit in fits}
        source = f"{job.endpoint_id} (job {short_id(job.id)})"

        def chosen(endpoint_id: str | None) -> None:
            if endpoint_id:
                model = models.get(endpoint_id) or ModelInfo.from_api(
                    {"endpoint_id": endpoint_id, "metadata": {"display_name": endpoint_id}}
                )
                screen.run_worker(
                    self.open_form(job, outputs, model),
                    group="send",
                    exclusive=True,
                    exit_on_error=False,
                )

        screen.app.push_screen(SendToScreen(fits, names, outputs, source), chosen)

    async def open_form(self, job: Job, outputs: list[Sendable], model: ModelInfo) -> bool:
        """Fill ``model``'s form from ``outputs`` (local copies for files fal dropped) and
        open it; False (and a message) when nothing fits its inputs."""
        screen = self.screen
        endpoint_id = model.endpoint_id
        try:
            schema = await screen.services.catalog.get_schema(endpoint_id)
        except FaltuiError as exc:
            screen.notify(
                f"Could not read the inputs of {endpoint_id}: {exc}",
                title="Send to model",
                severity="error",
                markup=False,
            )
            return False
        library = screen.services.library
        usable = await with_local_copies(outputs, lambda url: library.usable_url(url, job))
        plan = plan_send(schema, usable)
        if not plan.ok:
            screen.notify(
                f"No input of {endpoint_id} takes these outputs.",
                title="Send to model",
                severity="error",
                markup=False,
            )
            return False
        local = frozenset(u.value for u, o in zip(usable, outputs, strict=True) if u != o)
        note = f"From job {short_id(job.id)} ({job.endpoint_id}): " + "; ".join(plan.lines())
        if local:
            note += " · fal no longer serves some files: their local copies are uploaded"
        screen.form.queue_values(endpoint_id, form_values(schema, plan), note)
        self.pending = PendingSend(endpoint_id, job, local)
        screen.choose_model(model)
        screen.notify(note, title="Send to model", markup=False)
        return True

    def parent_for(self, endpoint_id: str, payload: dict[str, object]) -> str | None:
        """The parent of a submit of ``endpoint_id`` with ``payload``: the job a send filled
        the form from, while the input still holds one of its outputs."""
        pending = self.pending
        if pending is None or pending.endpoint_id != endpoint_id:
            return None
        if uses_outputs_of(payload, pending.parent, pending.local):
            return pending.parent.id
        return None


__all__ = ["PendingSend", "SendFlow"]
