"""Why the Gaussian is everywhere (source 003 L422; Deep Learning book §3.9.3): by the central
limit theorem the standardized sum of n independent terms approaches N(0, 1) as n grows,
whatever the terms' own distribution (as long as its variance is finite).

Four kinds of terms: uniform, exponential (skewed), Bernoulli(0.1) (discrete and skewed), and
the product of a uniform weight and a ReLU feature, w * relu(g) with w ~ U(-1, 1) and
g ~ N(0, 1) (a term of a unit's pre-activation under nn.Linear's default uniform init, half of
its mass at 0). For n = 1, 2, 4, ..., 64 the sums are standardized with the terms' exact mean
and variance and compared with N(0, 1) by the Kolmogorov-Smirnov distance. The Cauchy
distribution (no variance) is the reported control.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gradlab.lab.experiment import (
    CAVEATS,
    FAILS,
    HOLDS,
    Check,
    Criterion,
    Experiment,
    Measurement,
    Verdict,
    new_figure,
    perturb,
    png,
)

_TERMS = (1, 2, 4, 8, 16, 32, 64)
#: name -> (label, exact mean, exact variance) of one term
SOURCES = {
    "uniform": ("uniform U(-1, 1)", 0.0, 1.0 / 3.0),
    "exponential": ("exponential(1)", 1.0, 1.0),
    "bernoulli": ("Bernoulli(0.1)", 0.1, 0.09),
    "weight_relu": ("w * relu(g), w ~ U(-1, 1)", 0.0, 1.0 / 6.0),
}


def draw(name: str, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Independent terms of source ``name`` (float64), ``shape`` = (terms, samples)."""
    if name == "uniform":
        return rng.uniform(-1.0, 1.0, shape)
    if name == "exponential":
        return rng.exponential(1.0, shape)
    if name == "bernoulli":
        return (rng.random(shape) < 0.1).astype(np.float64)
    if name == "weight_relu":
        return rng.uniform(-1.0, 1.0, shape) * np.maximum(rng.standard_normal(shape), 0.0)
    if name == "cauchy":
        return rng.standard_cauchy(shape)
    raise ValueError(f"draw: unknown source {name!r}")


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Phi(z), the standard normal CDF (float64)."""
    from math import erf
    return 0.5 * (1.0 + np.vectorize(erf)(np.asarray(z) / math.sqrt(2.0)))


def ks_normal(z: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between the sample ``z`` (1-D) and N(0, 1): the largest
    gap between the empirical CDF (on both sides of each jump) and Phi."""
    z = np.sort(z)
    m = len(z)
    phi = normal_cdf(z)
    upper = np.arange(1, m + 1) / m - phi
    lower = phi - np.arange(0, m) / m
    return float(max(upper.max(), lower.max()))


class CentralLimit(Experiment):
    """KS distance to N(0, 1) of standardized sums of n terms from four distributions."""

    id = "central-limit"
    title = "Sums of many independent terms are nearly Gaussian"
    source_ref = "source 003 L422 (book p63-64)"
    claim = ("One reason the Gaussian is used so widely is the central limit theorem: a sum of "
             "many independent terms is approximately Gaussian whatever the terms' own "
             "distribution, skewed or discrete, so that the standardized sum of 64 terms is "
             "close to N(0, 1).")
    claim_zh = "高斯分布的广泛应用的缘由"
    protocol = (
        "Four kinds of terms: U(-1, 1), exponential(1), Bernoulli(0.1), and w * relu(g) with "
        "w ~ U(-1, 1), g ~ N(0, 1). 20,000 sums (full mode 100,000) of n = 1, 2, 4, ..., 64 "
        "terms each (the first n of 64 drawn terms), standardized with the exact mean and "
        "variance; KS distance to N(0, 1). shrink = KS(64) / KS(1) per source. Holds: every "
        "shrink <= 0.25 and every KS(64) <= 0.05. Does not hold: some shrink > 0.5. Holds "
        "with caveats otherwise. Cauchy terms (no variance), scaled by 1 / n, are the "
        "reported control (all fixed before any run).")
    thresholds = {
        "shrink_holds": 0.25,   # KS(64) / KS(1), every source, for 'holds'
        "ks_close": 0.05,       # KS(64), every source, for 'holds'
        "shrink_fails": 0.5,    # above this for some source: does not hold
    }

    def measure(self, seed: int, quick: bool) -> Measurement:
        m = 20_000 if quick else 100_000
        rng = np.random.default_rng([39, seed])
        ks: dict[str, list[float]] = {}
        moments = {}
        for name in (*SOURCES, "cauchy"):
            terms = perturb(draw(name, rng, (_TERMS[-1], m)))
            csum = np.cumsum(terms, axis=0)
            row = []
            for n in _TERMS:
                s = csum[n - 1]
                if name == "cauchy":
                    z = s / n               # standard Cauchy again, for every n
                else:
                    _, mu, var = SOURCES[name]
                    z = (s - n * mu) / math.sqrt(n * var)
                row.append(ks_normal(z))
            ks[name] = row
            if name != "cauchy":
                moments[name] = (float(terms.mean()), float(terms.var()))
        nums: dict[str, Any] = {"samples": m, "terms": list(_TERMS),
                                "sources": list(SOURCES), "control": "cauchy"}
        for name, row in ks.items():
            nums[f"ks_{name}"] = row
            nums[f"shrink_{name}"] = row[-1] / row[0]
        finite = list(SOURCES)
        worst_shrink = max(finite, key=lambda s: nums[f"shrink_{s}"])
        worst_ks = max(finite, key=lambda s: ks[s][-1])
        nums.update({
            "worst_shrink": nums[f"shrink_{worst_shrink}"], "worst_shrink_source": worst_shrink,
            "worst_ks64": ks[worst_ks][-1], "worst_ks64_source": worst_ks,
            "moment_error": max(max(abs(mu - SOURCES[s][1]), abs(var - SOURCES[s][2])
                                    / SOURCES[s][2]) for s, (mu, var) in moments.items()),
            "ks_exact_check": _ks_sanity(),
        })
        return Measurement(nums, self._figures(nums))

    @staticmethod
    def _figures(n: dict[str, Any]) -> list:
        fig, ax = new_figure()
        for name in n["sources"]:
            ax.plot(n["terms"], n[f"ks_{name}"], "o-", label=SOURCES[name][0])
        ax.plot(n["terms"], n["ks_cauchy"], "s--", color="grey", label="Cauchy (no variance)")
        ax.plot(n["terms"], 0.05 * np.ones(len(n["terms"])), ":", color="k",
                label="KS 0.05")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set(xlabel="terms in the sum n", ylabel="KS distance to N(0, 1)",
               title=f"standardized sums, {n['samples']:,} each")
        ax.legend(fontsize=9)
        return [png(fig, "central_limit",
                    "Kolmogorov-Smirnov distance between the standardized sum of n "
                    "independent terms and N(0, 1), for four distributions of the terms and "
                    "the Cauchy control (log-log).")]

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        shrink = Criterion(f"largest KS(64) / KS(1) over the four sources "
                           f"({SOURCES[n['worst_shrink_source']][0]})", n["worst_shrink"],
                           "<=", t["shrink_holds"], "shrink_holds")
        close = Criterion(f"largest KS distance at 64 terms "
                          f"({SOURCES[n['worst_ks64_source']][0]})", n["worst_ks64"], "<=",
                          t["ks_close"], "ks_close")
        fails = Criterion("largest KS(64) / KS(1) (does not hold above)", n["worst_shrink"],
                          "<=", t["shrink_fails"], "shrink_fails")
        if not fails.passed:
            verdict, criteria = FAILS, [fails]
        elif shrink.passed and close.passed:
            verdict, criteria = HOLDS, [shrink, close]
        else:
            verdict, criteria = CAVEATS, [shrink, close]
        per = "; ".join(f"{SOURCES[s][0]} {n[f'ks_{s}'][0]:.3f} -> {n[f'ks_{s}'][-1]:.3f}"
                        for s in n["sources"])
        text = (f"KS distance to N(0, 1) from 1 to 64 terms ({n['samples']:,} sums each): "
                f"{per}. The largest ratio KS(64) / KS(1) is {n['worst_shrink']:.3f} "
                f"(threshold {t['shrink_holds']:g}) and the largest KS(64) "
                f"{n['worst_ks64']:.3f} (threshold {t['ks_close']:g}); the Cauchy control "
                f"stays at {n['ks_cauchy'][-1]:.3f}. ")
        if verdict == HOLDS:
            text += "So every finite-variance source's sum of 64 terms is close to N(0, 1)."
        elif verdict == CAVEATS:
            text += (f"So every sum approaches N(0, 1), but the "
                     f"{SOURCES[n['worst_ks64_source']][0]} sum is not yet within "
                     f"{t['ks_close']:g} of it at 64 terms.")
        else:
            text += (f"So the {SOURCES[n['worst_shrink_source']][0]} sum does not approach "
                     f"N(0, 1) as the terms add up.")
        key = (f"KS(64) <= {n['worst_ks64']:.3f} ({n['worst_ks64_source']}), "
               f"KS(64)/KS(1) <= {n['worst_shrink']:.2f}")
        return Verdict(verdict, text, key, criteria=criteria)

    def checks(self, n: dict[str, Any]) -> list[Check]:
        return [
            Check("the drawn terms have the exact mean and variance used to standardize "
                  "(within 1% of the variance)", n["moment_error"] <= 0.01,
                  f"largest error {n['moment_error']:.1e}"),
            Check("the KS distance of a N(0, 1) sample of 20,000 is below 0.015 "
                  "(the statistic is computed right)", n["ks_exact_check"] <= 0.015,
                  f"KS {n['ks_exact_check']:.4f}"),
        ]


def _ks_sanity() -> float:
    """KS distance of a fixed N(0, 1) sample of 20,000 to N(0, 1) (about 0.006 expected)."""
    return ks_normal(np.random.default_rng(390).standard_normal(20_000))


EXPERIMENT = CentralLimit()
