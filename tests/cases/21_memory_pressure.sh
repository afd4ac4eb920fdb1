# Large write-through writes under memory pressure: in a cgroup v2 whose
# memory.max is 48 MiB, one process writes a 64 MiB file (256 MiB under
# STRESS) in 8 MiB writes: pwritev2 with O_DSYNC and io_uring with RWF_DSYNC
# (two 8 MiB writes in flight) in mode dsync, and under STRESS also plain
# pwritev2 in mode all.
# The same writers under the same limit on a stock mount (mode off, second
# disk) are the reference. What a storage engineer expects: the module does
# no worse than stock, so no write fails, the writer is never OOM-killed
# (memory.events oom_kill stays 0) while the cgroup does hit its limit, and
# every byte verifies after drop_caches.
. "$(dirname "$0")/../lib.sh"
need_disks 2
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
rdev=${XWT_DISKS[1]} ref=/mnt/xwt1
recs=8 limit=48M kinds="psync-odsync uring-dsync"
if [[ -n ${STRESS:-} ]]; then
	recs=32 kinds="psync-odsync uring-dsync psync-plain"
fi
cg=/sys/fs/cgroup
if ! grep -q "^cgroup2 $cg " /proc/mounts; then
	mount -t cgroup2 none "$cg" || skip "no cgroup v2"
fi
grep -qw memory "$cg/cgroup.controllers" || skip "no memory controller"
# io too: dirty-page throttling per cgroup needs both.
echo "+memory +io" >"$cg/cgroup.subtree_control" 2>/dev/null ||
	echo +memory >"$cg/cgroup.subtree_control"
grp=$cg/xwt_mem
rmdir "$grp" 2>/dev/null || true
mkdir "$grp"
trap 'rmdir $grp 2>/dev/null || true' EXIT
echo "$limit" >"$grp/memory.max"
[[ ! -e $grp/memory.swap.max ]] || echo 0 >"$grp/memory.swap.max"
ack=$(mktemp -d)

xwt_mkfs "$dev"
xwt_mkfs "$rdev"
xwt_mount "$dev" "$mnt"
xwt_mount "$rdev" "$ref"
xwt_load

event() { awk -v k="$1" '$1 == k { print $2 }' "$grp/memory.events"; }
# Run stamp_io in the cgroup: WHAT DIR MODE stamp_io-args...
run() {
	local what=$1 dir=$2 mode=$3 t=$SECONDS oom max
	shift 3
	[[ $dir == "$mnt" ]] && xwt_mode "$dev" "$mode"
	oom=$(event oom_kill) max=$(event max)
	bash -c 'echo $$ >'"$grp"'/cgroup.procs && exec "$@"' -- \
		stamp_io write -t 1 -b 8388608 -n "$recs" -r 1 -a "$ack/$what" "$@" "$dir/$what" \
		>"$ack/$what.out" 2>&1 ||
		{ cat "$ack/$what.out"; fail "$what failed under memory.max=$limit (oom kills: $(($(event oom_kill) - oom)))"; }
	expect_eq "$oom" "$(event oom_kill)" "OOM kills in $what"
	note "$what: $((recs * 8)) MiB in $((SECONDS - t))s, the limit was hit $(($(event max) - max)) times"
}

for where in stock wt; do
	dir=$ref
	[[ $where == wt ]] && dir=$mnt
	for k in $kinds; do
		case $k in
		psync-odsync) run "$where-$k" "$dir" dsync -e psync -f odsync ;;
		uring-dsync) run "$where-$k" "$dir" dsync -e uring -q 2 -f dsync ;;
		psync-plain) run "$where-$k" "$dir" all -e psync -f plain ;;
		esac
	done
done
note "peak memory of the cgroup: $(($(cat "$grp/memory.peak" 2>/dev/null || echo 0) >> 20)) MiB"
# io_uring's non-blocking attempts that were punted count as taken twice.
taken=$(($(xwt_taken "$dev") - $(xwt_stat "$dev" nowait_eagain)))
n=$(wc -w <<<"$kinds")
expect_eq "$((recs * n))" "$taken" "8 MiB writes taken by the engine"
expect_eq 0 "$(xwt_stat "$dev" errors)" "engine errors"
t=$SECONDS
drop_caches
# The stock files too under STRESS: they prove the writer's own checks.
for where in wt ${STRESS:+stock}; do
	dir=$ref
	[[ $where == wt ]] && dir=$mnt
	for what in $kinds; do
		stamp_io check -b 8388608 -n "$recs" -a "$ack/$where-$what" "$dir/$where-$what" >/dev/null ||
			fail "$where-$what after drop_caches"
	done
done
note "verified after drop_caches in $((SECONDS - t))s; test total ${SECONDS}s"
umount "$mnt" "$ref"
