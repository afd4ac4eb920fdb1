# /sys/fs/xfs_wt/<dev>/ follows mounts: present for mounts that exist at
# load, created at mount, gone at unmount; modes validated; root only.
. "$(dirname "$0")/../lib.sh"
need_disks 2
a=${XWT_DISKS[0]} b=${XWT_DISKS[1]}
an=$(xwt_devname "$a") bn=$(xwt_devname "$b")
xwt_mkfs "$a"
xwt_mkfs "$b"

xwt_mount "$a" /mnt/xwt0
xwt_load
[[ -d $XWT_SYS/$an ]] || fail "no directory for a mount made before load"
expect_eq off "$(xwt_mode "$a")" "default mode"

xwt_mount "$b" /mnt/xwt1
[[ -d $XWT_SYS/$bn ]] || fail "no directory for a mount made after load"
[[ -d /sys/fs/xfs/$bn ]] || fail "XFS does not name the mount $bn"

# Modes: valid ones stick, anything else is -EINVAL and changes nothing.
for m in dsync all off dsync; do
	xwt_mode "$a" "$m"
	expect_eq "$m" "$(xwt_mode "$a")" "mode after writing $m"
done
for bad in bogus " " dsync2 offf ALL "dsync all" "$(head -c 5000 /dev/zero | tr '\0' x)"; do
	if printf '%s' "$bad" >"$XWT_SYS/$an/mode" 2>/dev/null; then
		fail "mode accepted '${bad:0:20}'"
	fi
	err=$( (printf '%s' "$bad" >"$XWT_SYS/$an/mode") 2>&1 || true)
	[[ -z $bad || $err == *"Invalid argument"* ]] || fail "'${bad:0:20}': $err"
	expect_eq dsync "$(xwt_mode "$a")" "mode after bad write '${bad:0:20}'"
done
expect_eq off "$(xwt_mode "$b")" "the other mount's mode"

# Only root may change a mode.
if setpriv --reuid=65534 --regid=65534 --clear-groups \
	sh -c "echo all > $XWT_SYS/$an/mode" 2>/dev/null; then
	fail "a non-root user changed the mode"
fi
expect_eq dsync "$(xwt_mode "$a")" "mode after a non-root write"
setpriv --reuid=65534 --regid=65534 --clear-groups cat "$XWT_SYS/$an/mode" "$XWT_SYS/$an/stats" >/dev/null ||
	fail "non-root cannot read"

# Remount keeps the state; unmount removes it; a new mount starts from
# default_mode.
mount -o remount,ro /mnt/xwt0
mount -o remount,rw /mnt/xwt0
expect_eq dsync "$(xwt_mode "$a")" "mode after remount"
echo all >/sys/module/xfs_wt/parameters/default_mode
expect_eq all "$(cat /sys/module/xfs_wt/parameters/default_mode)" "default_mode"
if echo nonsense >/sys/module/xfs_wt/parameters/default_mode 2>/dev/null; then
	fail "default_mode accepted nonsense"
fi
umount /mnt/xwt1
[[ ! -e $XWT_SYS/$bn ]] || fail "directory of an unmounted fs left behind"
xwt_mount "$b" /mnt/xwt1
expect_eq all "$(xwt_mode "$b")" "mode of a new mount"
expect_eq dsync "$(xwt_mode "$a")" "mode of the old mount"

# A reader holding the stats file open across the unmount.
exec 9<"$XWT_SYS/$bn/stats"
umount /mnt/xwt1
cat <&9 >/dev/null 2>&1 || true
exec 9<&-
[[ ! -e $XWT_SYS/$bn ]] || fail "directory left behind with a reader"

umount /mnt/xwt0
[[ -z $(ls "$XWT_SYS" | grep -v '^features$') ]] || fail "directories left: $(ls "$XWT_SYS")"
xwt_unload

# Loading with mounts and a default mode; a bad default refuses the load.
xwt_mount "$a" /mnt/xwt0
xwt_mount "$b" /mnt/xwt1
if insmod "$XWT_MOD" default_mode=bogus 2>/dev/null; then
	fail "load accepted default_mode=bogus"
fi
xwt_load default_mode=dsync
expect_eq dsync "$(xwt_mode "$a")" "mode of a mount adopted at load"
expect_eq dsync "$(xwt_mode "$b")" "mode of a mount adopted at load"
xwt_unload
[[ ! -e $XWT_SYS ]] || fail "$XWT_SYS left behind"
umount /mnt/xwt0 /mnt/xwt1
