# A full log. The file system gets the smallest log mkfs allows (newer
# mkfs keeps a 64 MiB floor, which it lifts for test suites). O_DSYNC
# writers into holes (each write allocates, so each needs a log force):
# four sequential through pwrite, random ones through libaio and io_uring;
# and a shell that creates and removes small files; all at once in mode
# dsync, so that transactions wait for log space. No write fails, nothing
# hangs, and every block verifies after a remount.
. "$(dirname "$0")/../lib.sh"
need_disks 1
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
size=2m files=400
[[ -z ${STRESS:-} ]] || size=32m files=5000
export TEST_DIR=/tmp TEST_DEV=/dev/null QA_CHECK_FS=1
min=$(xwt_mkfs "$dev" -l size=512b 2>&1 | sed -n 's/.*minimum size is \([0-9]*\) blocks.*/\1/p')
[[ $min =~ ^[0-9]+$ ]] || fail "mkfs did not say its smallest log"
xwt_mkfs "$dev" -l size="${min}b"
unset TEST_DIR TEST_DEV QA_CHECK_FS
xwt_mount "$dev" "$mnt"
xwt_load
xwt_mode "$dev" dsync
note "log of $min blocks"

logspace() { awk '$1 == "push_ail" { print $3 }' /proc/fs/xfs/stat; }
jobs=(--directory="$mnt" --fallocate=none --bs=4k --sync=dsync --verify=crc32c --size="$size"
	--name=append --ioengine=psync --rw=write --numjobs=4
	--name=fill_aio --ioengine=libaio --iodepth=8 --rw=randwrite
	--name=fill_uring --ioengine=io_uring --iodepth=8 --rw=randwrite)
sleeps=$(logspace)
taken=$(xwt_stat "$dev" taken_dsync_writes)
mkdir "$mnt/churn"
(
	for i in $(seq "$files"); do
		: >"$mnt/churn/$i"
		((i % 50)) || rm -f "$mnt/churn/"*
	done
) &
churn=$!
timeout 1200 fio --do_verify=0 --output-format=terse --terse-version=3 "${jobs[@]}" >/dev/null ||
	fail "a writer failed or hung"
wait "$churn" || fail "the file churn failed"
sleeps=$(($(logspace) - sleeps))
taken=$(($(xwt_stat "$dev" taken_dsync_writes) - taken))
((taken > 0)) || fail "the engine took no write"
note "$taken writes taken; transactions waited for log space $sleeps times"
((sleeps > 0)) || fail "no transaction waited for log space: the log never filled"
expect_eq 0 "$(xwt_stat "$dev" inflight)" "bios in flight"
umount "$mnt"
xwt_mount "$dev" "$mnt"
fio --verify_only --output-format=terse --terse-version=3 "${jobs[@]}" >/dev/null ||
	fail "data does not verify after a remount"
umount "$mnt"
xwt_unload
