#!/usr/bin/env bash
# Export a distilled student to int8 LiteRT (checked against Keras), then
# ask the planner which student and strategy fit a device budget, using the
# scaling laws that the main job (or any sweep report) fitted.
set -euo pipefail
RUN=${1:-main_job_output}
MODEL=$(ls "$RUN"/sweep/models/*-resnet1-dkd.keras | head -n 1)

keras-ppg-kd export --model="$MODEL" --quantization=int8 \
  --out="$RUN/export"
keras-ppg-kd plan --fits="$RUN/report/fits.json" --sizes=1,2,3,6 \
  --flash_kb=64 --ram_kb=32 --latency_ms=0.2
python benchmarks/bench_edge.py --out="$RUN/bench_edge"
