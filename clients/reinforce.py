"""The official REINFORCE example (pytorch/examples, reinforcement_learning/reinforce.py) on a
cart-pole written here in NumPy (gym's CartPole-v1 equations, episodes capped at 100 steps).

Same Policy (affine1, dropout, relu, affine2, softmax), Categorical(probs).sample() and
log_prob, discounted returns normalised with eps, the summed policy loss and the Adam step, and
the same running-reward print (with the episode's policy loss added). The environment starts
from NumPy draws of a fixed seed and is deterministic afterwards; the initial weights come from
NumPy. --deterministic turns dropout off and draws each action from the policy's probabilities
with a NumPy stream (inverse CDF) after calling m.sample(), so any library running this text
takes the same actions.
"""

import argparse
import math
from collections import deque
from itertools import count

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


class CartPole:
    """gym's CartPole-v1 dynamics (Euler steps); reward 1 per step until the pole falls."""

    reward_threshold = 60.0

    def __init__(self, seed, max_steps=100):
        self.rng = np.random.default_rng(seed)
        self.max_steps = max_steps
        self.state = None
        self.steps = 0

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, size=4)
        self.steps = 0
        return self.state.astype(np.float32), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = 10.0 if action == 1 else -10.0
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + 0.05 * theta_dot ** 2 * sintheta) / 1.1
        thetaacc = (9.8 * sintheta - costheta * temp) / (0.5 * (4.0 / 3.0 - 0.1 * costheta ** 2
                                                                / 1.1))
        xacc = temp - 0.05 * thetaacc * costheta / 1.1
        x, x_dot = x + 0.02 * x_dot, x_dot + 0.02 * xacc
        theta, theta_dot = theta + 0.02 * theta_dot, theta_dot + 0.02 * thetaacc
        self.state = np.array([x, x_dot, theta, theta_dot])
        self.steps += 1
        terminated = bool(abs(x) > 2.4 or abs(theta) > 12 * 2 * math.pi / 360)
        truncated = self.steps >= self.max_steps
        return self.state.astype(np.float32), 1.0, terminated, truncated, {}


class Policy(nn.Module):
    def __init__(self, dropout=0.6):
        super().__init__()
        self.affine1 = nn.Linear(4, 128)
        self.dropout = nn.Dropout(p=dropout)
        self.affine2 = nn.Linear(128, 2)

        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


def init_from_numpy(model, seed):
    """Every parameter uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) from a NumPy stream."""
    rng = np.random.default_rng(seed)
    fan_in = 1
    with torch.no_grad():
        for _, p in model.named_parameters():
            if p.dim() > 1:
                fan_in = int(np.prod(p.shape[1:]))
            bound = 1.0 / math.sqrt(fan_in)
            w = rng.uniform(-bound, bound, size=tuple(p.shape)).astype(np.float32)
            p.copy_(torch.from_numpy(w))


def select_action(policy, state, device, action_rng):
    state = torch.from_numpy(state).float().unsqueeze(0).to(device)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    if action_rng is not None:
        p = probs.detach().cpu().numpy()[0]
        action = torch.tensor([int(action_rng.random() >= p[0])])
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode(policy, optimizer, gamma, eps):
    R = 0
    policy_loss = []
    returns = deque()
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.appendleft(R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


def main(argv=None):
    parser = argparse.ArgumentParser(description='PyTorch REINFORCE example (NumPy cart-pole)')
    parser.add_argument('--gamma', type=float, default=0.99, metavar='G')
    parser.add_argument('--seed', type=int, default=543, metavar='N')
    parser.add_argument('--log-interval', type=int, default=1, metavar='N')
    parser.add_argument('--episodes', type=int, default=15, metavar='N')
    parser.add_argument('--deterministic', action='store_true', default=False,
                        help='no dropout, NumPy action draws: the same numbers in any library')
    args = parser.parse_args(argv)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    env = CartPole(args.seed)
    torch.manual_seed(args.seed)

    policy = Policy(dropout=0.0 if args.deterministic else 0.6).to(device)
    init_from_numpy(policy, args.seed)
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    eps = np.finfo(np.float32).eps.item()
    action_rng = np.random.default_rng(args.seed + 1) if args.deterministic else None

    running_reward = 10
    for i_episode in count(1):
        state, _ = env.reset()
        ep_reward = 0
        for t in range(1, 10000):  # noqa: B007 (t is printed when solved)
            action = select_action(policy, state, device, action_rng)
            state, reward, done, truncated, _ = env.step(action)
            policy.rewards.append(reward)
            ep_reward += reward
            if done or truncated:
                break

        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        loss = finish_episode(policy, optimizer, args.gamma, eps)
        if i_episode % args.log_interval == 0:
            print('Episode {}\tLast reward: {:.2f}\tAverage reward: {:.2f}\tLoss: {:.6f}'.format(
                  i_episode, ep_reward, running_reward, loss))
        if running_reward > env.reward_threshold:
            print("Solved! Running reward is now {} and "
                  "the last episode runs to {} time steps!".format(running_reward, t))
            break
        if i_episode >= args.episodes:
            break


if __name__ == '__main__':
    main()
