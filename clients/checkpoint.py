"""Saving and loading a general checkpoint (PyTorch recipe), then resuming training.

A small MLP is trained for 5 SGD-momentum steps; the recipe's dictionary
{'epoch', 'model_state_dict', 'optimizer_state_dict', 'loss'} is written with torch.save,
read back with torch.load(PATH, weights_only=True) into a fresh model and optimizer, and training
resumes for 5 more steps. The same 10 steps run without interruption next to it; the losses of
both runs are printed and must agree exactly (the momentum buffers travel in the optimizer
state). Data and initial weights come from NumPy with fixed seeds (--deterministic is accepted
for the runner).
"""

import argparse
import math
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 32)
        self.fc2 = nn.Linear(32, 16)
        self.fc3 = nn.Linear(16, 3)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


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


def make_model(device, seed):
    model = Net().to(device)
    init_from_numpy(model, seed)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return model, optimizer


def train_epoch(model, optimizer, loader, device):
    model.train()
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()
    return loss


def main(argv=None):
    parser = argparse.ArgumentParser(description='checkpoint round trip and resumed training')
    parser.add_argument('--seed', type=int, default=3)
    parser.add_argument('--deterministic', action='store_true', default=False)
    args = parser.parse_args(argv)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((64, 8)).astype(np.float32)
    y = (x[:, :3].argmax(axis=1)).astype(np.int64)
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=64)

    # the uninterrupted run
    model, optimizer = make_model(device, args.seed)
    straight = [train_epoch(model, optimizer, loader, device).item() for _ in range(10)]

    # five epochs, a checkpoint, a fresh model and optimizer, five more epochs
    model, optimizer = make_model(device, args.seed)
    resumed = []
    for epoch in range(5):  # noqa: B007 (the recipe saves the last epoch's number)
        loss = train_epoch(model, optimizer, loader, device)
        resumed.append(loss.item())
    with tempfile.TemporaryDirectory() as tmp:
        PATH = os.path.join(tmp, 'checkpoint.pt')
        torch.save({
            'epoch': epoch,
            'model_state_dict': model.state_dict(),
            'optimizer_state_dict': optimizer.state_dict(),
            'loss': loss,
        }, PATH)

        model, optimizer = make_model(device, args.seed + 100)  # other weights, no momentum
        checkpoint = torch.load(PATH, weights_only=True)
        model.load_state_dict(checkpoint['model_state_dict'])
        optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
        epoch = checkpoint['epoch']
        loss = checkpoint['loss']
    print('checkpoint: epoch {} loss {:.6f} keys {}'.format(
        epoch, loss.item(), sorted(checkpoint)))
    print('momentum buffers restored: {}'.format(
        sum('momentum_buffer' in s for s in optimizer.state_dict()['state'].values())))

    model.train()
    for _ in range(checkpoint['epoch'] + 1, 10):
        resumed.append(train_epoch(model, optimizer, loader, device).item())

    for i, (a, b) in enumerate(zip(straight, resumed)):
        print('epoch {}: uninterrupted loss {:.6f}  resumed loss {:.6f}'.format(i, a, b))
    print('resumed run equals the uninterrupted one: {}'.format(straight == resumed))


if __name__ == '__main__':
    main()
