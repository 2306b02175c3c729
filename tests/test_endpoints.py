"""Endpoint-id parsing and the queue URL rules (fal-protocol.md §3)."""

import pytest

from faltui.core import endpoints as ep
from faltui.core.errors import EndpointIdError

Q = "https://queue.fal.run"


@pytest.mark.parametrize(
    ("endpoint_id", "submit", "status"),
    [
        ("fal-ai/flux/dev", f"{Q}/fal-ai/flux/dev", f"{Q}/fal-ai/flux/requests/abc/status"),
        (
            "fal-ai/flux-2/klein/9b",
            f"{Q}/fal-ai/flux-2/klein/9b",
            f"{Q}/fal-ai/flux-2/requests/abc/status",
        ),
        (
            "fal-ai/kling-video/v3/pro/text-to-video",
            f"{Q}/fal-ai/kling-video/v3/pro/text-to-video",
            f"{Q}/fal-ai/kling-video/requests/abc/status",
        ),
        ("fal-ai/whisper", f"{Q}/fal-ai/whisper", f"{Q}/fal-ai/whisper/requests/abc/status"),
        (
            "workflows/me/my-flow",
            f"{Q}/workflows/me/my-flow",
            f"{Q}/workflows/me/my-flow/requests/abc/status",
        ),
        (
            "comfy/me/flow/extra",
            f"{Q}/comfy/me/flow/extra",
            f"{Q}/comfy/me/flow/requests/abc/status",
        ),
        ("fal-ai/veo3.1", f"{Q}/fal-ai/veo3.1", f"{Q}/fal-ai/veo3.1/requests/abc/status"),
    ],
)
def test_urls_follow_the_owner_app_rule(endpoint_id: str, submit: str, status: str) -> None:
    e = ep.EndpointId.parse(endpoint_id)
    assert ep.submit_url(Q, e) == submit
    assert ep.status_url(Q, e, "abc") == status
    assert ep.status_stream_url(Q, e, "abc") == status + "/stream"
    assert ep.request_url(Q, e, "abc") == status.removesuffix("/status")
    assert ep.cancel_url(Q, e, "abc") == status.removesuffix("/status") + "/cancel"


def test_run_url_uses_the_full_id_and_custom_base() -> None:
    e = ep.EndpointId.parse("openrouter/router/vision")
    assert (
        ep.run_url("http://127.0.0.1:9/run/", e)
        == "http://127.0.0.1:9/run/openrouter/router/vision"
    )
    assert ep.submit_url(Q, e, "stream") == f"{Q}/openrouter/router/vision/stream"


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("", "empty"),
        ("flux", "needs an owner"),
        ("fal-ai//flux", "empty segment"),
        ("https://fal.run/fal-ai/flux", "is a URL"),
        ("workflows/me", "workflows/owner/app"),
        ("fal-ai/flux dev", "may hold only"),
        ("fal-ai/../x", "may hold only"),
    ],
)
def test_malformed_ids_are_rejected_with_a_clear_message(bad: str, fragment: str) -> None:
    with pytest.raises(EndpointIdError, match=fragment):
        ep.EndpointId.parse(bad)


def test_request_ids_are_escaped_in_built_urls() -> None:
    e = ep.EndpointId.parse("fal-ai/flux/dev")
    assert ep.status_url(Q, e, "a/b?c").endswith("/requests/a%2Fb%3Fc/status")
