"""Everything about one job: timings, request id, error, input and result JSON, every log line.

All server text is shown literally (sanitised by ``faltui.core.text``, never markup). While the
job is still active — or being reconciled — the screen refreshes itself once a second.
``escape`` closes it, ``c`` copies the request id, ``R`` reconciles a job of unknown outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from faltui.core.config import Settings
from faltui.core.job import Job, JobState
from faltui.core.lineage import Chain
from faltui.core.outputs import export_cli, export_curl, export_python
from faltui.core.spend import JobCost
from faltui.tui.clipboard import copy_text, describe
from faltui.tui.format import (
    format_duration,
    format_time,
    literal_block,
    one_line,
    pretty_json,
    state_label,
)

#: Seconds between refreshes while the job is still active.
REFRESH_INTERVAL = 1.0


def _since(later: float | None, earlier: float | None) -> str:
    if not later or not earlier:
        return ""
    return f"  (+{format_duration(max(0.0, later - earlier))})"


#: What a job of unknown outcome means, and what can be done about it.
UNKNOWN_NOTE = (
    "fal may have taken this request, but no answer said so. faltui did not send it again "
    "(that could run and bill it twice). Reconciling (R) looks for it in fal's request "
    "history: exactly one request with this endpoint and input attaches it; otherwise it "
    "stays unknown and says why."
)


def chain_line(job: Job, role: str) -> Text:
    """``parent  2f3a…  fal-ai/flux/dev  done`` (one job of a chain)."""
    text = Text(f"{role:>8}  ", style="dim")
    text.append(job.id, style="bold")
    text.append(f"  {one_line(job.endpoint_id)}  {state_label(job)}")
    return text


def chain_lines(chain: Chain) -> list[tuple[str | None, Text]]:
    """(job id to open, line) for each job of the chain: ancestors oldest first, the job,
    its children; a parent no longer in the journal has no id to open."""
    lines: list[tuple[str | None, Text]] = []
    if chain.missing is not None:
        lines.append((None, Text(f"  parent  {chain.missing}  (not in the journal)", style="dim")))
    count = len(chain.ancestors)
    for depth, job in enumerate(chain.ancestors):
        lines.append((job.id, chain_line(job, "parent" if depth == count - 1 else "ancestor")))
    lines.append((None, chain_line(chain.job, "this →")))
    lines += [(child.id, chain_line(child, "child")) for child in chain.children]
    return lines


def detail_text(job: Job, cost: JobCost | None = None, *, reconciling: bool = False) -> Text:
    """The whole detail view of a job as one literal ``Text`` (``cost``: its billed cost
    and estimate, when known)."""
    text = Text(end="")

    def heading(title: str) -> None:
        text.append(f"\n{title}\n", style="bold underline")

    def row(label: str, value: str) -> None:
        text.append(f"{label:>12}  ", style="dim")
        text.append(f"{value}\n")

    text.append(one_line(job.endpoint_id), style="bold")
    text.append(f"  {state_label(job, reconciling=reconciling)}\n")
    if job.label:
        row("label", one_line(job.label))
    if job.request_id:
        row("request id", one_line(job.request_id))
    elif job.state is JobState.unknown:
        row("request id", "— (none known: fal's answer never came)")
    else:
        row("request id", "— (not submitted)")
    row("job id", one_line(job.id))
    if job.origin == "history":
        row("origin", "imported from fal's request history")
    if cost is not None:
        row("cost", cost.text())
        if cost.estimate is not None and cost.billed is not None:
            row("estimate", f"≈{cost.estimate:.4g} {cost.currency}")
        if cost.units is not None:
            row("billed units", f"{cost.units:g}" + (f" {cost.price.unit}" if cost.price else ""))
    if job.state is JobState.unknown:
        heading("Outcome unknown")
        text.append(UNKNOWN_NOTE + "\n")

    heading("Timings (measured here)")
    row("created", format_time(job.created_at))
    row("submitted", format_time(job.submitted_at) + _since(job.submitted_at, job.created_at))
    row("started", format_time(job.started_at) + _since(job.started_at, job.submitted_at))
    row("finished", format_time(job.finished_at) + _since(job.finished_at, job.started_at))
    row("elapsed", format_duration(job.elapsed))
    if job.metrics:
        heading("fal's metrics (from the queue status)")
        for key, value in job.metrics.items():
            row(one_line(key), one_line(value))
    timings = job.result.get("timings") if isinstance(job.result, dict) else None
    if isinstance(timings, dict) and timings:
        heading("The model's own timings (from its result)")
        for key, value in timings.items():
            row(one_line(key), one_line(value))

    if job.error or job.field_errors:
        heading("Error")
        if job.error_type:
            row("type", one_line(job.error_type))
        if job.error:
            text.append(literal_block(job.error) + "\n", style="red")
        for error in job.field_errors:
            text.append(f"  {one_line(error.dotted)}: ", style="bold")
            text.append(one_line(error.message) + "\n")

    heading("Input")
    text.append(pretty_json(job.input) + "\n")
    heading("Result")
    text.append((pretty_json(job.result) if job.result is not None else "—") + "\n")

    heading(f"Logs ({len(job.logs)})")
    if not job.logs:
        text.append("—\n", style="dim")
    for line in job.logs:
        stamp = one_line(line.timestamp)
        level = one_line(line.level)
        if stamp:
            text.append(f"{stamp} ", style="dim")
        if level and level != "INFO":
            text.append(f"{level} ", style="bold")
        text.append(literal_block(line.message) + "\n")
    return text


class JobDetailScreen(ModalScreen[str | None]):
    """A scrollable report on one job; dismisses with ``"edit"`` to fork it into the form."""

    DEFAULT_CSS = """
    JobDetailScreen { align: center middle; }
    JobDetailScreen #detail-chain { height: auto; max-height: 9; border: none;
        border-top: solid $panel-lighten-2; border-bottom: solid $panel-lighten-2; }
    JobDetailScreen #detail-panel { width: 92%; height: 92%; border: round $primary;
        background: $surface; }
    JobDetailScreen #detail-scroll { height: 1fr; }
    JobDetailScreen #detail-text { padding: 0 1; }
    """

    BINDINGS: ClassVar = [
        Binding("escape", "close", "Close", id="detail.close"),
        Binding("c", "copy_request_id", "Copy request id", id="detail.copy"),
        Binding("e", "edit", "Edit in form", id="detail.edit"),
        Binding("R", "reconcile", "Reconcile (unknown outcome)", id="detail.reconcile"),
        Binding("t", "send_to", "Send to model", id="detail.send"),
        Binding("u", "copy_export('curl')", "Copy as curl", id="detail.curl"),
        Binding("p", "copy_export('python')", "Copy as Python", id="detail.python"),
        Binding("l", "copy_export('cli')", "Copy as faltui run", id="detail.cli"),
        Binding("j", "scroll_down", "Down", show=False, id="detail.down"),
        Binding("k", "scroll_up", "Up", show=False, id="detail.up"),
    ]

    def __init__(
        self,
        job: Job,
        settings: Settings,
        *,
        is_reconciling: Callable[[str], bool] | None = None,
        chain: Chain | None = None,
        cost: Callable[[Job], JobCost] | None = None,
    ) -> None:
        super().__init__()
        self.job = job
        self.settings = settings
        #: Whether fal's request history is being searched for a job now (by its local id).
        self.is_reconciling = is_reconciling or (lambda _job_id: False)
        self.chain = chain
        self.cost = cost

    def _text(self) -> Text:
        cost = self.cost(self.job) if self.cost is not None else None
        return detail_text(self.job, cost, reconciling=self.is_reconciling(self.job.id))

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-panel"):
            chain = self.chain
            if chain is not None and not chain.empty:
                yield OptionList(
                    *(
                        Option(line, id=f"open:{job_id}" if job_id else None, disabled=not job_id)
                        for job_id, line in chain_lines(chain)
                    ),
                    id="detail-chain",
                )
            with VerticalScroll(id="detail-scroll"):
                yield Static(self._text(), id="detail-text", markup=False)
            yield Footer()

    def on_mount(self) -> None:
        panel = self.query_one("#detail-panel")
        panel.border_title = Content(f"Job {one_line(self.job.request_id or self.job.id, 120)}")
        keys = (
            "escape close · c request id · e edit in form · t send to model · "
            "copy as u curl / p Python / l faltui"
        )
        if self.job.state is JobState.unknown:
            keys += " · R reconcile"
        panel.border_subtitle = Content(keys)
        chain = self.chain
        if chain is not None and not chain.empty:
            self.query_one("#detail-chain").border_title = "Chain · tab here, enter opens a job"
        self.query_one("#detail-scroll").focus()
        if not self.job.final or self.job.state is JobState.unknown:
            self.set_interval(REFRESH_INTERVAL, self.refresh_detail)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``R`` (reconcile) is offered only for a job of unknown outcome."""
        if action == "reconcile":
            return self.job.state is JobState.unknown
        return True

    def refresh_detail(self) -> None:
        """Re-render from the (live, shared) job object."""
        self.query_one("#detail-text", Static).update(self._text())

    def action_close(self) -> None:
        """Close the screen."""
        self.dismiss(None)

    def action_copy_request_id(self) -> None:
        """Copy the job's fal request id."""
        request_id = self.job.request_id
        if not request_id:
            self.notify("This job has no request id (fal never confirmed it).", markup=False)
            return
        how = copy_text(self.app, request_id)
        self.notify(f"Copied request id {one_line(request_id)} {describe(how)}.", markup=False)

    @on(OptionList.OptionSelected, "#detail-chain")
    def _open_chain_job(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.dismiss(event.option.id)

    def action_send_to(self) -> None:
        """Close and send this job's outputs to another model."""
        self.dismiss("send")

    def action_edit(self) -> None:
        """Close and load this job's model and input into the form (fork it)."""
        self.dismiss("edit")

    def action_reconcile(self) -> None:
        """Look for this job in fal's request history (jobs of unknown outcome only)."""
        if self.job.state is not JobState.unknown:
            self.notify(
                f"Only a job of unknown outcome is reconciled; this one is {self.job.state}.",
                markup=False,
            )
            return
        self.dismiss("reconcile")

    def action_copy_export(self, kind: str) -> None:
        """Copy a script or command that runs this job again as is (the key stays ``$FAL_KEY``)."""
        makers = {"curl": export_curl, "python": export_python, "cli": export_cli}
        text = makers[kind](self.job.endpoint_id, dict(self.job.input), self.settings)
        how = copy_text(self.app, text)
        what = {
            "curl": "a shell script (curl) that runs this job",
            "python": "a Python script that runs this job",
            "cli": "a faltui run command for this job",
        }[kind]
        self.notify(
            f"Copied {what} {describe(how)}. It reads your key from FAL_KEY, prints the "
            "result, and exits non-zero with fal's error when the job fails.",
            markup=False,
        )

    def action_scroll_down(self) -> None:
        """Scroll one line down."""
        self.query_one("#detail-scroll", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        """Scroll one line up."""
        self.query_one("#detail-scroll", VerticalScroll).scroll_up(animate=False)


__all__ = ["JobDetailScreen", "chain_lines", "detail_text"]
