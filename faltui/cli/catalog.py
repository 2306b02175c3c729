"""Discovery commands: ``models``, ``schema``, ``pricing``."""

from __future__ import annotations

import argparse
import shutil
import textwrap
from typing import Any

from faltui.cli.support import (
    EXIT_OK,
    EXIT_USAGE,
    CliFailure,
    Console,
    cli_services,
    read_json_file,
)
from faltui.core.catalog import FEATURED, Catalog, ModelInfo, rank
from faltui.core.config import Settings
from faltui.core.endpoints import EndpointId
from faltui.core.pricing import get_prices
from faltui.core.schema import EndpointSchema, field_rows, parse_openapi
from faltui.core.text import clip, one_line


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 140))


def model_line(model: ModelInfo, width: int) -> str:
    """``endpoint id  display name  [category]`` padded into columns."""
    endpoint_id, name = one_line(model.endpoint_id, 200), one_line(model.display_name, 200)
    head = f"{endpoint_id:<48} {name:<32} [{one_line(model.category, 40)}]"
    return clip(head, width)


async def cmd_models(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Search the catalog (live when a key is set, otherwise the bundled snapshot)."""
    async with cli_services(settings, console) as services:
        if args.featured:
            by_id = {m.endpoint_id: m for m in services.catalog.local_models()}
            models = [by_id[i] for i in FEATURED if i in by_id]
            if args.category:
                models = [m for m in models if m.category == args.category]
        else:
            models = await _search(services.catalog, args, settings, console)
    models = models[: args.limit]
    if args.json:
        console.json([m.raw for m in models])
        return EXIT_OK
    if not models:
        console.note("no models match")
        return EXIT_OK
    width = _width()
    if args.featured:
        for category in dict.fromkeys(m.category for m in models):
            console.line(f"{category}:")
            for m in (x for x in models if x.category == category):
                console.line("  " + model_line(m, width - 2))
        return EXIT_OK
    for m in models:
        console.line(model_line(m, width))
    return EXIT_OK


async def _search(
    catalog: Catalog, args: argparse.Namespace, settings: Settings, console: Console
) -> list[ModelInfo]:
    """Live search when a key is set (falling back to the snapshot), local otherwise."""
    if settings.key:
        try:
            live, _ = await catalog.list_models(
                q=args.query, category=args.category, status="active", limit=args.limit
            )
            return rank(live, args.query or "", args.category) if args.query else live
        except Exception as exc:  # offline: the bundled snapshot still answers
            console.note(f"live catalog unavailable ({exc}); searching the offline snapshot")
    return catalog.search(args.query or "", args.category)


def print_fields(console: Console, title: str, rows: list[Any], width: int) -> None:
    """A readable, ordered list of fields: name, type, required/default, description."""
    console.line(title)
    if not rows:
        console.line("  (none declared)")
        return
    for row in rows:
        if row.required:
            flags = "required"
        else:
            flags = f"default {one_line(row.default_text, 80)}" if row.default_text else "optional"
        indent = "  " * (1 + row.depth)
        name, kind = one_line(row.path_dotted, 200), one_line(row.type_label, 80)
        console.line(f"{indent}{name}  {kind}  ({flags})")
        if row.description:
            description = one_line(row.description, 2000)
            for line in textwrap.wrap(description, width - len(indent) - 4)[:6]:
                console.line(indent + "    " + line)


async def cmd_schema(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """A model's inputs and outputs, in the model's own order."""
    if args.file:
        doc = read_json_file(args.file)
        if not isinstance(doc, dict):
            raise CliFailure(f"{args.file} is not an OpenAPI document", EXIT_USAGE)
        schema = parse_openapi(doc, args.model)
    elif args.model:
        endpoint_id = EndpointId.parse(args.model).full
        async with cli_services(settings, console) as services:
            if args.json:
                console.json(await services.catalog.get_openapi(endpoint_id))
                return EXIT_OK
            schema = await services.catalog.get_schema(endpoint_id)
    else:
        raise CliFailure("give a model id or --file PATH", EXIT_USAGE)
    if args.json:
        console.json(schema.raw)
        return EXIT_OK
    show_schema(console, schema, args.only)
    return EXIT_OK


def show_schema(console: Console, schema: EndpointSchema, only: str | None) -> None:
    """Print a schema for people."""
    width = _width()
    console.line(one_line(schema.endpoint_id or "(unnamed endpoint)", 200))
    if only in (None, "input"):
        console.line()
        print_fields(console, "Inputs:", field_rows(schema.input), width)
    if only in (None, "output"):
        console.line()
        print_fields(console, "Outputs:", field_rows(schema.output), width)


async def cmd_pricing(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Unit prices (needs a key)."""
    settings.require_key()
    ids = [EndpointId.parse(m).full for m in args.models]
    async with cli_services(settings, console) as services:
        prices = await get_prices(services.client, settings, ids)
    console.json(
        [
            {
                "endpoint_id": p.endpoint_id,
                "unit_price": p.unit_price,
                "unit": p.unit,
                "currency": p.currency,
            }
            for p in prices
        ]
    )
    for p in prices:
        console.note(
            f"{one_line(p.endpoint_id)}: {p.unit_price:g} {one_line(p.currency)} "
            f"per {one_line(p.unit)}"
        )
    missing = set(ids) - {p.endpoint_id for p in prices}
    for endpoint_id in sorted(missing):
        console.note(f"{endpoint_id}: no price published")
    return EXIT_OK
