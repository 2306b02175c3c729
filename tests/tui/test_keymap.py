"""Keymap checking: known ids kept, unknown ids and empty keys reported."""

from textual.binding import Binding
from textual.widget import Widget

from faltui.tui.keymap import binding_ids, check_keymap, faltui_classes


class Base(Widget):
    BINDINGS = [Binding("a", "x", "X", id="base.x"), Binding("b", "y", "Y")]


class Child(Base):
    BINDINGS = [Binding("c", "z", "Z", id="child.z"), ("d", "w", "W")]


def test_binding_ids_walk_the_class_hierarchy() -> None:
    ids = binding_ids([Child])
    assert set(ids) == {"base.x", "child.z"}
    assert ids["child.z"].key == "c"


def test_check_keymap() -> None:
    checked = check_keymap(
        {"base.x": " f2 , ctrl+x ", "nope": "f3", "child.z": " , "}, ["base.x", "child.z"]
    )
    assert checked.keymap == {"base.x": "f2,ctrl+x"}
    assert len(checked.problems) == 2
    assert any("unknown binding id 'nope'" in p for p in checked.problems)
    assert any("'child.z' needs keys" in p for p in checked.problems)


def test_faltui_classes_find_widgets_not_yet_mounted() -> None:
    from faltui.tui.widgets.model_browser import ModelList

    classes = faltui_classes()
    assert ModelList in classes
    assert Child not in classes  # defined in a test module, not in faltui
    assert "browser.down" in binding_ids(classes)
