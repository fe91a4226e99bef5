"""The official DCGAN example (pytorch/examples, dcgan/main.py), scaled down to 16x16 images.

Same Generator (ConvTranspose2d, BatchNorm2d, ReLU, Tanh) and Discriminator (Conv2d, LeakyReLU,
BatchNorm2d, Sigmoid) with the ngpu / data_parallel branch, weights_init applied with
model.apply and picking modules by classname.find('Conv') / find('BatchNorm'), BCELoss, two Adam
optimizers with betas=(0.5, 0.999), the same D and G steps and prints. The "real" images are
blurred blobs in [-1, 1] made with NumPy from a fixed seed, and weights_init draws its
N(0, 0.02) and N(1, 0.02) values from a NumPy stream, so any library starts from the same
numbers. --deterministic takes the generator noise from NumPy too and shuffles nothing.
"""

import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data


def make_weights_init(rng):
    # custom weights initialization called on netG and netD
    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find('Conv') != -1:
            w = rng.normal(0.0, 0.02, size=tuple(m.weight.shape)).astype(np.float32)
            m.weight.data.copy_(torch.from_numpy(w))
        elif classname.find('BatchNorm') != -1:
            w = rng.normal(1.0, 0.02, size=tuple(m.weight.shape)).astype(np.float32)
            m.weight.data.copy_(torch.from_numpy(w))
            m.bias.data.fill_(0)
    return weights_init


class Generator(nn.Module):
    def __init__(self, ngpu, nz, ngf, nc):
        super().__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            # input is Z, going into a convolution
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 4 x 4
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # state size. (ngf) x 8 x 8
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh()
            # state size. (nc) x 16 x 16
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)
        return output


class Discriminator(nn.Module):
    def __init__(self, ngpu, ndf, nc):
        super().__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            # input is (nc) x 16 x 16
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x 8 x 8
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 4 x 4
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)

        return output.view(-1, 1).squeeze(1)


def synthetic_images(n, nc, seed):
    """n images (n, nc, 16, 16) float32 in [-1, 1]: a Gaussian blob at a random place."""
    rng = np.random.default_rng(seed)
    centre = rng.uniform(4, 12, size=(n, 2))
    grid = np.arange(16)
    d2 = ((grid[None, :, None] - centre[:, 0, None, None]) ** 2
          + (grid[None, None, :] - centre[:, 1, None, None]) ** 2)
    blob = np.exp(-d2 / 8.0)
    images = np.repeat(blob[:, None], nc, axis=1) * 2.0 - 1.0
    return images.astype(np.float32)


def main(argv=None):
    parser = argparse.ArgumentParser(description='DCGAN (synthetic 16x16 images)')
    parser.add_argument('--batchSize', type=int, default=16)
    parser.add_argument('--nz', type=int, default=16)
    parser.add_argument('--ngf', type=int, default=16)
    parser.add_argument('--ndf', type=int, default=16)
    parser.add_argument('--niter', type=int, default=2)
    parser.add_argument('--lr', type=float, default=0.0002)
    parser.add_argument('--beta1', type=float, default=0.5)
    parser.add_argument('--ngpu', type=int, default=1)
    parser.add_argument('--manualSeed', type=int, default=999)
    parser.add_argument('--deterministic', action='store_true', default=False,
                        help='NumPy noise, no shuffling: the same numbers in any library')
    opt = parser.parse_args(argv)

    torch.manual_seed(opt.manualSeed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    ngpu = int(opt.ngpu)
    nz, ngf, ndf, nc = int(opt.nz), int(opt.ngf), int(opt.ndf), 1
    noise_rng = np.random.default_rng(opt.manualSeed + 1) if opt.deterministic else None

    def randn(*shape):
        if noise_rng is None:
            return torch.randn(*shape, device=device)
        return torch.from_numpy(noise_rng.standard_normal(shape).astype(np.float32)).to(device)

    dataset = torch.utils.data.TensorDataset(
        torch.from_numpy(synthetic_images(48, nc, opt.manualSeed)))
    dataloader = torch.utils.data.DataLoader(dataset, batch_size=opt.batchSize,
                                             shuffle=not opt.deterministic)

    weights_init = make_weights_init(np.random.default_rng(opt.manualSeed))
    netG = Generator(ngpu, nz, ngf, nc).to(device)
    netG.apply(weights_init)
    print(netG)

    netD = Discriminator(ngpu, ndf, nc).to(device)
    netD.apply(weights_init)
    print(netD)

    criterion = nn.BCELoss()

    fixed_noise = randn(opt.batchSize, nz, 1, 1)
    real_label = 1
    fake_label = 0

    # setup optimizer
    optimizerD = optim.Adam(netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

    for epoch in range(opt.niter):
        for i, data in enumerate(dataloader, 0):
            ############################
            # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
            ###########################
            # train with real
            netD.zero_grad()
            real_cpu = data[0].to(device)
            batch_size = real_cpu.size(0)
            label = torch.full((batch_size,), real_label,
                               dtype=real_cpu.dtype, device=device)

            output = netD(real_cpu)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()

            # train with fake
            noise = randn(batch_size, nz, 1, 1)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()

            ############################
            # (2) Update G network: maximize log(D(G(z)))
            ###########################
            netG.zero_grad()
            label.fill_(real_label)  # fake labels are real for generator cost
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()

            print('[%d/%d][%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f'
                  % (epoch, opt.niter, i, len(dataloader),
                     errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))

        netG.eval()
        with torch.no_grad():
            fake = netG(fixed_noise)
        netG.train()
        print('fixed-noise samples {} mean {:.6f} std {:.6f}'.format(
            tuple(fake.shape), fake.mean().item(), fake.std().item()))


if __name__ == '__main__':
    main()
