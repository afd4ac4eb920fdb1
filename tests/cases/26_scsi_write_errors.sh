# Errors injected by the device itself: scsi_debug's per-device rules (in
# debugfs from 6.7) make its next WRITE commands fail with a hardware error,
# for taken O_DSYNC overwrites from pwritev2 and io_uring. Each fails with
# the device's error as O_DIRECT and stock writeback report it (a SCSI
# hardware error is EREMOTEIO), nothing stays locked, under writeback or
# in flight, the next fsync reports the error once, the data written
# before is intact, and the disk takes a rewrite that survives a remount
# and the module's unload.
# Only under STRESS: a rule fails the next WRITE command, whoever sends it,
# and a background log write that takes it shuts the file system down.
. "$(dirname "$0")/../lib.sh"
[[ -n ${STRESS:-} ]] || skip "runs in make stress only (see its comment)"
mnt=/mnt/xwt0
dev=$(sdebug_load dev_size_mb=320 sector_size=4096)
hctl=$(basename "$(readlink -f "/sys/block/$(basename "$dev")/device")")
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
rules=/sys/kernel/debug/scsi_debug/$hctl/error
[[ -e $rules ]] || skip "$XWT_KERNEL's scsi_debug has no per-device error injection (6.7 and later)"
# Type 2 (fail the command), once, for WRITE(10) and WRITE(16): CHECK
# CONDITION, HARDWARE ERROR, internal target failure. sd does not retry it,
# and the block layer reports BLK_STS_TARGET.
inject() {
	echo "2 -1 0x2a 0 0 0x2 0x4 0x44 0" >"$rules"
	echo "2 -1 0x8a 0 0 0x2 0x4 0x44 0" >"$rules"
}
clear_rules() { # rules left armed (the opcode sd did not use)
	echo "- 2 0x2a" >"$rules" 2>/dev/null || true
	echo "- 2 0x8a" >"$rules" 2>/dev/null || true
}
sum() { # FILE OFFSET LENGTH
	timeout 60 dd if="$1" bs=4k skip=$(($2 / 4096)) count=$(($3 / 4096)) status=none | md5sum | cut -d' ' -f1
}

xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
f=$mnt/f
xfs_io -f -c "pwrite -q -S 0x11 0 1m" -c fsync "$f"
old=$(sum "$f" 65536 983040)
xwt_load
xwt_mode "$dev" dsync
for caller in psync io_uring; do
	errors=$(xwt_stat "$dev" errors)
	inject
	case $caller in
	psync)
		out=$(xfs_io -c "pwrite -V 1 -D -S 0x22 0 16k" "$f" 2>&1) || true
		grep -q 'pwrite.*I/O error' <<<"$out" || fail "$caller: no I/O error: $out"
		;;
	io_uring)
		out=$(fio --name=se --filename="$f" --ioengine=io_uring --iodepth=4 --rw=write \
			--bs=16k --size=64k --sync=dsync --buffer_pattern=0x22 --output-format=terse \
			--terse-version=3 2>&1) && fail "$caller: the write did not fail: $out"
		grep -q 'I/O error' <<<"$out" || fail "$caller: no I/O error: $out"
		;;
	esac
	clear_rules
	expect_write_error_reported "$dev" "$f" "$errors" "$caller" 'I/O error'
	drop_caches
	expect_eq "$old" "$(sum "$f" 65536 983040)" "$caller: data written before"
done
note "$(cat "$rules" | tr '\n' ' ')"
xfs_io -c "pwrite -q -V 1 -D -S 0x33 0 64k" "$f" || fail "rewrite after the errors"
umount "$mnt"
xwt_unload
xwt_mount "$dev" "$mnt"
expect_eq "$(head -c 65536 /dev/zero | tr '\0' '\063' | md5sum | cut -d' ' -f1)" "$(sum "$f" 0 65536)" \
	"the rewrite after a remount"
umount "$mnt"
