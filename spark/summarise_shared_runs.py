#!/usr/bin/env python3
"""Summarises spark/records/shared-training.jsonl (written by SharedTrainingRuns) as the Markdown tables of
docs/spark.md: per network and setting, the held-out score as a multiple of one machine's (mean, s.d., min-max
and every run, in the order run) for the driver's network as `fit` left it, with every update applied, and for
the executors' networks averaged; then what the probe saw in those runs.

    python3 spark/summarise_shared_runs.py [RECORDS]

Standard library only; the tables are regenerated from the records alone.
"""
import json
import statistics
import sys
from collections import OrderedDict

NETWORKS = ["lossfocal", "samediff", "detector"]
NAMES = {"lossfocal": "`LossFocal(0.3, 1.5)`", "samediff": "`SameDiffFocalLoss(0.3, 1.5)`",
         "detector": "tiny RetinaNet"}
SETTINGS = ["default", "one_task_per_executor", "threshold_lr", "one_task_threshold_lr"]
ONE_TASK = {"one_task_per_executor", "one_task_threshold_lr"}


def probe_valid(record):
    """Records before version 2 joined an executor's i-th training task to the i-th epoch, which is right only with
    one task per executor and epoch; their probe figures for the other settings are not used."""
    return record.get("record_version", 1) >= 2 or record["sharing"] in ONE_TASK


def spread(values):
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return (f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f} "
            f"[{min(values):.2f}–{max(values):.2f}]")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "spark/records/shared-training.jsonl"
    runs = OrderedDict()
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            runs.setdefault((r["network"], r["sharing"]), []).append(r)
    groups = [(n, s, runs[(n, s)]) for n in NETWORKS for s in SETTINGS if (n, s) in runs]

    print("| network | setting | runs | one machine | driver's network as `fit` left it | with every update applied |"
          " executors' networks averaged | worst driver's ÷ untrained | training, s (median) |")
    print("|---|---|---:|---:|---|---|---|---:|---:|")
    for network, setting, rs in groups:
        driver = [r["ratio"] for r in rs]
        applied = [r["after_3s"]["score_after_flush"] / r["one_machine"] for r in rs]
        averaged = [r["epochs"][-1]["executors_averaged_score"] / r["one_machine"] for r in rs
                    if probe_valid(r) and "executors_averaged_score" in r["epochs"][-1]]
        worst = max(max(r["ratio_to_untrained"], r["after_3s"]["score_after_flush"] / r["untrained"]) for r in rs)
        print(f"| {NAMES[network]} | {setting} | {len(rs)} | {rs[0]['one_machine']:.4f} | {spread(driver)} | "
              f"{spread(applied)} | {spread(averaged)} ({len(averaged)} runs) | {worst:.2f} | "
              f"{statistics.median(r['seconds'] for r in rs):.0f} |")

    print()
    print("Every run, in the order run (÷ one machine; driver's network / executors averaged, – where not recorded):")
    print()
    for network, setting, rs in groups:
        pairs = []
        for r in rs:
            averaged = r["epochs"][-1].get("executors_averaged_score") if probe_valid(r) else None
            pairs.append(f"{r['ratio']:.2f}/" + ("–" if averaged is None else f"{averaged / r['one_machine']:.2f}"))
        print(f"- {NAMES[network]}, {setting}: {', '.join(pairs)}")

    print()
    print("| network | setting | training tasks per epoch | minibatches per task | encoding threshold at the end |"
          " residual discarded per task, L1 (mean) | peer's updates reaching an executor while it trained (lowest) |"
          " updates sent = received by the driver | most updates reaching the driver after `fit` returned |")
    print("|---|---|---:|---:|---|---:|---:|---|---:|")
    for network, setting, rs in groups:
        tasks = max((t for r in rs for t in r.get("training_tasks_per_epoch", [])), default=None)
        valid = [r for r in rs if probe_valid(r)]
        late = max(r["after_3s"]["driver_received"] - r["epochs"][-1]["driver_received"] for r in rs)
        per_task, thresholds, residuals, taken, equal = [], [], [], [], 0
        for r in valid:
            last = {}
            for e in r["epochs"]:
                for x in e.get("executors", []):
                    per_task.append(x["minibatches"] / x.get("tasks", 1))
                    residual = x.get("residual_l1_mean", x.get("residual_l1"))
                    if residual is not None:
                        residuals.append(residual)
                    last[x["executor"]] = x
            thresholds += [x["threshold_end"] for x in last.values() if x.get("threshold_end") is not None]
            sent = {k: x["sent_total"] for k, x in last.items()}
            for k, x in last.items():
                peers = sum(v for kk, v in sent.items() if kk != k)
                if peers and "received_while_training" in x:
                    taken.append(x["received_while_training"] / peers)
            equal += sum(sent.values()) == r["after_3s"]["driver_received"]
        cells = [f"{tasks if tasks is not None else '–'}",
                 f"{statistics.median(per_task):.0f}" if per_task else "–",
                 f"{min(thresholds):.1e}–{max(thresholds):.1e}" if thresholds else "–",
                 f"{statistics.mean(residuals):.2f}" if residuals else "–",
                 f"{statistics.mean(taken):.0%} ({min(taken):.0%})" if taken else "–",
                 f"{equal} of {len(valid)} runs" if valid else "–",
                 f"{late}"]
        print(f"| {NAMES[network]} | {setting} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
