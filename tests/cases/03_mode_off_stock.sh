# With xfs_wt loaded, every answer to a battery of good and bad writes is the
# stock kernel's: return values, errors, sizes and the data on disk.
. "$(dirname "$0")/../lib.sh"
need_disks 1
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0

battery() { # OUT
	xwt_mkfs "$dev"
	xwt_mount "$dev" "$mnt"
	stock_answers "$mnt" >"$1"
	drop_caches
	(cd "$mnt" && sha256sum plain dsync sync append atomic direct appendonly) >>"$1"
	remount "$dev" "$mnt"
	(cd "$mnt" && sha256sum plain dsync sync append atomic direct appendonly) >>"$1"
	umount "$mnt"
}

out=$(mktemp -d)
battery "$out/stock"
cat "$out/stock"
for mode in off dsync all; do
	xwt_load default_mode=$mode
	battery "$out/$mode"
	xwt_unload
	diff -u "$out/stock" "$out/$mode" || fail "mode $mode differs from stock"
	note "mode $mode: identical to stock"
done

# The comparison means something only if the hook saw the battery's writes.
xwt_load
xwt_mkfs "$dev"
xwt_mount "$dev" "$mnt"
stock_answers "$mnt" >/dev/null
seen=$(($(xwt_stat "$dev" seen_other_writes) + $(xwt_stat "$dev" seen_dsync_writes)))
((seen >= 20)) || fail "the hook saw only $seen writes of the battery"
note "hook saw $seen writes"
