"""A linear autoencoder learns the PCA subspace (source 003 L608-612, autoencoders and PCA):
with k hidden units and squared error, trained by gradient descent, its decoder spans the
subspace of the top-k principal components (Baldi and Hornik 1989), and reconstructs as well
as PCA, but its weights are a mixture of the components rather than the components.

Full-batch training on the centred Digits images: the mean squared error of a linear map M
over the rows of X equals its error over the rows of R, where X / sqrt(N) = Q R (QR
decomposition; X^T X / N = R^T R), so the nets train on the 64 rows of R: the same loss and
gradients as on the 1,438 images, at a 22nd of the cost (a check compares the two).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import gradlab
from gradlab import nn
from gradlab.datasets import Digits
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

_K = 8
_STARTS = 5
_LR = 0.01
_EVERY = 10        # principal angle recorded every so many steps (figure)


def _max_angle_deg(u: np.ndarray, v: np.ndarray) -> float:
    """Largest principal angle (degrees) between the column spaces of u and v (64 x k each):
    arcsin of the spectral norm of v's orthonormal basis with u's subspace removed."""
    qu, _ = np.linalg.qr(u)
    qv, _ = np.linalg.qr(v)
    resid = qv - qu @ (qu.T @ qv)
    s = min(1.0, float(np.linalg.norm(resid, 2)))
    return math.degrees(math.asin(s))


def _recon_mse(x: np.ndarray, enc: np.ndarray, dec: np.ndarray) -> float:
    """Mean over images of the squared error summed over pixels of x -> x enc dec."""
    return float(np.sum((x - x @ enc @ dec) ** 2) / len(x))


class LinearAutoencoder(Experiment):
    """Linear autoencoders 64 -> 8 -> 64 on centred Digits from 5 starts, Adam full-batch,
    compared with PCA's top-8 subspace (numpy SVD)."""

    id = "linear-autoencoder-pca"
    title = "A linear autoencoder spans the PCA subspace, without being PCA"
    source_ref = "source 003 L608-612 (L610)"
    claim = ("A linear autoencoder with k hidden units trained by gradient descent on squared "
             "reconstruction error learns the subspace of the top-k principal components and "
             "reconstructs as well as PCA, but its weights are not the principal components "
             "themselves (any invertible mixture of them gives the same reconstruction).")
    claim_zh = "自编码器与线性因子模型，PCA，ICA 等的关系"
    protocol = (
        "Digits training images (1,438 x 64 pixels, float64, centred). Linear autoencoders "
        "x -> x E D, E 64 x 8, D 8 x 64, no biases, gradlab's Linear init, 5 starts trained "
        "side by side; squared error summed over pixels, mean over images, full batch (on the "
        "QR factor R of X / sqrt(N): the same loss); Adam lr 0.01, 400 steps (full: 1,500). "
        "Against PCA's top 8 right singular vectors of X (numpy SVD): the largest principal "
        "angle between the decoder's row space and that subspace, AE error / PCA error, and "
        "for each hidden unit the largest |cos| between its decoder vector and one component; "
        "medians over starts. Verdict: 'does not hold' when the angle exceeds 20 degrees; "
        "'holds' when it is <= 5 degrees, the error ratio <= 1.01 and the mean |cos| <= 0.95; "
        "'holds with caveats' otherwise.")
    thresholds = {
        "angle_holds_max_deg": 5.0,      # median largest principal angle: the same subspace
        "angle_fails_min_deg": 20.0,     # above this the subspace is not PCA's
        "recon_ratio_max": 1.01,         # median AE error / PCA error
        "component_cos_max": 0.95,       # median of mean best |cos|: not the components
    }

    def measure(self, seed: int, quick: bool) -> Measurement:
        tr = Digits(train=True)
        x = perturb(tr.data.numpy().reshape(len(tr), 64).astype(np.float64))
        x = x - x.mean(0)
        n = len(x)
        _, sv, vt = np.linalg.svd(x, full_matrices=False)
        pcs = vt[:_K].T                                    # 64 x 8
        pca_mse = float(np.sum(sv[_K:] ** 2) / n)
        eig = sv ** 2 / n
        r = np.linalg.qr(x / math.sqrt(n), mode="r")       # 64 x 64, R^T R = X^T X / N

        gradlab.manual_seed(seed)
        encs, decs = [], []
        for _ in range(_STARTS):
            e = perturb(nn.Linear(64, _K, bias=False))
            d = perturb(nn.Linear(_K, 64, bias=False))
            encs.append(e.weight.detach().numpy().T.astype(np.float64))
            decs.append(d.weight.detach().numpy().T.astype(np.float64))
        enc = nn.Parameter(gradlab.tensor(np.stack(encs)))     # (S, 64, 8)
        dec = nn.Parameter(gradlab.tensor(np.stack(decs)))     # (S, 8, 64)
        opt = gradlab.optim.Adam([enc, dec], lr=_LR)
        rt = gradlab.tensor(r)
        steps = 400 if quick else 1500
        losses, angles = [], []
        for t in range(steps + 1):
            if t % _EVERY == 0 or t == steps:
                dn = dec.detach().numpy()
                angles.append([_max_angle_deg(pcs, dn[s].T) for s in range(_STARTS)])
            if t == steps:
                break
            diff = rt - (rt @ enc) @ dec
            per_start = (diff * diff).sum(dim=(1, 2))
            loss = per_start.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(per_start.detach().numpy().tolist())

        en, dn = enc.detach().numpy(), dec.detach().numpy()
        mse = [_recon_mse(x, en[s], dn[s]) for s in range(_STARTS)]
        mse_r = [float(np.sum((r - r @ en[s] @ dn[s]) ** 2)) for s in range(_STARTS)]
        cos, ortho, proj = [], [], []
        for s in range(_STARTS):
            units = dn[s] / np.linalg.norm(dn[s], axis=1, keepdims=True)   # 8 x 64
            c = np.abs(units @ pcs)                                         # 8 x 8
            cos.append(c.max(axis=1).tolist())
            ortho.append(float(np.linalg.norm(dn[s] @ dn[s].T - np.eye(_K)) / math.sqrt(_K)))
            proj.append(float(np.linalg.norm(en[s] @ dn[s] - pcs @ pcs.T)
                              / math.sqrt(_K)))
        mean_cos = [float(np.mean(c)) for c in cos]
        final_angles = angles[-1]
        q_rot, _ = np.linalg.qr(np.random.default_rng([seed, 34]).standard_normal((_K, _K)))
        numbers: dict[str, Any] = {
            "k": _K, "starts": _STARTS, "steps": steps, "lr": _LR, "images": n,
            "pca_mse": pca_mse,
            "pca_eig_sum_tail": float(np.sum(eig[_K:])),
            "eigengap": [float(eig[_K - 1]), float(eig[_K])],
            "ae_mse_runs": mse, "ae_mse_r_runs": mse_r,
            "recon_ratio_runs": [m / pca_mse for m in mse],
            "recon_ratio": float(np.median([m / pca_mse for m in mse])),
            "angle_runs": final_angles,
            "angle_deg": float(np.median(final_angles)),
            "angle_curve": [float(np.median(a)) for a in angles],
            "angle_curve_runs": angles,
            "unit_cos_runs": cos,
            "mean_cos_runs": mean_cos,
            "mean_cos": float(np.median(mean_cos)),
            "orthonormality_dev_runs": ortho,
            "orthonormality_dev": float(np.median(ortho)),
            "projection_dev": float(np.median(proj)),
            "final_loss_runs": losses[-1],
            "check_angle_rotated": _max_angle_deg(pcs, pcs @ q_rot),
            "check_angle_next": _max_angle_deg(pcs, vt[_K:2 * _K].T),
            "start0_cos_matrix": np.abs(
                (dn[0] / np.linalg.norm(dn[0], axis=1, keepdims=True)) @ vt[:10].T).tolist(),
        }
        return Measurement(numbers, [self._figure(numbers)])

    @staticmethod
    def _figure(n):
        fig, (a, b) = new_figure(ncols=2, width=4.6)
        curve = np.array(n["angle_curve_runs"])
        t = np.minimum(np.arange(len(curve)) * _EVERY, n["steps"])
        floor = 1e-3
        for s in range(curve.shape[1]):
            a.plot(t, np.maximum(curve[:, s], floor), lw=1, alpha=0.7, label=f"start {s}")
        a.axhline(5.0, color="gray", ls=":", lw=0.8)
        a.set(yscale="log", xlabel="Adam step",
              ylabel="largest principal angle to\nPCA top-8 subspace (degrees)",
              title="decoder subspace vs PCA")
        a.legend()
        m = np.array(n["start0_cos_matrix"])
        im = b.imshow(m, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        b.set(xticks=range(m.shape[1]), xticklabels=[str(i + 1) for i in range(m.shape[1])],
              yticks=range(m.shape[0]), yticklabels=[str(i + 1) for i in range(m.shape[0])],
              xlabel="principal component", ylabel="hidden unit (decoder vector)",
              title="|cos|, start 0")
        fig.colorbar(im, ax=b)
        return png(fig, "linear_autoencoder",
                   "Left: largest principal angle between each start's decoder subspace and "
                   "PCA's top-8 subspace during training (dotted: 5 degrees). Right: |cos| "
                   "between start 0's eight decoder vectors and the first ten principal "
                   "components (9 and 10 are outside PCA's top-8 subspace).")

    def judge(self, n: dict[str, Any]) -> Verdict:
        t = self.thresholds
        k = n["starts"]
        near = Criterion(f"median over {k} starts of the largest principal angle (degrees), "
                         "not far", n["angle_deg"], "<=", t["angle_fails_min_deg"],
                         "angle_fails_min_deg")
        same = Criterion(f"median over {k} starts of the largest principal angle (degrees), "
                         "the same subspace", n["angle_deg"], "<=", t["angle_holds_max_deg"],
                         "angle_holds_max_deg")
        recon = Criterion(f"median over {k} starts of AE error / PCA error",
                          n["recon_ratio"], "<=", t["recon_ratio_max"], "recon_ratio_max")
        notpc = Criterion(f"median over {k} starts of the mean best |cos| between a decoder "
                          "vector and a component", n["mean_cos"], "<=",
                          t["component_cos_max"], "component_cos_max")
        if not near.passed:
            verdict = FAILS
        elif same.passed and recon.passed and notpc.passed:
            verdict = HOLDS
        else:
            verdict = CAVEATS
        text = (f"After {n['steps']} Adam steps the largest principal angle between the "
                f"decoder's subspace and PCA's top {n['k']} was {n['angle_deg']:.2f} degrees "
                f"(median of {k} starts, {min(n['angle_runs']):.2f} to "
                f"{max(n['angle_runs']):.2f}; same subspace means <= "
                f"{t['angle_holds_max_deg']:g}, not far <= {t['angle_fails_min_deg']:g}). "
                f"The reconstruction error was {n['recon_ratio']:.4f} times PCA's "
                f"(threshold {t['recon_ratio_max']:g}). "
                f"Yet a decoder vector's best |cos| with one component was "
                f"{n['mean_cos']:.2f} on average (threshold {t['component_cos_max']:g}), and "
                f"the decoder vectors were {n['orthonormality_dev']:.2f} away from "
                f"orthonormal (RMS of D D^T - I), so the weights mix the components.")
        if verdict == CAVEATS:
            parts = []
            if not same.passed:
                parts.append("the subspace is near but not at PCA's")
            if not recon.passed:
                parts.append("the error is above PCA's by more than the threshold")
            if not notpc.passed:
                parts.append("the decoder vectors are close to the components themselves")
            text += " Caveat: " + "; ".join(parts) + "."
        elif verdict == FAILS:
            text += " The decoder did not find PCA's subspace."
        key = (f"angle {n['angle_deg']:.2f} deg, error x{n['recon_ratio']:.4f} of PCA, "
               f"|cos| {n['mean_cos']:.2f}")
        return Verdict(verdict, text, key, criteria=[near, same, recon, notpc])

    def checks(self, n: dict[str, Any]) -> list[Check]:
        """The loss on R is the loss on the images; PCA's error is the sum of the trailing
        eigenvalues; no autoencoder beats PCA (Eckart-Young); the angle measure gives 0 for a
        rotated basis of the same subspace and 90 degrees for the next components."""
        pairs = list(zip(n["ae_mse_runs"], n["ae_mse_r_runs"]))
        gap = max(abs(a - b) / a for a, b in pairs)
        out = [Check("squared error on R equals the error on the 1,438 images",
                     gap <= 1e-9, f"largest relative difference {gap:.1e} (at most 1e-9)")]
        pe = abs(n["pca_mse"] - n["pca_eig_sum_tail"]) / n["pca_mse"]
        out.append(Check("PCA error equals the sum of the trailing eigenvalues", pe <= 1e-9,
                         f"relative difference {pe:.1e}"))
        low = min(n["recon_ratio_runs"])
        out.append(Check("no autoencoder reconstructs better than PCA (Eckart-Young)",
                         low >= 1 - 1e-9, f"smallest AE error / PCA error {low:.6f}"))
        out.append(Check("principal angle: 0 for a rotated basis, 90 degrees for components "
                         "9-16", n["check_angle_rotated"] <= 1e-5
                         and abs(n["check_angle_next"] - 90) <= 1e-5,
                         f"{n['check_angle_rotated']:.1e} and {n['check_angle_next']:.4f} "
                         "degrees"))
        return out


EXPERIMENT = LinearAutoencoder()
