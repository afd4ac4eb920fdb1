# A device that fails writes makes a taken write fail with EIO, leaves no
# folio locked or under writeback, makes a later fsync report the error, and
# the module still unloads.
. "$(dirname "$0")/../lib.sh"
need_disks 1
disk=${XWT_DISKS[0]} mnt=/mnt/xwt0
naio=4
[[ -z ${STRESS:-} ]] || naio=64
fdev=$(flakey_create "$disk")
xwt_mkfs "$fdev"
xwt_mount "$fdev" "$mnt"
xfs_io -f -c "pwrite -q -S 0x11 0 65536" -c fsync "$mnt/f" >/dev/null
xwt_load
xwt_mode "$fdev" dsync

# Overwrites with FUA need no log write: only the data bio meets the error.
flakey_load "$disk" error
out=$(xfs_io -c "pwrite -V 1 -D -S 0x22 4096 8192" "$mnt/f" 2>&1) || true
flakey_load "$disk" up
echo "$out"
grep -q 'pwrite.*Input/output error' <<<"$out" || fail "the write did not fail with EIO"
# The device works again: only the error recorded on the file can fail this.
expect_write_error_reported "$fdev" "$mnt/f" 0 "pwrite" 'Input/output error'
# An asynchronous caller gets the error in its completion.
flakey_load "$disk" error
out=$(aio_inflight "$mnt/f" "$XWT_SYS/$(xwt_devname "$fdev")/stats" "$naio" 2>&1) || true
flakey_load "$disk" up
echo "$out"
grep -q 'result -5' <<<"$out" || fail "the libaio completion did not carry EIO"
xfs_io -c fsync "$mnt/f" >/dev/null 2>&1 || true
expect_eq 0 "$(xwt_stat "$fdev" inflight)" "bios in flight"
(($(xwt_stat "$fdev" errors) >= 1)) || fail "no error counted"

# Nothing is left locked or under writeback: the range reads and rewrites.
timeout 60 dd if="$mnt/f" of=/dev/null bs=4096 status=none || fail "read after the error"
awk '$1 == "Writeback:" && $2 != 0 { exit 1 }' /proc/meminfo || fail "pages left under writeback"
xfs_io -c "pwrite -V 1 -D -S 0x33 4096 8192" "$mnt/f" >/dev/null || fail "write after the error"
drop_caches
cmp <(head -c 8192 /dev/zero | tr '\0' '\063') \
	<(dd if="$mnt/f" bs=4096 skip=1 count=2 status=none) || fail "data after a successful rewrite"
umount "$mnt"
xwt_unload
