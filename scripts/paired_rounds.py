"""What scripts/compare_speed and scripts/compare_builds share: running a command that must
succeed, and figures of two sides (ours and PyTorch's, or an old build and a new one) taken in
alternating rounds, summed up as medians and as the median of the rounds' own ratios.

Each ratio is taken within a round, where the two sides met the same machine; a shared
machine's speed drifts by tens of percent over minutes, so a ratio of two medians taken in
different minutes says less."""
import collections, statistics, subprocess, sys


def run(command, **options):
    """Runs a command; if it fails, stops with what failed and its exit status, not a traceback."""
    done = subprocess.run(command, **options)
    if done.returncode != 0:
        script = sys.argv[0].rsplit("/", 1)[-1]
        sys.exit(f"{script}: `{' '.join(command)}` failed with exit status {done.returncode}")


class PairedRounds:
    """Figures by name for two sides, a base (PyTorch, or the old build) and the one measured
    against it (Convbook, or the new build), one pair a round; ratios are measured / base."""

    def __init__(self):
        self.base = collections.defaultdict(list)
        self.measured = collections.defaultdict(list)
        self.ratios = collections.defaultdict(list)
        self.order = []   # names, as first added

    def add(self, name, base, measured):
        """One round's figures for `name`; either may be None where that side has no such row."""
        if name not in self.order:
            self.order.append(name)
        if base:
            self.base[name].append(base)
        if measured is not None:
            self.measured[name].append(measured)
        if base and measured is not None:
            self.ratios[name].append(measured / base)

    def rounds(self, name):
        """How many rounds have a measured figure for `name`."""
        return len(self.measured.get(name, []))

    @staticmethod
    def medians(side):
        return {name: statistics.median(values) for name, values in side.items() if values}

    def ratio(self, name):
        """(median, lowest, highest) of the rounds' ratios measured / base, or None."""
        values = self.ratios.get(name)
        return (statistics.median(values), min(values), max(values)) if values else None
