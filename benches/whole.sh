#!/usr/bin/env bash
# The whole process, command by command, on generated models: wall time and
# peak memory (maximum resident set) of each run, as a user sees them.
#
#   benches/whole.sh                  # 1k, 10k and 100k services
#   benches/whole.sh 1000 10000       # some sizes only
#   ROUNDS=3 benches/whole.sh 100000  # the median of 3 runs of each
#
# Models: `whatif generate --services N --seed 7` (ours: operations, caches,
# failovers, zones) and, when GEN_ARCH points to it (default
# ../shared/bench/gen_arch.py), `gen_arch.py N --seed 7 --cycles 3` (the
# side-by-side generator: layered, heavy-tailed, with cycles). Needs GNU
# time (`apt-get install time`) for the memory figure. Builds the release
# binary first unless WHATIF is set. Not part of `cargo test`.
set -euo pipefail

cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000 100000)
rounds=${ROUNDS:-1}
gen_arch=${GEN_ARCH:-../shared/bench/gen_arch.py}
if [ -z "${WHATIF:-}" ]; then
    cargo build --release --quiet
    WHATIF=target/release/whatif
fi
if [ ! -x /usr/bin/time ]; then
    echo "GNU time is needed: apt-get install time" >&2
    exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One command, `rounds` times: prints the median wall time (s) and the
# largest peak RSS (MB).
measure() {
    local times=() mem=0 t m
    for _ in $(seq "$rounds"); do
        if ! /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err"; then
            echo "failed: $* ($(head -c 200 "$work/err"))" >&2
            echo "- -"
            return
        fi
        read -r t m <"$work/time"
        times+=("$t")
        [ "$m" -gt "$mem" ] && mem=$m
    done
    t=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(((rounds + 1) / 2))p")
    echo "$t $((mem / 1024))"
}

printf '%-28s %-34s %8s %8s\n' model command seconds MB
for n in "${sizes[@]}"; do
    models=("generate-$n")
    "$WHATIF" generate --services "$n" --seed 7 >"$work/generate-$n.yaml"
    if command -v python3 >/dev/null && [ -f "$gen_arch" ]; then
        python3 "$gen_arch" "$n" --seed 7 --cycles 3 >"$work/gen_arch-$n.yaml"
        models+=("gen_arch-$n")
    fi
    for name in "${models[@]}"; do
        model="$work/$name.yaml"
        commands=(
            "check"
            "run --down db-1 --format json"
            "blast --format json"
            "spof --format json"
            "cuts --order 2 --format json"
            "availability --trials 1000000 --format json"
            "faulttree -o $work/tree.xml"
            "run --down db-1 -o $work/page.html"
        )
        # 1,200 steady states: a thousand services at most.
        [ "$n" -le 1000 ] && commands+=("run --down db-1 --for 20m --format json")
        for command in "${commands[@]}"; do
            verb=${command%% *}
            rest=""
            [[ $command == *" "* ]] && rest=${command#* }
            # shellcheck disable=SC2086 # the flags' words
            read -r t m < <(measure "$WHATIF" "$verb" "$model" $rest)
            printf '%-28s %-34s %8s %8s\n' "$name" "${command/$work\//}" "$t" "$m"
        done
    done
done
