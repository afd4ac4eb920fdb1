# The mode flips between off, dsync and all in a loop while many threads
# write stamped records through pwritev2 (plain, RWF_DSYNC, O_DSYNC),
# libaio and io_uring: threads sharing one file (adjacent unaligned records
# of different threads share blocks and folios, so plain buffered writes,
# write-through writes and their read-modify-writes meet in one folio) and
# threads on many files of their own. Every acknowledged record is on disk,
# whole and in its last generation, at once, after drop_caches and after a
# remount; the engine took writes and passed others.
. "$(dirname "$0")/../lib.sh"
need_disks 1
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
secs=8 threads=9 files=18 recs=48
if [[ -n ${STRESS:-} ]]; then
	secs=300 threads=18 files=144 recs=256
fi
ack=$(mktemp -d)
xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
xwt_load
mkdir "$mnt/many"
declare -A before after
xwt_stats_snap "$dev" before

# The writers start once the flips have: an exec can take seconds here.
hostile_writes flip -s "$((secs + 3))" -m "$ack/flipping" "$XWT_SYS/$(xwt_devname "$dev")/mode" \
	all off all dsync off dsync >"$ack/flips" &
flip=$!
for _ in $(seq 300); do [[ -e $ack/flipping ]] && break; sleep 0.1; done
stamp_io write -e mix -f mix -t "$threads" -q 4 -b 6000 -n "$((recs * 8))" -s "$secs" \
	-a "$ack/one" "$mnt/one" >"$ack/one.out" &
one=$!
stamp_io write -e mix -f mix -t "$threads" -q 4 -b 4096 -n "$recs" -F "$files" -o -s "$secs" \
	-a "$ack/many" "$mnt/many" >"$ack/many.out" &
many=$!

wait "$one" || { cat "$ack/one.out"; fail "a writer of the shared file failed"; }
wait "$many" || { cat "$ack/many.out"; fail "a writer of many files failed"; }
wait "$flip" || fail "a mode flip was refused"
note "$(cat "$ack/flips"); one file: $(cat "$ack/one.out")"
note "many files: $(cat "$ack/many.out")"

check() { # WHEN
	stamp_io check -b 6000 -n "$((recs * 8))" -a "$ack/one" "$mnt/one" >/dev/null ||
		fail "the shared file $1"
	stamp_io check -b 4096 -n "$recs" -F "$files" -a "$ack/many" "$mnt/many" >/dev/null ||
		fail "many files $1"
}
t=$SECONDS
check "at once"
xwt_stats_snap "$dev" after
d() { echo $((after[$1] - before[$1])); }
note "engine: taken $(d taken_dsync_writes) dsync + $(d taken_other_writes) other," \
	"passed $(d passed_dsync_writes) dsync + $(d passed_other_writes) other, $(d errors) errors," \
	"in flight at most ${after[inflight_max]}"
for k in "${!after[@]}"; do
	if [[ $k == fallback_* && $(d "$k") != 0 ]]; then note "$k: $(d "$k")"; fi
done
for k in taken_dsync_writes taken_other_writes passed_dsync_writes passed_other_writes; do
	(($(d $k) > 0)) || fail "the flips did not reach the writers: no $k"
done
expect_eq 0 "$(d errors)" "engine errors"
expect_eq 0 "${after[inflight]}" "bios in flight after the writers"
drop_caches
check "after drop_caches"
remount "$dev" "$mnt"
check "after a remount"
note "three checks and a remount in $((SECONDS - t)) s"
note "$(stamp_io check -b 6000 -n "$((recs * 8))" -a "$ack/one" "$mnt/one");" \
	"$(stamp_io check -b 4096 -n "$recs" -F "$files" -a "$ack/many" "$mnt/many")"
umount "$mnt"
