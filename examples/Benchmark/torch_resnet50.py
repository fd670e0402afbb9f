#!/usr/bin/python3
"""PyTorch side of the ResNet50 benchmark (issue 19): Keras 3's ResNet50 architecture in torch.nn
(convolutions with bias, BatchNorm eps 1.001e-5, 224x224x3, 1000 classes), Adam, synthetic data.

usage: torch_resnet50.py [steps] [batch] [threads]
Prints: train_samples_per_s, infer_samples_per_s (after one warm-up step each) and peak_rss_mib.
"""
import resource, sys, time
import torch
import torch.nn as nn

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 4
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 8
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
torch.set_num_threads(threads)
torch.manual_seed(0)

def bn(c):
    return nn.BatchNorm2d(c, eps=1.001e-5, momentum=0.01)  # Keras momentum 0.99

class Block(nn.Module):
    def __init__(self, cin, filters, stride, shortcut):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(cin, filters, 1, stride), bn(filters), nn.ReLU(),
            nn.Conv2d(filters, filters, 3, 1, padding=1), bn(filters), nn.ReLU(),
            nn.Conv2d(filters, 4 * filters, 1), bn(4 * filters))
        self.shortcut = nn.Sequential(nn.Conv2d(cin, 4 * filters, 1, stride), bn(4 * filters)) if shortcut else nn.Identity()
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.shortcut(x) + self.main(x))

def stack(cin, filters, blocks, stride):
    layers = [Block(cin, filters, stride, True)]
    layers += [Block(4 * filters, filters, 1, False) for _ in range(blocks - 1)]
    return layers

net = nn.Sequential(
    nn.ZeroPad2d(3), nn.Conv2d(3, 64, 7, 2), bn(64), nn.ReLU(), nn.ZeroPad2d(1), nn.MaxPool2d(3, 2),
    *stack(64, 64, 3, 1), *stack(256, 128, 4, 2), *stack(512, 256, 6, 2), *stack(1024, 512, 3, 2),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000))
params = sum(p.numel() for p in net.parameters()) + sum(b.numel() for n, b in net.named_buffers() if "running" in n)
print(f"torch={torch.__version__} threads={torch.get_num_threads()} params={params}", flush=True)

x = torch.rand(batch, 3, 224, 224)
y = torch.randint(0, 1000, (batch,))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
lossf = nn.CrossEntropyLoss()

def train_step():
    opt.zero_grad()
    loss = lossf(net(x), y)
    loss.backward()
    opt.step()

net.train()
train_step()  # warm-up
t = time.perf_counter()
for _ in range(steps):
    train_step()
train_rate = steps * batch / (time.perf_counter() - t)

net.eval()
with torch.no_grad():
    net(x)  # warm-up
    t = time.perf_counter()
    for _ in range(steps):
        net(x)
    infer_rate = steps * batch / (time.perf_counter() - t)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"train_samples_per_s={train_rate:.2f} infer_samples_per_s={infer_rate:.2f} peak_rss_mib={rss}", flush=True)
