#!/usr/bin/env python3
"""PyTorch's figures on this machine, for comparison with `swift run -c release bench`.

Same cases, same method (medians after warm-up). Needs torch (CPU build):
    pip install filelock fsspec sympy networkx jinja2
    pip install --no-deps torch --index-url https://download.pytorch.org/whl/cpu
Usage: scripts/pytorch_bench.py [--threads N] [--json FILE] [filter words...]
       scripts/pytorch_bench.py [--threads N] --profile NETWORK   (beside `bench "profile NETWORK"`)
Row names (and --json's) are those of `bench`, so scripts/compare_speed can set them side by side.
"""
import argparse, json, os, statistics, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
from torch import nn
import torch.nn.functional as F

def median_seconds(fn, warmups=2, runs=7, minimum=0.5):
    for _ in range(warmups):
        fn()
    times, total = [], 0.0
    while len(times) < runs or (total < minimum and len(times) < 200):
        t = time.perf_counter(); fn(); d = time.perf_counter() - t
        times.append(d); total += d
    return statistics.median(times)

from pytorch_models import alexnet, bn_lenet, densenet, googlenet, lenet, nin, resnet18, vgg

# The networks at the sizes and batches of `swift run -c release bench`.
NETS = {
    "LeNet": (lenet, 28, 256),
    "AlexNet": (alexnet, 224, 128),
    "VGG-11 / 4": (lambda: vgg(((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))), 224, 128),
    "NiN": (nin, 224, 128),
    "GoogLeNet": (googlenet, 96, 128),
    "BN-LeNet": (bn_lenet, 28, 256),
    "ResNet-18": (resnet18, 96, 256),
    "DenseNet": (densenet, 96, 256),
}

CONVS = [
    ("LeNet conv1 256×1→6 28² 5×5", 256, 1, 6, 28, 5, 2),
    ("LeNet conv2 256×6→16 14² 5×5", 256, 6, 16, 14, 5, 0),
    ("AlexNet conv2 128×96→256 26² 5×5", 128, 96, 256, 26, 5, 2),
    ("AlexNet conv4 128×384→384 12² 3×3", 128, 384, 384, 12, 3, 1),
    ("VGG conv1 128×1→16 224² 3×3", 128, 1, 16, 224, 3, 1),
    ("VGG 128×16→32 112² 3×3", 128, 16, 32, 112, 3, 1),
    ("VGG 128×32→64 56² 3×3", 128, 32, 64, 56, 3, 1),
    ("VGG 128×64→128 28² 3×3", 128, 64, 128, 28, 3, 1),
    ("Inception 128×96→128 12² 3×3", 128, 96, 128, 12, 3, 1),
    ("DenseNet 128×160→32 12² 3×3", 128, 160, 32, 12, 3, 1),
    ("NiN 128×96→96 54² 1×1", 128, 96, 96, 54, 1, 0),
    ("NiN 128×384→10 5² 3×3", 128, 384, 10, 5, 3, 1),
    ("GoogLeNet 128×480→192 6² 1×1", 128, 480, 192, 6, 1, 0),
    ("ResNet 128×256→256 6² 3×3", 128, 256, 256, 6, 3, 1),
    ("ResNet 128×64→128 24² 3×3 stride 2", 128, 64, 128, 24, 3, 1, 2),
    ("ResNet 128×64→128 24² 1×1 stride 2", 128, 64, 128, 24, 1, 0, 2),
]

# Max pooling, forward with the winners' indices (as training keeps them): bench's "pool" rows.
POOLS = [
    ("AlexNet 128×96 54² 3×3 stride 2", 128, 96, 54, 3, 2, 0),
    ("VGG 128×16 224² 2×2 stride 2", 128, 16, 224, 2, 2, 0),
    ("GoogLeNet 128×480 12² 3×3 stride 2 padding 1", 128, 480, 12, 3, 2, 1),
    ("Inception 128×256 12² 3×3 stride 1 padding 1", 128, 256, 12, 3, 1, 1),
]

def training(make, size, batch):
    """A fresh network, a batch of random images, and one SGD training step on them (as bench's)."""
    net = make()
    x, labels = torch.rand(batch, 1, size, size), torch.arange(batch) % 10
    opt, loss_fn = torch.optim.SGD(net.parameters(), lr=0.01), nn.CrossEntropyLoss()
    def step():
        opt.zero_grad(); loss_fn(net(x), labels).backward(); opt.step()
    return net, x, step

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--json", help="also write the figures to this file, by bench's row names")
    parser.add_argument("--profile", metavar="NETWORK", help="where a training step's time goes, operation by operation")
    parser.add_argument("filter", nargs="*")
    args = parser.parse_args()
    rows = {}
    torch.set_num_threads(args.threads)
    if args.profile:
        return profile(args.profile)
    wanted = lambda name: not args.filter or any(f.lower() in name.lower() for f in args.filter)
    print(f"PyTorch {torch.__version__}, {args.threads} threads")
    for n in [256, 512, 1024, 2048]:
        if not wanted(f"gemm {n}"): continue
        a, b = torch.rand(n, n), torch.rand(n, n)
        s = median_seconds(lambda: torch.mm(a, b))
        rows[f"gemm {n}×{n}×{n}"] = 2 * n**3 / s / 1e9
        print(f"gemm {n}: {2 * n**3 / s / 1e9:.1f} GFLOP/s")
    if wanted("gemm VGG fc1"):
        # VGG's first fully connected layer's three products, as bench's "gemm VGG fc1" rows.
        batch, inputs, outputs = 128, 6272, 4096
        x, w, dy = torch.rand(batch, inputs), torch.rand(outputs, inputs), torch.rand(batch, outputs)
        for name, product in [("forward", lambda: torch.mm(x, w.t())), ("input", lambda: torch.mm(dy, w)),
                              ("weight", lambda: torch.mm(dy.t(), x))]:
            rate = 2 * batch * inputs * outputs / median_seconds(product) / 1e9
            rows[f"gemm VGG fc1 128×6272→4096 {name}"] = rate
            print(f"gemm VGG fc1 {name}: {rate:.1f} GFLOP/s")
    for name, n, c, o, size, k, p, *stride in CONVS:
        if not wanted("conv " + name): continue
        conv = nn.Conv2d(c, o, k, padding=p, stride=stride[0] if stride else 1)
        x = torch.rand(n, c, size, size, requires_grad=True)
        y = conv(x)
        dy = torch.rand_like(y)
        flops = 2 * y.numel() * c * k * k
        with torch.no_grad():
            f = median_seconds(lambda: conv(x))
        def backward():
            conv.zero_grad(); x.grad = None
            torch.autograd.grad(conv(x), [x, conv.weight, conv.bias], dy)
        bwd = median_seconds(backward) - f
        rows[f"conv {name} forward"], rows[f"conv {name} backward"] = flops / f / 1e9, 2 * flops / bwd / 1e9
        print(f"conv {name}: forward {flops / f / 1e9:.1f} GFLOP/s, backward {2 * flops / bwd / 1e9:.1f} GFLOP/s")
    for name, n, c, size, k, s, p in POOLS:
        if not wanted("pool max " + name): continue
        x = torch.rand(n, c, size, size)
        seconds = median_seconds(lambda: F.max_pool2d(x, k, s, p, return_indices=True))
        rows[f"pool max {name} forward"] = x.numel() * 4 / seconds / 1e9
        print(f"pool max {name}: forward {x.numel() * 4 / seconds / 1e9:.1f} GB/s")
    for name, (make, size, batch) in NETS.items():
        if not wanted("net " + name): continue
        net, x, step = training(make, size, batch)
        s = median_seconds(step, warmups=3, runs=10, minimum=2)
        net.eval()
        with torch.no_grad():
            i = median_seconds(lambda: net(x), warmups=3, runs=10, minimum=2)
        rows[f"net {name} training, batch {batch}"], rows[f"net {name} inference, batch {batch}"] = batch / s, batch / i
        print(f"net {name}: training {batch / s:.0f} examples/s, inference {batch / i:.0f} examples/s (batch {batch})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": args.threads, "rows": rows}, f, indent=1, ensure_ascii=False)

def profile(name):
    """PyTorch's profiler over five training steps after two, its operations by input shape,
    the costliest first: to set beside `bench "profile <network>"`."""
    found = [n for n in NETS if name.lower() in n.lower()]
    if not found:
        sys.exit(f"pytorch_bench.py: no network matches '{name}'; the networks are: {', '.join(NETS)}")
    make, size, batch = NETS[found[0]]
    _, _, step = training(make, size, batch)
    step(); step()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(5):
            step()
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads: {found[0]}, batch {batch}, five training steps")
    print(prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total", row_limit=30, max_name_column_width=36,
                                                             max_shapes_column_width=70))

if __name__ == "__main__":
    main()
