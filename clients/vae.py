"""The official VAE example (pytorch/examples, vae/main.py) on synthetic binary 28x28 images.

Same model (fc1, fc21, fc22, fc3, fc4), reparameterize with torch.randn_like, the loss
binary_cross_entropy(reduction='sum') + KLD, Adam, the same train/test loops and prints, and the
sampling from the prior at the end (its mean is printed instead of saving an image). The images
are random rectangles made with NumPy from a fixed seed, the initial weights come from NumPy.
--deterministic shuffles nothing and takes the reparameterization noise (and the prior samples)
from a NumPy stream instead, so that any library running this text computes the same numbers.
"""

import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F
import torch.utils.data
from torch import nn, optim


class VAE(nn.Module):
    def __init__(self, noise=None):
        super().__init__()

        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)
        self.noise = noise  # None, or a NumPy Generator giving eps in place of randn_like

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        if self.noise is not None:
            eps = torch.from_numpy(self.noise.standard_normal(tuple(std.shape))
                                   .astype(np.float32)).to(std.device)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


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


def synthetic_images(n, seed):
    """n binary images (n, 1, 28, 28) float32: one or two filled rectangles each."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), dtype=np.float32)
    rows = np.arange(28)
    for _ in range(2):
        top, left = rng.integers(0, 20, size=(2, n))
        height, width = rng.integers(4, 9, size=(2, n))
        inside_r = (rows >= top[:, None]) & (rows < (top + height)[:, None])
        inside_c = (rows >= left[:, None]) & (rows < (left + width)[:, None])
        images = np.maximum(images, inside_r[:, :, None] & inside_c[:, None, :])
    return images[:, None]


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')

    # see Appendix B from VAE paper:
    # Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
    # https://arxiv.org/abs/1312.6114
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    return BCE + KLD


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader),
                loss.item() / len(data)))

    print('====> Epoch: {} Average loss: {:.4f}'.format(
          epoch, train_loss / len(train_loader.dataset)))


def test(args, model, device, test_loader, epoch):
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for i, (data, _) in enumerate(test_loader):
            data = data.to(device)
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
            if i == 0:
                n = min(data.size(0), 8)
                comparison = torch.cat([data[:n],
                                        recon_batch.view(args.batch_size, 1, 28, 28)[:n]])
                print('reconstruction grid {} mean {:.4f}'.format(
                    tuple(comparison.shape), comparison.mean().item()))

    test_loss /= len(test_loader.dataset)
    print('====> Test set loss: {:.4f}'.format(test_loss))


def main(argv=None):
    parser = argparse.ArgumentParser(description='VAE Example (synthetic images)')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N')
    parser.add_argument('--epochs', type=int, default=2, metavar='N')
    parser.add_argument('--no-cuda', action='store_true', default=False)
    parser.add_argument('--seed', type=int, default=1, metavar='S')
    parser.add_argument('--log-interval', type=int, default=2, metavar='N')
    parser.add_argument('--deterministic', action='store_true', default=False,
                        help='NumPy noise, no shuffling: the same numbers in any library')
    args = parser.parse_args(argv)
    args.cuda = not args.no_cuda and torch.cuda.is_available()

    torch.manual_seed(args.seed)

    device = torch.device("cuda" if args.cuda else "cpu")

    train_x = synthetic_images(256, args.seed)
    test_x = synthetic_images(128, args.seed + 1)
    train_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(train_x), torch.zeros(256)),
        batch_size=args.batch_size, shuffle=not args.deterministic)
    test_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(test_x), torch.zeros(128)),
        batch_size=args.batch_size, shuffle=False)

    noise = np.random.default_rng(args.seed + 7) if args.deterministic else None
    model = VAE(noise).to(device)
    init_from_numpy(model, args.seed)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(args, model, device, test_loader, epoch)
        with torch.no_grad():
            sample = torch.randn(64, 20).to(device)
            if noise is not None:
                sample = torch.from_numpy(noise.standard_normal((64, 20)).astype(np.float32))
            sample = model.decode(sample).cpu()
            print('sample {} mean {:.4f}'.format(tuple(sample.view(64, 1, 28, 28).shape),
                                                 sample.mean().item()))


if __name__ == "__main__":
    main()
