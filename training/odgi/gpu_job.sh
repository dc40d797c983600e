#!/usr/bin/env bash
# Train the ODGI `gpu` config on the GPU machine for at most MINUTES of wall time.
#
#   bash training/odgi/gpu_job.sh OUTDIR MINUTES
#
# Inputs: the code in training/odgi/ and the asset pack training/data/cache/gpu/odgi/
# (index.json + blobs.bin, ~18 MiB, git-ignored: carry it). Tiles are generated on the
# fly by CPU loader workers from that pack (torch only: no numpy/PIL needed).
# Output: OUTDIR/ckpt.json + OUTDIR/ckpt.bin (portable state dicts, written every
# 1.5 min and at the end), OUTDIR/train.log, OUTDIR/stdout.log, OUTDIR/env.txt.
# Works with torch 1.13 and 2.x. Export happens later, here, with torch 1.13:
#   /usr/bin/python3 training/odgi/release.py --ckpt OUTDIR --id odgi-gpu
set -euo pipefail
OUT=${1:?usage: gpu_job.sh OUTDIR MINUTES}
MINUTES=${2:?usage: gpu_job.sh OUTDIR MINUTES}
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
PACK=training/data/cache/gpu/odgi
mkdir -p "$OUT"
if [ ! -f "$PACK/index.json" ] || [ ! -f "$PACK/blobs.bin" ]; then
  echo "gpu_job: missing asset pack $PACK (build with training/odgi/prepare.py and carry it)" >&2
  exit 2
fi
START=$(date +%s)
{
  echo "date: $(date -u +%FT%TZ)"; echo "host: $(hostname)"; echo "nproc: $(nproc)"
  "$PY" - <<'EOF'
import torch
print("torch", torch.__version__, "cuda", torch.cuda.is_available())
if torch.cuda.is_available():
    print("gpu", torch.cuda.get_device_name(0))
for m in ("numpy", "PIL"):
    try:
        __import__(m); print(m, "present")
    except Exception:
        print(m, "absent (not needed)")
EOF
} | tee "$OUT/env.txt"
DEV=$("$PY" -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')")
NPROC=$(nproc)
# leave cores for the other job sharing the machine
WORKERS=${ODGI_WORKERS:-$(( NPROC > 6 ? (NPROC / 2 < 8 ? NPROC / 2 : 8) : 1 ))}
# loader batches travel through shared memory: keep workers * prefetch(2) * batch(32) * 3.3 MB under half of /dev/shm
SHM_MB=$(df -Pm /dev/shm 2>/dev/null | awk 'NR==2{print $4}')
SHM_MB=${SHM_MB:-0}
MAXW=$(( SHM_MB / 2 / 215 ))
if [ "$WORKERS" -gt "$MAXW" ]; then
  echo "gpu_job: /dev/shm has ${SHM_MB} MB free: reducing loader workers $WORKERS -> $MAXW"
  WORKERS=$MAXW
fi
# training-loop budget: MINUTES minus start-up, worker spin-up and the final save
TRAIN_MIN=$("$PY" -c "print(max(0.5, $MINUTES - 0.75))")
LIMIT=$("$PY" -c "print(int($MINUTES * 60 + 20))")
echo "gpu_job: device $DEV, $WORKERS loader workers, loop budget $TRAIN_MIN min, hard limit ${LIMIT}s"
set +e
timeout --signal=TERM --kill-after=30 "$LIMIT" "$PY" -u training/odgi/train.py --config gpu --data onthefly \
  --device "$DEV" --workers "$WORKERS" --threads 4 --minutes "$TRAIN_MIN" --ckpt-every 1.5 --reuse 2 \
  --seed-offset 500000 --out "$OUT" 2>&1 | tee -a "$OUT/stdout.log"
RC=${PIPESTATUS[0]}
set -e
echo "gpu_job: train.py exit $RC after $(( $(date +%s) - START ))s"
ls -la "$OUT"
test -f "$OUT/ckpt.json" && test -f "$OUT/ckpt.bin"
