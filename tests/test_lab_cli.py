"""`gradlab lab`: list, run all or some, report folder, stability over seeds; exit status 0 when
all ran, 1 when an experiment raised, 2 with one line for bad arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from clitools import run_main

import gradlab.lab.runner as runner
from gradlab import backend
from gradlab.lab import (
    CAVEATS,
    HOLDS,
    Check,
    Experiment,
    Measurement,
    Verdict,
    all_experiments,
    new_figure,
    png,
)

ROOT = Path(__file__).resolve().parents[1]


class Alpha(Experiment):
    id = "alpha"
    title = "Alpha claim"
    source_ref = "source 000 Q64"
    claim = "alpha holds"
    claim_zh = "甲"
    protocol = "one step"
    thresholds = {"x_max": 1.0}
    calls: list = []

    def measure(self, seed, quick):
        type(self).calls.append((self.id, seed, quick, backend.get_num_threads()))
        fig, ax = new_figure(width=2.0, height=1.5)
        ax.plot([0, 1], [seed, 1], label="x")
        ax.set_xlabel("step")
        ax.set_ylabel("x")
        ax.legend()
        return Measurement({"x": 0.5, "seed": seed}, [png(fig, "x", "x per step")])

    def judge(self, numbers):
        return Verdict(HOLDS, f"x is {numbers['x']}.", f"x {numbers['x']}")


class Beta(Alpha):
    id = "beta"
    title = "Beta claim"
    source_ref = "source 003 table"

    def judge(self, numbers):  # flips with the seed: check_seeds must say so
        return Verdict(HOLDS if numbers["seed"] < 2 else CAVEATS, "beta", "b")


class Broken(Alpha):
    id = "broken"
    title = "Broken claim"

    def measure(self, seed, quick):
        raise ZeroDivisionError("division by zero in the protocol")


class OddSeedFails(Alpha):
    id = "odd-fails"
    title = "Fails on odd seeds"

    def measure(self, seed, quick):
        if seed % 2:
            raise RuntimeError(f"seed {seed}:\nnot converged")
        return super().measure(seed, quick)


@pytest.fixture
def fakes(monkeypatch):
    Alpha.calls = []
    pool = [Alpha(), Beta(), Broken()]
    monkeypatch.setattr(runner, "all_experiments", lambda: pool)
    return pool




def test_lab_list(fakes, capsys):
    rc, out, err = run_main(["lab", "list"], capsys)
    assert rc == 0 and err == ""
    assert out.splitlines() == [
        "id      title         source",
        "alpha   Alpha claim   source 000 Q64",
        "beta    Beta claim    source 003 table",
        "broken  Broken claim  source 000 Q64",
        "3 experiments; run one with: gradlab lab run ID"]


def test_lab_runs_all_writes_the_report_and_an_error_exits_1(fakes, tmp_path, capsys):
    out_dir = tmp_path / "rep"
    rc, out, err = run_main(["lab", "--out", str(out_dir)], capsys)
    assert rc == 1
    lines = out.splitlines()
    assert lines[0] == "gradlab lab: 3 experiments, seed 0, quick mode, 1 BLAS thread"
    assert lines[1].split() == ["id", "verdict", "key", "number", "time", "CPU"]
    assert lines[2].split()[:3] == ["alpha", "holds", "x"]
    assert lines[3].split()[:3] == ["beta", "holds", "b"]
    assert lines[4].split()[:2] == ["broken", "error"]
    assert "ZeroDivisionError: division by zero in the protocol" in lines[4]
    assert lines[5].startswith("3 experiments: 2 hold, 0 hold with caveats, 0 do not hold, "
                               "1 error; ")
    assert lines[6] == (f"wrote {out_dir / 'report.html'}, {out_dir / 'report.md'}, "
                        f"{out_dir / 'results.json'} and 2 figures in {out_dir / 'figures'}")
    assert err == ("error: broken (seed 0) raised ZeroDivisionError: division by zero in the "
                   "protocol\n")
    doc = json.load(open(out_dir / "results.json"))
    assert [e["verdict"] for e in doc["experiments"]] == ["holds", "holds", "error"]
    assert doc["meta"]["seed"] == 0 and doc["meta"]["quick"] is True
    html = (out_dir / "report.html").read_text()
    assert '<span class="verdict error">error</span>' in html
    assert Alpha.calls == [("alpha", 0, True, 1), ("beta", 0, True, 1)]


def test_lab_run_ids_with_options_exits_0(fakes, tmp_path, capsys):
    rc, out, err = run_main(["lab", "--seed", "3", "run", "beta", "alpha", "--full",
                             "--threads", "2", "--out", str(tmp_path)], capsys)
    assert rc == 0, err
    assert out.splitlines()[0] == "gradlab lab: 2 experiments, seed 3, full mode, 2 BLAS threads"
    assert Alpha.calls == [("beta", 3, False, 2), ("alpha", 3, False, 2)]
    doc = json.load(open(tmp_path / "results.json"))
    assert [e["id"] for e in doc["experiments"]] == ["beta", "alpha"]
    assert doc["meta"]["mode"] == "full" and doc["meta"]["seed"] == 3


def test_lab_seeds_checks_stability_and_reports_the_first_seed(fakes, tmp_path, capsys):
    rc, out, err = run_main(["lab", "run", "alpha", "--seeds", "1,0", "--out", str(tmp_path)],
                            capsys)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == ("gradlab lab: 1 experiment, seeds 1, 0 (report: seed 1), quick mode, "
                        "1 BLAS thread")
    assert "seeds 1,0 agree" in lines[1] and lines[2].split()[:4] == ["alpha", "holds", "x",
                                                                      "0.5"]
    assert lines[2].split()[4] == "yes"
    assert [c[1] for c in Alpha.calls] == [1, 0]
    doc = json.load(open(tmp_path / "results.json"))
    assert doc["meta"]["seed"] == 1 and doc["experiments"][0]["numbers"]["seed"] == 1
    assert doc["meta"]["stability"]["alpha"]["agree"] is True

    rc, out, err = run_main(["lab", "run", "beta", "--seeds", "0,1,2", "--out",
                             str(tmp_path / "other")], capsys)
    assert rc == 1
    assert "NO: holds, holds, holds with caveats" in out
    assert err == "unstable: beta: seed 0: holds; seed 1: holds; seed 2: holds with caveats\n"


@pytest.mark.parametrize("argv, message", [
    (["lab", "run", "alpha", "nope"],
     "gradlab lab: error: ID: unknown experiment id 'nope'; known ids: alpha, beta, broken"),
    (["lab", "--threads", "0"], "gradlab lab: error: --threads must be >= 1, got 0"),
    (["lab", "--seed", "-1"], "gradlab lab: error: --seed must be >= 0, got -1"),
    (["lab", "--seeds", "0,x"], "gradlab lab: error: argument --seeds: expected "
     "comma-separated integers such as 0,1,2, got '0,x'"),
    (["lab", "--seeds", "0,1,0"], "gradlab lab: error: argument --seeds: a seed is given twice "
     "in '0,1,0'"),
    (["lab", "--seeds", "0,-1"], "gradlab lab: error: argument --seeds: seeds are integers >= 0,"
     " got '0,-1'"),
    (["lab", "--seed", "1", "--seeds", "0,1"], "gradlab lab: error: --seed: give --seed or "
     "--seeds, not both (the report uses the first of --seeds)"),
    (["lab", "run"], "gradlab lab run: error: the following arguments are required: ID"),
    (["lab", "walk"], "gradlab lab: error: argument {list,run}: invalid choice: 'walk'"),
])
def test_bad_arguments_exit_2_with_one_line(fakes, argv, message, capsys):
    rc, out, err = run_main(argv, capsys)
    assert rc == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), err
    assert Alpha.calls == []


def test_out_that_is_a_file_exits_2(fakes, tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("x")
    rc, out, err = run_main(["lab", "--out", str(target)], capsys)
    assert rc == 2 and err == f"gradlab lab: error: --out {target} exists and is not a folder\n"


def test_real_experiment_end_to_end_through_the_command(tmp_path):
    """One real experiment through ``python -m gradlab.cli``: the report and exit status 0.
    The command's plumbing is what is checked, so it runs a fast experiment (whitening); the
    verdicts themselves are checked by tests/test_lab_e*.py."""
    real = next(e for e in all_experiments() if e.id == "whitening")
    r = subprocess.run([sys.executable, "-m", "gradlab.cli", "lab", "run", real.id, "--out",
                        str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr
    doc = json.load(open(tmp_path / "results.json"))
    exp = doc["experiments"][0]
    assert exp["id"] == real.id and exp["verdict"] in ("holds", "holds with caveats",
                                                       "does not hold")
    assert exp["verdict"] in r.stdout and exp["key"] in r.stdout
    assert exp["figures"] and all((tmp_path / f["file"]).read_bytes()[:4] == b"\x89PNG"
                                  for f in exp["figures"])


def test_unknown_id_through_python_m_is_one_line():
    r = subprocess.run([sys.executable, "-m", "gradlab.cli", "lab", "run", "no-such-claim"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("gradlab lab: error: ID: unknown experiment id 'no-such-claim'; "
                               "known ids: ")
    assert len(r.stderr.splitlines()) == 1


def test_an_error_on_a_later_seed_exits_1(fakes, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runner, "all_experiments", lambda: [OddSeedFails()])
    rc, out, err = run_main(["lab", "--seeds", "0,1", "--out", str(tmp_path)], capsys)
    assert rc == 1
    assert "NO: holds, error" in out
    assert err == "error: odd-fails (seed 1) raised RuntimeError: seed 1: not converged\n"
    doc = json.load(open(tmp_path / "results.json"))
    assert doc["experiments"][0]["verdict"] == "holds"  # the report is seed 0's
    assert doc["meta"]["stability"]["odd-fails"]["verdicts"] == ["holds", "error"]


def test_out_is_created_before_the_run(fakes, tmp_path, capsys):
    (tmp_path / "file.txt").write_text("x")
    bad = tmp_path / "file.txt" / "rep"
    rc, out, err = run_main(["lab", "--out", str(bad)], capsys)
    assert rc == 2 and out == ""
    assert err == f"gradlab lab: error: --out {bad}: cannot create the folder: Not a directory\n"
    assert Alpha.calls == []


class Checked(Alpha):
    id = "checked"
    title = "An identity breaks"

    def checks(self, numbers):
        return [Check("sigmoid'(0) = 0.25", True, "exactly"),
                Check("SGD+L2 = weight decay", numbers["seed"] == 0,
                      f"largest difference\n{numbers['seed'] * 0.03:g}")]


def test_a_failed_check_exits_1_naming_it(fakes, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runner, "all_experiments", lambda: [Alpha(), Checked()])
    rc, out, err = run_main(["lab", "--seed", "1", "--out", str(tmp_path)], capsys)
    assert rc == 1
    assert err == "check failed: checked (seed 1): SGD+L2 = weight decay: largest difference 0.03\n"
    doc = json.load(open(tmp_path / "results.json"))
    assert doc["meta"]["failed_checks"] == {"checked": [
        {"seed": 1, "name": "SGD+L2 = weight decay", "detail": "largest difference\n0.03"}]}
    # with --seeds, a check that fails on a later seed counts too
    rc, out, err = run_main(["lab", "--seeds", "0,2", "--out", str(tmp_path / "s")], capsys)
    assert rc == 1
    assert err == "check failed: checked (seed 2): SGD+L2 = weight decay: largest difference 0.06\n"
    rc, out, err = run_main(["lab", "run", "alpha", "--out", str(tmp_path / "a")], capsys)
    assert rc == 0 and err == ""


def _snapshot(folder):
    return {p: p.read_bytes() for p in Path(folder).rglob("*") if p.is_file()}


def test_lab_run_updates_the_report_and_keeps_the_other_experiments(fakes, tmp_path, capsys):
    out_dir = tmp_path / "rep"
    rc, _, _ = run_main(["lab", "--out", str(out_dir)], capsys)
    assert rc == 1  # broken raised
    before = json.load(open(out_dir / "results.json"))
    Alpha.calls = []
    rc, out, err = run_main(["lab", "run", "beta", "--out", str(out_dir)], capsys)
    assert rc == 0, err
    assert Alpha.calls == [("beta", 0, True, 1)]
    assert out.splitlines()[-1] == (f"updated beta in the report in {out_dir}; kept 2 other "
                                    "experiments: alpha, broken")
    doc = json.load(open(out_dir / "results.json"))
    assert [e["id"] for e in doc["experiments"]] == ["alpha", "beta", "broken"]  # registry order
    old = {e["id"]: e for e in before["experiments"]}
    new = {e["id"]: e for e in doc["experiments"]}
    assert new["alpha"] == old["alpha"] and new["broken"] == old["broken"]
    assert new["beta"]["seconds"] != old["beta"]["seconds"]
    assert doc["meta"]["counts"]["error"] == 1 and doc["meta"]["updates"][0]["ids"] == ["beta"]
    html = (out_dir / "report.html").read_text(encoding="utf-8")
    assert html.count('<section id="exp-') == 3
    assert all((out_dir / f["file"]).exists() for e in doc["experiments"] for f in e["figures"])


@pytest.mark.parametrize("argv, said", [
    (["--seed", "1"], "was made with seed 0; this run has seed 1"),
    (["--full"], "was made with mode quick; this run has mode full"),
    (["--jitter", "1e-6"], "was made with jitter 0.0; this run has jitter 1e-06"),
    (["--threads", "2"], "was made with threads 1; this run has threads 2"),
])
def test_lab_run_refuses_a_report_of_other_settings_before_running(fakes, tmp_path, capsys,
                                                                    argv, said):
    rc, _, _ = run_main(["lab", "run", "alpha", "beta", "--out", str(tmp_path)], capsys)
    assert rc == 0
    before = _snapshot(tmp_path)
    Alpha.calls = []
    rc, out, err = run_main(["lab", "run", "alpha", *argv, "--out", str(tmp_path)], capsys)
    assert rc == 2 and out == "" and Alpha.calls == []
    assert err == (f"gradlab lab: error: --out {tmp_path}: the report in {tmp_path} {said}: pass "
                   "another --out (gradlab lab run updates the experiments of a matching report "
                   "and keeps the others)\n")
    assert _snapshot(tmp_path) == before
    # the whole lab replaces it, as it always did
    rc, out, err = run_main(["lab", *argv, "--out", str(tmp_path)], capsys)
    assert rc == 1 and "wrote" in out  # broken raised


def test_lab_run_refuses_a_report_it_cannot_read(fakes, tmp_path, capsys):
    (tmp_path / "results.json").write_text("{half a file", encoding="utf-8")
    rc, out, err = run_main(["lab", "run", "alpha", "--out", str(tmp_path)], capsys)
    assert rc == 2 and Alpha.calls == []
    assert err.startswith(f"gradlab lab: error: --out {tmp_path}: {tmp_path / 'results.json'} "
                          "is not JSON: ")
    assert err.rstrip().endswith("pass another --out (gradlab lab run updates the experiments "
                                 "of a matching report and keeps the others)")
    assert (tmp_path / "results.json").read_text() == "{half a file"
    other = tmp_path / "html-only"
    other.mkdir()
    (other / "report.html").write_text("<p>someone's report</p>")
    rc, out, err = run_main(["lab", "run", "alpha", "--out", str(other)], capsys)
    assert rc == 2 and err == (f"gradlab lab: error: --out {other} holds a report without "
                               "results.json, so its experiments cannot be kept: pass another "
                               "--out\n")
    assert (other / "report.html").read_text() == "<p>someone's report</p>"


def test_the_help_makes_no_claim_of_equal_sums_on_every_machine(capsys):
    for argv in (["lab", "--help"], ["lab", "run", "--help"]):
        rc, out, _ = run_main(argv, capsys)
        out = " ".join(out.split())
        assert rc == 0 and "same sums" not in out and "every machine" not in out
        assert "the BLAS kernel still depends on the CPU" in out
    rc, out, _ = run_main(["lab", "run", "--help"], capsys)
    assert "keeps the other experiments" in " ".join(out.split())
