"""torch.profiler's top ops of one MuSe-GNN training step (``test_bench_step.py``'s workload).

Usage: ``python bench/profile_step.py [IMPLEMENTATION ...] [--steps N] [--rows K]``
(implementations: dglgene, reference, reference-asymmetric). Prints, per implementation,
the ops that took the most self CPU time over N steps after one warm-up step.
"""

from __future__ import annotations

import argparse
import warnings

from test_bench_step import IMPLEMENTATIONS, stepper
from torch.profiler import ProfilerActivity, profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("implementations", nargs="*", default=["dglgene"],
                        choices=IMPLEMENTATIONS)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rows", type=int, default=12)
    args = parser.parse_args()
    for implementation in args.implementations:
        step = stepper(implementation)
        step()
        with warnings.catch_warnings(), profile(activities=[ProfilerActivity.CPU]) as prof:
            warnings.simplefilter("ignore")
            for _ in range(args.steps):
                step()
        print(f"## {implementation}: {args.steps} steps\n")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
