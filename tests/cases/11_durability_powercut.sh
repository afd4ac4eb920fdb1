# A DSYNC write that returned (or completed, for AIO) survives a power cut:
# dm-flakey drops every write after the acknowledgement, the fs is unmounted
# and mounted again, and content and size are there. Overwrites, extending
# writes, appends, hole fills and unwritten extents; sync, libaio, io_uring.
. "$(dirname "$0")/../lib.sh"
need_disks 1
disk=${XWT_DISKS[0]} mnt=/mnt/xwt0

powercut_and_check() { # WHAT
	flakey_load "$disk" drop
	umount "$mnt"
	flakey_load "$disk" up
	xwt_mount "$fdev" "$mnt"
	check_all "after a power cut ($1)"
}

check_all() { # WHEN
	xwt_io verify -S 11 -s 4096 -n 16 "$mnt/new" || fail "new file $1"
	expect_eq 65536 "$(stat -c %s "$mnt/new")" "size of the new file $1"
	xwt_io verify -S 12 -o 8192 -s 4096 -n 8 "$mnt/over" || fail "overwrites $1"
	xwt_io verify -S 13 -o 100000 -s 3000 -n 5 "$mnt/holes" || fail "hole fills $1"
	expect_eq 1048576 "$(stat -c %s "$mnt/holes")" "size of the sparse file $1"
	xwt_io verify -S 14 -o 5000 -s 777 -n 9 "$mnt/unwritten" || fail "unwritten $1"
	expect_eq 12000 "$(stat -c %s "$mnt/append")" "size after appends $1"
	expect_eq 0 "$(tr -d Z <"$mnt/append" | wc -c)" "foreign bytes in the appended file $1"
	for engine in libaio io_uring; do
		fio --name=wt --filename="$mnt/fio-$engine" --size=2m --rw=randwrite --bs=4k \
			--ioengine=psync --direct=0 --verify=crc32c --verify_only \
			--randrepeat=1 --output=/dev/null || fail "fio $engine data $1"
	done
}

fdev=$(flakey_create "$disk")
xwt_mkfs "$fdev"
xwt_mount "$fdev" "$mnt"
# Files whose earlier state was made durable by stock means.
xfs_io -f -c "pwrite -q 0 65536" -c fsync "$mnt/over" >/dev/null
xfs_io -f -c "truncate 1048576" -c fsync "$mnt/holes" >/dev/null
xfs_io -f -c "falloc 0 65536" -c fsync "$mnt/unwritten" >/dev/null
sync
xwt_load
xwt_mode "$fdev" dsync
before=$(xwt_stat "$fdev" completions)

xwt_io write -f rwf_dsync -S 11 -s 4096 -n 16 "$mnt/new"
xwt_io write -f odsync -S 12 -o 8192 -s 4096 -n 8 "$mnt/over"
xwt_io write -f rwf_dsync -S 13 -o 100000 -s 3000 -n 5 "$mnt/holes"
xwt_io write -f osync -S 14 -o 5000 -s 777 -n 9 "$mnt/unwritten"
head -c 12000 /dev/zero | tr '\0' Z >/tmp/zz
for i in 1 2 3 4 5 6; do
	dd if=/tmp/zz of="$mnt/append" bs=2000 count=1 oflag=append,dsync conv=notrunc \
		status=none || fail "append"
done
for engine in libaio io_uring; do
	fio --name=wt --filename="$mnt/fio-$engine" --size=2m --rw=randwrite --bs=4k \
		--ioengine=$engine --iodepth=16 --direct=0 --sync=dsync \
		--verify=crc32c --do_verify=0 --randrepeat=1 --output=/dev/null || fail "fio $engine"
done
taken=$(($(xwt_stat "$fdev" completions) - before))
note "$taken writes completed by the engine"
((taken >= 1000)) || fail "the engine completed only $taken writes"
check_all "before the power cut"
powercut_and_check "dsync mode"
umount "$mnt"
