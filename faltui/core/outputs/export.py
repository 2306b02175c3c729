"""Exports of a job as something to paste and run: a curl script, a Python script, a faltui
command. Each runs as is, waits for the result, prints it, and ends with a clear message and a
non-zero exit status when the job fails.

The key is never written out: every export reads ``FAL_KEY`` from the environment (and stops at
once, saying so, when it is not set), so an export can be shared without leaking it.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from faltui.core.config import DEFAULT_URLS, URL_ENV, Settings
from faltui.core.endpoints import EndpointId, run_url

#: Seconds the Python export waits for a queued job before it gives up (exit 3).
EXPORT_WAIT_SECONDS = 30 * 60
#: End of the curl export's here-document (no JSON line can equal it).
_HEREDOC = "FALTUI_INPUT"
_DEMO_NOTE = "# Against faltui --demo (while it runs): export FAL_KEY=demo-key-id:demo-key-secret\n"


def python_literal(value: Any, indent: int = 0) -> str:
    """``value`` (JSON data) as Python source, one item a line like black writes it."""
    pad, inner = " " * indent, " " * (indent + 4)
    if isinstance(value, dict) and value:
        items = [
            f"{inner}{_string(str(k))}: {python_literal(v, indent + 4)}," for k, v in value.items()
        ]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        items = [f"{inner}{python_literal(v, indent + 4)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    return "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else repr(value)


def _string(text: str) -> str:
    """A Python string literal as black writes it: double quotes, unless single quotes need
    fewer escapes (escapes otherwise as JSON writes them, which Python reads the same)."""
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    body = body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if text.count('"') > text.count("'"):
        return "'" + body.replace('\\"', '"').replace("'", "\\'") + "'"
    return f'"{body}"'


def _is_default(settings: Settings, name: str) -> bool:
    return settings.urls.get(name, DEFAULT_URLS[name]).rstrip("/") == DEFAULT_URLS[name].rstrip("/")


# -- curl -------------------------------------------------------------------------------------


def export_curl(endpoint_id: str, payload: dict[str, Any], settings: Settings) -> str:
    """A shell script that runs the job through fal's synchronous endpoint (``fal.run``) with
    curl and prints the result; on a failure curl prints fal's error body and exits non-zero
    (``--fail-with-body``, curl 7.76+)."""
    endpoint = EndpointId.parse(endpoint_id)
    url = run_url(settings.urls["run"], endpoint)
    body = json.dumps(payload, indent=2, ensure_ascii=False)
    lines = [
        "#!/bin/sh",
        f"# Run {endpoint.full} and print its result (exported by faltui).",
        "# fal.run waits for the result; the input follows as a here-document.",
    ]
    if settings.demo:
        lines.append(_DEMO_NOTE.rstrip("\n"))
    lines += [
        ': "${FAL_KEY:?set FAL_KEY to your fal API key (https://fal.ai/dashboard/keys)}"',
        "curl --fail-with-body --silent --show-error --write-out '\\n' \\",
        f"  -X POST {shlex.quote(url)} \\",
        '  -H "Authorization: Key $FAL_KEY" \\',
        "  -H 'Content-Type: application/json' \\",
        f"  --data-binary @- <<'{_HEREDOC}'",
        body,
        _HEREDOC,
    ]
    return "\n".join(lines) + "\n"


# -- Python -----------------------------------------------------------------------------------

_FAL_CLIENT_KEY = """

def require_key() -> None:
    if not (os.environ.get("FAL_KEY") or os.environ.get("FAL_KEY_ID")):
        sys.exit(NO_KEY)
"""

_HTTPX_KEY = """

def require_key() -> str:
    key = os.environ.get("FAL_KEY")
    if not key:
        sys.exit(NO_KEY)
    return key
"""

_DESCRIBE = '''

def describe(detail: object) -> str:
    """fal's error detail in words: a string, or one line per field error."""
    if not isinstance(detail, list):
        return str(detail)
    lines = []
    for item in detail:
        if isinstance(item, dict):
            where = ".".join(str(part) for part in item.get("loc", [])[1:]) or "input"
            lines.append(f"{where}: {item.get('msg')}")
        else:
            lines.append(str(item))
    return "; ".join(lines)
'''

_FAL_CLIENT_BODY = """

def main() -> int:
    require_key()
    printed = 0

    def show_logs(update: fal_client.Status) -> None:
        nonlocal printed
        logs = getattr(update, "logs", None) or []
        for log in logs[printed:]:
            print(log.get("message", ""), file=sys.stderr)
        printed = max(printed, len(logs))

    try:
        result = fal_client.subscribe(
            ENDPOINT, arguments=ARGUMENTS, with_logs=True, on_queue_update=show_logs
        )
    except fal_client.FalClientHTTPError as exc:
        detail = describe(exc.message)
        print(f"{ENDPOINT} failed (HTTP {exc.status_code}): {detail}", file=sys.stderr)
        return 1
    except fal_client.FalClientError as exc:
        print(f"{ENDPOINT} failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
"""

_HTTPX_BODY = """

def fail(what: str, response: httpx.Response) -> int:
    try:
        detail = describe(response.json().get("detail", response.text))
    except ValueError:
        detail = response.text[:500]
    code = response.status_code
    print(f"{ENDPOINT}: {what} failed (HTTP {code}): {detail}", file=sys.stderr)
    return 1


def main() -> int:
    headers = {"Authorization": f"Key {require_key()}"}
    with httpx.Client(headers=headers, timeout=60) as http:
        submitted = http.post(f"{QUEUE}/{ENDPOINT}", json=ARGUMENTS)
        if submitted.status_code >= 300:
            return fail("submit", submitted)
        handle = submitted.json()
        print(f"request {handle['request_id']}", file=sys.stderr)
        printed, deadline = 0, time.monotonic() + WAIT_SECONDS
        while True:
            status = http.get(handle["status_url"], params={"logs": 1})
            if status.status_code >= 300:
                return fail("status", status)
            state = status.json()
            logs = state.get("logs") or []
            for log in logs[printed:]:
                print(log.get("message", ""), file=sys.stderr)
            printed = max(printed, len(logs))
            if state.get("status") == "COMPLETED":
                break
            if time.monotonic() > deadline:
                waited = f"still {state.get('status')} after {WAIT_SECONDS} s"
                print(f"{waited}; request {handle['request_id']}", file=sys.stderr)
                return 3
            time.sleep(1)
        if state.get("error"):
            kind = f" ({state['error_type']})" if state.get("error_type") else ""
            print(f"{ENDPOINT} failed{kind}: {state['error']}", file=sys.stderr)
            return 1
        result = http.get(handle["response_url"])
        if result.status_code >= 300:
            return fail("the result", result)
        print(json.dumps(result.json(), indent=2, ensure_ascii=False))
        return 0
"""

_MAIN = """

if __name__ == "__main__":
    sys.exit(main())
"""


def export_python(endpoint_id: str, payload: dict[str, Any], settings: Settings) -> str:
    """A Python script that runs the same request, prints the result JSON, and exits 1 with
    fal's error when the job fails (the key comes from ``FAL_KEY``).

    With fal's own hosts it uses ``fal_client`` (which also honours ``FAL_QUEUE_RUN_HOST``);
    with other base URLs (the emulator, a proxy) plain ``httpx`` against the configured queue,
    since ``fal_client`` only speaks https to fal's hosts.
    """
    endpoint = EndpointId.parse(endpoint_id).full
    arguments = python_literal(payload)
    if _is_default(settings, "queue"):
        header = (
            f'"""Run {endpoint} on fal and print its result (exported by faltui).\n\n'
            'Needs: pip install fal-client; export FAL_KEY=<your key>\n"""\n\n'
            "import json\nimport os\nimport sys\n\nimport fal_client\n\n"
        )
        body = _FAL_CLIENT_KEY + _DESCRIBE + _FAL_CLIENT_BODY
    else:
        queue = settings.urls["queue"].rstrip("/")
        demo = _DEMO_NOTE if settings.demo else ""
        header = (
            f'"""Run {endpoint} on {queue} and print its result (exported by faltui).\n\n'
            'Needs: pip install httpx; export FAL_KEY=<your key>\n"""\n\n'
            f"{demo}"
            "import json\nimport os\nimport sys\nimport time\n\nimport httpx\n\n"
            f"QUEUE = {_string(queue)}\nWAIT_SECONDS = {EXPORT_WAIT_SECONDS}\n"
        )
        body = _HTTPX_KEY + _DESCRIBE + _HTTPX_BODY
    constants = (
        f"ENDPOINT = {_string(endpoint)}\nARGUMENTS = {arguments}\n"
        'NO_KEY = "Set FAL_KEY to your fal API key first (https://fal.ai/dashboard/keys)."\n'
    )
    return header + constants + body + _MAIN


# -- faltui -----------------------------------------------------------------------------------


def export_cli(endpoint_id: str, payload: dict[str, Any], settings: Settings) -> str:
    """A ``faltui run … -w`` command with every input as ``--param key:=<json>``; it waits,
    prints the result, and exits 1 with the error when the job fails."""
    endpoint = EndpointId.parse(endpoint_id).full
    prefix = ""
    if settings.demo:
        command = ["faltui", "--demo", "run"]
    else:
        command = ["faltui", "run"]
        changed = [name for name in DEFAULT_URLS if not _is_default(settings, name)]
        prefix = "".join(f"{URL_ENV[n]}={shlex.quote(settings.urls[n])} " for n in changed)
    first = prefix + " ".join([*command, "-m", shlex.quote(endpoint), "-w"])
    params = [
        "--param " + shlex.quote(f"{key}:={json.dumps(value, ensure_ascii=False)}")
        for key, value in payload.items()
    ]
    return " \\\n  ".join([first, *params]) + "\n"


__all__ = ["export_cli", "export_curl", "export_python", "python_literal"]
