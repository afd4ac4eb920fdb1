# Out of space and over quota, a write the engine takes fails as stock does
# (ENOSPC, EDQUOT), and what it wrote before the failure reads back intact.
. "$(dirname "$0")/../lib.sh"
need_disks 1
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
modes="off dsync"
[[ -z ${STRESS:-} ]] || modes="off dsync all dsync all dsync"
xwt_load

# Fill until writes fail; print the errno name of the first failure.
fill() { # FILE [as-user]
	local out
	out=$(${2:+setpriv --reuid=65534 --regid=65534 --clear-groups} \
		xwt_io write -f rwf_dsync -S 5 -s 65536 -n 256 "$1" 2>&1) &&
		fail "writing 16 MiB to $1 did not fail"
	case $out in
	*"No space left"*) echo ENOSPC ;;
	*"quota exceeded"*) echo EDQUOT ;;
	*short*) echo SHORT ;;
	*) echo "$out" ;;
	esac
}
intact() { # FILE
	local n=$(($(stat -c %s "$1") / 65536))
	xwt_io verify -S 5 -s 65536 -n "$n" "$1" || fail "data before the failure in $1"
}

for mode in $modes; do
	xwt_mkfs "$dev" -d size=320m
	xwt_mount "$dev" "$mnt" uquota
	xwt_mode "$dev" "$mode"
	chmod 1777 "$mnt"
	free=$(df --output=avail -B1 "$mnt" | tail -n 1)
	xfs_io -f -c "falloc 0 $((free - (3 << 20)))" "$mnt/fill" >/dev/null
	got=$(fill "$mnt/nospace")
	[[ $got == ENOSPC || $got == SHORT ]] || fail "mode $mode, out of space: $got"
	drop_caches
	intact "$mnt/nospace"
	rm -f "$mnt/fill" "$mnt/nospace"

	xfs_quota -x -c "limit -u bsoft=1m bhard=1m nobody" "$mnt"
	got=$(fill "$mnt/quota" nobody)
	[[ $got == EDQUOT || $got == SHORT ]] || fail "mode $mode, over quota: $got"
	drop_caches
	intact "$mnt/quota"
	taken=$(xwt_stat "$dev" taken_dsync_writes)
	note "mode $mode: ENOSPC and EDQUOT as expected; $taken writes taken"
	[[ $mode == off ]] || ((taken > 0)) || fail "the engine took no write"
	umount "$mnt"
done
