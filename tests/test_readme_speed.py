"""The README's speed table is what scripts/readme_speed.py writes from the kept record of a
real run of the fair benchmark (docs/speed-results.json), never typed by hand, and it names
the machine, the BLAS kernel and the protocol."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("readme_speed",
                                                  ROOT / "scripts" / "readme_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_speed_table_is_generated_from_the_kept_results():
    script = _script()
    assert (ROOT / "README.md").read_text(encoding="utf-8") == script.expected_readme(), (
        "README.md's speed table differs from docs/speed-results.json: run "
        "python scripts/readme_speed.py")


def test_the_kept_record_is_a_full_protocol_run_that_names_its_machine():
    doc = json.loads((ROOT / "docs" / "speed-results.json").read_text(encoding="utf-8"))
    proto, env = doc["protocol"], doc["environment"]
    assert proto["each_library_own_process"] and proto["size"] == "full"
    assert proto["rounds"] >= 3 and proto["steps"] >= 30
    assert {"mlp", "lenet", "lstm", "resnet20"} <= set(doc["workloads"])
    block = _script().render(doc)
    core = env["gradlab_blas_pools"][0]["architecture"]
    assert core in block and env["cpu"] in block and env["date"][:10] in block
    for w in doc["workloads"].values():
        assert f"{w['summary']['libraries']['gradlab']['ratio']:.2f}" in block


def test_render_marks_a_failed_loss_check():
    doc = json.loads((ROOT / "docs" / "speed-results.json").read_text(encoding="utf-8"))
    name = next(iter(doc["workloads"]))
    doc["workloads"][name]["summary"]["loss_check"]["ok"] = False
    assert "LOSS MISMATCH" in _script().render(doc)
