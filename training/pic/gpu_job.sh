#!/usr/bin/env bash
# Train the PIC `gpu` config (128^2 -> 32^2) for at most MINUTES of wall time on one CUDA GPU.
#
#   bash training/pic/gpu_job.sh OUTDIR MINUTES
#
# Input: the packed data set training/data/cache/gpu/pic/pack.pt (made here by
# `/usr/bin/python3 training/pic/pack_gpu.py`; whole pack goes to the GPU, crops are done there).
# Output in OUTDIR: ckpt.pt (config + EMA state_dict (contiguous, CPU) + log; written every 60 s and at the end),
# log.jsonl, train.log, env.txt. Works with torch 1.13 and 2.x. Export afterwards, locally:
#   /usr/bin/python3 training/pic/export.py OUTDIR/ckpt.pt models/pic-gpu128
# Env overrides (for smoke tests): PIC_DEVICE (default cuda), PIC_BATCH (default 64), PIC_EXTRA (extra train.py args).
set -euo pipefail
OUT=${1:?usage: gpu_job.sh OUTDIR MINUTES}
MIN=${2:?usage: gpu_job.sh OUTDIR MINUTES}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PACK="$ROOT/training/data/cache/gpu/pic/pack.pt"
PY=${PYTHON:-python3}
DEVICE=${PIC_DEVICE:-cuda}
mkdir -p "$OUT"
[ -f "$PACK" ] || { echo "missing $PACK (run training/pic/pack_gpu.py)" >&2; exit 2; }
"$PY" -c "import torch,sys; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '-', 'python', sys.version.split()[0])" | tee "$OUT/env.txt"
# keep ~50 s of the budget for start-up, the final validation pass and the checkpoint
TRAIN_MIN=$("$PY" -c "print(max(0.25, float('$MIN') - 0.85))")
echo "[gpu_job] training for $TRAIN_MIN min of $MIN min on $DEVICE" | tee -a "$OUT/env.txt"
"$PY" -u "$HERE/train.py" --config gpu --device "$DEVICE" --pack "$PACK" --minutes "$TRAIN_MIN" \
  --batch "${PIC_BATCH:-64}" --out "$OUT" --log-every 100 --val-every 60 --ckpt-every 60 --threads 4 \
  ${PIC_EXTRA:-} 2>&1 | tee "$OUT/train.log"
ls -la "$OUT"
