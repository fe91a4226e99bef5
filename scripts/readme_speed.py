"""Write the README's speed table from the fair benchmark's own output, never by hand.

    python -m benchmarks.fair --extras mygrad,numpy --json /tmp/fair.json   # a quiet machine
    python scripts/readme_speed.py /tmp/fair.json

It keeps the benchmark's JSON record as ``docs/speed-results.json`` and rewrites the block
between the markers in README.md from it: the table ``benchmarks/fair.py`` prints, the
machine, the BLAS library and kernel, the versions, the protocol and the load during the run.
``--check`` rewrites nothing and exits 1 when the README differs from what the kept file gives
(the test suite runs it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
KEPT = ROOT / "docs" / "speed-results.json"
BEGIN = "<!-- speed-table: written by scripts/readme_speed.py from docs/speed-results.json -->"
END = "<!-- /speed-table -->"


def _fair():
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks import fair
    finally:
        sys.path.remove(str(ROOT))
    return fair


def _blas(env: dict) -> str:
    pools = env.get("gradlab_blas_pools") or [{}]
    p = pools[0]
    return (f"{p.get('internal_api') or 'BLAS'} {p.get('version') or '?'} "
            f"({p.get('architecture') or '?'} kernel)")


def render(doc: dict) -> str:
    """The README block of a fair-benchmark record."""
    env, proto = doc["environment"], doc["protocol"]
    fair = _fair()
    table = fair.format_table(doc["workloads"], proto.get("extras") or [])
    designs = fair.format_designs(doc["workloads"], proto.get("extras") or [])
    load = env.get("loadavg_start"), env.get("loadavg_end")
    lines = [
        BEGIN,
        f"Measured on {env['cpu']} ({env['cpu_count']} logical CPUs, {env['machine']}), "
        f"{env['threads']} threads per library; {_blas(env)} under NumPy "
        f"{env['numpy']}; gradlab {env['gradlab']}, torch {env['torch']}, Python "
        f"{env['python']}; {env.get('date', '').replace('T', ' ').replace('+00:00', ' UTC')}"
        + (f"; note: {doc['note']}" if doc.get("note") else "") + ".",
        f"Each library in its own process, {proto['rounds']} rounds alternating, per round the "
        f"median of {proto['steps']} steps after {proto['warmup']} warm-up steps"
        + (f"; load average {load[0][0]:.2f} at the start, {load[1][0]:.2f} at the end"
           if load[0] and load[1] else "")
        + (f", CPU steal {env['cpu_steal_s']} s" if env.get("cpu_steal_s") is not None else "")
        + ".",
        "",
        table,
        "",
        "ms: median over rounds of each round's median step time; gradlab/torch: ratio of "
        "those medians (> 1: gradlab slower); min-max: the per-round ratios; RSS +MiB: peak "
        "RSS growth over the steps. Written by `scripts/readme_speed.py` from "
        "`docs/speed-results.json`.",
    ]
    if designs:
        lines += ["", "gradlab against the other designs, from the same run (each in its own "
                  "process):", "", designs]
    lines.append(END)
    return "\n".join(lines)


def expected_readme() -> str:
    """README.md with its speed block rewritten from docs/speed-results.json."""
    text = README.read_text(encoding="utf-8")
    a, b = text.index(BEGIN), text.index(END) + len(END)
    doc = json.loads(KEPT.read_text(encoding="utf-8"))
    return text[:a] + render(doc) + text[b:]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", nargs="?", help="the JSON record of python -m benchmarks.fair")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when README.md differs from what docs/speed-results.json gives")
    a = p.parse_args(argv)
    if a.check:
        if README.read_text(encoding="utf-8") != expected_readme():
            print("README.md's speed table is not what docs/speed-results.json gives: run "
                  "python scripts/readme_speed.py", file=sys.stderr)
            return 1
        return 0
    if a.results:
        doc = json.loads(Path(a.results).read_text(encoding="utf-8"))
        KEPT.parent.mkdir(exist_ok=True)
        KEPT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    README.write_text(expected_readme(), encoding="utf-8")
    print(f"wrote the speed table of {README.name} from {KEPT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
