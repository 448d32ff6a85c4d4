#!/usr/bin/env bash
# The hardware backend's run on the project's GPU machine (one H100; CUDA 13, NCCL, NVML, OpenMPI,
# no SimGrid, no network). From the repository root:  OUT=/some/dir hw-backend/scripts/h100_run.sh
# Builds with CUDA, runs the hw tests, calibrates the GPU, runs a ~1.3B GPT for 20 iterations with
# predicted-vs-measured comparison (default models and calibrated), and writes everything to $OUT.
# Each step logs to $OUT/<step>.log and records its status in $OUT/status.txt; later steps run
# even when an earlier optional one fails, so partial results still come back.
# PHASES selects parts (default all): e.g. PHASES=build first, then PHASES="test calibrate run"
# in a second call when one call is limited to 10 minutes (build dir $BUILD is reused).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${OUT:-$ROOT/h100-out}"
BUILD="${BUILD:-$ROOT/build-cuda}"
JOBS="${JOBS:-16}"
mkdir -p "$OUT"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN="mpirun --oversubscribe"
HW="$BUILD/bin/trainsim-hw"
: > "$OUT/status.txt"
PHASES="${PHASES:-build test calibrate run}"
want() { [[ " $PHASES " == *" $1 "* ]]; }
step() {  # step NAME COMMAND...
  local name="$1"; shift
  local t0=$(date +%s)
  if "$@" > "$OUT/$name.log" 2>&1; then
    echo "$name ok $(( $(date +%s) - t0 ))s" >> "$OUT/status.txt"
  else
    echo "$name FAILED rc=$? $(( $(date +%s) - t0 ))s" >> "$OUT/status.txt"
    tail -30 "$OUT/$name.log"
  fi
}

want build && step env bash -c 'nvidia-smi; nvcc --version; mpirun --version; cmake --version; ls /usr/include/nccl.h'
want build && step configure cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTRAINSIM_SIMGRID=OFF -DTRAINSIM_CUDA=ON \
  -DTRAINSIM_BENCH=OFF -DCMAKE_CUDA_ARCHITECTURES=90
want build && step build_hw cmake --build "$BUILD" -j "$JOBS" --target trainsim-hw test_hw
want build && step build_all cmake --build "$BUILD" -j "$JOBS"

# Tests: the CPU-device ones (mpirun -n 4 on the host cores) and the CUDA device ones (one GPU).
want test && step test_hw bash -c "cd '$ROOT' && '$BUILD/tests/test_hw' --gtest_output=json:'$OUT/test_hw.json'"

# Calibration of the GPU (one rank: NCCL refuses two ranks on one GPU, so no collective sweep).
want calibrate && step calibrate_cuda $MPIRUN -n 1 "$HW" calibrate --device cuda --out "$OUT/h100-profile.json"

# A ~1.3B GPT (Narayanan et al. SC'21 Table 1 shape family: 24 layers, hidden 2048, 16 heads,
# seq 2048, vocab 51200): 16 sequences per iteration in 4 micro-batches of 4, one H100.
cat > "$OUT/gpt-1.3b-h100.json" <<JSON
{
  "name": "GPT 1.3B on one H100 (hardware backend check)",
  "cluster": {"name": "one H100", "gpu": "H100-SXM5-80GB", "nodes": 1, "gpus_per_node": 1},
  "workload": {"name": "GPT 1.3B",
               "model": {"layers": 24, "hidden": 2048, "heads": 16, "ffn": 8192, "vocab": 51200,
                         "seq_len": 2048, "activation": "gelu"},
               "global_batch": 16},
  "strategy": {"tp": 1, "pp": 1, "micro_batch": 4, "precision": "bf16"},
  "options": {"engine": "analytic"}
}
JSON
want run && step run_gpt13b $MPIRUN -n 1 "$HW" run "$OUT/gpt-1.3b-h100.json" --device cuda --iterations 20 --warmup 3 \
  --timeout 300 --compare --profile "$OUT/h100-profile.json" --trace "$OUT/gpt-1.3b-h100-trace.json" \
  --out "$OUT/gpt-1.3b-h100-measured.json"

# The profile through `trainsim run` (options.profile hook), when the CLI built.
if want run && [ -x "$BUILD/bin/trainsim" ]; then
  python3 - "$OUT" <<'PY' || sed "s|\"engine\": \"analytic\"|\"engine\": \"analytic\", \"profile\": \"$OUT/h100-profile.json\"|" "$OUT/gpt-1.3b-h100.json" > "$OUT/gpt-1.3b-h100-calibrated.json"
import json, sys
out = sys.argv[1]
s = json.load(open(f"{out}/gpt-1.3b-h100.json"))
s["options"]["profile"] = f"{out}/h100-profile.json"
json.dump(s, open(f"{out}/gpt-1.3b-h100-calibrated.json", "w"), indent=2)
PY
  step trainsim_run_default "$BUILD/bin/trainsim" run "$OUT/gpt-1.3b-h100.json" --format json
  step trainsim_run_calibrated "$BUILD/bin/trainsim" run "$OUT/gpt-1.3b-h100-calibrated.json" --format json
fi

# The CPU device on the same host, for reference (4 ranks).
want run && step run_tiny_cpu $MPIRUN -n 4 "$HW" run "$ROOT/scenarios/tiny-cpu.json" --iterations 5 --compare \
  --out "$OUT/tiny-cpu-on-gpu-host.json"
cat "$OUT/status.txt"
