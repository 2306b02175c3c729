"""Settings: key lookup order, URL overrides, and where the key may be sent."""

from pathlib import Path

import pytest

from faltui.core.config import load_settings, mask_key
from faltui.core.errors import ConfigError, MissingKeyError


def test_key_lookup_order(tmp_path: Path) -> None:
    home = {"FALTUI_HOME": str(tmp_path)}
    assert (
        load_settings(
            {**home, "FAL_KEY": "a:b", "FAL_KEY_ID": "c", "FAL_KEY_SECRET": "d"}, cwd=tmp_path
        ).key
        == "a:b"
    )
    assert (
        load_settings({**home, "FAL_KEY_ID": "c", "FAL_KEY_SECRET": "d"}, cwd=tmp_path).key == "c:d"
    )
    assert load_settings({**home, "FAL_KEY_ID": "c"}, cwd=tmp_path).key is None
    cfg = tmp_path / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('key = "from:file"\n')
    assert load_settings(home, cwd=tmp_path).key == "from:file"


def test_dotenv_key_is_found_in_a_parent(tmp_path: Path) -> None:
    (tmp_path / ".test_env").write_text("OTHER=1\nexport FAL_KEY='dot:env'\n")
    child = tmp_path / "a"
    child.mkdir()
    s = load_settings({"FALTUI_HOME": str(tmp_path / "h")}, cwd=child)
    assert s.key == "dot:env"
    assert s.key_source.endswith(".test_env")


def test_missing_key_message_explains_what_to_do(tmp_path: Path) -> None:
    s = load_settings({"FALTUI_HOME": str(tmp_path)}, cwd=tmp_path)
    with pytest.raises(MissingKeyError, match=r"FAL_KEY.*--demo"):
        s.require_key()


def test_url_overrides_and_key_hosts(tmp_path: Path) -> None:
    env = {
        "FALTUI_HOME": str(tmp_path),
        "FAL_RUN_HOST": "example.test",
        "FALTUI_PLATFORM_URL": "http://127.0.0.1:8123/v1/",
    }
    s = load_settings(env, cwd=tmp_path)
    assert s.urls["run"] == "https://example.test"
    assert s.urls["queue"] == "https://queue.example.test"
    assert s.urls["platform"] == "http://127.0.0.1:8123/v1"
    assert s.may_send_key("https://queue.example.test/fal-ai/flux/dev")
    assert s.may_send_key("http://127.0.0.1:8123/v1/models")
    assert not s.may_send_key("https://v3.fal.media/files/x.png")
    assert not s.may_send_key("http://127.0.0.1:8124/v1/models")
    s2 = load_settings({**env, "FAL_QUEUE_RUN_HOST": "q.example.test"}, cwd=tmp_path)
    assert s2.urls["queue"] == "https://q.example.test"


def test_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("key = [unterminated\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({"FALTUI_HOME": str(tmp_path)}, cwd=tmp_path)
    cfg.write_text("poll_interval = -1\n")
    with pytest.raises(ConfigError, match="poll_interval"):
        load_settings({"FALTUI_HOME": str(tmp_path)}, cwd=tmp_path)


def test_mask_key_never_shows_the_secret() -> None:
    key = "12345678-aaaa-bbbb:0123456789abcdef0123456789abcdef"
    masked = mask_key(key)
    assert "0123456789abcdef" not in masked
    assert masked.startswith("1234")
