# The module loads, pins xfs, shows its features and unloads, repeatedly.
. "$(dirname "$0")/../lib.sh"

modprobe xfs
for round in 1 2 3; do
	refs=$(cat /sys/module/xfs/refcnt)
	xwt_load
	[[ -r $XWT_SYS/features ]] || fail "no $XWT_SYS/features after load"
	expect_eq $((refs + 1)) "$(cat /sys/module/xfs/refcnt)" "xfs references with xfs_wt loaded"
	if rmmod xfs 2>/dev/null; then fail "xfs unloaded under xfs_wt"; fi
	xwt_unload
	expect_eq "$refs" "$(cat /sys/module/xfs/refcnt)" "xfs references after unload"
	[[ ! -e $XWT_SYS ]] || fail "$XWT_SYS left behind by rmmod"
	note "round $round ok"
done

xwt_load
cat "$XWT_SYS/features"
grep -q '^write_through ' "$XWT_SYS/features" || fail "features lacks write_through"
case $XWT_KERNEL in
6.1) grep -q '^atomic no this kernel has no RWF_ATOMIC' "$XWT_SYS/features" ||
	fail "6.1 must report atomic writes unsupported by the kernel" ;;
*) grep -q '^atomic ' "$XWT_SYS/features" || fail "features lacks atomic" ;;
esac
dmesg | grep -q 'xfs_wt: hooked XFS writes' || fail "no load message"
xwt_unload
dmesg | grep -q 'xfs_wt: unhooked XFS writes' || fail "no unload message"
