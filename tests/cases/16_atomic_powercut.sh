# Many threads write stamped RWF_ATOMIC|RWF_DSYNC blocks; the file system is
# shut down under them (xfs_io -x -c shutdown, as fstests' atomic tests cut
# power, because dm targets may hide the device's atomic limits). After log
# recovery every block is wholly one generation, and every generation that
# was acknowledged is there.
. "$(dirname "$0")/../lib.sh"
[[ $XWT_KERNEL != 6.1 ]] || skip "6.1 has no RWF_ATOMIC"
mnt=/mnt/xwt0 ack=$(mktemp)
threads=8 blocks=256 secs=12 cut=6
[[ -z ${STRESS:-} ]] || { threads=16 blocks=4096 secs=120 cut=90; }
xwt_load
dev=$(sdebug_load dev_size_mb=320 sector_size=4096 atomic_wr=1 atomic_wr_gran=1 atomic_wr_align=1)
xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
xwt_mode "$dev" dsync
f=$mnt/stamped
atomic_io write -d -n "$blocks" -g 1 "$f" || fail "initial atomic writes"
before=$(xwt_stat "$dev" atomic_completions)

atomic_io stress -t "$threads" -n "$blocks" -s "$secs" -a "$ack" "$f" &
w=$!
sleep "$cut"
xfs_io -x -c shutdown "$mnt"
wait $w
acked=$(awk '$2 > 1' "$ack" | wc -l)
note "$(($(xwt_stat "$dev" atomic_completions) - before)) atomic writes completed before the cut;" \
	"$acked blocks have an acknowledged generation"
((acked > 0)) || fail "no write was acknowledged before the shutdown"
umount "$mnt"
xwt_mount "$dev" "$mnt"
atomic_io check -n "$blocks" -a "$ack" "$f" || fail "after the power cut"
umount "$mnt"
