# shellcheck shell=bash
# What the benchmark's modes mean, in one place: sourced by
# tests/bench/run-bench, tests/bench/hook and tests/bench/cpu-split.

# bench_xmode MODE: the module's mode for a bench mode.
bench_xmode() {
	case $1 in
	wt-dsync | wt-atomic) echo dsync ;;
	wt-all) echo all ;;
	*) echo off ;;
	esac
}

# bench_fio_opts MODE: fio's options for a bench mode, one per line.
bench_fio_opts() {
	case $1 in
	buf-dsync | wt-dsync) printf '%s\n' direct=0 sync=dsync ;;
	dio-dsync) printf '%s\n' direct=1 sync=dsync ;;
	buf-dontcache) printf '%s\n' direct=0 uncached=1 ;;
	*) echo direct=0 ;;
	esac
}

# bench_round REP MODE...: the order of the modes in round REP, one per
# line: forwards in odd rounds, backwards in even ones, so that drift hits
# the modes alike.
bench_round() {
	local rep=$1 i
	shift
	if ((rep % 2)); then
		printf '%s\n' "$@"
	else
		for ((i = $#; i >= 1; i--)); do echo "${!i}"; done
	fi
}

# bench_evict DIR: drop the cached pages of the regular files in DIR (clean
# ones; call it after a sync). Every run then starts with nothing of its file
# cached, as a database file larger than memory does: no mode pays for, or
# profits from, what the run before it left in the page cache.
bench_evict() {
	local f
	for f in "$1"/*; do
		[[ -f $f && ! -L $f ]] || continue
		xfs_io -r -c "fadvise -d 0 $(stat -c %s "$f")" "$f" || return
	done
}
