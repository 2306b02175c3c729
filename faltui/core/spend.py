"""What jobs cost: per-job billed cost and estimate, totals, summaries by model or day.

**Billed cost** = ``x-fal-billable-units`` of the job's result × the endpoint's unit price
(fal-protocol §4.9, §9.2). It is only a number when both are known and the price's unit is
concrete (``faltui.core.pricing.is_vague_unit``); otherwise the job's cost is one of the
``CostKind`` words, never a made-up figure:

* ``price_varies`` — the endpoint is priced in a vague unit (credits, compute seconds…);
* ``unknown`` — the job finished but fal said nothing about its units (header absent: unknown,
  not zero), e.g. a job imported from the request history or run by an older faltui;
* ``no_price`` — the units are known but not the unit price (fal could not be asked);
* ``pending`` — not finished yet (its estimate stands in for it in the budget);
* ``not_sent`` — fal never took the request (refused or failed before submit): nothing spent;
* ``not_billed`` — the job failed, was cancelled or lost, and fal said no units: fal bills
  successful outputs only.

**Estimate** = the units the input asks for (``num_images``, ``duration``… —
``pricing.units_for``) × the unit price.

**Committed** spend (what the budget compares against) = billed costs + the estimates of the
jobs that were accepted and have no billed cost yet (still running, or done without a units
header). Failed, cancelled and lost jobs add nothing: fal bills successful outputs only.

``SpendTracker`` keeps a session's running figures for a UI (status line: today and session);
``summarize`` and ``total`` work over any list of jobs (``faltui spend``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from faltui.core.budget import Budget, BudgetCheck, check_budget, money
from faltui.core.job import Job, JobState
from faltui.core.pricing import PRICE_VARIES, Price, billed_cost, is_vague_unit, units_for

if TYPE_CHECKING:
    from faltui.core.prices import PriceBook
    from faltui.core.schema import EndpointSchema

#: Job states whose outcome fal does not bill (successful outputs only).
UNBILLED_STATES = frozenset({JobState.failed, JobState.cancelled, JobState.lost})


class CostKind(StrEnum):
    """What is known about a job's cost (see the module docstring)."""

    billed = "billed"
    price_varies = "price_varies"
    unknown = "unknown"
    no_price = "no_price"
    pending = "pending"
    not_sent = "not_sent"
    not_billed = "not_billed"


@dataclass(frozen=True)
class JobCost:
    """One job's billed cost (when known) and estimate."""

    kind: CostKind
    #: Units × unit price, when ``kind`` is ``billed``.
    billed: float | None = None
    #: What the input asked for × unit price (None: cannot be estimated).
    estimate: float | None = None
    units: float | None = None
    price: Price | None = None

    @property
    def currency(self) -> str:
        """The price's currency (USD when no price is known)."""
        return self.price.currency if self.price is not None else "USD"

    @property
    def committed(self) -> float:
        """What the job counts for in a budget: billed, else its estimate while unbilled."""
        if self.billed is not None:
            return self.billed
        if self.kind in (CostKind.pending, CostKind.unknown) and self.estimate is not None:
            return self.estimate
        return 0.0

    def text(self) -> str:
        """For a job row or a detail screen: ``0.05 USD``, ``price varies``, ``≈0.05 USD``…"""
        if self.kind is CostKind.billed and self.billed is not None:
            return money(self.billed, self.currency)
        if self.kind is CostKind.price_varies:
            return PRICE_VARIES
        if self.kind is CostKind.not_sent:
            return "not sent"
        if self.kind is CostKind.not_billed:
            return "not billed"
        if self.kind is CostKind.no_price:
            return f"{self.units:g} units (no price)" if self.units is not None else "no price"
        if self.estimate is not None:
            return f"≈{money(self.estimate, self.currency)}"
        return "pending" if self.kind is CostKind.pending else "unknown"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``faltui spend --json``, exports, the sidecar)."""
        price = self.price
        return {
            "kind": self.kind.value,
            "billed": None if self.billed is None else round(self.billed, 6),
            "estimate": None if self.estimate is None else round(self.estimate, 6),
            "billable_units": self.units,
            "unit": price.unit if price else None,
            "unit_price": price.unit_price if price else None,
            "currency": self.currency,
        }


def estimate_job(price: Price | None, payload: Mapping[str, Any]) -> float | None:
    """The estimated cost of one job with ``payload`` (None: cannot be estimated)."""
    if price is None:
        return None
    units = units_for(price, dict(payload))
    return None if units is None else units * price.unit_price


def job_cost(job: Job, price: Price | None) -> JobCost:
    """What ``job`` cost (or will), at ``price`` (its endpoint's unit price, if known)."""
    estimate = estimate_job(price, job.input)
    units = job.billable_units
    if job.request_id is None and job.state is not JobState.unknown:
        if job.final:
            return JobCost(CostKind.not_sent, None, estimate, units, price)
        return JobCost(CostKind.pending, None, estimate, units, price)
    if price is not None and is_vague_unit(price.unit):
        return JobCost(CostKind.price_varies, None, None, units, price)
    if not job.final or job.state is JobState.unknown:
        return JobCost(CostKind.pending, None, estimate, units, price)
    if units is None:
        if job.state in UNBILLED_STATES:
            return JobCost(CostKind.not_billed, None, None, None, price)
        return JobCost(CostKind.unknown, None, estimate, None, price)
    if price is None:
        return JobCost(CostKind.no_price, None, None, units, None)
    return JobCost(CostKind.billed, billed_cost(price, units), estimate, units, price)


@dataclass(frozen=True)
class CostEstimate:
    """The estimate of a submit of ``count`` jobs (the budget check's input)."""

    endpoint_id: str
    count: int
    #: One job's estimate (None: cannot be estimated, ``reason`` says why).
    per_job: float | None
    price: Price | None
    reason: str = ""

    @property
    def total(self) -> float | None:
        """All ``count`` jobs (None when one cannot be estimated)."""
        return None if self.per_job is None else self.per_job * self.count

    @property
    def currency(self) -> str:
        """The price's currency (USD when no price is known)."""
        return self.price.currency if self.price is not None else "USD"

    def text(self) -> str:
        """``≈0.1 USD for 4 jobs (0.025 USD per image)`` or why there is no figure."""
        jobs = f"{self.count} job{'s' if self.count != 1 else ''}"
        if self.total is None:
            return f"{self.reason} ({jobs})"
        unit = f" ({self.price.describe()})" if self.price is not None else ""
        return f"≈{money(self.total, self.currency)} for {jobs}{unit}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "endpoint_id": self.endpoint_id,
            "count": self.count,
            "per_job": None if self.per_job is None else round(self.per_job, 6),
            "total": None if self.total is None else round(self.total, 6),
            "currency": self.currency,
            "reason": self.reason,
        }


def estimate_submit(
    endpoint_id: str,
    price: Price | None,
    payload: Mapping[str, Any],
    count: int = 1,
    schema: EndpointSchema | None = None,
) -> CostEstimate:
    """What submitting ``payload`` ``count`` times would cost.

    With ``schema``, fields the payload leaves out count at their defaults (a video model's
    default ``duration``), as fal will run them.
    """
    if price is None:
        return CostEstimate(endpoint_id, count, None, None, "no unit price is known")
    if is_vague_unit(price.unit):
        return CostEstimate(endpoint_id, count, None, price, f"{PRICE_VARIES}: {price.describe()}")
    filled = dict(payload)
    if schema is not None:
        for f in schema.input:
            if f.has_default and f.name not in filled and f.default is not None:
                filled[f.name] = f.default
    per_job = estimate_job(price, filled)
    if per_job is None:
        return CostEstimate(
            endpoint_id, count, None, price, f"the cost depends on the output ({price.describe()})"
        )
    return CostEstimate(endpoint_id, count, per_job, price)


@dataclass(frozen=True)
class SpendTotal:
    """Costs of a set of jobs."""

    jobs: int = 0
    #: Sum of the billed costs known.
    billed: float = 0.0
    billed_jobs: int = 0
    #: Sum of the estimates of jobs accepted but not billed yet (running, or no units header).
    estimated: float = 0.0
    estimated_jobs: int = 0
    #: Jobs priced in a vague unit.
    varies_jobs: int = 0
    #: Jobs accepted whose cost is neither billed nor estimable.
    unknown_jobs: int = 0
    currency: str = "USD"

    @property
    def committed(self) -> float:
        """Billed plus estimated: what a budget counts."""
        return self.billed + self.estimated

    def plus(self, cost: JobCost) -> SpendTotal:
        """This total with one more job."""
        billed, billed_jobs = self.billed, self.billed_jobs
        estimated, estimated_jobs = self.estimated, self.estimated_jobs
        varies, unknown = self.varies_jobs, self.unknown_jobs
        kind = cost.kind
        if cost.billed is not None:
            billed += cost.billed
            billed_jobs += 1
        elif kind is CostKind.price_varies:
            varies += 1
        elif kind in (CostKind.pending, CostKind.unknown) and cost.estimate is not None:
            estimated += cost.estimate
            estimated_jobs += 1
        elif kind not in (CostKind.not_sent, CostKind.not_billed):
            unknown += 1
        return SpendTotal(
            self.jobs + 1,
            billed,
            billed_jobs,
            estimated,
            estimated_jobs,
            varies,
            unknown,
            self.currency,
        )

    def text(self) -> str:
        """``0.125 USD`` plus what it leaves out: ``+≈0.05 USD estimated, 1 price varies``."""
        out = money(self.billed, self.currency)
        extra = []
        if self.estimated_jobs:
            extra.append(f"+≈{money(self.estimated, self.currency)} estimated")
        if self.varies_jobs:
            extra.append(f"{self.varies_jobs} {PRICE_VARIES}")
        if self.unknown_jobs:
            extra.append(f"{self.unknown_jobs} unknown")
        return f"{out} ({', '.join(extra)})" if extra else out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "jobs": self.jobs,
            "billed": round(self.billed, 6),
            "billed_jobs": self.billed_jobs,
            "estimated": round(self.estimated, 6),
            "estimated_jobs": self.estimated_jobs,
            "price_varies_jobs": self.varies_jobs,
            "unknown_jobs": self.unknown_jobs,
            "currency": self.currency,
        }


def day_of(job: Job) -> str:
    """The local calendar day a job's spend belongs to (its end, else its creation)."""
    moment = job.finished_at if job.finished_at is not None else job.created_at
    return datetime.fromtimestamp(moment).strftime("%Y-%m-%d")


def start_of_day(now: float) -> float:
    """Epoch seconds of the local midnight that began the day holding ``now``."""
    moment = datetime.fromtimestamp(now)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def total(jobs: Iterable[Job], prices: Mapping[str, Price]) -> SpendTotal:
    """The costs of ``jobs`` added up (``prices`` by endpoint id)."""
    out = SpendTotal()
    for job in jobs:
        out = out.plus(job_cost(job, prices.get(job.endpoint_id)))
    return out


@dataclass(frozen=True)
class SpendRow:
    """One line of a summary: an endpoint id or a day, and its total."""

    key: str
    total: SpendTotal

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"key": self.key, **self.total.to_dict()}


def summarize(
    jobs: Iterable[Job],
    prices: Mapping[str, Price],
    by: str = "model",
    *,
    since: float | None = None,
) -> list[SpendRow]:
    """Totals per endpoint id (``by="model"``, most spent first) or per day (``"day"``,
    oldest first) of the jobs created at or after ``since``."""
    if by not in ("model", "day"):
        raise ValueError(f"cannot summarize by {by!r}: use 'model' or 'day'")
    groups: dict[str, SpendTotal] = {}
    for job in jobs:
        if since is not None and job.created_at < since and (job.finished_at or 0) < since:
            continue
        key = job.endpoint_id if by == "model" else day_of(job)
        groups[key] = groups.get(key, SpendTotal()).plus(job_cost(job, prices.get(job.endpoint_id)))
    rows = [SpendRow(key, value) for key, value in groups.items()]
    if by == "model":
        rows.sort(key=lambda row: (-row.total.committed, row.key))
    else:
        rows.sort(key=lambda row: row.key)
    return rows


class SpendTracker:
    """A session's running spend, for a UI: today's and the session's totals, job costs,
    and the budget check.

    Feed it every job the session sees (``observe``: on every job event) and the journal's
    recent jobs at start (``load``); it keeps references, so a job's later changes count.
    Figures are computed on demand over today's jobs only (cheap: a day holds hundreds).
    """

    def __init__(
        self,
        prices: PriceBook,
        budget: Budget | None = None,
        *,
        clock: Callable[[], float] = time.time,
        session_start: float | None = None,
    ) -> None:
        self.prices = prices
        self.budget = budget or Budget()
        self.clock = clock
        self.session_start = clock() if session_start is None else session_start
        self._jobs: dict[str, Job] = {}

    def observe(self, job: Job) -> None:
        """Count ``job`` (new or changed)."""
        self._jobs[job.id] = job

    def load(self, jobs: Iterable[Job]) -> None:
        """Count the journal's jobs (only recent ones matter; older ones are ignored)."""
        since = start_of_day(self.clock()) - 86_400
        for job in jobs:
            if max(job.created_at, job.finished_at or 0.0) >= since:
                self._jobs.setdefault(job.id, job)

    @property
    def endpoint_ids(self) -> set[str]:
        """Endpoints of the jobs counted (to fetch their prices)."""
        return {job.endpoint_id for job in self._jobs.values()}

    async def fetch_prices(self) -> None:
        """Ask fal for the prices of the endpoints counted (see ``PriceBook.fetch``)."""
        await self.prices.fetch(self.endpoint_ids)

    def cost_of(self, job: Job) -> JobCost:
        """One job's cost at the price known now."""
        return job_cost(job, self.prices.get(job.endpoint_id))

    def today(self) -> SpendTotal:
        """Today's spend (local calendar day)."""
        day = datetime.fromtimestamp(self.clock()).strftime("%Y-%m-%d")
        return self._total(job for job in self._jobs.values() if day_of(job) == day)

    def session(self) -> SpendTotal:
        """This session's spend (jobs created since it started)."""
        start = self.session_start
        return self._total(job for job in self._jobs.values() if job.created_at >= start)

    def _total(self, jobs: Iterable[Job]) -> SpendTotal:
        out = SpendTotal()
        for job in jobs:
            out = out.plus(self.cost_of(job))
        return out

    def status_text(self) -> str:
        """``today 0.35 USD · session 0.1 USD`` (with the budget when one is set)."""
        today, session = self.today(), self.session()
        day = f"today {money(today.committed, today.currency)}"
        if self.budget.per_day is not None:
            day += f"/{money(self.budget.per_day, self.budget.currency)}"
        run = f"session {money(session.committed, session.currency)}"
        if self.budget.per_session is not None:
            run += f"/{money(self.budget.per_session, self.budget.currency)}"
        return f"{day} · {run}"

    def estimate(
        self,
        endpoint_id: str,
        payload: Mapping[str, Any],
        count: int = 1,
        schema: EndpointSchema | None = None,
    ) -> CostEstimate:
        """A submit's estimate at the price known now (``fetch`` the price first)."""
        return estimate_submit(endpoint_id, self.prices.get(endpoint_id), payload, count, schema)

    def budget_check(self, estimate: CostEstimate) -> BudgetCheck:
        """Whether a submit with ``estimate`` may go ahead (see ``check_budget``)."""
        return check_budget(self.budget, estimate, self.today(), self.session())
