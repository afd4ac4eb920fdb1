# rmmod and insmod while several processes write to an enabled mount: no
# oops, no hang, every write completes and its data is on disk.
. "$(dirname "$0")/../lib.sh"
need_disks 1
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
xwt_load default_mode=dsync

writer() { # ID FLAGS
	local i
	for i in 1 2 3 4 5 6; do
		xwt_io write -S "$1$i" -f "$2" -s 16384 -n 32 "$mnt/w$1" || exit 1
	done
}
pids=()
writer 1 odsync & pids+=($!)
writer 2 rwf_dsync & pids+=($!)
writer 3 plain & pids+=($!)
writer 4 osync & pids+=($!)

cycles=0
while kill -0 "${pids[0]}" 2>/dev/null && ((cycles < 20)); do
	xwt_unload
	xwt_load default_mode=dsync
	xwt_mode "$dev" all
	cycles=$((cycles + 1))
done
xwt_unload
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
((rc == 0)) || fail "a writer failed"
note "$cycles unload/load cycles under load"
((cycles >= 2)) || fail "only $cycles cycles happened while writers ran"

drop_caches
for i in 1 2 3 4; do
	xwt_io verify -S "${i}6" -s 16384 -n 32 "$mnt/w$i" || fail "data of w$i"
done
remount "$dev" "$mnt"
for i in 1 2 3 4; do
	xwt_io verify -S "${i}6" -s 16384 -n 32 "$mnt/w$i" || fail "data of w$i after remount"
done
