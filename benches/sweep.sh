#!/usr/bin/env bash
# Sweep benchmark: points per second of the embedded default sweep (315 points) at 1 and 2
# threads with the parallel efficiency, and the peak memory (max RSS) of a 10,000-point sweep.
#
#   benches/sweep.sh [--repeat N] [--skip-10k]
#
# Prints a Markdown table; the README's speed section quotes it.
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=3; skip10k=0
while [ $# -gt 0 ]; do
    case $1 in
        --repeat) repeat=$2; shift 2 ;;
        --skip-10k) skip10k=1; shift ;;
        *) echo "usage: benches/sweep.sh [--repeat N] [--skip-10k]" >&2; exit 2 ;;
    esac
done
cargo build --release --quiet -p counterpulse
bin=target/release/counterpulse
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

best_wall() { # threads -> best wall time of $repeat runs (s)
    local best="" t
    for i in $(seq 1 "$repeat"); do
        rm -rf "$work/d"
        t=$("$bin" sweep --out "$work/d" --threads "$1" 2>/dev/null | sed -n 's/.* in \([0-9.]*\) s (.*/\1/p')
        best=$(python3 -c "print(min(float('$t'), float('${best:-1e9}')))")
    done
    echo "$best"
}
n=315
t1=$(best_wall 1)
t2=$(best_wall 2)
echo "| run | points | threads | wall time (s) | points/s | points/s per core | parallel efficiency |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
python3 - "$t1" "$t2" "$n" <<'PY'
import sys
t1, t2, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"| default sweep | {n} | 1 | {t1:.2f} | {n/t1:.1f} | {n/t1:.1f} | 100 % |")
print(f"| default sweep | {n} | 2 | {t2:.2f} | {n/t2:.1f} | {n/t2/2:.1f} | {t1/(2*t2)*100:.0f} % |")
PY
rm -rf "$work/d"
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" sweep --out "$work/d" --threads 2 > /dev/null 2>&1
read -r _ rss315 < "$work/time"
echo "| default sweep, peak memory | 315 | 2 | | | | peak RSS $((rss315 / 1024)) MiB |"
if [ "$skip10k" = 0 ]; then
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin" sweep benches/sweep-10k.toml --out "$work/10k" --threads 2 > "$work/10k.log" 2>&1
    read -r wall rss < "$work/time"
    python3 - "$wall" "$rss" <<'PY'
import sys
wall, rss = float(sys.argv[1]), int(sys.argv[2])
print(f"| 10,000-point LHS (benches/sweep-10k.toml) | 10000 | 2 | {wall:.1f} | {10000/wall:.1f} | {10000/wall/2:.1f} | peak RSS {rss/1024:.0f} MiB |")
PY
fi
