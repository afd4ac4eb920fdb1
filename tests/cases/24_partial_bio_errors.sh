# Device errors on some bios of a multi-bio write. A 4 MiB O_DSYNC write
# over four extents that are apart on disk goes out as one bio per extent,
# and the third extent sits on sectors that fail (a dm "error" segment).
# From pwritev2, libaio and io_uring: the write fails with EIO, no folio is
# left locked or under writeback, nothing stays in flight, the page cache
# holds what the disk holds, a later fsync reports the error once, and what
# was acknowledged before (the rest of the file) is intact. On the healed
# device a rewrite reads back after a remount.
. "$(dirname "$0")/../lib.sh"
need_disks 1
disk=${XWT_DISKS[0]} mnt=/mnt/xwt0 name=xwt_pe
sectors=$(blockdev --getsz "$disk")
table_up="0 $sectors linear $disk 0"
dmsetup create "$name" --table "$table_up"
dev=/dev/mapper/$name
reload() { # TABLE
	# --nolockfs: a freeze would flush the log first, or fail on errors.
	dmsetup suspend --nolockfs "$name"
	dmsetup load "$name" <<<"$1"
	dmsetup resume "$name"
}
mib() { # FILE MIB: the sum of one MiB of FILE (a read that hangs is cut short)
	timeout 60 dd if="$1" bs=1M skip="$2" count=1 status=none | md5sum | cut -d' ' -f1
}
pattern() { # BYTE: the sum of one MiB of BYTE
	head -c 1M /dev/zero | tr '\0' "\\$(printf '%03o' "$1")" | md5sum | cut -d' ' -f1
}

xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
f=$mnt/f
# Eight 1 MiB extents of f, each followed on disk by one of g.
for i in $(seq 0 7); do
	xfs_io -f -c "falloc ${i}m 1m" "$f"
	xfs_io -f -c "falloc ${i}m 1m" "$mnt/g"
done
xfs_io -c "pwrite -q -S 0x11 -b 1m 0 8m" -c fsync "$f"
# fiemap lines: "N: [FILE..SECTORS]: DISK..SECTORS" in 512-byte units.
mapfile -t ext < <(xfs_io -c fiemap "$f" | awk -F'[][ \t.:]+' 'NF >= 6 && $2 ~ /^[0-9]+$/ { print $3, $5, $6 }')
((${#ext[@]} >= 4)) || fail "f has ${#ext[@]} extents, the test needs four apart: $(xfs_io -c fiemap "$f")"
read -r foff bad_start bad_end <<<"${ext[2]}"
expect_eq 4096 "$foff" "file offset of the third extent, in sectors"
bad_len=$((bad_end - bad_start + 1))
table_bad="0 $bad_start linear $disk 0
$bad_start $bad_len error
$((bad_start + bad_len)) $((sectors - bad_start - bad_len)) linear $disk $((bad_start + bad_len))"
note "extents: ${ext[*]}; sectors $bad_start+$bad_len fail"

xwt_load
xwt_mode "$dev" dsync
stats=$XWT_SYS/$(xwt_devname "$dev")/stats
old=$(pattern 0x11)
for caller in psync libaio io_uring; do
	errors=$(xwt_stat "$dev" errors)
	reload "$table_bad"
	case $caller in
	psync)
		out=$(xfs_io -c "pwrite -V 1 -D -b 4m -S 0x22 0 4m" "$f" 2>&1) || true
		grep -q 'pwrite.*Input/output error' <<<"$out" || fail "$caller: no EIO: $out"
		;;
	*)
		out=$(fio --name=pe --filename="$f" --ioengine="$caller" --iodepth=1 --rw=write \
			--bs=4m --size=4m --sync=dsync --buffer_pattern=0x22 --output-format=terse \
			--terse-version=3 2>&1) && fail "$caller: the write did not fail: $out"
		grep -q 'Input/output error' <<<"$out" || fail "$caller: no EIO: $out"
		;;
	esac
	reload "$table_up"
	# Before drop_caches, which may evict the inode and its error with it.
	expect_write_error_reported "$dev" "$f" "$errors" "$caller" 'Input/output error'
	# Every folio of the range can be locked again, and the cache holds the disk.
	for m in $(seq 0 7); do cached[m]=$(mib "$f" "$m"); done
	drop_caches
	for m in $(seq 0 7); do
		expect_eq "${cached[m]}" "$(mib "$f" "$m")" "$caller: MiB $m, page cache against disk"
	done
	# The failed extent kept the old data; what was acknowledged is intact.
	expect_eq "$old" "$(mib "$f" 2)" "$caller: MiB 2, on the failing sectors"
	for m in 4 5 6 7; do
		expect_eq "$old" "$(mib "$f" "$m")" "$caller: MiB $m, written before"
	done
done
note "$(grep -E '^(errors|completions) ' "$stats" | tr '\n' ' ')"

# Healed: a rewrite is durable.
xfs_io -c "pwrite -q -V 1 -D -b 4m -S 0x33 0 4m" "$f" || fail "rewrite on the healed device"
umount "$mnt"
xwt_mount "$dev" "$mnt"
new=$(pattern 0x33)
for m in 0 1 2 3; do expect_eq "$new" "$(mib "$f" "$m")" "MiB $m after the rewrite and a remount"; done
for m in 4 5 6 7; do expect_eq "$old" "$(mib "$f" "$m")" "MiB $m after a remount"; done
umount "$mnt"
xwt_unload
dmsetup remove "$name"
