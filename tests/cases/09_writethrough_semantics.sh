# The engine takes buffered writes of every shape (sub-block, unaligned,
# multi-folio, holes, unwritten, beyond EOF, across mappings, CoW, next to
# plain, mmap and direct I/O, truncate, punch) on 4 KiB and 1 KiB block XFS,
# with sync, libaio and io_uring callers, and every file reads back exactly
# as the same operations leave it on a stock XFS mount (mode off): at once,
# after drop_caches, after a remount.
. "$(dirname "$0")/../lib.sh"
need_disks 2
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
rdev=${XWT_DISKS[1]} ref=/mnt/xwt1

# Run an xfs_io command on the XFS file and on the reference file.
both() { # FILE-NAME CMD...
	local f=$1
	shift
	xfs_io -f "${@/#/-c}" "$mnt/$f" >/dev/null || fail "xfs_io $* on XFS"
	xfs_io -f "${@/#/-c}" "$ref/$f" >/dev/null || fail "xfs_io $* on the reference"
}
same() { # FILE-NAME WHEN
	cmp "$mnt/$1" "$ref/$1" || fail "$1 differs from the reference $2"
	expect_eq "$(stat -c %s "$ref/$1")" "$(stat -c %s "$mnt/$1")" "size of $1 $2"
}

cases() { # W: pwrite flags that make the mode take the write
	local W=$1
	both sub "pwrite $W -S 0x11 10 100" "pwrite $W -S 0x12 5000 3000" "pwrite $W -S 0x13 4095 2"
	both multi "pwrite $W -S 0x21 -b 65536 123 300000" "pwrite $W -S 0x22 -b 200000 7000 200000"
	both hole "truncate 1048576" "pwrite $W -S 0x31 200000 7000" "pwrite $W -S 0x32 1040000 8576"
	both unwritten "falloc 0 1048576" "pwrite $W -S 0x41 4000 5000" "falloc -k 1048576 65536" \
		"pwrite $W -S 0x42 1050000 3000"
	both gap "pwrite $W -S 0x51 0 4096" "pwrite $W -S 0x52 100000 1000" "pwrite $W -S 0x53 300001 1"
	both across "pwrite -S 0x61 0 8192" "fsync" "falloc 16384 8192" \
		"pwrite $W -S 0x62 2000 28000"
	both mixed "pwrite -S 0x71 0 20000" "pwrite $W -S 0x72 5000 6000" "pwrite -S 0x73 9000 100" \
		"pwrite $W -S 0x74 8000 4000"
	both mmap "pwrite -S 0x81 0 65536" "mmap -rw 0 65536" "mwrite -S 0x82 100 5000" \
		"pwrite $W -S 0x83 2000 3000" "mwrite -S 0x84 4000 200" "msync 0 65536" "munmap"
	both trunc "pwrite $W -S 0x91 0 50000" "truncate 20000" "pwrite $W -S 0x92 30000 1000" \
		"truncate 25000" "pwrite $W -S 0x93 24000 3000"
	both punch "pwrite $W -S 0xa1 0 65536" "fpunch 4096 8192" "pwrite $W -S 0xa2 5000 100" \
		"fzero 30000 10000" "pwrite $W -S 0xa3 32000 100"
	# Direct writes before and direct reads after a write-through write.
	xfs_io -f -d -c "pwrite -q -S 0xb1 8192 8192" "$mnt/dio"
	xfs_io -f -d -c "pwrite -q -S 0xb1 8192 8192" "$ref/dio"
	both dio "pwrite $W -S 0xb2 6000 6000"
	cmp <(dd if="$mnt/dio" iflag=direct bs=4096 skip=1 count=3 status=none) \
		<(dd if="$ref/dio" iflag=direct bs=4096 skip=1 count=3 status=none) ||
		fail "direct read after a write-through write"
	# CoW: a reflinked copy keeps its data while the original is rewritten.
	both cow "pwrite -S 0xc1 0 65536"
	for d in "$mnt" "$ref"; do
		xfs_io -f -c "reflink $d/cow 0 0 65536" "$d/cow2" >/dev/null ||
			fail "reflink (mkfs without reflink?)"
	done
	both cow "pwrite $W -S 0xc2 1000 20000" "pwrite $W -S 0xc3 60000 10000"
	# libaio and io_uring callers: unaligned writes over a reflinked file
	# with holes, unwritten extents and a tail beyond EOF.
	local engine d
	for engine in libaio io_uring; do
		both "aio-$engine" "pwrite -q -S 0xd1 0 131072" "fpunch 20000 30000" \
			"falloc -k 150000 100000"
		for d in "$mnt" "$ref"; do
			xfs_io -f -c "reflink $d/aio-$engine 0 0 131072" "$d/aio-$engine-copy" \
				>/dev/null || fail "reflink for $engine"
			fio --name=c --filename="$d/aio-$engine" --rw=randwrite --bs=6000 \
				--size=240000 --ioengine=$engine --iodepth=8 --direct=0 \
				${W:+--sync=dsync} --buffer_pattern=0xd2 --randrepeat=1 \
				--randseed=7 --output=/dev/null || fail "fio $engine on $d"
		done
	done
}
files="sub multi hole unwritten gap across mixed mmap trunc punch dio cow cow2
	aio-libaio aio-libaio-copy aio-io_uring aio-io_uring-copy"

run() { # MODE PWRITE-FLAGS [mkfs options]
	local mode=$1 W=$2 f taken
	shift 2
	xwt_mkfs "$dev" "$@"
	xwt_mkfs "$rdev" "$@"
	xwt_mount "$dev" "$mnt"
	xwt_mount "$rdev" "$ref"
	xwt_mode "$dev" "$mode"
	expect_eq off "$(xwt_mode "$rdev")" "mode of the reference mount"
	cases "$W"
	taken=$(xwt_taken "$dev")
	((taken >= 25)) || fail "mode $mode: the engine took only $taken writes"
	expect_eq 0 "$(xwt_stat "$dev" errors)" "engine errors"
	for f in $files; do same "$f" "at once"; done
	drop_caches
	for f in $files; do same "$f" "after drop_caches"; done
	remount "$dev" "$mnt"
	for f in $files; do same "$f" "after remount"; done
	note "mode $mode ${*:-4k blocks}: $taken writes taken, files identical"
	expect_eq 0 "$(xwt_stat "$rdev" taken_dsync_writes)" "writes taken on the reference"
	umount "$mnt" "$ref"
}

xwt_load
run dsync "-V 1 -D"
run all ""
run dsync "-V 1 -D" -b size=1024
run all "" -b size=1024
