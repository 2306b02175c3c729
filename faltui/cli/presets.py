"""``faltui preset list|show|save|delete`` and the preset part of ``faltui run --preset``.

Presets live in ``<config>/presets/<endpoint id>.toml`` (see ``faltui.core.presets``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from faltui.cli.jobref import find_job
from faltui.cli.payload import build_payload
from faltui.cli.support import (
    EXIT_OK,
    EXIT_USAGE,
    CliFailure,
    Console,
    cli_services,
)
from faltui.core.config import Settings
from faltui.core.endpoints import EndpointId
from faltui.core.errors import ApiError, FaltuiError, NotFoundError, ValidationFailed
from faltui.core.presets import Preset, PresetCheck, PresetError
from faltui.core.schema import EndpointSchema, parse_openapi, validate
from faltui.core.text import one_line
from faltui.services import Services

#: The attributes ``build_payload`` reads, for commands that offer only some of its flags.
_PAYLOAD_FLAGS = (
    "prompt",
    "text",
    "image_url",
    "video_url",
    "audio_url",
    "aspect_ratio",
    "duration",
    "seed",
    "size",
    "num_images",
    "json_input",
)


def payload_flags(param: list[str], **given: Any) -> argparse.Namespace:
    """The flags ``build_payload`` reads: ``param`` and ``given``, the rest unset."""
    values: dict[str, Any] = dict.fromkeys(_PAYLOAD_FLAGS)
    values.update(given)
    return argparse.Namespace(**values, param=param)


def add_parser(sub: Any) -> None:
    """``faltui preset …``."""
    p = sub.add_parser(
        "preset",
        aliases=["presets"],
        help="named inputs per model: list, show, save, delete (run one: faltui run --preset)",
        description=(
            "A preset is a model's input saved under a name, in the config folder "
            "(presets/<endpoint id>.toml). Applying one whose model's schema changed since "
            "it was saved says exactly what changed."
        ),
    )
    actions = p.add_subparsers(dest="preset_action", metavar="ACTION", required=True)

    ls = actions.add_parser("list", help="presets of a model (or of every model)")
    ls.add_argument("-m", "--model", help="endpoint id (default: every model)")
    ls.add_argument("--json", action="store_true", help="print presets as JSON")
    ls.set_defaults(handler=cmd_list)

    show = actions.add_parser(
        "show", help="a preset's input (JSON), checked against the model's schema now"
    )
    show.add_argument("name")
    show.add_argument("-m", "--model", required=True, help="endpoint id")
    show.set_defaults(handler=cmd_show)

    save = actions.add_parser(
        "save",
        help="save an input as a preset (from --param, a JSON file, or a job's input)",
        description="Typed and checked by the model's schema, like faltui run.",
    )
    save.add_argument("name")
    save.add_argument("-m", "--model", help="endpoint id (default: the job's, with --from-job)")
    save.add_argument("-p", "--prompt", help="prompt text")
    save.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="K=V",
        help="any input: k=v (typed by the schema), k:=<json>; repeatable",
    )
    save.add_argument("--json-input", metavar="FILE", help="start from a JSON input (- = stdin)")
    save.add_argument("--from-job", metavar="JOB", help="start from a journaled job's input")
    save.add_argument("--no-validate", action="store_true", help="skip schema validation")
    save.set_defaults(handler=cmd_save)

    delete = actions.add_parser("delete", aliases=["rm"], help="delete a preset")
    delete.add_argument("name")
    delete.add_argument("-m", "--model", required=True, help="endpoint id")
    delete.set_defaults(handler=cmd_delete)


async def current_schema(
    services: Services, endpoint_id: str, console: Console
) -> EndpointSchema | None:
    """The model's schema as fal serves it now (fetched, not cached: presets are exactly where
    a changed schema matters), else the cached or bundled one, else None with a warning."""
    catalog = services.catalog
    try:
        try:
            return parse_openapi(await catalog.fetch_openapi(endpoint_id), endpoint_id)
        except FaltuiError:
            return await catalog.get_schema(endpoint_id)
    except NotFoundError:
        console.note(f"warning: no schema found for {endpoint_id}; the preset is not checked")
    except (ApiError, FaltuiError) as exc:
        console.note(f"warning: schema of {endpoint_id} unavailable ({exc}); not checked")
    return None


def report_check(preset: Preset, check: PresetCheck, console: Console) -> None:
    """Say on stderr what changed in the model's schema since the preset was saved."""
    lines = check.lines()
    if check.changes:
        console.note(
            f"preset {preset.name!r} was saved {preset.saved_at or 'earlier'}; the schema of "
            f"{preset.endpoint_id} changed since:"
        )
    elif lines:
        console.note(f"preset {preset.name!r} does not fit the schema of {preset.endpoint_id}:")
    for line in lines:
        console.note(f"  {line}")


def _summary(payload: dict[str, Any], limit: int = 100) -> str:
    parts = [f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in payload.items()]
    return one_line(", ".join(parts), limit)


async def cmd_list(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """The presets of a model, or of every model."""
    endpoint_id = EndpointId.parse(args.model).full if args.model else None
    async with cli_services(settings, console) as services:
        presets = _guard(lambda: services.presets.presets(endpoint_id))
    if args.json:
        console.json([preset.to_dict() for preset in presets])
        return EXIT_OK
    for preset in presets:
        console.line(
            f"{one_line(preset.endpoint_id, 60):<32}  {one_line(preset.name, 40):<16}  "
            f"{preset.saved_at:<20}  {_summary(preset.input)}"
        )
    if not presets:
        where = f" for {endpoint_id}" if endpoint_id else ""
        console.note(f"no presets{where} yet (faltui preset save NAME -m MODEL --param …)")
    return EXIT_OK


async def cmd_show(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """A preset's input on stdout; what changed in the schema on stderr."""
    endpoint_id = EndpointId.parse(args.model).full
    async with cli_services(settings, console) as services:
        preset = _guard(lambda: services.presets.get(endpoint_id, args.name))
        console.json(preset.input)
        check = preset.check(await current_schema(services, endpoint_id, console))
    report_check(preset, check, console)
    if check.compared and not check.lines():
        console.note(f"the schema of {endpoint_id} has not changed since the preset was saved")
    return EXIT_OK


async def cmd_save(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Save ``--param``s / a JSON file / a job's input as a preset."""
    async with cli_services(settings, console) as services:
        return await _save(args, services, console)


async def _save(args: argparse.Namespace, services: Services, console: Console) -> int:
    base: dict[str, Any] = {}
    model = args.model
    if args.from_job:
        job = find_job(services.journal, args.from_job)
        base = dict(job.input)
        model = model or job.endpoint_id
    if not model:
        raise CliFailure("say which model: -m MODEL (or --from-job JOB)", EXIT_USAGE)
    endpoint_id = EndpointId.parse(model).full
    schema = await current_schema(services, endpoint_id, console)
    flags = payload_flags(args.param, prompt=args.prompt, json_input=args.json_input)
    try:
        payload = {**base, **build_payload(flags, schema)}
        if not payload:
            raise CliFailure("nothing to save: give --param k=v, --json-input or --from-job", 2)
        if schema is not None and not args.no_validate:
            # A preset may leave required fields out (a prompt given at run time); what it
            # does fill must be right.
            errors = [
                error
                for error in validate(schema, payload, unknown=bool(schema.input))
                if error.kind != "missing"
            ]
            if errors:
                raise ValidationFailed(errors)
    except ValidationFailed as exc:
        listed = "".join(f"\n  {error}" for error in exc.errors)
        raise CliFailure(f"the input is not valid (nothing was saved):{listed}", 2) from exc
    preset = _guard(lambda: services.presets.save(endpoint_id, args.name, payload, schema))
    console.json(preset.input)
    console.note(
        f"saved preset {preset.name!r} for {endpoint_id} in "
        f"{services.presets.file_for(endpoint_id)}"
    )
    return EXIT_OK


async def cmd_delete(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Delete a preset."""
    endpoint_id = EndpointId.parse(args.model).full
    async with cli_services(settings, console) as services:
        preset = _guard(lambda: services.presets.delete(endpoint_id, args.name))
    console.note(f"deleted preset {preset.name!r} of {endpoint_id}")
    return EXIT_OK


def _guard(action: Any) -> Any:
    """Run ``action``; a preset problem is a usage error (exit 2) with its message."""
    try:
        return action()
    except PresetError as exc:
        raise CliFailure(str(exc), EXIT_USAGE) from exc
