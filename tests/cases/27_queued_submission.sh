# Asynchronous overwrites that keep a queue are submitted by the module's
# workers, not in the caller's task: io_uring and libaio at queue depth 32,
# and 64 KiB io_uring writes (more than a non-blocking attempt can take),
# are queued (submits_queued), at most 1% are punted to io_uring's workers,
# every write completes, and the data verifies after drop_caches and after
# a remount. The folios and the bios are charged to the writer's memory and
# io cgroups, as when its own task submits them. submit=inline keeps every
# write in the caller's task.
. "$(dirname "$0")/../lib.sh"
mnt=/mnt/xwt0
dev=$(sdebug_load dev_size_mb=320 sector_size=4096 ndelay=100000)
cg=/sys/fs/cgroup grp=/sys/fs/cgroup/xwt_queued
trap 'rmdir $grp 2>/dev/null; umount $mnt 2>/dev/null; rmmod xfs_wt 2>/dev/null; rmmod scsi_debug 2>/dev/null' EXIT
# An SSD with power-loss protection: no cache flushes, FUA is free.
echo "write through" >"/sys/block/$(basename "$dev")/queue/write_cache"

xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
xwt_load
xwt_mode "$dev" dsync
knob=$XWT_SYS/$(xwt_devname "$dev")/submit
expect_eq queued "$(cat "$knob")" "submit on a new mount"

# qwrite FILE BS ENGINE QD: random O_DSYNC overwrites of all of FILE (8 MiB,
# written and synced first, then dropped from the cache), each block once,
# with verify headers.
qwrite() {
	xfs_io -f -c "pwrite -q -b 1m 0 8m" -c fsync "$mnt/$1" >/dev/null
	xfs_io -c fsync "$mnt/$1"
	drop_caches
	fio --name="$1" --filename="$mnt/$1" --size=8m --rw=randwrite --bs="$2" \
		--ioengine="$3" --iodepth="$4" --direct=0 --sync=dsync \
		--verify=crc32c --do_verify=0 --randrepeat=1 --output=/dev/null ||
		fail "fio $1 with $3"
}
# qverify FILE BS WHEN
qverify() {
	fio --name="$1" --filename="$mnt/$1" --size=8m --rw=randwrite --bs="$2" \
		--ioengine=psync --direct=0 --verify=crc32c --verify_only \
		--randrepeat=1 --output=/dev/null || fail "$1: verify after $3"
}
# run FILE BS ENGINE QD MIN_QUEUED: qwrite, then check the counters; at least
# MIN_QUEUED percent of the writes were queued (none if MIN_QUEUED is 0).
run() {
	local n=$((8388608 / $2)) queued eagain done_now pct
	queued=$(xwt_stat "$dev" submits_queued)
	eagain=$(xwt_stat "$dev" nowait_eagain)
	done_now=$(xwt_stat "$dev" completions)
	qwrite "$1" "$2" "$3" "$4"
	queued=$(($(xwt_stat "$dev" submits_queued) - queued))
	eagain=$(($(xwt_stat "$dev" nowait_eagain) - eagain))
	done_now=$(($(xwt_stat "$dev" completions) - done_now))
	pct=$((queued * 100 / n))
	note "$1: $n writes of $2 with $3 at QD$4: $queued queued ($pct%), $eagain punted"
	expect_eq "$n" "$done_now" "$1: write-through completions"
	if (($5 == 0)); then
		# Inline, the first write after the inode was read in finds its
		# privilege check and timestamps due and goes to io_uring's
		# worker, and the writes behind it find its lock taken: the
		# old behaviour, whose punts are not counted here.
		expect_eq 0 "$queued" "$1: writes queued"
	else
		((eagain * 100 <= n)) || fail "$1: $eagain of $n writes punted to io_uring's workers"
		((pct >= $5)) || fail "$1: only $queued of $n writes queued (want $5%)"
	fi
}

run uring 4096 io_uring 32 25
run aio 4096 libaio 32 25
run big 65536 io_uring 8 90

# Off: the same io_uring writes, none queued.
echo inline >"$knob"
expect_eq inline "$(cat "$knob")" "submit after inline"
run off 4096 io_uring 32 0
echo queued >"$knob"
before=$(xwt_stat "$dev" submits_queued)
qwrite off2 4096 io_uring 32
(($(xwt_stat "$dev" submits_queued) > before)) ||
	fail "no write queued again after submit=queued"

# The writer's cgroups pay: page cache in its memory.stat, bytes in its
# io.stat, though a worker allocated the folios and sent the bios.
if ! grep -q "^cgroup2 $cg " /proc/mounts; then
	mount -t cgroup2 none "$cg" || skip "no cgroup v2"
fi
echo "+memory +io" >"$cg/cgroup.subtree_control" ||
	skip "no memory and io controllers"
mkdir "$grp"
majmin=$(stat -L -c '%t:%T' "$dev")
majmin=$((16#${majmin%:*})):$((16#${majmin#*:}))
# cgfio FILE SIZE: the writer, in the cgroup.
cgfio() {
	bash -c 'echo $$ >'"$grp"'/cgroup.procs && exec "$@"' -- \
		fio --name=cg --filename="$mnt/$1" --size="$2" --rw=randwrite --bs=4k \
		--ioengine=io_uring --iodepth=32 --direct=0 --sync=dsync \
		--verify=crc32c --do_verify=0 --randrepeat=1 --output=/dev/null ||
		fail "fio $1 in the cgroup"
}
cgstat() { # memory.stat's page cache and io.stat's bytes written on the disk
	# "file" counts shmem too, and fio keeps its job state in shared memory.
	awk '$1 == "file" { f = $2 } $1 == "shmem" { s = $2 } END { print f - s }' "$grp/memory.stat"
	awk -v d="$majmin" '$1 == d { for (i = 2; i <= NF; i++) if ($i ~ /^wbytes=/) print substr($i, 8) }' "$grp/io.stat"
}
# A first small run charges fio's own program and libraries to the cgroup;
# then only the file's cache is dropped, not theirs.
xfs_io -f -c "pwrite -q -b 1m 0 8m" -c fsync "$mnt/cg" >/dev/null
xfs_io -c fsync "$mnt/cg"
xfs_io -f -c "pwrite -q 0 64k" -c fsync "$mnt/cg0" >/dev/null
cgfio cg0 64k
sync
xfs_io -r -c "fadvise -d 0 8m" "$mnt/cg"
mapfile -t before < <(cgstat)
queued=$(xwt_stat "$dev" submits_queued)
cgfio cg 8m
queued=$(($(xwt_stat "$dev" submits_queued) - queued))
mapfile -t after < <(cgstat)
file=$((after[0] - before[0])) wbytes=$((${after[1]:-0} - ${before[1]:-0}))
note "in the cgroup: $queued of 2048 writes queued; charged $((file >> 10)) KiB of page cache and $((wbytes >> 10)) KiB written on $majmin"
((queued >= 205)) || fail "cgroup run: only $queued of 2048 writes queued"
# Queued or not, every new folio is the writer's, and so is every byte: with
# 10% of the writes queued and charged elsewhere, these would fail.
((file >= 7864320)) || fail "cgroup run: only $file bytes of new page cache charged to the writer's cgroup"
((wbytes >= 8388608)) || fail "cgroup run: only $wbytes bytes written charged to the writer's cgroup"

drop_caches
for f in uring:4k aio:4k big:64k off:4k off2:4k cg:4k; do
	qverify "${f%:*}" "${f#*:}" drop_caches
done
remount "$dev" "$mnt"
for f in uring:4k aio:4k big:64k off:4k off2:4k cg:4k; do
	qverify "${f%:*}" "${f#*:}" remount
done
