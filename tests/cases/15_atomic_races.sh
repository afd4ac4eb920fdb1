# Atomic writes racing plain buffered writes and truncates of the same
# blocks never leave a block that mixes two writes, in the cache or on disk
# (checked after drop_caches and after a remount).
. "$(dirname "$0")/../lib.sh"
[[ $XWT_KERNEL != 6.1 ]] || skip "6.1 has no RWF_ATOMIC"
mnt=/mnt/xwt0
secs=15
[[ -z ${STRESS:-} ]] || secs=300
xwt_load
dev=$(sdebug_load dev_size_mb=320 sector_size=4096 atomic_wr=1 atomic_wr_gran=1 atomic_wr_align=1)
xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
xwt_mode "$dev" dsync
f=$mnt/race
atomic_io write -n 8 -g 1 "$f" || fail "initial atomic writes"

end=$((SECONDS + secs))
(g=100; while ((SECONDS < end)); do g=$((g + 2)); atomic_io write -n 8 -g $g "$f" || exit 1; done) &
a=$!
(g=101; while ((SECONDS < end)); do g=$((g + 2)); atomic_io write -p -n 8 -g $g "$f" || exit 1; done) &
p=$!
(while ((SECONDS < end)); do truncate -s 16384 "$f"; sleep 0.05; truncate -s 32768 "$f"; sleep 0.2; done) &
t=$!
wait $a || fail "atomic writer"
wait $p || fail "plain writer"
wait $t
truncate -s 32768 "$f"
# Read before the remount, which starts the mount's counters afresh.
atomics=$(xwt_stat "$dev" atomic_completions)
((atomics > 0)) || fail "no atomic write was taken"
atomic_io check -n 8 "$f" || fail "a block mixes two writes in the cache"
drop_caches
atomic_io check -n 8 "$f" || fail "a block mixes two writes after drop_caches"
remount "$dev" "$mnt"
atomic_io check -n 8 "$f" || fail "a block mixes two writes after a remount"
note "atomic writes completed: $atomics"
