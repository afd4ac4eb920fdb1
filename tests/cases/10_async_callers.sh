# libaio and io_uring callers get a real asynchronous completion: io_submit
# returns while the write-through bios are still in flight, io_uring at queue
# depth 32 keeps several in flight, pure overwrites complete in bio
# completion and conversions in the workqueue, and the data verifies from
# disk. Appends queue their sync and complete after it.
. "$(dirname "$0")/../lib.sh"
mnt=/mnt/xwt0
dev=$(sdebug_load dev_size_mb=320 sector_size=4096 ndelay=100000)
trap 'umount $mnt 2>/dev/null; rmmod xfs_wt 2>/dev/null; rmmod scsi_debug 2>/dev/null' EXIT
sdparams=/sys/bus/pseudo/drivers/scsi_debug
# An SSD with power-loss protection: no cache flushes, FUA is free.
echo "write through" >"/sys/block/$(basename "$dev")/queue/write_cache"

xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
xwt_load
xwt_mode "$dev" dsync
stats=$XWT_SYS/$(xwt_devname "$dev")/stats

# fio job NAME writes FILE (SIZE) at random with ENGINE at queue depth 32,
# O_DSYNC, with verify headers that check reads back.
write_qd32() {
	fio --name="$1" --filename="$mnt/$2" --size="$3" --rw=randwrite --bs=4k \
		--ioengine="$4" --iodepth=32 --direct=0 --sync=dsync \
		--verify=crc32c --do_verify=0 --randrepeat=1 --output=/dev/null ||
		fail "fio $2 write with $4"
}
# verify NAME FILE SIZE WHEN: read back what write_qd32 wrote.
verify() {
	fio --name="$1" --filename="$mnt/$2" --size="$3" --rw=randwrite --bs=4k \
		--ioengine=psync --direct=0 --verify=crc32c --verify_only \
		--randrepeat=1 --output=/dev/null || fail "fio $2 verify after $4"
}
# verify_appends ENGINE WHEN: read back the appends written with ENGINE.
verify_appends() {
	expect_eq 4194304 "$(stat -c %s "$mnt/app-$1")" "$1 appends: size after $2"
	fio --name=app --filename="$mnt/app-$1" --size=4m --rw=write --bs=4k \
		--ioengine=psync --direct=0 --verify=crc32c --verify_only \
		--output=/dev/null || fail "$1 appends: verify after $2"
}

# A written file: overwrites are pure, FUA-only writes.
xfs_io -f -c "pwrite -q -b 1m 0 16m" -c fsync "$mnt/aio" >/dev/null

# libaio: with 50 ms per command, the writes are still in flight when
# io_submit() has returned.
echo 50000000 >"$sdparams/ndelay"
out=$(aio_inflight "$mnt/aio" "$stats" 8) || fail "aio_inflight: $out"
echo 100000 >"$sdparams/ndelay"
echo "$out"
inflight=$(awk '$1 == "inflight_after_submit" { print $2 }' <<<"$out")
((inflight >= 1)) || fail "io_submit returned after the data reached the device ($inflight in flight)"
for i in $(seq 0 7); do
	c=$(printf "\\x$(printf %x $((97 + i)))")
	got=$(dd if="$mnt/aio" bs=4096 skip=$((i * 3)) count=1 status=none | tr -d "$c" | wc -c)
	expect_eq 0 "$got" "block $((i * 3)) after libaio"
done

# Which context completes: a pure overwrite that needs no sync completes in
# its last bio's completion, also when a worker updated the timestamps
# beside its bios; a write into unwritten extents (a conversion, a
# transaction) in the workqueue. Both verified after drop_caches, and the
# overwrites' mtime after a remount.
xfs_io -f -c "pwrite -q -b 1m 0 8m" -c fsync "$mnt/ovw" >/dev/null
# On 7.2 a datasync commit left in the log (the close's post-EOF trim, most
# likely) would keep every DSYNC write off the FUA-only path for the whole
# run (docs/kernel-quirks.md). Force it out.
xfs_io -c fsync "$mnt/ovw"
xfs_io -f -c "falloc 0 4m" "$mnt/unw"
mtime0=$(stat -c %Y "$mnt/ovw")
sleep 2
for f in ovw unw; do
	inl=$(xwt_stat "$dev" completed_in_end_io)
	times=$(xwt_stat "$dev" time_updates)
	before=$(xwt_stat "$dev" completions)
	size=8m
	[[ $f == ovw ]] || size=4m
	write_qd32 $f $f $size io_uring
	mtime=$(stat -c %Y "$mnt/$f")
	inl=$(($(xwt_stat "$dev" completed_in_end_io) - inl))
	times=$(($(xwt_stat "$dev" time_updates) - times))
	done_now=$(($(xwt_stat "$dev" completions) - before))
	note "$f: $done_now writes completed, $inl of them in bio completion;" \
		"$times timestamp updates beside the bios"
	drop_caches
	verify $f $f $size drop_caches
	if [[ $f == ovw ]]; then
		expect_eq 2048 "$done_now" "ovw: write-through completions"
		mtime1=$mtime
		((mtime1 > mtime0)) || fail "ovw: mtime $mtime1 not after $mtime0"
		((inl * 2 >= done_now)) || fail "ovw: only $inl of $done_now completed in bio completion"
	else
		expect_eq 1024 "$done_now" "unw: write-through completions"
		expect_eq 0 "$inl" "unw: completions in bio completion (each needs a conversion)"
	fi
done

# Appends at queue depth 32: each one extends the file, so it completes
# under i_rwsem (from io_uring's worker, or in io_submit()), but its sync,
# the log force for the new size, is queued: the caller has its completion
# only after it, and the file's next write goes out meanwhile.
for engine in io_uring libaio; do
	before=$(xwt_stat "$dev" completions)
	queued=$(xwt_stat "$dev" syncs_queued)
	fio --name=app --filename="$mnt/app-$engine" --size=4m --rw=write --bs=4k \
		--ioengine=$engine --iodepth=32 --direct=0 --sync=dsync --fallocate=none \
		--verify=crc32c --do_verify=0 --output=/dev/null ||
		fail "fio append with $engine"
	done_now=$(($(xwt_stat "$dev" completions) - before))
	queued=$(($(xwt_stat "$dev" syncs_queued) - queued))
	note "$engine appends: $done_now writes completed, $queued syncs queued"
	expect_eq 1024 "$done_now" "$engine appends: write-through completions"
	# The first starts at the file position (0), so it completes at once.
	expect_eq 1023 "$queued" "$engine appends: syncs queued"
	drop_caches
	verify_appends $engine drop_caches
done

# io_uring at offset -1 (the file position), each write waited for:
# io_uring moves the position only for a result returned at once, so none of
# these may be queued. Stuck at 0, every overwrite would land on the first
# block; then each append would land on its own block but leave the
# position behind.
xfs_io -f -c "pwrite -q 0 64k" -c fsync "$mnt/fpos" >/dev/null
before=$(xwt_stat "$dev" completions)
xwt_io write -f rwf_dsync,uring_fpos -o 0 -s 4096 -n 32 -S 7 "$mnt/fpos" ||
	fail "io_uring writes at the file position"
expect_eq 32 "$(($(xwt_stat "$dev" completions) - before))" "file position writes taken"
drop_caches
expect_eq 131072 "$(stat -c %s "$mnt/fpos")" "file position writes: size"
xwt_io verify -o 0 -s 4096 -n 32 -S 7 "$mnt/fpos" || fail "file position writes: data"

# io_uring and libaio at queue depth 32, verified after drop_caches.
for engine in io_uring libaio; do
	before=$(xwt_stat "$dev" completions)
	write_qd32 wt fio-$engine 8m $engine
	drop_caches
	verify wt fio-$engine 8m drop_caches
	done_now=$(($(xwt_stat "$dev" completions) - before))
	((done_now >= 2048)) || fail "$engine: only $done_now write-through completions"
	note "$engine: $done_now writes completed by the engine;" \
		"io_uring inline attempts so far: $(xwt_stat "$dev" nowait_inline) served," \
		"$(xwt_stat "$dev" nowait_eagain) punted"
done
max=$(xwt_stat "$dev" inflight_max)
note "in-flight high-water mark: $max"
((max > 1)) || fail "never more than one write-through bio in flight"
expect_eq 0 "$(xwt_stat "$dev" errors)" "engine errors"
expect_eq 0 "$(xwt_stat "$dev" inflight)" "bios left in flight"
remount "$dev" "$mnt"
for engine in io_uring libaio; do
	verify wt fio-$engine 8m remount
done
verify ovw ovw 8m remount
expect_eq "$mtime1" "$(stat -c %Y "$mnt/ovw")" "ovw: mtime after remount"
verify unw unw 4m remount
for engine in io_uring libaio; do
	verify_appends $engine remount
done
