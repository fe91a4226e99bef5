"""Curve fitting with optim.LBFGS and a closure, as in the torch.optim documentation.

Fits y = a * sin(b * x) + c to noisy samples of 2 * sin(1.5 x) + 0.5 with
optim.LBFGS([a, b, c], lr=1, max_iter=4, history_size=10, line_search_fn='strong_wolfe'); the
closure zeroes the gradients, computes the mean squared error, calls backward and returns the
loss. The data come from NumPy with a fixed seed and the parameters start at fixed values, so
nothing depends on a library's random stream (--deterministic is accepted for the runner).
"""

import argparse

import numpy as np
import torch
import torch.optim as optim


def main(argv=None):
    parser = argparse.ArgumentParser(description='LBFGS curve fitting')
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--deterministic', action='store_true', default=False)
    args = parser.parse_args(argv)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rng = np.random.default_rng(args.seed)
    x_np = np.linspace(-3.0, 3.0, 200).astype(np.float32)
    y_np = (2.0 * np.sin(1.5 * x_np) + 0.5 + 0.1 * rng.standard_normal(200)).astype(np.float32)
    x = torch.from_numpy(x_np).to(device)
    y = torch.from_numpy(y_np).to(device)

    a = torch.tensor(1.0, device=device, requires_grad=True)
    b = torch.tensor(1.2, device=device, requires_grad=True)
    c = torch.tensor(0.0, device=device, requires_grad=True)
    optimizer = optim.LBFGS([a, b, c], lr=1, max_iter=4, history_size=10,
                            line_search_fn='strong_wolfe')

    def closure():
        optimizer.zero_grad()
        loss = ((a * torch.sin(b * x) + c - y) ** 2).mean()
        loss.backward()
        return loss

    for step in range(args.steps):
        loss = optimizer.step(closure)
        print('step {}: loss {:.6g}  a {:.6g}  b {:.6g}  c {:.6g}'.format(
            step, loss.item(), a.item(), b.item(), c.item()))
    state = optimizer.state[optimizer.param_groups[0]['params'][0]]
    print('function evaluations {}, iterations {}'.format(state['func_evals'], state['n_iter']))
    final = closure().item()
    print('final loss {:.6g}; fitted y = {:.4f} * sin({:.4f} x) + {:.4f}'.format(
        final, a.item(), b.item(), c.item()))


if __name__ == '__main__':
    main()
