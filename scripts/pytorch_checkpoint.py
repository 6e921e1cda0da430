#!/usr/bin/env python3
"""Checks that checkpoints cross between Convbook and PyTorch exactly, both ways, for every lesson's network.

The Swift half is the test CheckpointRoundTripTests (Tests/LessonsTests); this script is its
PyTorch half. For each lesson's network:

1. Convbook → PyTorch: Convbook initializes the network (Xavier, batch norm's scales, shifts and
   running statistics drawn at random so that they matter), computes its logits for two random
   images at the book's size, and saves its weights; PyTorch loads them into the book's
   nn.Sequential (strict: every name and shape must match) and computes the same logits.
2. Convbook → PyTorch → Convbook: PyTorch saves the state_dict it loaded; Convbook loads it and
   must compute its own logits bit for bit.
3. PyTorch → Convbook: PyTorch initializes the network its own way (batch norm drawn too) and
   saves it with its logits; Convbook loads it and computes them.

Needs torch, safetensors and numpy (pip install torch safetensors numpy).
Usage: scripts/pytorch_checkpoint.py [lesson ...|all]   runs the test (all by default) and prints
                                                        the largest logit difference each way
       scripts/pytorch_checkpoint.py --exchange DIR LESSON   the PyTorch half, as the test calls it
"""
import json, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def exchange(folder, lesson):
    import torch
    from safetensors.torch import load_file, save_file
    from pytorch_models import LESSON_NETWORKS
    make = LESSON_NETWORKS[lesson]
    probe = load_file(os.path.join(folder, "convbook-probe.safetensors"))
    x, ours = probe["input"], probe["logits"]

    net = make().eval()
    net.load_state_dict(load_file(os.path.join(folder, "convbook.safetensors")), strict=True)
    with torch.no_grad():
        theirs = net(x)
    state = lambda: {k: v.contiguous() for k, v in net.state_dict().items()}
    save_file(state(), os.path.join(folder, "back.safetensors"), metadata={"lesson": lesson, "format": "pt"})
    to_pytorch = (theirs - ours).abs().max().item()

    torch.manual_seed(0)
    net = make()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5); m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.5, 0.5); m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
        net.eval()
        logits = net(x)
    save_file(state(), os.path.join(folder, "pytorch.safetensors"), metadata={"lesson": lesson, "format": "pt"})
    save_file({"logits": logits.contiguous()}, os.path.join(folder, "pytorch-probe.safetensors"))
    print(json.dumps({"convbook_to_pytorch": to_pytorch, "largest_logit": logits.abs().max().item()}))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--exchange":
        return exchange(sys.argv[2], sys.argv[3])
    lessons = [a for a in sys.argv[1:] if a != "all"]
    env = dict(os.environ, CONVBOOK_ROUND_TRIP_LESSONS=",".join(lessons))
    test = subprocess.run(["swift", "test", "--filter", "CheckpointRoundTripTests"], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    figures = [line for line in test.stdout.splitlines() if line.startswith("round trip ")]
    print("\n".join(figures) if figures else test.stdout[-3000:])
    if test.returncode != 0:
        print(test.stdout[-3000:] if figures else "", file=sys.stderr)
        sys.exit(f"swift test --filter CheckpointRoundTripTests failed (status {test.returncode})")


if __name__ == "__main__":
    main()
