#!/usr/bin/env bash
# A teacher x student x strategy sweep with the `quick` preset, its report,
# and what the study's full `paper` grid would cost on this machine.
# Kill it at any point and run it again: finished cells are not redone.
set -euo pipefail
OUT=${1:-outputs/sweep_quick}

keras-ppg-kd sweep --config=quick --out="$OUT"
keras-ppg-kd report --results="$OUT/results.csv" --out="$OUT/report"
keras-ppg-kd fit --results="$OUT/results.csv" --target_mae=12 \
  --predict_params=100000
# Same sweep on a Ray cluster (local by default, --ray_address for yours):
#   keras-ppg-kd sweep --config=quick --out="$OUT" --engine=ray
# or as a job array of 4: keras-ppg-kd sweep ... --shard=$TASK_ID/4
keras-ppg-kd sweep --config=paper --dry_run | tail -n 16
