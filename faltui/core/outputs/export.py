"""Exports of a job as something to paste: a curl command, a Python script, a faltui command.

The key is written as ``$FAL_KEY`` (or read from the environment), never as itself, so an
export can be shared without leaking it.
"""

from __future__ import annotations

import json
import pprint
import shlex
from typing import Any

from faltui.core.config import DEFAULT_URLS, Settings
from faltui.core.endpoints import EndpointId, run_url, submit_url


def export_curl(
    endpoint_id: str, payload: dict[str, Any], settings: Settings, *, sync: bool = False
) -> str:
    """A ``curl`` command that submits the same request (key as ``$FAL_KEY``)."""
    endpoint = EndpointId.parse(endpoint_id)
    url = (
        run_url(settings.urls["run"], endpoint)
        if sync
        else submit_url(settings.urls["queue"], endpoint)
    )
    body = json.dumps(payload, ensure_ascii=False)
    lines = [
        f"curl -X POST {shlex.quote(url)}",
        '  -H "Authorization: Key $FAL_KEY"',
        "  -H 'Content-Type: application/json'",
        f"  -d {shlex.quote(body)}",
    ]
    return " \\\n".join(lines) + "\n"


def export_python(endpoint_id: str, payload: dict[str, Any], settings: Settings) -> str:
    """A Python script that runs the same request (the key comes from ``FAL_KEY``).

    Uses ``fal_client`` against fal's own hosts; with custom base URLs (the emulator) it uses
    plain ``httpx`` against them, since ``fal_client`` only speaks https to fal's hosts.
    """
    endpoint = EndpointId.parse(endpoint_id).full
    arguments = pprint.pformat(payload, indent=4, width=88, sort_dicts=False)
    if settings.urls.get("queue") == DEFAULT_URLS["queue"]:
        return (
            "# pip install fal-client ; export FAL_KEY=...\n"
            "import fal_client\n\n"
            f"result = fal_client.subscribe(\n    {endpoint!r},\n"
            f"    arguments={_indent(arguments)},\n    with_logs=True,\n)\n"
            "print(result)\n"
        )
    queue = settings.urls["queue"].rstrip("/")
    return (
        "# pip install httpx ; export FAL_KEY=...\n"
        "import os\nimport time\n\nimport httpx\n\n"
        'headers = {"Authorization": f"Key {os.environ[\'FAL_KEY\']}"}\n'
        f"arguments = {arguments}\n"
        f"submitted = httpx.post({queue + '/' + endpoint!r}, json=arguments, headers=headers)\n"
        "submitted.raise_for_status()\nhandle = submitted.json()\n"
        'while httpx.get(handle["status_url"], headers=headers).json()["status"] != "COMPLETED":\n'
        "    time.sleep(1)\n"
        'print(httpx.get(handle["response_url"], headers=headers).json())\n'
    )


def _indent(text: str) -> str:
    return text.replace("\n", "\n    ")


def export_cli(endpoint_id: str, payload: dict[str, Any], settings: Settings) -> str:
    """A ``faltui run`` command with every input as ``--param key:=<json>``."""
    endpoint = EndpointId.parse(endpoint_id).full
    parts = ["faltui", "run", "-m", shlex.quote(endpoint)]
    for key, value in payload.items():
        parts.append("--param")
        parts.append(shlex.quote(f"{key}:={json.dumps(value, ensure_ascii=False)}"))
    parts.append("-w")
    prefix = ""
    if settings.urls.get("queue") != DEFAULT_URLS["queue"]:
        prefix = f"FALTUI_QUEUE_URL={shlex.quote(settings.urls['queue'])} "
    return prefix + " ".join(parts) + "\n"
