# The module that DKMS built and installed in this root loads with modprobe.
. "$(dirname "$0")/../lib.sh"
[[ -n ${XFS_WT_DKMS:-} ]] || skip "DKMS install not done for this run (scripts/check does it)"
path=$(modinfo -n xfs_wt) || fail "modinfo finds no xfs_wt"
[[ $path == */updates/dkms/* ]] || fail "xfs_wt at $path is not DKMS's"
modprobe xfs_wt
[[ -r $XWT_SYS/features ]] || fail "no features after modprobe"
modprobe -r xfs_wt
[[ ! -e $XWT_SYS ]] || fail "$XWT_SYS after modprobe -r"
note "loaded $path"
