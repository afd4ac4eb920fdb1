# Buffered RWF_ATOMIC writes of one block succeed through pwritev2, libaio
# and io_uring on a device with atomic write units; each reaches the device
# as one WRITE ATOMIC command of one block (the SCSI layer's own trace);
# malformed or unsupportable ones are refused with the documented errno and
# write nothing; data reads back after drop_caches and remount.
. "$(dirname "$0")/../lib.sh"
need_disks 1
mnt=/mnt/xwt0 vmnt=/mnt/xwt1
xwt_load
features=$(cat "$XWT_SYS/features")
echo "$features"

if [[ $XWT_KERNEL == 6.1 ]]; then
	grep -q '^atomic no this kernel has no RWF_ATOMIC' <<<"$features" || fail "features on 6.1"
	xwt_mkfs "${XWT_DISKS[0]}"
	xwt_mount "${XWT_DISKS[0]}" "$mnt"
	xwt_mode "${XWT_DISKS[0]}" dsync
	expect_eq 0 "$(cat "$XWT_SYS/vda/atomic_write_unit_max_bytes")" "atomic unit on 6.1"
	out=$(atomic_io write -n 1 "$mnt/a" 2>&1) && fail "RWF_ATOMIC succeeded on 6.1"
	grep -q 'Operation not supported' <<<"$out" || fail "6.1 answered: $out"
	note "6.1 refuses RWF_ATOMIC with EOPNOTSUPP, as stock"
	exit 0
fi
grep -q '^atomic yes' <<<"$features" || fail "features do not offer atomic writes"

dev=$(sdebug_load dev_size_mb=320 sector_size=4096 atomic_wr=1 atomic_wr_gran=1 atomic_wr_align=1)
name=$(xwt_devname "$dev")
echo "write through" >"/sys/block/$name/queue/write_cache"
note "device atomic units: $(cat /sys/block/$name/queue/atomic_write_unit_min_bytes)-$(cat /sys/block/$name/queue/atomic_write_unit_max_bytes)"
xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
xwt_mode "$dev" dsync
expect_eq 4096 "$(cat "$XWT_SYS/$name/atomic_write_unit_min_bytes")" "atomic unit min"
expect_eq 4096 "$(cat "$XWT_SYS/$name/atomic_write_unit_max_bytes")" "atomic unit max"

# The SCSI layer's record of every command sent to the device.
tr=/sys/kernel/tracing
[[ -d $tr/events/scsi ]] || tr=/sys/kernel/debug/tracing
echo 0 >"$tr/tracing_on"
echo >"$tr/trace"
echo 1 >"$tr/events/scsi/scsi_dispatch_cmd_start/enable"
echo 1 >"$tr/tracing_on"

n=0
for engine in psync libaio uring; do
	for sync in "" -d; do
		n=$((n + 1))
		atomic_io write -e $engine $sync -n 16 -g $n -q 8 "$mnt/$engine$sync" ||
			fail "atomic writes through $engine $sync"
	done
done
echo 0 >"$tr/tracing_on"
atomics=$(grep -c 'WRITE_ATOMIC_16' "$tr/trace" || true)
one_block=$(grep 'WRITE_ATOMIC_16' "$tr/trace" | grep -c 'txlen=1 ' || true)
echo 0 >"$tr/events/scsi/scsi_dispatch_cmd_start/enable"
note "the device saw $atomics WRITE ATOMIC commands, $one_block of one block"
expect_eq 96 "$atomics" "WRITE ATOMIC commands for 96 atomic writes"
expect_eq 96 "$one_block" "one-block WRITE ATOMIC commands"
expect_eq 96 "$(xwt_stat "$dev" atomic_completions)" "atomic completions"
# io_uring's inline attempts that had to wait are taken again from a worker.
expect_eq 96 "$(($(xwt_stat "$dev" taken_atomic_writes) - $(xwt_stat "$dev" nowait_eagain)))" \
	"atomic writes taken, less io_uring's retried attempts"

check_files() { # WHEN
	local n=0 engine sync
	for engine in psync libaio uring; do
		for sync in "" -d; do
			n=$((n + 1))
			atomic_io check -n 16 -g $n "$mnt/$engine$sync" || fail "$engine$sync $1"
		done
	done
}
drop_caches
check_files "after drop_caches"
remount "$dev" "$mnt"
check_files "after remount"
# A new mount starts from default_mode (off).
xwt_mode "$dev" dsync

# Refusals write nothing. The file is opened after the mode was set.
refuse() { # ERRNO-TEXT WHAT ATOMIC_IO-ARGS...
	local want=$1 what=$2 before out
	shift 2
	before=$(md5sum <"$mnt/psync")
	out=$(atomic_io write "$@" -g 99 "$mnt/psync" 2>&1) && fail "$what succeeded"
	grep -q "$want" <<<"$out" || fail "$what: want '$want', got: $out"
	expect_eq "$before" "$(md5sum <"$mnt/psync")" "content after a refused $what"
	note "$what: $want"
}
refuse "Invalid argument" "8 KiB atomic write" -b 8192 -n 1
refuse "Invalid argument" "misaligned atomic write" -o 512 -n 1
refuse "Invalid argument" "two-iovec atomic write" -v -n 1
xwt_mode "$dev" off
refuse "Operation not supported" "atomic write in mode off" -n 1
xwt_mode "$dev" dsync
refused=$(($(xwt_stat "$dev" atomic_refused_einval) + $(xwt_stat "$dev" atomic_refused_eopnotsupp)))
note "refusals counted: $refused"
# xfs_io (xfsprogs) checks sizes against statx itself; a good one goes through.
out=$(xfs_io -c "pwrite -V 1 -A -D -S 0x5a 4096 4096" "$mnt/psync" 2>&1) ||
	fail "xfs_io pwrite -A on a capable mount: $out"
grep -q 'wrote 4096/4096' <<<"$out" || fail "xfs_io pwrite -A: $out"
note "xfs_io pwrite -V 1 -A -D 4096 4096: written"
out=$(xfs_io -c "pwrite -V 1 -A -b 8192 0 8192" "$mnt/psync" 2>&1) || true
note "xfs_io pwrite -A of 8 KiB: ${out%%$'\n'*}"

# O_DIRECT RWF_ATOMIC: XFS 6.13+ writes it itself; 6.12's XFS would write it
# as a plain, tearable write, so xfs_wt refuses it there.
out=$(xfs_io -d -c "pwrite -V 1 -A 8192 4096" "$mnt/psync" 2>&1) || true
case $XWT_KERNEL in
6.12) grep -q "Operation not supported" <<<"$out" || fail "6.12 direct atomic: $out" ;;
*) grep -q 'wrote 4096/4096' <<<"$out" || fail "direct atomic left to XFS: $out" ;;
esac
note "O_DIRECT RWF_ATOMIC: ${out%%$'\n'*}"

# A device without atomic writes (virtio) refuses.
xwt_mkfs "${XWT_DISKS[0]}"
xwt_mount "${XWT_DISKS[0]}" "$vmnt"
xwt_mode "${XWT_DISKS[0]}" dsync
expect_eq 0 "$(cat "$XWT_SYS/$(xwt_devname "${XWT_DISKS[0]}")/atomic_write_unit_max_bytes")" \
	"atomic unit of a virtio disk"
xfs_io -f -c "pwrite -q 0 4096" "$vmnt/v" >/dev/null
out=$(xfs_io -c "pwrite -V 1 -A 0 4096" "$vmnt/v" 2>&1) || true
grep -q "Operation not supported" <<<"$out" || fail "virtio disk: $out"
note "virtio disk: Operation not supported"
umount "$vmnt" "$mnt"
