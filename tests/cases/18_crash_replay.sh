# Power cut at every point: a write-through workload (crash_wl: DSYNC and
# SYNC writes, appends, hole fills, io_uring and libaio, plain writes with
# fsync or fdatasync, truncates down and up, punches, preallocation, reflink
# clones; in modes dsync, all and off) runs on XFS over dm-log-writes, with a
# mark after each acknowledged operation. The log is then replayed onto
# another device and, at each flush and FUA point and each mark, a throwaway
# snapshot of the replayed image is mounted (log recovery) and checked:
# every acknowledged operation is there with its data and size, nothing else
# is except part of the one in flight, xfs_repair -n is clean and the kernel
# logged no warning, corruption or shutdown. Blocks the workload writes hold
# a fill pattern until the replay writes them, so a file that exposes one
# early fails. The log must end with dm-log-writes' end mark and the checker
# must have seen every mark, or the walk fails; and before that, the checker
# must reject the live fs against a model with a write nobody made.
# The short run checks every mark and every 4th flush or FUA point, with
# xfs_repair at every third point; STRESS=1 runs a longer workload and checks
# every point with xfs_repair. SEED picks the workload; CRASH_WL_ARGS adds
# crash_wl options (-U makes a workload that must fail the check).
. "$(dirname "$0")/../lib.sh"
need_disks 2
mnt=/mnt/xwt0 rmnt=/mnt/xwt1 rec=/tmp/crash_wl.rec
seed=${SEED:-$RANDOM}
if [[ -n ${STRESS:-} ]]; then
	ops=200 flush_every=1 fsck_every=1
else
	ops=24 flush_every=4 fsck_every=3
fi

mib=2048	# sectors
size=$((384 * mib))
# Only what is there, and one dmsetup call for all (stacked devices first):
# an exec costs most of a second under emulation.
cleanup() {
	local m n d have=' ' dms=()
	while read -r _ m _; do
		if [[ $m == "$rmnt" || $m == "$mnt" ]]; then umount "$m" 2>/dev/null || true; fi
	done </proc/mounts
	for d in /sys/block/dm-*/dm/name; do
		if [[ -r $d ]] && read -r n <"$d"; then have+="$n "; fi
	done
	for n in xwt_cr_snap xwt_cr_lw xwt_cr_data xwt_cr_log xwt_cr_replay xwt_cr_cow; do
		if [[ $have == *" $n "* ]]; then dms+=("$n"); fi
	done
	if ((${#dms[@]})); then dmsetup remove --retry "${dms[@]}" 2>/dev/null || true; fi
}
trap cleanup EXIT

modprobe dm-log-writes
modprobe dm-snapshot
# The file system and the copy-on-write area of the checks on the first
# disk, the log and the replay target on the second. One dmsetup call: an
# exec costs most of a second under emulation.
dmsetup create --concise "\
xwt_cr_data,,,rw,0 $size linear ${XWT_DISKS[0]} 0;\
xwt_cr_cow,,,rw,0 $((256 * mib)) linear ${XWT_DISKS[0]} $((512 * mib));\
xwt_cr_log,,,rw,0 $((600 * mib)) linear ${XWT_DISKS[1]} 0;\
xwt_cr_replay,,,rw,0 $size linear ${XWT_DISKS[1]} $((600 * mib));\
xwt_cr_lw,,,rw,0 $size log-writes /dev/mapper/xwt_cr_data /dev/mapper/xwt_cr_log"
lw=/dev/mapper/xwt_cr_lw

# -K: the replay skips discards anyway.
xwt_mkfs "$lw" -K
dmsetup message xwt_cr_lw 0 mark mkfs
xwt_mount "$lw" "$mnt"
xwt_load
dev=$(xwt_devname "$lw")
note "seed $seed, $ops ops"
# shellcheck disable=SC2086 # CRASH_WL_ARGS is a list of options
crash_wl run ${CRASH_WL_ARGS:-} -s "$seed" -n "$ops" -l xwt_cr_lw -m "$XWT_SYS/$dev/mode" \
	"$rec" "$mnt" || fail "the workload failed (seed $seed)"
declare -A st
while read -r k v; do st[$k]=$v; done <"$XWT_SYS/$dev/stats"
note "write-through: ${st[taken_dsync_writes]} dsync and ${st[taken_other_writes]} other writes taken"
((st[taken_dsync_writes] + st[taken_other_writes] > 0)) || fail "the module took no write"

# The checker must be able to fail: the live fs against the model with one
# more op, a 4 KiB write at the start of f0 that nobody made.
bad=/tmp/crash_wl.bad
printf '%s\n%s write 0 0 4096 0 0 odsync dsync\n' "$(<"$rec")" "$ops" >"$bad.rec"
if printf 'check 0 op%s 1\n' "$ops" | crash_wl check "$bad.rec" "$mnt" >"$bad.out" 2>"$bad.err"; then
	fail "the checker passed a model with a write that nobody made"
fi
[[ $(<"$bad.out") == fail* && $(<"$bad.err") == *": f0 "* ]] ||
	fail "the checker did not see the write that nobody made: $(<"$bad.out") $(<"$bad.err")"

umount "$mnt"
xwt_unload
# Removing it logs the end mark; the walk fails a log without it (one that
# dm-log-writes stopped writing, say).
dmsetup remove xwt_cr_lw

mkdir -p "$rmnt"
# Progress to the console too: the runner keeps this test's output in the
# guest's tmpfs, which a guest killed by the timeout takes with it.
con=()
if [[ -w /dev/console ]]; then con=(-p /dev/console); fi
log_replay walk ${VERBOSE:+-v} -F -a mkfs -M -f "$flush_every" -r "$fsck_every" "${con[@]}" \
	-n xwt_cr_snap /dev/mapper/xwt_cr_log /dev/mapper/xwt_cr_replay /dev/mapper/xwt_cr_cow \
	"$rmnt" crash_wl check "$rec" "$rmnt" || fail "crash replay failed (seed $seed)"
