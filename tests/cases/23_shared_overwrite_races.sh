# Overwrites inside EOF run under shared locks, side by side. Writers racing
# on the same folios (unaligned, on 1 KiB and 4 KiB blocks, from psync,
# libaio and io_uring, with folios that must first be read) never hang,
# never warn, and leave the page cache equal to the disk.
. "$(dirname "$0")/../lib.sh"
need_disks 1
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
secs=${RACE_SECS:-2}
[[ -n ${STRESS:-} ]] && secs=30
xwt_load

race() { # MODE BLOCKSIZE
	local f=$mnt/shared sync=() e
	[[ $1 == dsync ]] && sync=(--sync=dsync)
	xwt_mkfs "$dev" -b size="$2"
	xwt_mount "$dev" "$mnt"
	xwt_mode "$dev" "$1"
	xfs_io -f -c "pwrite -q -S 0x11 0 1M" -c fsync "$f"
	local before taken
	before=$(xwt_taken "$dev")
	for e in psync libaio io_uring; do
		# Cold folios: a partial write must read them first.
		drop_caches
		fio --name=r --filename="$f" --size=1M --rw=randwrite --bs=3000 \
			--ioengine="$e" --iodepth=8 --numjobs=3 --time_based \
			--runtime="$secs" --direct=0 "${sync[@]}" --randrepeat=0 \
			--output=/dev/null || fail "fio $e, mode $1, $2-byte blocks"
	done
	expect_eq 1048576 "$(stat -c %s "$f")" "size after the race"
	local cached ondisk
	cached=$(sha256sum <"$f")
	drop_caches
	ondisk=$(sha256sum <"$f")
	expect_eq "$cached" "$ondisk" "cache and disk after the race (mode $1, $2-byte blocks)"
	taken=$(($(xwt_taken "$dev") - before))
	((taken > 0)) || fail "mode $1, $2-byte blocks: no write was taken"
	note "mode $1, $2-byte blocks: $taken writes taken"
	umount "$mnt"
}

race dsync 1024
race all 4096
