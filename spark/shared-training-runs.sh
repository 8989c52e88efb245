#!/usr/bin/env bash
# Repeats SharedTrainingRuns: RUNS shared-training runs of NETWORK with the SHARING settings, each in a JVM and an
# application of its own (a cluster started and stopped per run), each appending one JSON record to RECORDS.
#   bash spark/shared-training-runs.sh RUNS NETWORK SHARING [RECORDS]
#   NETWORK: lossfocal | samediff | detector;  SHARING: a name of org.focaldl4j.spark.Sharing (default, ...)
#   EXECUTOR_JAVA_OPTIONS (environment, optional): more executor JVM options, e.g. a DL4J log level.
# Needs the project installed (mvn install -DskipTests) and this module's tests compiled (mvn -pl spark test-compile).
# Prints, per run, the driver's network and the executors' averaged network as multiples of one machine's score.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:?runs}; network=${2:?network}; sharing=${3:?sharing}
records=$(realpath -m "${4:-spark/records/shared-training.jsonl}")
mkdir -p "$(dirname "$records")" spark/target/run-logs
failed=0
for i in $(seq 1 "$runs"); do
    log=spark/target/run-logs/$network-$sharing-$(date +%s).log
    mvn -B -ntp -o -pl spark surefire:test -Dtest=SharedTrainingRuns -Dsurefire.failIfNoSpecifiedTests=false \
        -Dfocal.spark.experiments=true -Dfocal.spark.network="$network" -Dfocal.spark.sharing="$sharing" \
        -Dfocal.spark.records="$records" -Dfocal.spark.executorJavaOptions="${EXECUTOR_JAVA_OPTIONS:-}" >"$log" 2>&1 || true
    record=$(grep '^RECORD ' "$log" | head -1 | cut -c8- || true)
    if [ -z "$record" ]; then
        echo "$network $sharing run $i: FAILED, no record (log $log)"
        failed=$((failed + 1))
        continue
    fi
    python3 - "$record" "$network $sharing run $i" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
averaged = r["epochs"][-1].get("executors_averaged_score")
print(f"{sys.argv[2]}: driver {r['ratio']:.2f} x one machine, executors averaged "
      + ("-" if averaged is None else f"{averaged / r['one_machine']:.2f}"))
PY
done
[ "$failed" -eq 0 ] || { echo "$failed of $runs runs failed" >&2; exit 1; }
