"""Train a small CNN on Fashion-MNIST with PyTorch: dltune's command example.

By hand:  python3 train.py --lr 0.003 --epochs 3
By dltune: dltune run fashion-mnist.yaml (the study passes the arguments,
the epochs and a checkpoint directory; see dltune.py).

The data is Debian's dataset-fashion-mnist; the script trains on the first
--train-samples training images and validates on the first --val-samples
test images.
"""

import argparse
import gzip
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import dltune


def load_idx(images, labels, n):
    with gzip.open(images, "rb") as f:
        data = f.read()
    _, count, rows, cols = struct.unpack(">IIII", data[:16])
    n = min(n, count)
    x = torch.frombuffer(bytearray(data[16:16 + n * rows * cols]), dtype=torch.uint8)
    x = x.view(n, 1, rows, cols).float().div_(255)
    with gzip.open(labels, "rb") as f:
        data = f.read()
    y = torch.frombuffer(bytearray(data[8:8 + n]), dtype=torch.uint8).long()
    return x, y


class CNN(nn.Module):
    def __init__(self, channels, dropout):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, 2 * channels, 3, padding=1)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * channels * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(self.drop(x.flatten(1)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=3, help="by hand; dltune sets its own")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--train-samples", type=int, default=12000)
    ap.add_argument("--val-samples", type=int, default=2000)
    args = ap.parse_args()

    if dltune.threads():
        torch.set_num_threads(dltune.threads())
    torch.manual_seed(dltune.seed(1))
    d = args.data
    xtr, ytr = load_idx(os.path.join(d, "train-images-idx3-ubyte.gz"), os.path.join(d, "train-labels-idx1-ubyte.gz"), args.train_samples)
    xva, yva = load_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"), os.path.join(d, "t10k-labels-idx1-ubyte.gz"), args.val_samples)

    model = CNN(args.channels, args.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    ckpt = os.path.join(dltune.checkpoint_dir(), "state.pt")
    start = 0
    if os.path.exists(ckpt):
        state = torch.load(ckpt)
        if state["epoch"] <= dltune.epochs_done():
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            torch.set_rng_state(state["rng"])
            start = state["epoch"]

    for epoch in range(start + 1, dltune.epochs(args.epochs) + 1):
        t0 = time.time()
        model.train()
        perm = torch.randperm(len(xtr))
        total = 0.0
        for i in range(0, len(xtr), args.batch_size):
            idx = perm[i:i + args.batch_size]
            opt.zero_grad()
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            out = model(xva)
            val_loss = F.cross_entropy(out, yva).item()
            acc = (out.argmax(1) == yva).float().mean().item()
        print("epoch %d: train %.4f val %.4f acc %.4f (%.1fs)" % (epoch, total / len(xtr), val_loss, acc, time.time() - t0), flush=True)
        dltune.report(epoch, val_loss, train_loss=total / len(xtr), val_accuracy=acc)
        tmp = ckpt + ".tmp"
        torch.save({"epoch": epoch, "model": model.state_dict(), "opt": opt.state_dict(), "rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, ckpt)


if __name__ == "__main__":
    main()
