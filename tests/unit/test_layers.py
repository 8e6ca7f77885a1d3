"""The package's layering holds: reading traces and text stays light (no torch/transformers),
the import-linter contract is kept, and every registry lists its names with descriptions."""

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from thinkscope.cli import app

LIGHT = ("thinkscope.traces", "thinkscope.traces.io", "thinkscope.text", "thinkscope.stats",
         "thinkscope.analyze.errors", "thinkscope.analyze.behaviors", "thinkscope.organisms")


@pytest.mark.parametrize("module", LIGHT)
def test_importing_does_not_load_torch_or_transformers(module):
    code = (f"import sys, {module}; heavy = [m for m in ('torch', 'transformers', 'vllm', 'ray')"
            " if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"importing {module} loaded {out}"


def test_the_import_linter_contract_is_kept():
    pytest.importorskip("importlinter")
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2])  # where pyproject.toml is
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout


def test_list_prints_every_kind_with_descriptions():
    res = CliRunner().invoke(app, ["list"])
    assert res.exit_code == 0, res.output
    for kind in ("importers:", "backends:", "corpora:", "detectors:", "probes:", "targets:",
                 "knowledge:"):
        assert kind in res.stdout
    assert "gsm8k" in res.stdout and "mass_mean" in res.stdout and "thought-anchors" in res.stdout
    assert "My favorite animal is the owl." in res.stdout  # a knowledge entry
    one = CliRunner().invoke(app, ["list", "backends"])
    lines = one.stdout.strip().splitlines()
    assert [ln.split()[0] for ln in lines] == ["hf", "vllm", "openai"]
    assert all(len(ln.split(None, 1)) == 2 for ln in lines)  # a description on every line
    bad = CliRunner().invoke(app, ["list", "nope"])
    assert bad.exit_code == 2 and "valid kinds:" in bad.output


def test_registry_errors_list_the_valid_names_and_refuse_duplicates():
    from thinkscope.generate import get_backend
    from thinkscope.registry import Registry

    with pytest.raises(KeyError, match="valid backends: hf, vllm, openai"):
        get_backend("nope", "m")
    reg: Registry[int] = Registry("widget", "test-widgets")
    reg.add("a", 1, "the first")
    with pytest.raises(ValueError, match="registered twice"):
        reg.add("a", 2)
    assert dict(reg) == {"a": 1} and reg.describe("a") == "the first"


def test_a_plugin_entry_point_is_registered(tmp_path, monkeypatch):
    """A third-party package's entry point in ``thinkscope.<kind>`` shows up by name."""
    from thinkscope.registry import Registry

    dist = tmp_path / "toyplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toyplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[thinkscope.test-gadgets]\nsum = builtins:sum\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg: Registry[object] = Registry("gadget", "test-gadgets")
    reg.add("builtin", len, "built in")
    assert list(reg) == ["builtin", "sum"]
    assert reg["sum"] is sum
