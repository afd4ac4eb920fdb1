# Random buffered, O_DSYNC/RWF_DSYNC/RWF_SYNC, libaio, io_uring, O_DIRECT,
# mmap, truncate, fallocate, punch-hole and zero-range ops on XFS (4 KiB and
# 1 KiB blocks) with xfs_wt in modes dsync and all never lose or corrupt data:
# every read, cache drop and remount matches fsx_wt's model of the file.
. "$(dirname "$0")/../lib.sh"
need_disks 1
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
# Ops per run; the 1 KiB-block run is shorter. -D/-R: cache drop + full
# verify, and umount/mount + full verify, every so many ops. A 1 MiB file
# and 64 KiB ops keep 100k ops to a few minutes under TCG (scripts/fsx-long
# runs the 8 MiB / 256 KiB defaults).
ops=${FSX_OPS:-50000} ops_1k=${FSX_OPS_1K:-10000}
drop=${FSX_DROP:-2000} remount_every=${FSX_REMOUNT:-9000}
read -r -a args <<<"${FSX_ARGS:--L 1M -l 64K}"
[[ -x $XWT_BIN/fsx_wt ]] || fail "no $XWT_BIN/fsx_wt; run scripts/in-root make -C tests"
seed=${SEED:-$(((RANDOM << 15) | RANDOM))}
note "seeds: $seed (dsync), $((seed + 1)) (all), $((seed + 2)) (1 KiB blocks); rerun with SEED=$seed"

stats() { # DEV
	grep -E '^(taken_.*_writes|fallback_.*|errors) ' "$XWT_SYS/$(xwt_devname "$1")/stats" | tr '\n' ' '
}

run_fsx() { # WHAT SEED OPS FILE
	local t=$SECONDS
	fsx_wt -q -S "$2" -N "$3" -D "$drop" -R "$remount_every" -M "$mnt" -d "$dev" \
		"${args[@]}" "$4" ||
		fail "fsx_wt $1 failed: rerun with SEED=$seed (this run's seed $2)"
	note "$1: $3 ops in $((SECONDS - t))s; mode $(xwt_mode "$dev")"
	note "$1 stats since the last remount: $(stats "$dev")"
}

xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
xwt_load default_mode=dsync
expect_eq dsync "$(xwt_mode "$dev")" "mode after load"
run_fsx "4k/dsync" "$seed" "$ops" "$mnt/fsx1"

# fsx_wt remounts; a new mount takes default_mode, so set both.
xwt_mode "$dev" all
echo all >/sys/module/xfs_wt/parameters/default_mode
run_fsx "4k/all" "$((seed + 1))" "$ops" "$mnt/fsx2"

umount "$mnt"
xwt_mkfs "$dev" -b size=1024
xwt_mount "$dev" "$mnt"
expect_eq all "$(xwt_mode "$dev")" "mode of the 1 KiB-block mount"
run_fsx "1k/all" "$((seed + 2))" "$ops_1k" "$mnt/fsx3"
umount "$mnt"
