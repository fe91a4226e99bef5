"""``gradlab lab``: run the lab's experiments and write the report (see
``gradlab.cli.build_parser``, which calls :func:`register`).

    gradlab lab                      every experiment, quick, report in lab-report/
    gradlab lab list                 id, title and source reference of each experiment
    gradlab lab run ID [ID ...]      only these, updated inside the report already in --out
    gradlab lab --question QID       the experiments behind one question of the answer index
                                     (gradlab ask WORDS finds QID), updated as with run
    options: --full --seed N --out DIR --threads N --jitter REL --seeds 0,1,2

``gradlab lab`` writes the whole report, replacing one in --out. ``gradlab lab run ID ...``
replaces those experiments inside the report already in --out and keeps the others (numbers,
criteria, checks, figures); it refuses, before running anything, a report made with another
seed, mode, jitter, thread count or BLAS kernel, or one it cannot read: pass another --out.

Exit status 0 when every experiment ran and every check passed, 1 when one raised, a check
failed (or, with --seeds, verdicts differed between seeds), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from gradlab.cli.common import UsageError, folder_write_problem


def _seeds(text: str) -> list[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]`` (argparse type: a bad list is a usage error)."""
    parts = [p.strip() for p in text.split(",")]
    try:
        seeds = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 0,1,2, got {text!r}") from None
    if any(s < 0 for s in seeds):
        raise argparse.ArgumentTypeError(f"seeds are integers >= 0, got {text!r}")
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"a seed is given twice in {text!r}")
    return seeds


def _add_options(p: argparse.ArgumentParser, suppress: bool) -> None:
    """The run options; on ``lab run`` their defaults are suppressed so that options given
    before ``run`` (``gradlab lab --seed 3 run ID``) are kept."""

    def default(value):
        return argparse.SUPPRESS if suppress else value

    p.add_argument("--full", action="store_true", default=default(False),
                   help="full protocols (minutes in all; smoother curves) instead of quick")
    p.add_argument("--seed", type=int, default=default(None), help="random seed (default 0)")
    p.add_argument("--out", default=default("lab-report"),
                   help="report folder (default lab-report): report.html, report.md, "
                   "figures/, results.json; 'lab run ID' updates ID in the report there and "
                   "keeps the other experiments")
    p.add_argument("--threads", type=int, default=default(1),
                   help="BLAS threads for each experiment (default 1: no thread-partitioning "
                   "differences; the BLAS kernel still depends on the CPU)")
    p.add_argument("--jitter", type=float, default=default(0.0), metavar="REL",
                   help="perturb every starting point (initial weights, inputs) by this "
                   "relative amount, e.g. 1e-6: a verdict must not change (default 0)")
    p.add_argument("--seeds", type=_seeds, default=default(None), metavar="S1,S2,...",
                   help="stability check: run each experiment with each of these seeds and say "
                   "whether the verdicts agree; the report uses the first seed")


def register(sub) -> None:
    """Add ``gradlab lab`` (with ``list`` and ``run``) to ``sub``, the sub-parsers of
    ``gradlab``."""
    lab = sub.add_parser(
        "lab", help="run the lab: each claim of the sources measured, with a verdict and a plot",
        description="Run the lab's experiments (each claim of the sources: a protocol, numbers, "
        "figures and a verdict by stated thresholds) and write report.html (self-contained), "
        "report.md with figures/ and results.json into --out. Quick protocols by default. "
        "'gradlab lab run ID ...' updates those experiments inside the report in --out and "
        "keeps the others. Exit status 1 when an experiment raised, a check failed or, with "
        "--seeds, a verdict changed with the seed.")
    _add_options(lab, suppress=False)
    lab.add_argument("--question", default=None, metavar="QID",
                     help="run the experiments behind one question of the answer index "
                     "(gradlab ask WORDS finds its id) and update them in the report in --out, "
                     "as 'lab run' does; a question without experiments lists what shows it "
                     "instead (exit status 2)")
    lab.set_defaults(func=_lab, lab_command=None, ids=None)
    cmds = lab.add_subparsers(dest="lab_command", metavar="{list,run}")
    ls = cmds.add_parser("list", help="id, title and source reference of each experiment")
    ls.set_defaults(func=_list)
    run = cmds.add_parser("run", help="run only the named experiments and update them in the "
                          "report in --out (the other experiments are kept)")
    run.add_argument("ids", nargs="+", metavar="ID", help="experiment ids (see gradlab lab list)")
    _add_options(run, suppress=True)
    run.set_defaults(func=_lab)


def _table(rows: list[list[str]], head: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip()
             for r in [head, *rows]]
    return "\n".join(lines)


def _short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 3] + "..."


def _list(args: argparse.Namespace) -> int:
    from gradlab.lab.runner import select

    if getattr(args, "question", None) is not None:
        raise UsageError("--question runs a question's experiments: it does not go with list")
    exps = select(None)
    print(_table([[e.id, e.title, e.source_ref] for e in exps], ["id", "title", "source"]))
    print(f"{len(exps)} experiment{'s' if len(exps) != 1 else ''}; run one with: "
          "gradlab lab run ID")
    return 0


def _check_args(args: argparse.Namespace) -> None:
    if args.seed is not None and args.seeds:
        raise UsageError("--seed: give --seed or --seeds, not both (the report uses the first "
                         "of --seeds)")
    if args.seed is None:
        args.seed = 0
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    if args.threads < 1:
        raise UsageError(f"--threads must be >= 1, got {args.threads}")
    if not (0.0 <= args.jitter < 0.1):
        raise UsageError(f"--jitter must be a relative amount in [0, 0.1), got {args.jitter}")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out} exists and is not a folder")
    try:  # before the run, not after minutes of it
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {args.out}: cannot create the folder: {exc.strerror}") from None
    why = folder_write_problem(args.out)  # tried: permission bits do not tell for root
    if why is not None:
        raise UsageError(f"--out {args.out}: the folder is not writable: {why}")


def _existing_report(args: argparse.Namespace, quick: bool, seed: int) -> bool:
    """For ``gradlab lab run``: whether --out holds a report to update (True) or none
    (False). A report that cannot be read, or was made with another seed, mode, jitter,
    thread count or BLAS kernel, is a usage error before anything runs: its results are never
    overwritten by a run that does not belong with them."""
    from gradlab.lab.report import ReportError, check_compatible, load_report

    out = args.out
    has_json = os.path.exists(os.path.join(out, "results.json"))
    if not has_json:
        if any(os.path.exists(os.path.join(out, f)) for f in ("report.html", "report.md")):
            raise UsageError(f"--out {out} holds a report without results.json, so its "
                             "experiments cannot be kept: pass another --out")
        return False
    try:
        _, meta = load_report(out)
        check_compatible(meta, seed=seed, quick=quick, jitter=args.jitter, threads=args.threads,
                         where=f"the report in {out}")
    except ReportError as exc:
        raise UsageError(f"--out {out}: {exc}: pass another --out (gradlab lab run updates "
                         "the experiments of a matching report and keeps the others)") from None
    return True


def _question(args: argparse.Namespace) -> int | None:
    """For ``gradlab lab --question QID``: put the question's experiments in ``args.ids``
    and return None, or, for a question without experiments, print what shows it and return
    2. An unknown id, or --question with ``run``, is a usage error."""
    from gradlab.lab.questions import get_question, related_commands

    if args.ids is not None:
        raise UsageError("give --question QID or run ID ..., not both")
    try:
        q = get_question(args.question)
    except KeyError:
        raise UsageError(f"--question: no question {args.question!r} in the index (gradlab ask "
                         "WORDS prints the ids of the questions that match)") from None
    print(f"question {q.id} ({q.ref}): {q.question_en}", flush=True)
    if q.experiments:
        args.ids = list(q.experiments)
        return None
    print(f"gradlab lab: question {q.id} has no lab experiment; what shows it:",
          file=sys.stderr)
    shown = [f"  {c}" for c in related_commands(q)]
    shown += [f"  {kind}: {item}" for kind, items in (("code", q.code), ("test", q.tests),
                                                       ("erratum", q.errata))
              for item in items]
    shown.append(f"  gradlab ask {q.id}")
    print("\n".join(shown))
    return 2


def _lab(args: argparse.Namespace) -> int:
    from gradlab.lab.report import ReportError, summary_line, update_report, write_report
    from gradlab.lab.runner import UnknownExperimentError, check_seeds, run_experiments, select

    if getattr(args, "question", None) is not None:
        status = _question(args)
        if status is not None:
            return status
    _check_args(args)
    try:
        chosen = select(args.ids)
    except UnknownExperimentError as exc:
        raise UsageError(f"ID: {exc}") from None
    if not chosen:
        raise UsageError("no experiments found in gradlab.lab.experiments")
    ids = [e.id for e in chosen]
    quick = not args.full
    seeds = args.seeds
    seed = seeds[0] if seeds else args.seed
    update = args.ids is not None and _existing_report(args, quick, seed)
    n = len(chosen)
    over = (f"seeds {', '.join(map(str, seeds))} (report: seed {seed})" if seeds
            else f"seed {seed}")
    print(f"gradlab lab: {n} experiment{'s' if n != 1 else ''}, {over}, "
          f"{'quick' if quick else 'full'} mode, {args.threads} BLAS "
          f"thread{'s' if args.threads > 1 else ''}", flush=True)
    start, cpu = time.perf_counter(), time.process_time()
    checks = None
    try:
        if seeds:
            checks = check_seeds(ids, seeds, quick=quick, threads=args.threads,
                                 jitter=args.jitter)
            results = [c.results[0] for c in checks]
        else:
            results = run_experiments(ids, seed=seed, quick=quick, threads=args.threads,
                                      jitter=args.jitter)
    except KeyboardInterrupt:
        print("\ninterrupted; no report written", file=sys.stderr)
        return 130
    took, took_cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = []
    for i, r in enumerate(results):
        key = r.key if not r.errored else _short(r.error)
        row = [r.id, r.verdict, key, f"{r.seconds:.1f} s", f"{r.cpu_seconds:.1f} s"]
        if checks:
            c = checks[i]
            row = row[:3] + ["yes" if c.agree else "NO: " + ", ".join(c.verdicts)] + row[3:]
        rows.append(row)
    head = ["id", "verdict", "key number"] + (
        [f"seeds {','.join(map(str, seeds))} agree"] if checks else []) + ["time", "CPU"]
    print(_table(rows, head))
    print(f"{summary_line(results)}; {took:.1f} s (CPU {took_cpu:.1f} s)")
    kw = dict(seed=seed, quick=quick, threads=args.threads, total_seconds=took,
              stability=checks, jitter=args.jitter)
    try:
        if update:
            kept_before = _kept_ids(args.out, ids)
            paths = update_report(results, args.out, order=[e.id for e in select(None)], **kw)
        else:
            paths = write_report(results, args.out, **kw)
    except (OSError, ReportError) as exc:
        raise UsageError(f"--out {args.out}: cannot write the report: {exc}") from None
    n_fig = sum(len(r.figures) for r in results)
    print(f"wrote {paths['html']}, {paths['markdown']}, {paths['json']} and {n_fig} "
          f"figure{'s' if n_fig != 1 else ''} in {paths['figures']}")
    if update:
        print(f"updated {', '.join(ids)} in the report in {args.out}; kept "
              f"{len(kept_before)} other experiment{'s' if len(kept_before) != 1 else ''}"
              + (f": {', '.join(kept_before)}" if kept_before else ""))
    every = [r for c in checks for r in c.results] if checks else results
    failed = [r for r in results if r.errored]
    if checks:
        # an error on a later seed must count too
        failed = [c.results[next(j for j, r in enumerate(c.results) if r.errored)]
                  for c in checks if any(r.errored for r in c.results)]
    for r in failed:
        print(f"error: {r.id} (seed {r.seed}) raised {' '.join(r.error.split())}",
              file=sys.stderr)
    broken = [(r, c) for r in every for c in r.failed_checks]
    for r, c in broken:
        print(f"check failed: {r.id} (seed {r.seed}): {c.name}: {' '.join(c.detail.split())}",
              file=sys.stderr)
    unstable = [c for c in checks or [] if not c.agree and not any(r.errored for r in c.results)]
    for c in unstable:
        print(f"unstable: {c.id}: " + "; ".join(f"seed {s}: {v}" for s, v in
                                                zip(c.seeds, c.verdicts)), file=sys.stderr)
    return 1 if failed or broken or unstable else 0


def _kept_ids(out: str, replaced: list[str]) -> list[str]:
    """The ids of the report in ``out`` that a run of ``replaced`` keeps."""
    import json

    try:
        with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
            doc = json.load(f)
        return [e["id"] for e in doc["experiments"] if e["id"] not in replaced]
    except (OSError, ValueError, KeyError, TypeError):
        return []
