"""Figures of the bad-call table (``tests/fuzztable.py``): rows by area, how many torch
refuses, the share of those gradlab refuses with a clear error of its own, and the lenient
cases kept with their reasons.  Run: ``PYTHONPATH=.:tests python scripts/fuzz_report.py``."""

from __future__ import annotations

import collections
import sys
import warnings

sys.path.insert(0, "tests")
warnings.simplefilter("ignore")

from fuzztable import all_rows, run  # noqa: E402


def main() -> int:
    outcomes = [run(r) for r in all_rows()]
    by_area = collections.defaultdict(lambda: [0, 0, 0, 0])
    for o in outcomes:
        a = by_area[o.row.area]
        a[0] += 1
        a[1] += o.torch_raises
        a[2] += o.clear and not o.row.lenient
        a[3] += bool(o.row.lenient) and o.torch_raises
    print("| area | rows | torch refuses | gradlab: clear error | lenient (kept) |")
    print("|---|---|---|---|---|")
    tot = [0, 0, 0, 0]
    for area in sorted(by_area):
        a = by_area[area]
        tot = [x + y for x, y in zip(tot, a)]
        print(f"| {area} | {a[0]} | {a[1]} | {a[2]} | {a[3]} |")
    print(f"| **all** | {tot[0]} | {tot[1]} | {tot[2]} | {tot[3]} |")
    refused = tot[1]
    print(f"\nclear errors: {tot[2]} of {refused} calls torch refuses "
          f"({100 * tot[2] / max(refused, 1):.1f}%), lenient {tot[3]}")
    bad = [o for o in outcomes if o.problems()]
    for o in bad:
        print(f"FAIL {o.row.id}: {'; '.join(o.problems())}")
    lenient = [o.row for o in outcomes if o.row.lenient]
    if lenient:
        print("\nlenient cases kept:")
        for r in lenient:
            print(f"- {r.id}: {r.lenient}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
