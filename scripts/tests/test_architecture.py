"""The crates' layers and the modules' imports, as docs/architecture.md draws them."""

import sys
import pathlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import architecture  # noqa: E402


def test_every_import_points_down_and_no_module_circle_is_left():
    assert architecture.breaches() == []


def test_a_circle_of_modules_is_found():
    modules = {"scope", "report", "confirm_state", "stage_a"}
    edges = {("report", "scope"), ("scope", "confirm_state"), ("confirm_state", "report"), ("report", "stage_a")}

    found = architecture.cycle(modules, edges)

    assert found is not None and found[0] == found[-1] and set(found) == {"scope", "report", "confirm_state"}
    assert architecture.cycle(modules, edges - {("confirm_state", "report")}) is None


def test_a_module_naming_a_sibling_through_crate_or_super_is_an_edge(tmp_path):
    (tmp_path / "lib.rs").write_text("mod a; mod b;")
    (tmp_path / "a.rs").write_text("use crate::{b::X, lib_item};\n#[cfg(test)]\nmod tests { use crate::c; }")
    (tmp_path / "b.rs").write_text("use super::a;")
    (tmp_path / "c.rs").write_text("")

    modules, edges = architecture.module_edges(tmp_path)

    assert modules == {"a", "b", "c"}
    assert edges == {("a", "b"), ("b", "a")}, "unit tests may reach anywhere"


def test_the_document_names_every_crate_and_its_uses():
    text = (architecture.ROOT / "docs" / "architecture.md").read_text()
    for crate in architecture.LAYERS:
        assert f"`{crate}`" in text, crate
