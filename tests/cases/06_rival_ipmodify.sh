# Another IPMODIFY user of xfs_file_write_iter (as livepatch would be) makes
# xfs_wt refuse to load with a message, never an oops; XFS keeps working.
. "$(dirname "$0")/../lib.sh"
need_disks 1
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"

insmod "$XWT_RIVAL" || fail "cannot load the rival module"
if xwt_load 2>/dev/null; then fail "xfs_wt loaded beside another IPMODIFY user"; fi
dmesg | tail -n 20 | grep -q 'xfs_file_write_iter is already modified by another ftrace user' ||
	fail "no message naming the conflict"
[[ ! -e $XWT_SYS ]] || fail "$XWT_SYS left behind by the failed load"
[[ ! -e /sys/module/xfs/holders/xfs_wt ]] || fail "xfs still pinned"
xwt_io write -f odsync -n 4 "$mnt/f"
rmmod xfs_wt_rival

xwt_load
[[ -d $XWT_SYS/$(xwt_devname "$dev") ]] || fail "load after the rival left failed"
xwt_io write -f odsync -n 4 -o 16384 "$mnt/f"
xwt_unload
drop_caches
xwt_io verify -n 8 "$mnt/f" || fail "data"
