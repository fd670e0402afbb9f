#!/usr/bin/env bash
# One run for a fresh machine with an NVIDIA GPU: everything CnnGen can check there, in under ten
# minutes, with all output in one log.
#
#   bash .ci/gpu-check.sh [LOG]     # from the repository root; LOG defaults to TestResults/gpu-check.log
#
# Needs the .NET SDK (global.json) with the NuGet packages reachable (network or a restored cache), and
# an NVIDIA driver with CUDA; python3 (or $PYTHON) with a CUDA build of torch is optional.
# Steps, each under `timeout` and all within a total budget (GPU_CHECK_BUDGET seconds, default 570):
#   1. builds examples/Mnist in Release and lists the devices; stops with an error when no CUDA
#      device is listed (there would be nothing to check);
#   2. builds the tests and examples/Benchmark in Release;
#   3. runs the CUDA device parity tests in Debug and in Release, with cuBLAS for Dense layers and pointwise
#      convolutions (CudaParityTests) and with CnnGen's tiled kernels for every product (CudaTiledParityTests),
#      and the cuBLAS-against-tiled product tests (TiledGemmTests' CuBlas cases): ILGPU compiles the
#      kernels' IL, which differs between the two builds. CNNGEN_SLOW_TESTS=1 includes the full MNIST
#      CNN at batch 200 (slow only on emulators); so a skipped test counts as a failure here;
#   4. runs examples/Benchmark --device cuda for both seed models (mnist, deep) against PyTorch on
#      CUDA when `import torch` works with CUDA (else with --torch false, and says so);
#   5. the same with --profile and --torch false: CnnGen's time and GFLOP/s per layer on the GPU.
# Samples and epochs are kept small and every step has a time limit, so that the run fits the budget
# whatever the untuned device kernels' speed; the figures are a first look, not results-table entries.
# Exits non-zero when any step fails or runs out of time; the summary at the end says which.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
log="${1:-TestResults/gpu-check.log}"
mkdir -p "$(dirname "$log")"
: >"$log"
budget="${GPU_CHECK_BUDGET:-570}"
python="${PYTHON:-$(command -v python3 || echo /usr/bin/python3)}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
failures=()
step_output="$(mktemp)"
trap 'rm -f "$step_output"' EXIT

say() { echo "gpu-check: $*" | tee -a "$log"; }

# step NAME LIMIT COMMAND...: runs COMMAND under a timeout of LIMIT seconds or what is left of the
# budget, whichever is less, appending its output to the log (and showing it) and keeping it in
# $step_output for checks. Not to be piped: it must run in this shell to record failures.
step() {
  local name="$1" limit="$2" left status
  shift 2
  left=$((budget - SECONDS))
  if ((left < 10)); then
    say "$name: not run, the ${budget} s budget is spent"
    failures+=("$name (no time left)")
    return 1
  fi
  ((limit > left)) && limit=$left
  say "$name: $* (limit ${limit} s, ${SECONDS} s elapsed)"
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$step_output" | tee -a "$log"
  status=${PIPESTATUS[0]}
  if ((status == 124 || status == 137)); then
    say "$name: timed out after ${limit} s"
    failures+=("$name (timed out)")
  elif ((status != 0)); then
    say "$name: failed (exit $status)"
    failures+=("$name (exit $status)")
  fi
  return "$status"
}

say "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | tee -a "$log"

# 1. Is there a CUDA device? Without one every CUDA test would skip and every benchmark fail.
step "build examples/Mnist (Release)" 240 dotnet build examples/Mnist -c Release || { say "FAILED: the build failed"; exit 1; }
step "list devices" 60 dotnet run --no-build --project examples/Mnist -c Release -- --list-devices
if ! grep -q '^cuda:' "$step_output"; then
  say "FAILED: no CUDA device is listed (see the list above). Check that nvidia-smi sees the GPU and that libcuda.so is on the library path."
  exit 1
fi

# 2. The rest of the build, once, so that the timed steps below run rather than compile.
step "build tests and examples/Benchmark (Release)" 180 \
  bash -c 'dotnet build tests/CnnGen.Tests -c Release && dotnet build examples/Benchmark -c Release'

# 3. Parity with the CPU backend on the GPU, both builds. The summary line must show no skips.
# parity CONFIG LIMIT [ARGS...]
parity() {
  local config="$1" limit="$2"
  shift 2
  step "CUDA parity tests ($config)" "$limit" env CNNGEN_SLOW_TESTS=1 dotnet test tests/CnnGen.Tests -c "$config" "$@" \
    --filter "FullyQualifiedName~CudaParityTests|FullyQualifiedName~CudaTiledParityTests|FullyQualifiedName~CuBlas"
  if grep -Eq 'Skipped: +[1-9]' "$step_output" || ! grep -Eq 'Passed: +[1-9]' "$step_output"; then
    say "CUDA parity tests ($config): some skipped or none passed"
    failures+=("CUDA parity tests ($config): skipped or none run")
  fi
}
parity Debug 180
parity Release 120 --no-build

# 4. and 5. The benchmarks: PyTorch on CUDA beside CnnGen when torch can use the GPU.
torch=(--torch false)
if "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
  torch=(--torch true --python "$python")
  say "PyTorch with CUDA found ($python): the benchmarks compare with it on the GPU"
else
  say "no PyTorch with CUDA for $python: the benchmarks run CnnGen alone (--torch false); install torch with CUDA to compare"
fi

bench=(dotnet run --no-build --project examples/Benchmark -c Release -- --device cuda)
step "benchmark mnist on cuda" 90 "${bench[@]}" --model mnist --samples 2000 --epochs 3 "${torch[@]}"
step "benchmark deep on cuda" 90 "${bench[@]}" --model deep --samples 1000 --epochs 3 "${torch[@]}"
step "benchmark mnist on cuda, tiled kernels only" 45 "${bench[@]}" --model mnist --samples 2000 --epochs 3 --torch false --cublas false
step "profile mnist on cuda" 45 "${bench[@]}" --model mnist --samples 1000 --epochs 2 --torch false --profile
step "profile deep on cuda" 45 "${bench[@]}" --model deep --samples 500 --epochs 2 --torch false --profile

if ((${#failures[@]} > 0)); then
  say "FAILED after ${SECONDS} s:"
  printf '  %s\n' "${failures[@]}" | tee -a "$log"
  say "log: $log"
  exit 1
fi
say "all steps passed in ${SECONDS} s; log: $log"
