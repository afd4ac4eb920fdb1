# Freeze and thaw under write-through load from sync, libaio and io_uring
# writers: the freeze waits for in-flight write-through I/O, writers block
# and then continue. A shutdown under load fails the writers without a hang,
# and the file system unmounts and the module unloads afterwards.
. "$(dirname "$0")/../lib.sh"
need_disks 1
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
first=14 warm=4 second=40
[[ -z ${STRESS:-} ]] || { first=180 warm=90 second=180; }
xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
xwt_load
xwt_mode "$dev" dsync
xfs_io -f -c "pwrite -q -b 1m 0 8m" -c fsync "$mnt/aio" >/dev/null
xfs_io -f -c "pwrite -q -b 1m 0 8m" -c fsync "$mnt/uring" >/dev/null

load() { # SECONDS
	local s=$1
	fio --name=a --filename="$mnt/aio" --size=8m --rw=randwrite --bs=4k --ioengine=libaio \
		--iodepth=16 --direct=0 --sync=dsync --time_based --runtime="$s" --output=/dev/null &
	fio --name=u --filename="$mnt/uring" --size=8m --rw=randwrite --bs=4k --ioengine=io_uring \
		--iodepth=16 --direct=0 --sync=dsync --time_based --runtime="$s" --output=/dev/null &
	(end=$((SECONDS + s)); i=0; while ((SECONDS < end)); do
		i=$((i + 1)); xwt_io write -f odsync -S "$i" -s 16384 -n 16 "$mnt/sync" || exit 1
		echo "$i" >/tmp/xwt_sync_last; done) &
}

load "$first"
sleep "$warm"
before=$(xwt_stat "$dev" completions)
timeout 120 xfs_freeze -f "$mnt" || fail "freeze under write-through load did not finish"
expect_eq 0 "$(xwt_stat "$dev" inflight)" "write-through bios in flight while frozen"
frozen=$(xwt_stat "$dev" completions)
sleep 2
expect_eq "$frozen" "$(xwt_stat "$dev" completions)" "completions while frozen"
xfs_freeze -u "$mnt"
note "$((frozen - before)) completions between load start and freeze; none while frozen"
for j in $(jobs -p); do
	timeout 120 tail --pid="$j" -f /dev/null || fail "a writer hung after thaw"
	wait "$j" || fail "a writer failed across freeze and thaw"
done
(($(xwt_stat "$dev" completions) > frozen)) || fail "no writes after the thaw"
drop_caches
xwt_io verify -S "$(cat /tmp/xwt_sync_last)" -s 16384 -n 16 "$mnt/sync" || fail "sync writer's data"
expect_eq 0 "$(xwt_stat "$dev" errors)" "engine errors across freeze and thaw"

# Shutdown under load: writers get errors, nothing hangs.
start=$(xwt_stat "$dev" completions)
load "$second"
for _ in $(seq 300); do
	(($(xwt_stat "$dev" completions) > start + 500)) && break
	sleep 0.1
done
note "$(($(xwt_stat "$dev" completions) - start)) completions under load before the shutdown"
xfs_io -x -c shutdown "$mnt"
for j in $(jobs -p); do
	timeout 120 tail --pid="$j" -f /dev/null || fail "a writer hung after the shutdown"
	wait "$j" || true
done
expect_eq 0 "$(xwt_stat "$dev" inflight)" "bios in flight after the shutdown"
note "errors after the shutdown: $(xwt_stat "$dev" errors)"
timeout 60 umount "$mnt" || fail "unmount after the shutdown"
timeout 60 rmmod xfs_wt || fail "rmmod after the shutdown"
