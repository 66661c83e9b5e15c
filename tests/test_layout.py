"""The layout's rules, checked: no import cycles, shared code knows no family, flags come from the dataclasses."""

import ast
import dataclasses
import json
import os

import pytest

import pipelines
from tests._util import ROOT, run_module
from tfgan import config as config_lib
from tfgan import families
from tfgan.errors import ConfigError, TfganError
from tfgan.run.config import RunConfig

PACKAGES = ("tfgan", "pipelines")


def modules() -> dict[str, str]:
    """Module name -> path of every module of the two packages."""
    found = {}
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for name in files:
                if name.endswith(".py"):
                    rel = os.path.relpath(os.path.join(folder, name), ROOT)[:-3].replace(os.sep, ".")
                    found[rel.removesuffix(".__init__")] = os.path.join(folder, name)
    return found


def imports(path: str, known) -> set[str]:
    """The package modules `path` imports anywhere (function bodies included)."""
    out = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import module` imports that module; `from module import name`, the module.
            subs = [f"{node.module}.{a.name}" for a in node.names]
            names = [n for n in subs if n in known] or [node.module]
        else:
            continue
        out.update(n for n in names if n in known)
    return out


def graph():
    known = modules()
    return {name: imports(path, known) - {name} for name, path in known.items()}


def test_no_import_cycles():
    edges = graph()
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_shared_code_and_run_machinery_import_no_family():
    edges = graph()
    above = {"tfgan.config", "tfgan.training", "tfgan.train", "tfgan.export", "tfgan.sample", "tfgan.evaluate"}
    # Thin CLIs of one family's tool: they parse flags and call that family's library function.
    above |= {"tfgan.blend", "tfgan.toonify"}
    for name, targets in edges.items():
        if name.startswith("tfgan.families") or name in above:
            continue
        assert not any(t.startswith("tfgan.families") for t in targets), f"{name} imports a family: {targets}"


def test_library_sets_no_process_wide_environment():
    for name, path in modules().items():
        if name == "tfgan.cli":
            continue  # the CLIs' own start-up settings
        tree = ast.parse(open(path).read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "environ":
                parent_calls = [
                    n
                    for n in ast.walk(tree)
                    if isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute)
                    and n.func.attr in ("setdefault", "update", "__setitem__")
                    and isinstance(n.func.value, ast.Attribute)
                    and n.func.value.attr == "environ"
                ]
                assert not parent_calls, f"{name} sets os.environ"
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Subscript) and getattr(target.value, "attr", None) == "environ":
                        pytest.fail(f"{name} sets os.environ[...]")


def test_one_root_error_type():
    assert issubclass(pipelines.PipelineError, TfganError)
    assert issubclass(ConfigError, TfganError)


def test_every_field_is_a_flag_with_its_docstring_help():
    proc = run_module("tfgan.train", "--helpfull")
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # absl's --helpfull exits 1
    text = proc.stdout + proc.stderr
    for family in families.FAMILIES.values():
        for cls in (RunConfig, family.params):
            for field in dataclasses.fields(cls):
                if field.name == "preset":
                    continue
                assert f"--{field.name}:" in text or f"--[no]{field.name}:" in text, field.name
    # The help is the docstring's, not the bare name.
    assert "k of Algorithm 1: discriminator steps per generator step." in text
    assert "Run directory: config.json, checkpoints/, logs/, export/." in text


def test_every_preset_resolves_into_its_family_and_round_trips_through_json():
    for name in families.all_presets():
        config = config_lib.resolve(name)
        assert config.family is families.preset_family(name)
        assert config_lib.from_json(config.to_json()) == config
        assert json.loads(config.to_json())["family"] == config.family.name


def test_a_setting_of_no_family_is_refused_with_the_family_named():
    with pytest.raises(ConfigError, match="--nonsense: not a setting of the image family"):
        config_lib.resolve("default", nonsense=1)
    with pytest.raises(ConfigError, match="--preset='nope' is unknown; choose one of: default, paper_mnist"):
        config_lib.resolve("nope")


def test_config_json_of_the_flat_release_layout_is_an_image_run():
    flat = json.loads(config_lib.resolve("default").to_json())
    del flat["family"]
    config = config_lib.from_json(json.dumps(flat))
    assert config.family.name == "image" and config == config_lib.resolve("default")
    with pytest.raises(ConfigError, match="must hold a JSON object"):
        config_lib.from_json("[1, 2]")
