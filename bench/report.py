"""Markdown tables from a pytest-benchmark JSON of the ``bench/`` suites.

Usage: ``python bench/report.py bench/results/bench.json``

``docs_tables(DIR)`` renders the documentation's benchmark tables from the result files
kept under ``docs/data/`` (``docs/generate.py`` calls it at every ``make docs``).

Baselines timed on a subset of pairs are extrapolated linearly to all pairs. Ratios use
medians from the one JSON, i.e. the same run on the same machine; the fastest round (min)
is shown beside each median because shared machines make the slow rounds noisy.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

Bench = dict[str, Any]
TARGET_S, TARGET_VS_NX, TARGET_VS_SCIPY = 2.0, 100.0, 5.0
BASELINES = {"scipy": "SciPy sparse, vectorised per pair",
             "networkx": "networkx + sets, thread pool of {workers}"}


def seconds(bench: Bench, stat: str = "median", n_pairs: int | None = None) -> float:
    """A round's time, scaled from the pairs it timed to ``n_pairs`` when given."""
    value = float(bench["stats"][stat])
    return value if n_pairs is None else value * n_pairs / bench["extra_info"]["n_pairs"]


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def all_pairs_section(groups: dict[str, list[Bench]]) -> list[str]:
    by_method = {b["extra_info"]["method"]: b for b in groups["all-pairs-82"]}
    by_threads = {b["extra_info"]["num_threads"]: b for b in groups.get("threads", [])}
    cpp = by_method["cpp"]
    info = cpp["extra_info"]
    total = info["n_pairs"]
    cpp_s = seconds(cpp)
    cpp1_s = seconds(by_threads[1]) if 1 in by_threads else None

    rows = [[f"C++ kernel ({info['cpu_cores']} threads)", f"{total}",
             f"{seconds(cpp) / total * 1e6:,.0f}",
             f"{cpp_s:.2f} ({seconds(cpp, 'min'):.2f})", "in the time", "-", "-"]]
    speedups = {}
    for method, label in BASELINES.items():
        if method not in by_method:
            continue
        b = by_method[method]
        full_s = seconds(b, n_pairs=total)
        speedups[method] = full_s / cpp_s
        rows.append([
            label.format(**b["extra_info"]), f"{b['extra_info']['n_pairs']}",
            f"{full_s / total * 1e6:,.0f}",
            f"{full_s:.2f} ({seconds(b, 'min', n_pairs=total):.2f})",
            f"{b['extra_info']['setup_s']:.2f}", f"{speedups[method]:.1f}x",
            f"{full_s / cpp1_s:.1f}x" if cpp1_s is not None else "-"])

    out = [
        f"### All {total:,} pairs: {info['n_graphs']} graphs x {info['n_genes']} genes",
        "",
        f"Pair share of genes: min {info['share_min']:.1%}, median {info['share_median']:.1%},"
        f" max {info['share_max']:.1%}; edge density {info['edge_density']:.2%} "
        "(self-loops included).",
        "",
        table(["method", "pairs timed", "µs / pair", f"s for all {total} pairs: median (min)",
               "s, per-graph setup (untimed)", "C++ speedup", "C++ 1-thread speedup"], rows),
        "",
        "Targets (medians):",
        f"- all pairs in < {TARGET_S:g} s: {cpp_s:.2f} s: {verdict(cpp_s < TARGET_S)}",
    ]
    for method, target in (("networkx", TARGET_VS_NX), ("scipy", TARGET_VS_SCIPY)):
        if method in speedups:
            out.append(f"- >= {target:g}x vs {method}: {speedups[method]:.1f}x: "
                       f"{verdict(speedups[method] >= target)}")
    if cpp1_s is not None and 0 in by_threads:
        out += ["", f"C++ threads group: 1 thread {cpp1_s:.3f} s, default thread count "
                    f"{seconds(by_threads[0]):.3f} s (medians)."]
    return out


def scale_section(groups: dict[str, list[Bench]], group: str, key: str, title: str) -> list[str]:
    benches = sorted(groups.get(group, []), key=lambda b: b["extra_info"][key])
    if not benches:
        return []
    rows = [[f"{b['extra_info'][key]}", f"{b['extra_info']['n_pairs']:,}",
             f"{seconds(b):.3f}", f"{seconds(b, 'min'):.3f}",
             f"{seconds(b) / b['extra_info']['n_pairs'] * 1e6:,.0f}"] for b in benches]
    return [f"### {title}", "",
            table([key, "pairs", "median s", "min s", "µs / pair (median)"], rows)]


def graphs_section(groups: dict[str, list[Bench]]) -> list[str]:
    """Graph construction per real dataset and method, and co-expression cost vs genes."""
    out = []
    real = groups.get("graphs-real", [])
    if real:
        rows = [[b["extra_info"]["dataset"], b["extra_info"]["method"],
                 f"{b['extra_info']['cells']}", f"{b['extra_info']['genes']}",
                 f"{b['extra_info']['edges']:,}", f"{b['extra_info']['density']:.3f}",
                 f"{seconds(b):.2f}"] for b in real]
        out += ["### Gene graph per real dataset (QC -> genes -> residuals -> test -> edges)",
                "", table(["dataset", "method", "cells", "genes", "edges", "density",
                           "median s"], rows)]
    cost = groups.get("coexpression-genes", [])
    if cost:
        by_key = {(b["extra_info"]["n_genes"], b["extra_info"]["method"]): b for b in cost}
        sizes = sorted({n for n, _ in by_key})
        rows = [[f"{n}", f"{seconds(by_key[n, 'cscore']):.3f}",
                 f"{seconds(by_key[n, 'pearson']):.3f}",
                 f"{seconds(by_key[n, 'cscore']) / seconds(by_key[n, 'pearson']):.1f}x"]
                for n in sizes if (n, "cscore") in by_key and (n, "pearson") in by_key]
        cells = cost[0]["extra_info"]["cells"]
        out += ["", f"### Co-expression step alone vs genes (CellTypist, {cells} cells)", "",
                table(["genes", "CS-CORE s", "Pearson s", "CS-CORE / Pearson"], rows)]
    return out


def layer_section(groups: dict[str, list[Bench]]) -> list[str]:
    """GraphTransformerConv forward + backward: the fused kernel, DGL's ops, plain PyTorch."""
    by_impl = {b["extra_info"]["impl"]: b for b in groups.get("layer", [])}
    if {"dglgene", "dgl", "torch"} - set(by_impl):
        return []
    info = by_impl["dglgene"]["extra_info"]
    ours = seconds(by_impl["dglgene"])
    rows = [[impl, f"{seconds(by_impl[impl]) * 1e3:.0f}", f"{seconds(by_impl[impl]) / ours:.1f}x"]
            for impl in ("dglgene", "dgl", "torch")]
    return [f"### GraphTransformerConv, forward + backward ({info['n_nodes']:,} nodes, "
            f"{info['n_edges']:,} edges, {info['heads']} heads x {info['out_feats']})", "",
            table(["implementation", "median ms", "median / dglgene's"], rows)]


def performer_section(groups: dict[str, list[Bench]]) -> list[str]:
    """Throughput of the scBERT-compatible encoder."""
    benches = groups.get("performer", [])
    if not benches:
        return []
    rows = [[b["extra_info"]["size"], f"{b['extra_info']['config']['dim']}",
             f"{b['extra_info']['config']['depth']}", f"{b['extra_info']['genes']}",
             f"{b['extra_info']['cells']}", f"{b['extra_info']['cells'] / seconds(b):.2f}"]
            for b in benches]
    return ["### scBERT-compatible Performer encoder throughput", "",
            table(["size", "dim", "depth", "genes", "cells", "cells / s (median)"], rows)]


def pooling_section(groups: dict[str, list[Bench]]) -> list[str]:
    """Attentive pooling streamed over cell chunks against materialising every encoding."""
    by_variant = {b["extra_info"]["variant"]: b for b in groups.get("pooling", [])}
    if {"chunked", "naive"} - set(by_variant):
        return []
    chunked, naive = by_variant["chunked"], by_variant["naive"]
    info = chunked["extra_info"]
    labels = {"chunked": "`pool_chunks(iter_encodings(...))`",
              "naive": "`pool(encode_cells(...))`"}
    rows = [[labels[v], f"{seconds(b):.2f} ({seconds(b, 'min'):.2f})",
             f"{b['extra_info']['peak_mib']:.0f}"] for v, b in (("chunked", chunked),
                                                                 ("naive", naive))]
    # Both peaks come from one run (the same JSON), each in its own fresh subprocess.
    memory = naive["extra_info"]["peak_mib"] / chunked["extra_info"]["peak_mib"]
    speed = seconds(naive) / seconds(chunked)
    return [f"### Attentive pooling over {info['cells']:,} cells x {info['genes']:,} genes "
            f"(encoder dim {info['config']['dim']}, chunks of {info['batch_size']} cells)", "",
            table(["variant", "s: median (min)", "peak MiB above baseline"], rows), "",
            f"Materialising all encodings first ({info['encodings_mib']:.0f} MiB for the tensor "
            f"alone) takes {memory:.1f}x the peak memory of streaming the chunks and "
            f"{speed:.1f}x its time (medians), in this run. Peaks: `VmHWM` of a fresh "
            f"subprocess per variant minus one that only builds the model and the tokens "
            f"({info['baseline_mib']:.0f} MiB)."]


def step_section(groups: dict[str, list[Bench]]) -> list[str]:
    """One MuSe-GNN training step, dglgene against the reference re-implementation."""
    by_impl = {b["extra_info"]["implementation"]: b for b in groups.get("step", [])}
    if "dglgene" not in by_impl:
        return []
    info, ours = by_impl["dglgene"]["extra_info"], seconds(by_impl["dglgene"])
    rows = [[impl, f"{seconds(b) * 1e3:,.0f}", f"{seconds(b, 'min') * 1e3:,.0f}",
             f"{seconds(b) / ours:.1f}x"] for impl, b in by_impl.items()]
    return [f"### One MuSe-GNN training step ({info['n_graphs']} graphs x {info['n_genes']:,} "
            f"genes, {info['n_feats']:,} features, {info['n_edges']:,} edges per graph, "
            f"{info['threads']} threads)", "",
            table(["implementation", "median ms", "min ms", "median / dglgene's"], rows)]


def render(data: dict[str, Any]) -> str:
    groups: dict[str, list[Bench]] = {}
    for b in data["benchmarks"]:
        groups.setdefault(b["group"], []).append(b)
    machine = data.get("machine_info", {})
    cpu = machine.get("cpu", {})
    sections = [[f"Machine: {cpu.get('brand_raw', 'unknown CPU')}, {cpu.get('count', '?')} "
                 f"logical CPUs, Python {machine.get('python_version', '?')}; "
                 f"run {data.get('datetime', '?')}."]]
    if "all-pairs-82" in groups:
        sections.append(all_pairs_section(groups))
    sections.append(scale_section(groups, "scale-T", "n_graphs",
                                  "C++ kernel vs number of graphs (1000 genes each)"))
    sections.append(scale_section(groups, "scale-genes", "n_genes",
                                  "C++ kernel vs genes per graph (82 graphs)"))
    sections.append(graphs_section(groups))
    sections.append(layer_section(groups))
    sections.append(step_section(groups))
    sections.append(performer_section(groups))
    sections.append(pooling_section(groups))
    return "\n\n".join("\n".join(s) for s in sections if s)


TABLE1_COLUMNS = ["edge_auc", "common_gene_asw", "graph_connectivity", "ilisi",
                  "common_gene_ratio", "neighbour_overlap", "avg_score", "avg_rank"]


def seeds_table(per_seed: Any, columns: list[str]) -> str:
    """Mean ± sd over seeds per method (the rows of ``dglgene bench-embed --csv``)."""
    from dglgene.eval.tables import format_comparison

    per_seed = per_seed.rename(columns={"Method": "method"})
    stats = per_seed[["method", *columns]].groupby("method", sort=False).agg(["mean", "std"])
    return format_comparison(stats)


def atlas_graphs_table(rows: list[dict[str, Any]]) -> str:
    return table(
        ["input (1,000 genes kept)", "cells", "`dglgene graphs` seconds", "peak RSS (GB)",
         "edges per gene, p < 0.005", "edges per gene, top-k 20"],
        [[r["source"], f"{r['cells']:,}", f"{r['seconds']:.0f}", f"{r['peak_rss_gb']:.2f}",
          f"{r['passing_partners_per_gene']:.0f}", f"{r['edges_per_gene']:.1f}"] for r in rows])


def atlas_embed_table(rows: list[dict[str, Any]]) -> str:
    return table(
        ["datasets", "cells each", "seconds per epoch", "per step (one pair)", "graphs (s)",
         "training, 3 epochs (s)", "evaluation (s)", "peak RSS (GB)"],
        [[f"{r['datasets']}", f"{r['cells']:,}", f"{r['seconds_per_epoch']:.2f}",
          f"{r['seconds_per_epoch'] / r['datasets']:.2f}", f"{r['stages']['graphs']:.0f}",
          f"{r['stages']['training']:.0f}", f"{r['stages']['evaluation']:.0f}",
          f"{r['peak_rss_gb']:.2f}"] for r in rows])


#: the encoders of the blood GRN benchmark's runs: file prefix -> what the method names get
GRN_ENCODERS = {"own": "", "corpus": " (corpus encoder)"}


def grn_runs(data_dir: Path, kind: str) -> Any:
    """The blood GRN benchmark's rows (``kind``: "" per seed, "_per_tf" per test TF) of
    both encoders, the corpus encoder's models renamed; the rest of the corpus encoder's
    run (GENELink, the baselines) repeats the own-cells run and is left out."""
    import pandas as pd

    from dglgene.benchmarks import GRN_METHODS

    uses_encoder = [name for name, method in GRN_METHODS.items() if method.uses_encoder]

    frames = []
    for prefix, suffix in GRN_ENCODERS.items():
        for path in sorted(data_dir.glob(f"grn_pbmc_{prefix}_collectri-*{kind}.csv")):
            if kind == "" and path.stem.endswith("_per_tf"):
                continue
            frame = pd.read_csv(path)
            if suffix:
                frame = frame[frame["method"].isin(uses_encoder)]
                frame = frame.assign(method=frame["method"] + suffix)
            frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out.assign(method=out["method"].str.replace("|", "\\|"))  # "Pearson |r|" in a table


def grn_paired_table(per_tf: Any) -> str:
    """scTransNet against GENELink with each encoder, and the corpus encoder against the
    benchmark's own cells, TF by TF."""
    from dglgene.grn.report import paired_tf_comparison

    corpus = GRN_ENCODERS["corpus"]
    pairs = [("scTransNet", "GENELink (no transformer)"),
             (f"scTransNet{corpus}", "GENELink (no transformer)"),
             (f"scTransNet{corpus}", "scTransNet"), ("no GNN" + corpus, "no GNN")]
    rows = []
    for method, reference in pairs:
        if not {method, reference} <= set(per_tf["method"]):
            continue
        for r in paired_tf_comparison(per_tf, method, reference).itertuples():
            rows.append([r.dataset, r.split, f"{method} - {reference}", f"{r.n}",
                         f"{r.delta:+.4f}", f"{r.wins:.2f}", f"{r.p:.3g}"])
    return table(["benchmark", "split", "difference", "(seed, TF) pairs", "mean Δ AUROC",
                  "share higher", "p (Wilcoxon)"], rows)


def pretrain_table(history: Any) -> str:
    """Masked-value pre-training per epoch: held-out cells against the frequency baseline."""
    return table(["epoch", "held-out masked loss", "frequency baseline's loss",
                  "held-out accuracy", "frequency baseline's accuracy", "training seconds"],
                 [[f"{r.epoch}", f"{r.val_loss:.3f}", f"{r.baseline_loss:.3f}",
                   f"{r.val_acc:.3f}", f"{r.baseline_acc:.3f}", f"{r.seconds:.0f}"]
                  for r in history.itertuples()])


def held_out_tf_table(rows: list[dict[str, Any]]) -> str:
    """Held-out TFs: the floors and scTransNet with the training length chosen on the
    validation TFs or by TF folds (``bench/grn_variants.py`` lines), mean ± sd over seeds."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    columns = {"per-TF prior": "per-TF prior", "Pearson |r|": "Pearson \\|r\\|",
               "TF-similarity vote": "TF-similarity vote",
               "target degree test": "scTransNet, validation TFs",
               "tf folds 3 test": "scTransNet, 3 TF folds"}
    out = []
    for data, group in frame.groupby("data", sort=False):
        cells = [f"{group[c].mean():.3f} ± {group[c].std():.3f}"
                 if c in group and group[c].notna().all() else "-" for c in columns]
        epochs = ", ".join(str(int(e)) for e in group["tf folds 3 chosen epoch"])
        out.append([data, *cells, epochs])
    return table(["benchmark", *columns.values(), "chosen epochs (seeds 0, 1, 2)"], out)


def docs_tables(data_dir: Path) -> dict[str, str]:
    """The documentation's generated tables, by file name, from the kept result files."""
    import pandas as pd

    def jsonl(name: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (data_dir / name).read_text().splitlines()
                if line.strip()]

    from dglgene.grn.report import format_grn_table

    simulated = pd.read_csv(data_dir / "table1_simulated.csv")
    pbmc = pd.concat([pd.read_csv(data_dir / f"table1_pbmc_seed{s}.csv") for s in (0, 1, 2)])
    embed = sorted(jsonl("atlas_embed.jsonl"), key=lambda r: (r["datasets"], r["cells"]))
    return {
        "table1_simulated": seeds_table(
            simulated, [*TABLE1_COLUMNS, "module_purity", "same_gene_hit_rate"]),
        "table1_pbmc": seeds_table(pbmc, TABLE1_COLUMNS),
        "atlas_graphs": atlas_graphs_table(
            jsonl("atlas_graphs_simulated.jsonl") + jsonl("atlas_graphs_kang.jsonl")),
        "atlas_embed": atlas_embed_table(embed),
        "grn_pbmc": format_grn_table(grn_runs(data_dir, ""), ("auroc", "auprc")),
        "grn_pbmc_paired": grn_paired_table(grn_runs(data_dir, "_per_tf")),
        "grn_held_out_tfs": held_out_tf_table(jsonl("grn_held_out_tf_folds.jsonl")),
        "grn_corpus_pretrain": pretrain_table(
            pd.read_csv(data_dir / "grn_corpus_pretrain_history.csv")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path, help="file written by --benchmark-json")
    args = parser.parse_args()
    print(render(json.loads(args.json.read_text())))


if __name__ == "__main__":
    main()
