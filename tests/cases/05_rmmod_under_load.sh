# rmmod and insmod while several processes write to an enabled mount: no
# oops, no hang, every write completes and its data is on disk.
. "$(dirname "$0")/../lib.sh"
need_disks 1
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
cycles=8
[[ -z ${STRESS:-} ]] || cycles=200
state=$(mktemp -d)
xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
xwt_load default_mode=dsync

# Each writer rewrites its file in rounds until told to stop, and records
# the last round it completed.
writer() { # ID FLAGS
	local r=0
	while [[ ! -e $state/stop ]]; do
		r=$((r + 1))
		xwt_io write -S "$10$r" -f "$2" -s 16384 -n 32 "$mnt/w$1" || exit 1
		echo "$r" >"$state/last$1"
	done
}
pids=()
writer 1 odsync & pids+=($!)
writer 2 rwf_dsync & pids+=($!)
writer 3 plain & pids+=($!)
writer 4 osync & pids+=($!)

sleep 1
for cycle in $(seq "$cycles"); do
	xwt_unload
	sleep 0.2
	xwt_load default_mode=dsync
	xwt_mode "$dev" all
	sleep 0.3
done
xwt_unload
touch "$state/stop"
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
((rc == 0)) || fail "a writer failed"
for i in 1 2 3 4; do
	note "writer $i completed $(cat "$state/last$i") rounds"
	(($(cat "$state/last$i") >= 2)) || fail "writer $i did not overlap the cycles"
done

check() {
	for i in 1 2 3 4; do
		xwt_io verify -S "${i}0$(cat "$state/last$i")" -s 16384 -n 32 "$mnt/w$i" ||
			fail "data of w$i $1"
	done
}
drop_caches
check "after drop_caches"
remount "$dev" "$mnt"
check "after remount"
