"""Seeded convergence: an LSTM solves the adding problem at length 50 (Hochreiter & Schmidhuber
1997; source 004 §2.6): test MSE < 0.01, against the 1/6 of always predicting 1."""

import numpy as np

import gradlab
import gradlab.nn as nn
from gradlab.datasets import adding_problem
from gradlab.optim import Adam


def test_lstm_solves_adding_problem_length_50():
    gradlab.manual_seed(0)
    gen = gradlab.Generator().manual_seed(0)
    xtr, ytr = adding_problem(20000, 50, generator=gen)
    xte, yte = adding_problem(1000, 50, generator=gen)
    lstm, head = nn.LSTM(2, 32, batch_first=True), nn.Linear(32, 1)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = Adam(params, lr=0.01)
    batch = 64
    for step in range(800):
        i = (step * batch) % 20000
        out, _ = lstm(xtr[i:i + batch])
        loss = ((head(out[:, -1]) - ytr[i:i + batch]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    with gradlab.no_grad():
        out, _ = lstm(xte)
        mse = float(((head(out[:, -1]) - yte) ** 2).mean().item())
    assert np.isfinite(mse) and mse < 0.01, f"test MSE {mse:.4f} (baseline ~0.167)"
