#!/usr/bin/env bash
# gpu-check.sh: the device checks of tome's CUDA backend, as one command for a
# machine with a GPU, nvcc, CMake and ninja (no Node, no network needed):
#   1. configure native/ for the detected GPU only (-DCMAKE_CUDA_ARCHITECTURES=native)
#   2. build only the CUDA tests and the kernel benchmark (target tome_cuda_check)
#   3. run every CUDA test (ctest -L cuda): kernels against the CPU kernels; a
#      device test that SKIPs here counts as a failure (the GPU was not seen)
#   4. run the benchmark: gpu-check.json with one row per kernel and shape,
#      {"kernel","shape","ms","gbytes_s"|"tflops","max_rel_err",...}
# Everything it writes goes to $OUT when set (else to the build folder):
# gpu-check.json, configure.log, build.log, ctest.log, bench.log.
# Each step has a time limit (60 + 170 + 50 + 80 s: at most 6 minutes); a run on an H200
# (16 cores) should take about 3. Exit status: 0 when all steps passed, 1 otherwise (the later steps
# still run when a test fails, so the numbers come back anyway).
#
#   native/scripts/gpu-check.sh            # from anywhere in the repository
#   BUILD_DIR=/tmp/b native/scripts/gpu-check.sh
#   CUDA_ARCH=90 native/scripts/gpu-check.sh   # no detection (a dry run without a GPU)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-gpu}
OUT_DIR=${OUT:-$BUILD_DIR}
JOBS=$(nproc 2>/dev/null || echo 4)
START=$(date +%s)
STATUS=0

mkdir -p "$BUILD_DIR" "$OUT_DIR"
say() { printf '[gpu-check %4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
fail() { say "FAILED: $*"; STATUS=1; }
# run_logged LIMIT LOG CMD...: runs CMD with a time limit, output to the console and LOG
run_logged() {
  local limit=$1 log=$2
  shift 2
  set +e
  timeout --signal=TERM --kill-after=15 "$limit" "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then say "time limit of ${limit}s reached: $*"; fi
  return "$rc"
}

say "repository $ROOT, build $BUILD_DIR, output $OUT_DIR, $JOBS jobs"
for tool in nvcc cmake ninja; do
  command -v "$tool" >/dev/null || { say "missing $tool"; exit 1; }
done
say "$(nvcc --version | tail -n 2 | head -n 1)"
say "$(cmake --version | head -n 1)"
if command -v nvidia-smi >/dev/null; then
  timeout 20 nvidia-smi --query-gpu=name,compute_cap,memory.used,memory.total,driver_version --format=csv,noheader ||
    say "nvidia-smi did not answer"
fi

# --- 1. configure: this GPU's architecture only (fast build) -----------------------
# CUDA_ARCH=90 (say) overrides the detection, e.g. for a dry run without a GPU.
ARCH=${CUDA_ARCH:-native}
cmake_minor=$(cmake --version | head -n 1 | sed -E 's/[^0-9]*([0-9]+)\.([0-9]+).*/\1 \2/')
if [ "$ARCH" = native ] && [ "$(echo "$cmake_minor" | awk '{print ($1 > 3 || ($1 == 3 && $2 >= 24))}')" != 1 ]; then
  # CMake < 3.24 has no "native": ask the driver
  cap=$(timeout 20 nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d ' .' || true)
  ARCH=${cap:-90}
fi
say "configure (CUDA architectures: $ARCH)"
if ! run_logged 60 "$OUT_DIR/configure.log" cmake -S "$ROOT/native" -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DTOME_BUILD_TESTS=ON -DCMAKE_CUDA_ARCHITECTURES="$ARCH" -DTOME_CUDA_ARCHS="$ARCH"; then
  fail "configure (see configure.log)"
  exit 1
fi
if ! grep -q "tome: CUDA" "$OUT_DIR/configure.log"; then
  fail "CMake did not enable the CUDA backend (see configure.log)"
  exit 1
fi

# --- 2. build the CUDA tests and the benchmark only ------------------------------------
say "build target tome_cuda_check with $JOBS jobs"
if ! run_logged 170 "$OUT_DIR/build.log" cmake --build "$BUILD_DIR" --target tome_cuda_check -j "$JOBS"; then
  fail "build (see build.log)"
  exit 1
fi
say "built"

# --- 3. tests: every CUDA kernel against the CPU ---------------------------------------
say "ctest -L cuda"
if ! run_logged 50 "$OUT_DIR/ctest.log" ctest --test-dir "$BUILD_DIR" -L cuda -V --timeout 45; then
  fail "CUDA tests (see ctest.log)"
fi
if grep -q "(Skipped)" "$OUT_DIR/ctest.log"; then
  fail "device tests were SKIPPED on this machine: the GPU did not answer (see ctest.log)"
fi

# --- 4. benchmark -------------------------------------------------------------------------
say "benchmark"
if ! run_logged 80 "$OUT_DIR/bench.log" "$BUILD_DIR/bench_cuda_kernels" --json "$OUT_DIR/gpu-check.json"; then
  fail "benchmark (see bench.log)"
fi

say "done in $(( $(date +%s) - START ))s, status $STATUS; results in $OUT_DIR"
grep -E "^(ok|FAIL|skip) " "$OUT_DIR/ctest.log" | grep -v "^ok" || true
exit "$STATUS"
