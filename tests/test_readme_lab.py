"""The README's lab table is what scripts/readme_lab.py writes from the kept results of a real
run (docs/lab-results*.json), never typed by hand, and it names the machine and BLAS kernel."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("readme_lab", ROOT / "scripts" / "readme_lab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_lab_table_is_generated_from_the_kept_results():
    script = _script()
    assert (ROOT / "README.md").read_text(encoding="utf-8") == script.expected_readme(), (
        "README.md's lab table differs from docs/lab-results*.json: run "
        "python scripts/readme_lab.py")


def test_kept_results_name_the_machine_and_every_experiment():
    from gradlab.lab.experiments import all_experiments

    doc = json.loads((ROOT / "docs" / "lab-results.json").read_text(encoding="utf-8"))
    assert [e["id"] for e in doc["experiments"]] == [e.id for e in all_experiments()]
    blas = doc["meta"]["blas"]
    assert blas["core"] and doc["meta"]["cpu"]
    block = _script().render(doc)
    assert blas["core"] in block and doc["meta"]["cpu"] in block


def test_render_reports_disagreements_and_failed_checks():
    script = _script()
    doc = json.loads((ROOT / "docs" / "lab-results.json").read_text(encoding="utf-8"))
    other = json.loads(json.dumps(doc))
    first = other["experiments"][0]["id"]
    stab = other["meta"]["stability"][first]
    stab["verdicts"] = ["does not hold"] * len(stab["verdicts"])
    other["experiments"][0]["failed_checks"] = ["an identity"]
    text = " ".join(script.render(other, doc).split())
    assert f"Checks failed: {first}: an identity" in text
    assert f"different verdicts for {first}" in " ".join(script.render(doc, other).split())
