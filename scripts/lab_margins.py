"""Print, per experiment, each seed's verdict and its binding criterion (the one closest to
its threshold: value, threshold, relative margin) from one or more results.json files written
by ``gradlab lab --seeds ...`` (for example one per BLAS kernel), as a Markdown table.

    python scripts/lab_margins.py SkylakeX=/tmp/lab/results.json Haswell=/tmp/lab-hsw/results.json
"""

from __future__ import annotations

import json
import math
import sys


def binding(criteria: list[dict]) -> dict | None:
    """The criterion with the smallest absolute margin (None when there is none)."""
    finite = [c for c in criteria if isinstance(c.get("margin"), (int, float))
              and math.isfinite(c["margin"])]
    return min(finite, key=lambda c: abs(c["margin"])) if finite else None


def cell(verdict: str, criteria: list[dict]) -> str:
    short = {"holds": "H", "holds with caveats": "C", "does not hold": "F"}.get(verdict, verdict)
    b = binding(criteria)
    if b is None:
        return short
    return (f"{short}: {b['name']} {b['value']:.3g} {b['op']} {b['threshold']:.3g} "
            f"({b['margin']:+.0%})")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    runs = []
    for arg in argv:
        label, _, path = arg.rpartition("=")
        with open(path, encoding="utf-8") as f:
            runs.append((label or path, json.load(f)))
    ids = [e["id"] for e in runs[0][1]["experiments"]]
    head = ["experiment"]
    for label, doc in runs:
        stab = doc["meta"].get("stability") or {}
        seeds = next(iter(stab.values()))["seeds"] if stab else [doc["meta"]["seed"]]
        head += [f"{label} seed {s}" for s in seeds]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for i in ids:
        row = [i]
        for _, doc in runs:
            stab = (doc["meta"].get("stability") or {}).get(i)
            if stab:
                row += [cell(v, c) for v, c in zip(stab["verdicts"], stab["criteria"])]
            else:
                e = next(e for e in doc["experiments"] if e["id"] == i)
                row.append(cell(e["verdict"], e.get("criteria", [])))
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
