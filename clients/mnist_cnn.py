"""The official PyTorch MNIST example (pytorch/examples, mnist/main.py), on synthetic digits.

Same network (two Conv2d, Dropout, max_pool2d, two Linear, log_softmax), nll_loss, Adadelta and
StepLR, the same train/test loops and prints. The data are 28x28 images made with NumPy from a
fixed seed (ten class prototypes plus noise, normalised as MNIST), and the initial weights come
from NumPy too, so that any library running this text starts from the same numbers.
--deterministic turns dropout and shuffling off (their random streams differ between libraries).
"""

import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, dropout=True):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25 if dropout else 0.0)
        self.dropout2 = nn.Dropout(0.5 if dropout else 0.0)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


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


def synthetic_digits(n, seed):
    """n images (n, 1, 28, 28) float32 normalised like MNIST, labels (n,) int64."""
    prototypes = np.random.default_rng(1234).random((10, 28, 28)) < 0.25
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n)
    images = prototypes[labels] * 0.8 + rng.random((n, 28, 28)) * 0.4
    images = np.clip(images, 0.0, 1.0)
    images = ((images - 0.1307) / 0.3081).astype(np.float32)[:, None]
    return images, labels.astype(np.int64)


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
            if args.dry_run:
                break


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)

    print('\nTest set: Average loss: {:.6f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))


def main(argv=None):
    parser = argparse.ArgumentParser(description='PyTorch MNIST Example (synthetic digits)')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N')
    parser.add_argument('--test-batch-size', type=int, default=128, metavar='N')
    parser.add_argument('--epochs', type=int, default=2, metavar='N')
    parser.add_argument('--lr', type=float, default=1.0, metavar='LR')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M')
    parser.add_argument('--no-cuda', action='store_true', default=False)
    parser.add_argument('--dry-run', action='store_true', default=False)
    parser.add_argument('--seed', type=int, default=1, metavar='S')
    parser.add_argument('--log-interval', type=int, default=2, metavar='N')
    parser.add_argument('--train-size', type=int, default=256)
    parser.add_argument('--test-size', type=int, default=128)
    parser.add_argument('--deterministic', action='store_true', default=False,
                        help='no dropout, no shuffling: the same numbers in any library')
    parser.add_argument('--save-model', action='store_true', default=False)
    args = parser.parse_args(argv)
    use_cuda = not args.no_cuda and torch.cuda.is_available()

    torch.manual_seed(args.seed)

    device = torch.device("cuda" if use_cuda else "cpu")

    train_kwargs = {'batch_size': args.batch_size, 'shuffle': not args.deterministic}
    test_kwargs = {'batch_size': args.test_batch_size}

    x_train, y_train = synthetic_digits(args.train_size, seed=args.seed)
    x_test, y_test = synthetic_digits(args.test_size, seed=args.seed + 1)
    dataset1 = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    dataset2 = TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test))
    train_loader = DataLoader(dataset1, **train_kwargs)
    test_loader = DataLoader(dataset2, **test_kwargs)

    model = Net(dropout=not args.deterministic).to(device)
    init_from_numpy(model, seed=args.seed)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")


if __name__ == '__main__':
    main()
