#!/usr/bin/env bash
# Export a distilled student to int8 LiteRT (checked against Keras), then
# ask the planner which student and strategy fit a device budget, using the
# scaling laws that ship with the package (keras_ppg_kd/pretrained/laws;
# pass --fits=<report>/fits.json to plan from your own sweep's laws).
# The student is the main job's smallest DKD student (8 filters) when RUN
# holds a main job's output, else the shipped synthetic-only 1-block one.
set -euo pipefail
RUN=${1:-main_job_output}
MODEL=$(ls "$RUN"/sweep/models/*-resnetw8-dkd.keras 2>/dev/null | head -n 1 \
  || true)
if [ -n "$MODEL" ]; then
  DATA=(--datasets=synthetic_ppg/crowd)  # the main job's data
else
  MODEL=synthetic_resnet1  # a shipped name: its card names its data
  DATA=()
fi

keras-ppg-kd export --model="$MODEL" "${DATA[@]}" --quantization=int8 \
  --out="$RUN/export"
keras-ppg-kd plan --flash_kb=64 --ram_kb=32 --latency_ms=0.2
python "$(dirname "$0")/../benchmarks/bench_edge.py" --out="$RUN/bench_edge"
