#!/usr/bin/env bash
# The distributed tests: `sparsefactor` under Open MPI's mpirun with 1, 2 and 3 ranks (3 splits the
# work unevenly) must give bit-identical results, and a job must survive the loss of a rank.
#   - factorize (dense fit, L-BFGS and Adam, float64 and float32; matrix-free, Adam and L-BFGS): the
#     saved factors equal, byte for byte, those of a run without mpirun;
#   - train, every --model: the checkpoints of -np 1, 2 and 3 hold the same parameters, optimizer
#     state and progress (scripts/compare_checkpoints.py; clock readings aside);
#   - a run checkpointed under -np 2 and resumed under -np 3 ends where an uninterrupted -np 1 run ends;
#   - a rank killed with SIGKILL ends the whole job within 60 s with a non-zero exit, the last
#     checkpoint stays intact, and a run resumed from it finishes.
# Needs Open MPI (scripts/setup.sh installs it); runs as root with --allow-run-as-root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product sparsefactor
bin=$PWD/.build/release/sparsefactor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpi() { local np=$1; shift; mpirun --allow-run-as-root --oversubscribe -np "$np" "$@"; }
quiet() { "$@" > /dev/null; }
passed=0
failed=0
check() {   # check NAME COMMAND...: counts a pass or a failure
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "distributed: ok   $name"; else failed=$((failed + 1)); echo "distributed: FAIL $name"; fi
}

# A 300 x 300 sparse matrix (6 random entries a row, from a fixed seed): 8 chunks of the objective.
awk 'BEGIN { n = 300; srand(7); print "%%MatrixMarket matrix coordinate real general"; print n, n, 6 * n
             for (i = 1; i <= n; i++) for (t = 0; t < 6; t++) printf "%d %d %.6f\n", i, int(rand() * n) + 1, rand() - 0.5 }' > "$work/a.mtx"

for variant in "lbfgs float64" "lbfgs float32" "adam float64"; do
    set -- $variant
    flags=(--optimizer "$1" --precision "$2" --iterations 30 --threads 1)
    "$bin" factorize "$work/a.mtx" "${flags[@]}" --save "$work/fit-plain.sfchain" > /dev/null
    for np in 1 2 3; do
        mpi "$np" "$bin" factorize "$work/a.mtx" "${flags[@]}" --save "$work/fit-$np.sfchain" > /dev/null
        check "factorize $variant, $np rank(s): the same factors as without mpirun" cmp -s "$work/fit-plain.sfchain" "$work/fit-$np.sfchain"
    done
done

# Matrix-free: 80 probes are 3 blocks (32, 32, 16), split 1 + 2 over 2 ranks and 1 + 1 + 1 over 3.
for optimizer in adam lbfgs; do
    flags=(--matrix-free --probes 80 --optimizer "$optimizer" --iterations 20 --threads 1)
    "$bin" factorize "$work/a.mtx" "${flags[@]}" --save "$work/free-plain.sfchain" > /dev/null
    for np in 1 2 3; do
        mpi "$np" "$bin" factorize "$work/a.mtx" "${flags[@]}" --save "$work/free-$np.sfchain" > /dev/null
        check "factorize --matrix-free --optimizer $optimizer, $np rank(s): the same factors as without mpirun" \
            cmp -s "$work/free-plain.sfchain" "$work/free-$np.sfchain"
    done
done

train_flags=(--task adding --length 64 --train-size 120 --val-size 40 --test-size 40 --batch 24 --epochs 2 --seed 5 --threads 1)
for model in psf paramixer transformer linformer performer chordmixer; do
    for np in 1 2 3; do
        mpi "$np" "$bin" train --model "$model" "${train_flags[@]}" --checkpoint "$work/$model-$np.ckpt" > /dev/null
    done
    check "train --model $model: -np 1, 2, 3 end in the same state" \
        python3 scripts/compare_checkpoints.py "$work/$model-1.ckpt" "$work/$model-2.ckpt" "$work/$model-3.ckpt"
done

# evaluate under mpirun: the batches split over the ranks, the same numbers as one process.
"$bin" evaluate --checkpoint "$work/psf-1.ckpt" --test-size 100 --batch 7 --threads 1 --json | tail -n 1 | sed 's/"seconds":[^,]*,//; s/"processes":[0-9]*,//' > "$work/eval-plain.json"
for np in 2 3; do
    mpi "$np" "$bin" evaluate --checkpoint "$work/psf-1.ckpt" --test-size 100 --batch 7 --threads 1 --json | tail -n 1 \
        | sed 's/"seconds":[^,]*,//; s/"processes":[0-9]*,//' > "$work/eval-$np.json"
    check "evaluate under -np $np: the loss and accuracy of one process" cmp -s "$work/eval-plain.json" "$work/eval-$np.json"
done

# Checkpoint under 2 ranks at step 6 (of 10), resume under 3: the same end as the uninterrupted -np 1 run above.
mpi 2 "$bin" train --model psf "${train_flags[@]}" --checkpoint "$work/resumed.ckpt" --checkpoint-every 3 --max-steps 7 > /dev/null
mpi 3 "$bin" train --model psf "${train_flags[@]}" --checkpoint "$work/resumed.ckpt" --resume > /dev/null
check "train checkpointed under -np 2, resumed under -np 3 = uninterrupted -np 1" \
    python3 scripts/compare_checkpoints.py "$work/psf-1.ckpt" "$work/resumed.ckpt"

# A rank killed with SIGKILL mid-run: the job ends, the checkpoint survives, a resumed run finishes.
long_flags=(--task adding --length 128 --train-size 4000 --val-size 40 --test-size 40 --epochs 100 --seed 5 --threads 1)
mpi 2 "$bin" train "${long_flags[@]}" --checkpoint "$work/killed.ckpt" --checkpoint-every 5 > "$work/killed.log" 2>&1 &
launcher=$!
for _ in $(seq 600); do [ -s "$work/killed.ckpt" ] && break; sleep 0.1; done
rank1=""
for pid in $(pgrep -f "sparsefactor train.*killed.ckpt" || true); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1"; then rank1=$pid; fi
done
if [ -n "$rank1" ] && [ -s "$work/killed.ckpt" ]; then
    killed_at=$SECONDS
    kill -9 "$rank1"
    status=0
    for _ in $(seq 600); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$launcher" 2>/dev/null; then kill -9 "$launcher"; status=-1; else wait "$launcher" || status=$?; fi
    echo "distributed: the job ended $((SECONDS - killed_at)) s after rank 1 was killed, exit $status; mpirun said: $(grep -m1 -i 'signal\|killed' "$work/killed.log" || true)"
    check "a killed rank ends the job with a non-zero exit within 60 s" test "$status" -gt 0
    check "the last checkpoint survives a killed rank and resumes" \
        quiet mpi 3 "$bin" train "${long_flags[@]}" --checkpoint "$work/killed.ckpt" --resume --max-steps 5
else
    failed=$((failed + 1)); echo "distributed: FAIL could not find rank 1 of the run to kill"
    kill "$launcher" 2>/dev/null || true
fi

echo "distributed: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
