#!/usr/bin/env python3
"""Trains a lesson's network in PyTorch as the book does, where the GPUs are, for Convbook to teach with.

The book's network for the lesson (scripts/pytorch_models.py: the nn.Sequential and blocks whose
state_dict names Convbook's checkpoints use), the book's train_ch6 (Xavier-uniform weights, SGD on
cross-entropy, per epoch the mean training loss, training and test accuracy) and settings (the
lesson's --full settings), on Fashion-MNIST from the same local files, prepared as Convbook
prepares them (pixels / 255, bilinear resizing as interpolate(align_corners=False), the first N
training and test images). Writes into <output>/<lesson>/, after every epoch:

  <lesson>.safetensors  the weights, with the run in its __metadata__: lesson, format "pt",
                        trained_in ("PyTorch 2.15.0 on cuda (NVIDIA ...) ×2") and metrics (the
                        text of metrics.json). The one file to copy:
                        swift run lesson <lesson> --checkpoint <lesson>.safetensors
  metrics.json          the run in Convbook's form (settings, history, final, confusion, trained_in)

On a GPU when there is one (--device cuda|cpu to choose). Under torchrun (WORLD_SIZE > 1) it
trains with DistributedDataParallel, each process on its share of every batch (--batch-size is
the total, as the book's), each GPU of a machine to one process; only rank 0 writes:
    torchrun --nproc_per_node 4 scripts/train_pytorch.py alexnet
Examples per second are those of each epoch's training pass (data preparation on the device
included; evaluation not).

Needs torch, safetensors and numpy (pip install torch safetensors numpy).
Usage: scripts/train_pytorch.py <lesson> [--epochs N --batch-size N --lr X --resize N --train-size N
       --test-size N --seed N --data DIR --output DIR --device cuda|cpu]
       scripts/train_pytorch.py --book-settings   (the settings of every lesson, as JSON)
"""
import argparse, fcntl, gzip, json, os, sys, tempfile, time

# The book's settings of each lesson: Convbook's `--full` (Lessons/*.swift, `book:`); a test
# checks that they agree. resize None keeps the 28×28 images.
BOOK = {
    "lenet": {"epochs": 10, "batch_size": 256, "lr": 0.9, "resize": None},
    "alexnet": {"epochs": 10, "batch_size": 128, "lr": 0.01, "resize": 224},
    "vgg": {"epochs": 10, "batch_size": 128, "lr": 0.05, "resize": 224},
    "nin": {"epochs": 10, "batch_size": 128, "lr": 0.1, "resize": 224},
    "googlenet": {"epochs": 10, "batch_size": 128, "lr": 0.1, "resize": 96},
    "batchnorm": {"epochs": 10, "batch_size": 256, "lr": 1.0, "resize": None},
    "resnet": {"epochs": 10, "batch_size": 256, "lr": 0.05, "resize": 96},
    "densenet": {"epochs": 10, "batch_size": 256, "lr": 0.1, "resize": 96},
}
CLASSES = 10


def arguments():
    parser = argparse.ArgumentParser(description="Train a lesson's network in PyTorch with the book's settings.")
    parser.add_argument("lesson", nargs="?", choices=sorted(BOOK), help="the lesson whose network to train")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int, help="examples per minibatch, all processes together")
    parser.add_argument("--lr", type=float)
    parser.add_argument("--resize", type=int, help="side the 28×28 images are resized to")
    parser.add_argument("--train-size", type=int, help="train on the first N training images (default: all)")
    parser.add_argument("--test-size", type=int, help="test on the first N test images (default: all)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", default=os.environ.get("FASHION_MNIST") or "/usr/share/datasets/fashion-mnist")
    parser.add_argument("--output", default="output", help="where <lesson>/ is written (default: output)")
    parser.add_argument("--device", choices=["cuda", "cpu"], help="default: cuda when there is a GPU, else cpu")
    parser.add_argument("--book-settings", action="store_true", help="print every lesson's settings as JSON and stop")
    args = parser.parse_args()
    if args.book_settings:
        return args
    if args.lesson is None:
        parser.error("name the lesson: " + ", ".join(BOOK))
    book = BOOK[args.lesson]
    for key in ["epochs", "batch_size", "lr", "resize"]:
        if getattr(args, key) is None:
            setattr(args, key, book[key])
    for key, low in [("epochs", 1), ("batch_size", 1), ("train_size", 1), ("test_size", 1), ("resize", 1)]:
        value = getattr(args, key)
        if value is not None and value < low:
            parser.error(f"--{key.replace('_', '-')} must be at least {low}")
    if not args.lr > 0:
        parser.error("--lr must be positive")
    return args


def read_idx(folder, name):
    """An IDX file of unsigned bytes (plain or .gz) as a numpy array."""
    import numpy as np
    for path in [os.path.join(folder, name), os.path.join(folder, name + ".gz")]:
        if os.path.isfile(path):
            with (gzip.open(path) if path.endswith(".gz") else open(path, "rb")) as f:
                data = f.read()
            if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
                sys.exit(f"{path}: not an IDX file of unsigned bytes")
            dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(data[3])]
            count = 1
            for d in dims:
                count *= d
            offset = 4 + 4 * len(dims)
            if len(data) - offset != count:
                sys.exit(f"{path}: holds {len(data) - offset} bytes of values, its dimensions {dims} say {count}")
            return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)
    sys.exit(f"{folder}: no {name}(.gz): Fashion-MNIST not found there (--data DIR, or apt-get install dataset-fashion-mnist)")


class FolderLock:
    """The lock Convbook's runs take on a lesson's folder (flock on .lock, holding the pid)."""

    def __init__(self, folder):
        os.makedirs(folder, exist_ok=True)
        self.fd = os.open(os.path.join(folder, ".lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self.fd, 32, 0).decode(errors="replace").strip()
            sys.exit(f"{folder} is being written by another run" + (f" (process {holder})" if holder else "")
                     + "; wait for it to finish, or stop it, or choose another --output")
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)


def write_atomically(path, data):
    """Writes `data` to a new temporary file beside `path`, flushed to the disk, then renamed over it."""
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=os.path.basename(path) + ".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)
        os.rename(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main():
    args = arguments()
    if args.book_settings:
        print(json.dumps(BOOK, indent=1))
        return
    import numpy as np
    import torch
    import torch.distributed as dist
    from torch import nn
    from torch.nn import functional as F
    from safetensors.torch import save as safetensors_bytes
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from pytorch_models import LESSON_NETWORKS

    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    kind = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: PyTorch sees no GPU here (torch.cuda.is_available() is False)")
    if args.batch_size % world:
        sys.exit(f"--batch-size {args.batch_size} does not split evenly across {world} processes: "
                 f"use a multiple of {world}, e.g. {args.batch_size // world * world or world}")
    local_batch = args.batch_size // world
    device = torch.device("cuda", local_rank) if kind == "cuda" else torch.device("cpu")
    if kind == "cuda":
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if kind == "cuda" else "gloo")
    say = print if rank == 0 else (lambda *a, **k: None)

    # Fashion-MNIST, as Convbook reads it: the first N images, kept as bytes on the device.
    train_x = torch.from_numpy(read_idx(args.data, "train-images-idx3-ubyte")[:args.train_size].copy())
    train_y = torch.from_numpy(read_idx(args.data, "train-labels-idx1-ubyte")[:args.train_size].astype(np.int64))
    test_x = torch.from_numpy(read_idx(args.data, "t10k-images-idx3-ubyte")[:args.test_size].copy())
    test_y = torch.from_numpy(read_idx(args.data, "t10k-labels-idx1-ubyte")[:args.test_size].astype(np.int64))
    train_x, train_y, test_x, test_y = (t.to(device) for t in (train_x, train_y, test_x, test_y))
    side = args.resize or train_x.shape[-1]

    def images(x):
        """Bytes to what the network sees: [0, 1], resized as Convbook's DataLoader (bilinear, pixel centres aligned)."""
        x = x.unsqueeze(1).float() / 255
        return F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False) if side != x.shape[-1] else x

    # The book's network and initialization (init_cnn: Xavier uniform on every Linear and Conv2d weight).
    torch.manual_seed(args.seed)
    net = LESSON_NETWORKS[args.lesson]()
    for m in net.modules():
        if type(m) in (nn.Linear, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)
    layers, params, macs = summary(net, side, torch, nn)
    net.to(device)
    torch.manual_seed(args.seed + rank)  # dropout differs between processes, as their data does
    model = nn.parallel.DistributedDataParallel(net, device_ids=[local_rank] if kind == "cuda" else None) if world > 1 else net
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()

    name = torch.cuda.get_device_name(device) if kind == "cuda" else None
    where = (f"cuda ({name})" if kind == "cuda" else f"cpu ({torch.get_num_threads()} thread{'' if torch.get_num_threads() == 1 else 's'})") + (f" ×{world}" if world > 1 else "")
    trained_in = f"PyTorch {torch.__version__.split('+')[0]} on {where}"
    settings = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "train_size": args.train_size,
                "test_size": args.test_size, "resize": args.resize, "seed": args.seed, "threads": torch.get_num_threads()}
    folder = os.path.join(args.output, args.lesson)
    lock = FolderLock(folder) if rank == 0 else None
    changes = [f"{k.replace('_', ' ')} {BOOK[args.lesson][k]} (here {settings[k]})" for k in ["epochs", "batch_size", "lr", "resize"]
               if settings[k] != BOOK[args.lesson][k]]
    changes += [f"{k.replace('_', ' ')} all (here {settings[k]:,})" for k in ["train_size", "test_size"] if settings[k] is not None]
    say(f"{args.lesson}: {params:,} parameters, {len(train_x):,} training and {len(test_x):,} test images of {side}×{side}, "
        f"{args.epochs} epoch{'' if args.epochs == 1 else 's'}, batch size {args.batch_size}" + (f" ({local_batch} in each of {world} processes)" if world > 1 else "")
        + f", lr {args.lr}, seed {args.seed}; {trained_in}.")
    say("These are the book's settings." if not changes else "The book differs: " + ", ".join(changes) + ".")

    def all_sum(*values):
        t = torch.tensor([float(v) for v in values], dtype=torch.float64, device=device)
        if world > 1:
            dist.all_reduce(t)
        return t.tolist()

    def synchronize():
        if kind == "cuda":
            torch.cuda.synchronize(device)

    def test():
        """The confusion (true class by row) and the mean loss of the network on the test images, in evaluation mode."""
        if world > 1:  # every process tests the weights rank 0 saves, batch norm's statistics included
            for buffer in net.buffers():
                dist.broadcast(buffer, 0)
        net.eval()
        counts = torch.zeros(CLASSES * CLASSES, dtype=torch.float64, device=device)
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        mine = torch.arange(rank, len(test_x), world, device=device)
        with torch.no_grad():
            for start in range(0, len(mine), local_batch):
                index = mine[start:start + local_batch]
                logits, y = net(images(test_x[index])), test_y[index]
                loss_sum += F.cross_entropy(logits, y, reduction="sum").double()
                counts += torch.bincount(y * CLASSES + logits.argmax(1), minlength=CLASSES * CLASSES).double()
        if world > 1:
            dist.all_reduce(counts)
            dist.all_reduce(loss_sum)
        counts = counts.view(CLASSES, CLASSES).long().tolist()
        return counts, loss_sum.item() / len(test_x)

    sampler = torch.utils.data.DistributedSampler(range(len(train_x)), num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    history, metrics = [], None
    for epoch in range(1, args.epochs + 1):
        epoch_start = time.perf_counter()
        sampler.set_epoch(epoch)
        order = torch.tensor(list(sampler), device=device)
        model.train()
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        for start in range(0, len(order), local_batch):
            index = order[start:start + local_batch]
            X, y = images(train_x[index]), train_y[index]
            logits = model(X)
            loss = loss_fn(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach().double() * len(index)
            correct += (logits.argmax(1) == y).sum()
        synchronize()
        train_seconds = time.perf_counter() - epoch_start
        # Sums over the processes; they train side by side, so their mean time is the pass's.
        loss_total, correct_total, seen, seconds_sum = all_sum(loss_sum.item(), correct.item(), len(order), train_seconds)
        if loss_total != loss_total or loss_total / seen > 100 * np.log(CLASSES):
            sys.exit(f"epoch {epoch}: the loss became {loss_total / seen}: training diverged. Try a smaller learning rate, "
                     f"e.g. --lr {args.lr / 10}")
        counts, test_loss = test()
        test_acc = sum(counts[c][c] for c in range(CLASSES)) / len(test_x)
        record = {"epoch": epoch, "loss": loss_total / seen, "train_acc": correct_total / seen, "test_acc": test_acc,
                  "examples_per_sec": seen / (seconds_sum / world), "seconds": time.perf_counter() - epoch_start}
        history.append(record)
        say(f"epoch {epoch}/{args.epochs}  loss {record['loss']:.3f}  train acc {record['train_acc']:.3f}  "
            f"test acc {test_acc:.3f}  {record['examples_per_sec']:,.0f} examples/sec  {record['seconds']:.1f} s", flush=True)
        if rank != 0:
            continue
        # After every epoch, so that a run stopped later keeps what it finished.
        metrics = {
            "lesson": args.lesson, "settings": settings, "shape_input": [1, 1, side, side], "layers": layers,
            "params": params, "macs": macs, "history": history,
            "final": {"loss": record["loss"], "train_acc": record["train_acc"], "test_acc": test_acc,
                      "examples_per_sec": sum(r["examples_per_sec"] for r in history) / len(history), "test_loss": test_loss},
            "interrupted": False, "error": None, "training_seconds": sum(r["seconds"] for r in history), "device": where,
            "confusion": counts,
            "per_class_accuracy": [row[c] / sum(row) if sum(row) else None for c, row in enumerate(counts)],
            "image": None, "trained_in": trained_in,
        }
        text = json.dumps(metrics, indent=2, sort_keys=True)
        state = {k: v.detach().to("cpu").contiguous() for k, v in net.state_dict().items()}
        weights = safetensors_bytes(state, metadata={"lesson": args.lesson, "format": "pt", "trained_in": trained_in, "metrics": text})
        write_atomically(os.path.join(folder, f"{args.lesson}.safetensors"), weights)
        write_atomically(os.path.join(folder, "metrics.json"), (text + "\n").encode())

    if world > 1:
        dist.destroy_process_group()
    if rank == 0:
        final = metrics["final"]
        say(f"loss {final['loss']:.3f}, train acc {final['train_acc']:.3f}, test acc {final['test_acc']:.3f}\n"
            f"{final['examples_per_sec']:,.1f} examples/sec on {where}, {metrics['training_seconds']:.1f} s in all")
        say(f"Wrote {folder}/{args.lesson}.safetensors and {folder}/metrics.json. To teach with it:\n"
            f"  swift run lesson {args.lesson} --checkpoint {os.path.join(folder, args.lesson + '.safetensors')}")


def summary(net, side, torch, nn):
    """Each top-level layer's output shape, parameters and multiply-adds (convolutions and matrix
    products) for one image, as Convbook's walk-through records them."""
    counted = []

    def count(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            counted[-1] += output.numel() * module.in_channels // module.groups * k
        elif isinstance(module, nn.Linear):
            counted[-1] += output.numel() * module.in_features

    hooks = [m.register_forward_hook(count) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    layers, x = [], torch.zeros(1, 1, side, side)
    try:
        with torch.no_grad():
            net.eval()
            for layer in net:
                counted.append(0)
                try:
                    x = layer(x)
                except RuntimeError as error:
                    sys.exit(f"Images of {side}×{side} do not fit this network ({layer.__class__.__name__}: {error}); try another --resize")
                type_name = layer.__class__.__name__
                layers.append({"name": type_name, "type": type_name, "description": type_name if list(layer.children()) else repr(layer),
                               "settings": "", "output_shape": list(x.shape), "params": sum(p.numel() for p in layer.parameters()),
                               "macs": counted[-1], "children": None})
    finally:
        for hook in hooks:
            hook.remove()
    return layers, sum(p.numel() for p in net.parameters()), sum(counted)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("\nStopped: the folder holds the weights and metrics of the last finished epoch, if one finished.")
