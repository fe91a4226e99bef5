"""Write the README's lab table (and its ``gradlab ask`` example) from the program's own
output, never by hand.

    gradlab lab --seeds 0,1,2 --out /tmp/lab                         # this machine's kernel
    OPENBLAS_CORETYPE=Haswell gradlab lab --seeds 0,1,2 --out /tmp/lab-hsw   # optional, by hand
    python scripts/readme_lab.py /tmp/lab/results.json [--other /tmp/lab-hsw/results.json]

It keeps what the table needs of each ``results.json`` in ``docs/lab-results*.json`` (the
verdicts, key numbers, criteria with their margins, the run's machine and BLAS kernel) and
rewrites the block between the markers in README.md from those files. ``--check`` rewrites
nothing and exits 1 when the README differs from what the kept files give (the test suite runs
it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
KEPT = ROOT / "docs" / "lab-results.json"
KEPT_OTHER = ROOT / "docs" / "lab-results-other-kernel.json"
BEGIN = "<!-- lab-table: written by scripts/readme_lab.py from docs/lab-results*.json -->"
END = "<!-- /lab-table -->"
ASK_BEGIN = "<!-- ask-example: written by scripts/readme_lab.py from gradlab ask's output -->"
ASK_END = "<!-- /ask-example -->"
ASK_ARGS = ["梯度爆炸", "--limit", "1"]


def trim(doc: dict) -> dict:
    """What the README needs of a results.json: the run's metadata (without the long per-seed
    series) and, per experiment, id, verdict, key number, criteria and failed checks."""
    meta = {k: v for k, v in doc["meta"].items()}
    exps = [{"id": e["id"], "verdict": e["verdict"], "key": e["key"],
             "criteria": e.get("criteria", []),
             "failed_checks": [c["name"] for c in e.get("checks", []) if not c["passed"]]}
            for e in doc["experiments"]]
    return {"meta": meta, "experiments": exps}


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def _kernel(meta: dict) -> str:
    blas = meta.get("blas") or {}
    core = blas.get("architecture") or blas.get("core") or "unknown"
    version = blas.get("version") or "unknown"
    return f"{blas.get('name') or 'BLAS'} {version}, {core} kernel"


def _verdicts(doc: dict) -> dict[str, list[str]]:
    stab = doc["meta"].get("stability") or {}
    return {e["id"]: (stab[e["id"]]["verdicts"] if e["id"] in stab else [e["verdict"]])
            for e in doc["experiments"]}


def render(doc: dict, other: dict | None = None) -> str:
    """The README block (without the markers) for a trimmed results document."""
    meta = doc["meta"]
    stab = meta.get("stability") or {}
    seeds = next(iter(stab.values()))["seeds"] if stab else [meta["seed"]]
    rows = [["id", "verdict", f"key number (seed {meta['seed']})"]]
    rows += [[e["id"], e["verdict"], e["key"]] for e in doc["experiments"]]
    lines = ["```text", *_table(rows), "```", ""]
    agree = all(s["agree"] for s in stab.values()) if stab else None
    seeds_text = ", ".join(map(str, seeds))
    cpu = meta.get("cpu") or meta.get("machine") or "unknown CPU"
    took = meta.get("total_seconds")
    sentence = (f"Made by `gradlab lab{' --seeds ' + ','.join(map(str, seeds)) if stab else ''}` "
                f"({meta['mode']} mode, {meta['threads']} BLAS thread) on {cpu} with "
                f"{_kernel(meta)}, Python {meta['python']}, NumPy {meta['numpy']}, "
                f"{meta['date'][:10]}: {meta['summary']}")
    if took:
        sentence += (f", {took:.0f} s in all (seed {meta['seed']}'s experiments: "
                     f"{meta['total_cpu_seconds']:.0f} s CPU)")
    sentence += "."
    if agree is not None:
        sentence += (f" Every verdict is the same for seeds {seeds_text}." if agree else
                     " Some verdicts differ between seeds: " + "; ".join(
                         f"{i}: {', '.join(s['verdicts'])}" for i, s in stab.items()
                         if not s["agree"]) + ".")
    failed = [f"{e['id']}: {', '.join(e['failed_checks'])}" for e in doc["experiments"]
              if e["failed_checks"]]
    sentence += (" Checks failed: " + "; ".join(failed) + "." if failed else
                 " Every check of every experiment passed.")
    if other is not None:
        a, b = _verdicts(doc), _verdicts(other)
        differ = [i for i in a if a[i] != b.get(i)]
        n = sum(len(v) for v in a.values())
        sentence += (f" The same command with {_kernel(other['meta'])} (selected by "
                     f"`OPENBLAS_CORETYPE`, {other['meta']['date'][:10]}) gave "
                     + ("the same " + str(n) + " verdicts." if not differ else
                        "different verdicts for " + ", ".join(differ) + "."))
    lines.append(_wrap(sentence))
    return "\n".join(lines)


def _wrap(text: str, width: int = 96) -> str:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    return "\n".join(out)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def ask_example() -> str:
    """``gradlab ask`` on ASK_ARGS, as a terminal block (the command and what it printed)."""
    import contextlib
    import io

    from gradlab.cli import main as gradlab_main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = gradlab_main(["ask", *ASK_ARGS])
    if code != 0:
        raise SystemExit(f"readme_lab: gradlab ask {' '.join(ASK_ARGS)} exited {code}")
    return "```text\n$ gradlab ask " + " ".join(ASK_ARGS) + "\n" + out.getvalue().rstrip() + "\n```"


def _replace(text: str, begin: str, end: str, body: str) -> str:
    if begin not in text or end not in text:
        raise SystemExit(f"readme_lab: README.md lacks the markers {begin!r} ... {end!r}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def expected_readme() -> str:
    """README.md with its blocks as the kept files and ``gradlab ask`` give them."""
    text = README.read_text(encoding="utf-8")
    other = _load(KEPT_OTHER) if KEPT_OTHER.exists() else None
    text = _replace(text, BEGIN, END, render(_load(KEPT), other))
    return _replace(text, ASK_BEGIN, ASK_END, ask_example())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", nargs="?", help="results.json of gradlab lab (--seeds 0,1,2)")
    p.add_argument("--other", help="results.json of the same command under another BLAS kernel")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when README.md differs from what docs/lab-results*.json give")
    a = p.parse_args(argv)
    if a.check:
        if README.read_text(encoding="utf-8") != expected_readme():
            print("README.md's lab table is not what docs/lab-results*.json give: run "
                  "python scripts/readme_lab.py", file=sys.stderr)
            return 1
        return 0
    if a.results:
        KEPT.parent.mkdir(exist_ok=True)
        KEPT.write_text(json.dumps(trim(_load(Path(a.results))), indent=1, ensure_ascii=False)
                        + "\n", encoding="utf-8")
        if a.other:
            KEPT_OTHER.write_text(json.dumps(trim(_load(Path(a.other))), indent=1,
                                             ensure_ascii=False) + "\n", encoding="utf-8")
        elif KEPT_OTHER.exists():
            KEPT_OTHER.unlink()  # an old run under another kernel says nothing of this one
    README.write_text(expected_readme(), encoding="utf-8")
    print(f"wrote README.md's lab table from {KEPT.relative_to(ROOT)}"
          + (f" and {KEPT_OTHER.relative_to(ROOT)}" if KEPT_OTHER.exists() else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
