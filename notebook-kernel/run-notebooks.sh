#!/usr/bin/env bash
# Executes every notebook in examples/notebooks headless: Jupyter's nbconvert starts FocalJavaKernel
# (this module) from a kernelspec in a temporary Jupyter path.
#
#   bash notebook-kernel/run-notebooks.sh           re-execute in place (refreshes the committed outputs)
#   bash notebook-kernel/run-notebooks.sh --check   execute into a temporary directory; fail on a cell error
#                                                   or on text output that differs from the committed one
#   either followed by notebook file names (e.g. 06-train-from-a-folder.ipynb): only those
#
# Needs: `mvn -pl notebook-kernel -am package -DskipTests` (kernel classpath and notebook-lib/), and the
# Debian packages jupyter-nbconvert python3-nbclient python3-ipykernel jupyter-client.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
notebooks="$(cd "$here/../examples/notebooks" && pwd)"
classpath_file="$here/target/kernel-classpath.txt"
mode="refresh"
if [ "${1:-}" = "--check" ]; then mode="--check"; shift; fi
selected=("$@")

[ -f "$classpath_file" ] || { echo "missing $classpath_file: run 'mvn -pl notebook-kernel -am package -DskipTests'" >&2; exit 2; }
[ -d "$here/target/notebook-lib" ] || { echo "missing $here/target/notebook-lib: run 'mvn -pl notebook-kernel -am package -DskipTests'" >&2; exit 2; }
packages="jupyter-nbconvert python3-nbclient python3-ipykernel jupyter-client"
if ! { command -v jupyter >/dev/null && jupyter nbconvert --version >/dev/null 2>&1; }; then
    if command -v apt-get >/dev/null && { [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; }; then
        echo "installing Debian packages to execute the notebooks: $packages (skip with -DskipNotebooks)"
        sudo_cmd=""
        [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo -n"
        $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $packages >/dev/null
    else
        echo "jupyter nbconvert is missing: apt-get install $packages (or build with -DskipNotebooks)" >&2
        exit 2
    fi
fi
python=/usr/bin/python3          # Debian's, which has nbformat next to nbconvert

jupyter_home="$(mktemp -d)"
trap 'rm -rf "$jupyter_home"' EXIT
mkdir -p "$jupyter_home/kernels/java"
"$python" - "$jupyter_home/kernels/java/kernel.json" "$here/target/classes:$(cat "$classpath_file")" <<'PY'
import json, sys
spec = {"argv": ["java", "-Xmx3g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                 "-Dorg.slf4j.simpleLogger.log.org.focaldl4j=warn", "-cp", sys.argv[2],
                 "org.focaldl4j.kernel.FocalJavaKernel", "{connection_file}"],
        "display_name": "Java (focal-dl4j)", "language": "java", "interrupt_mode": "message"}
json.dump(spec, open(sys.argv[1], "w"), indent=1)
PY
export JUPYTER_PATH="$jupyter_home" JUPYTER_CONFIG_DIR="$jupyter_home/config" JUPYTER_RUNTIME_DIR="$jupyter_home/runtime"

out="$jupyter_home/executed"
mkdir -p "$out"
status=0
for nb in "$notebooks"/*.ipynb; do
    name="$(basename "$nb")"
    if [ ${#selected[@]} -gt 0 ] && ! printf '%s\n' "${selected[@]}" | grep -qxF "$name"; then
        continue
    fi
    start=$(date +%s)
    if ! jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=java \
            --ExecutePreprocessor.timeout=900 --ExecutePreprocessor.record_timing=False \
            --output-dir "$out" "$nb" > "$out/$name.log" 2>&1; then
        echo "FAILED: $name" >&2
        sed -n '/CellExecutionError\|Error\|Exception/,+25p' "$out/$name.log" | head -60 >&2
        status=1
        continue
    fi
    echo "executed $name in $(( $(date +%s) - start )) s"
    if [ "$mode" = "--check" ]; then
        "$python" "$here/compare_outputs.py" "$nb" "$out/$name" || status=1
    else
        cp "$out/$name" "$nb"
    fi
done
exit $status
