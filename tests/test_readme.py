"""The README's promises: two set-up commands, CI runs the second, and its examples run."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_setup_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert first_block == ['pip install ".[lab]" && gradlab lab',
                           'pip install ".[test]" && python -m pytest']
    assert README.startswith("# gradlab\n\n```bash\n")


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    readme_test_line = re.search(r"```bash\n(.*?)```", README, re.S).group(1).splitlines()[1]
    assert ci[-1] == readme_test_line


def test_readme_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks) == 2
    namespace: dict = {}
    out = []
    namespace["print"] = lambda *a, **k: out.append(" ".join(map(str, a)))
    exec(compile("\n".join(blocks), "README.md", "exec"), namespace)
    acc = float(re.search(r"training accuracy ([\d.]+)%", out[-1]).group(1))
    assert acc >= 95.0, out[-1]


def test_cli_version_info_and_demo():
    run = [sys.executable, "-m", "gradlab.cli"]
    v = subprocess.run(run + ["--version"], capture_output=True, text=True, cwd=ROOT)
    assert v.returncode == 0 and v.stdout.startswith("gradlab 0.")
    i = subprocess.run(run + ["info"], capture_output=True, text=True, cwd=ROOT)
    assert i.returncode == 0 and "BLAS" in i.stdout and "numpy" in i.stdout
    d = subprocess.run(run + ["demo", "--steps", "1000"], capture_output=True, text=True,
                       cwd=ROOT)
    assert d.returncode == 0, d.stdout + d.stderr
    val = float(re.search(r"validation accuracy ([\d.]+)%", d.stdout).group(1))
    assert val >= 97.0 and "reached" in d.stdout
    miss = subprocess.run(run + ["demo", "--steps", "5", "--target", "0.99"],
                          capture_output=True, text=True, cwd=ROOT)
    assert miss.returncode == 1 and "MISSED" in miss.stdout


def test_python_dash_m_gradlab_runs_the_command():
    r = subprocess.run([sys.executable, "-m", "gradlab", "--version"], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.startswith("gradlab 0.")
