#!/usr/bin/env python3
"""Checks that checkpoints cross between Convbook and PyTorch, both ways, for a lesson's network.

1. Convbook trains briefly and saves <lesson>.safetensors; PyTorch loads it into the book's
   nn.Sequential (strict: every name and shape must match) and computes the logits of test
   image 0, which are compared with the ones Convbook printed.
2. PyTorch initializes the same network and saves it with safetensors; Convbook loads it with
   --checkpoint and prints its logits of test image 0, compared with PyTorch's.

Needs torch and safetensors (pip install safetensors; torch as in scripts/pytorch_bench.py).
Usage: scripts/pytorch_checkpoint.py [lesson]   (lenet by default; any lesson of scripts/pytorch_models.py)
"""
import gzip, json, os, subprocess, sys, tempfile
import numpy as np
import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")

def test_image(size):
    with gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")) as f:
        pixels = np.frombuffer(f.read(), dtype=np.uint8, offset=16)[:28 * 28].reshape(1, 1, 28, 28)
    x = torch.tensor(pixels, dtype=torch.float32) / 255
    if size != 28:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x

def convbook_logits(notebook):
    """The logits Convbook printed for test image 0, read from the run's notebook."""
    for cell in json.load(open(notebook))["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", []))
            if "scores (logits)" in text:
                return [float(line.split()[-2]) for line in text.strip().split("\n")[1:]]
    raise SystemExit(f"no logits in {notebook}")

def run_lesson(lesson, *flags):
    subprocess.run(["swift", "run", "-c", "release", "lesson", lesson, *flags], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)

def main():
    lesson = sys.argv[1] if len(sys.argv) > 1 else "lenet"
    make, _ = pytorch_models.MODELS[lesson]
    size = {"lenet": 28, "batchnorm": 28, "alexnet": 224, "vgg": 224}.get(lesson, 96)
    x = test_image(size)
    with tempfile.TemporaryDirectory() as out:
        # 1. Convbook → PyTorch.
        run_lesson(lesson, "--epochs", "1", "--train-size", "1024", "--test-size", "256", "--output", out)
        net = make().eval()
        net.load_state_dict(load_file(os.path.join(out, lesson, f"{lesson}.safetensors")), strict=True)
        with torch.no_grad():
            theirs = net(x)[0].tolist()
        ours = convbook_logits(os.path.join(out, lesson, f"{lesson}.ipynb"))
        print(f"Convbook → PyTorch ({lesson}): largest logit difference {max(abs(a - b) for a, b in zip(ours, theirs)):.2e}")

        # 2. PyTorch → Convbook.
        torch.manual_seed(0)
        net = make().eval()
        path = os.path.join(out, "from-pytorch.safetensors")
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, path)
        with torch.no_grad():
            theirs = net(x)[0].tolist()
        run_lesson(lesson, "--checkpoint", path, "--no-train", "--test-size", "256", "--output", os.path.join(out, "again"))
        ours = convbook_logits(os.path.join(out, "again", lesson, f"{lesson}.ipynb"))
        print(f"PyTorch → Convbook ({lesson}): largest logit difference {max(abs(a - b) for a, b in zip(ours, theirs)):.2e}")

if __name__ == "__main__":
    main()
