# The hook sees every write to XFS and classes it: the counters move by
# exactly the writes made, in each mode, and the data reads back from disk.
. "$(dirname "$0")/../lib.sh"
need_disks 1
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
xwt_load

# 3 plain, 2 direct, 1 direct+dsync, 7 buffered dsync-class writes of 4 KiB.
write_all() { # SEED
	local f=$mnt/f$1 s=$1
	xwt_io write -S "$s" -o 0 -n 3 "$f"
	xwt_io write -S "$s" -f direct -o 12288 -n 2 "$f"
	xwt_io write -S "$s" -f direct,rwf_dsync -o 20480 "$f"
	xwt_io write -S "$s" -f odsync -o 24576 -n 2 "$f"
	xwt_io write -S "$s" -f osync -o 32768 -n 2 "$f"
	xwt_io write -S "$s" -f rwf_dsync -o 40960 -n 2 "$f"
	xwt_io write -S "$s" -f rwf_sync -o 49152 "$f"
}
verify_all() { # SEED
	xwt_io verify -S "$1" -n 13 "$mnt/f$1" || fail "data of f$1 is wrong"
}

declare -A before
for mode in off dsync all; do
	xwt_mode "$dev" "$mode"
	expect_eq "$mode" "$(xwt_mode "$dev")" "mode"
	xwt_stats_snap "$dev" before
	seed=$((RANDOM + 1))
	write_all "$seed"
	# Direct writes always pass; the engine takes the buffered ones the
	# mode selects, and each completes once.
	case $mode in
	off) take="passed_other_writes=5 passed_other_bytes=20480
		passed_dsync_writes=8 passed_dsync_bytes=32768" ;;
	dsync) take="passed_other_writes=5 passed_other_bytes=20480
		passed_dsync_writes=1 passed_dsync_bytes=4096
		taken_dsync_writes=7 taken_dsync_bytes=28672
		completions=7 fallback_direct=1" ;;
	all) take="passed_other_writes=2 passed_other_bytes=8192
		taken_other_writes=3 taken_other_bytes=12288
		passed_dsync_writes=1 passed_dsync_bytes=4096
		taken_dsync_writes=7 taken_dsync_bytes=28672
		completions=10 fallback_direct=3" ;;
	esac
	# shellcheck disable=SC2086
	xwt_stats_expect "$dev" before seen_other_writes=5 seen_other_bytes=20480 \
		seen_dsync_writes=8 seen_dsync_bytes=32768 $take
	drop_caches
	verify_all "$seed"
	remount "$dev" "$mnt"
	verify_all "$seed"
	note "mode $mode: counters and data ok"
done

# RWF_ATOMIC: 6.1 has no such flag and 6.12's VFS refuses it before XFS;
# 7.x lets it reach XFS when the file system can do atomic writes.
xwt_mode "$dev" dsync
xwt_stats_snap "$dev" before
if xwt_io write -f atomic "$mnt/atomic" 2>/dev/null; then
	fail "a buffered RWF_ATOMIC write succeeded on a stock path"
fi
seen=$(( $(xwt_stat "$dev" seen_atomic_writes) - ${before[seen_atomic_writes]} ))
case $XWT_KERNEL in
6.1 | 6.12) expect_eq 0 "$seen" "atomic writes seen on $XWT_KERNEL" ;;
*) note "atomic writes that reached XFS: $seen" ;;
esac
