# Hostile input through xfs_wt's own interface, and hostile writes on an
# enabled mount.
# - sysfs: every writable file refuses garbage, huge strings, partial
#   writes, bad buffers, nobody and the root of nobody's own user
#   namespace without changing its value, and a mode or submit file also uid 0
#   without CAP_SYS_ADMIN; concurrent writers and readers only ever see a
#   valid value; every file reads whole, byte by byte and as nobody.
# - writes, in modes dsync and all: bad buffers (unmapped, PROT_NONE and
#   SIGBUS pages mid-buffer, read-only memory), 1024-segment iovecs of
#   1-byte and odd sizes, zero-length writes, writes at and across the
#   maximum file size and RLIMIT_FSIZE, through pwritev2, libaio and
#   io_uring: every answer is the stock one (a mode-off mount on a second
#   disk), the disk holds exactly what the answers said after drop_caches,
#   and every file equals the stock one after a remount.
# - RWF_ATOMIC (6.12, 7.2): zero-length, bad-buffer and maximum-size atomic
#   writes, and one across RLIMIT_FSIZE, are whole or refused, never short.
# - O_APPEND from several processes at once (write, O_DSYNC, RWF_DSYNC,
#   io_uring, libaio): every record whole and found exactly once, no gap.
. "$(dirname "$0")/../lib.sh"
need_disks 2
dev=${XWT_DISKS[0]} mnt=/mnt/xwt0
rdev=${XWT_DISKS[1]} ref=/mnt/xwt1
race_secs=3 append_procs=5 append_recs=40 battery_rounds=1
# The writes each mode takes: DSYNC ones in dsync, all in all.
declare -A variants=([dsync]=rwf_dsync [all]=plain) before
if [[ -n ${STRESS:-} ]]; then
	race_secs=60 append_procs=10 append_recs=600 battery_rounds=5
	variants=([dsync]="odsync,rwf_dsync" [all]="plain,rwf_dsync")
fi
out=$(mktemp -d)

xwt_mkfs "$dev"
xwt_mkfs "$rdev"
xwt_mount "$dev" "$mnt"
xwt_mount "$rdev" "$ref"
xwt_load
name=$(xwt_devname "$dev")

# --- sysfs ------------------------------------------------------------------
modes=(off dsync all)
mapfile -t files < <(find "$XWT_SYS" /sys/module/xfs_wt/parameters -type f | sort)
mapfile -t writable < <(find "$XWT_SYS" /sys/module/xfs_wt/parameters -type f -perm /222 | sort)
note "writable: ${writable[*]}"
((${#writable[@]} >= 3)) || fail "expected mode files and default_mode, found ${writable[*]}"
for f in "${writable[@]}"; do
	case $f in
	*/mode | */parameters/default_mode) values=("${modes[@]}") ;;
	*/submit) values=(queued inline) ;;
	*) fail "$f is writable and this test does not know its values" ;;
	esac
	was=$(cat "$f")
	hostile_writes sysfs "$f" "${values[@]}" >"$out/sysfs" || {
		cat "$out/sysfs"
		fail "hostile writes to $f"
	}
	grep -E "<valid>.0garbage" "$out/sysfs" | sed "s|^sysfs|  # $f:|"
	echo "$was" >"$f"
done
# Reads by root and nobody; writes by nobody, by root of nobody's own user
# namespace, and by uid 0 without CAP_SYS_ADMIN.
hostile_writes sysfsperm "${files[@]}" >"$out/perm" || { cat "$out/perm"; fail "sysfs permissions"; }
grep -E '/(mode|submit) ' "$out/perm" | grep -qv 'nocap=EPERM' &&
	fail "a mode or submit file took a write without CAP_SYS_ADMIN: $(grep -v nocap=EPERM "$out/perm" | grep -E '/(mode|submit) ')"
grep -v read-only "$out/perm" | sed 's/^perm/  #/'
note "every writable file refuses garbage, huge, partial and bad-buffer writes and non-root writers;" \
	"${#files[@]} files read whole, byte by byte and by nobody"
hostile_writes sysfsrace -s "$race_secs" "$XWT_SYS/$name/mode" "${modes[@]}" >"$out/race" ||
	{ cat "$out/race"; fail "concurrent sysfs writers and readers"; }
note "$(awk '{ ops[$2] += $3 } END { printf "concurrent sysfs: %d writes, %d reads", ops["writer"], ops["reader"] }' "$out/race")" \
	"(sysfs: ${SECONDS}s)"

# --- hostile writes, compared with a stock mount ----------------------------
t=$SECONDS
for mode in dsync all; do
	xwt_mode "$dev" "$mode"
	expect_eq off "$(xwt_mode "$rdev")" "mode of the stock mount"
	xwt_stats_snap "$dev" before
	for _ in $(seq "$battery_rounds"); do
		rm -rf "$mnt/b" "$ref/b"
		mkdir "$mnt/b" "$ref/b"
		hostile_writes battery -V "${variants[$mode]}" "$ref/b" >"$out/stock" || {
			cat "$out/stock"
			fail "the stock mount fails its own model check"
		}
		hostile_writes battery -V "${variants[$mode]}" "$mnt/b" >"$out/wt" || {
			cat "$out/wt"
			fail "mode $mode: the disk does not hold what the writes reported"
		}
		diff -u "$out/stock" "$out/wt" || fail "mode $mode: answers differ from stock"
	done
	taken=$(($(xwt_taken "$dev") - before[taken_dsync_writes] - before[taken_other_writes]))
	large=$(($(xwt_stat "$dev" fallback_large) - before[fallback_large]))
	((taken >= 40)) || fail "mode $mode: the engine took only $taken hostile writes"
	((large >= 1)) || fail "mode $mode: the over-8-MiB iovec did not fall back"
	remount "$dev" "$mnt"
	remount "$rdev" "$ref"
	hostile_writes sums "$ref/b" >"$out/stock.sums"
	hostile_writes sums "$mnt/b" >"$out/wt.sums"
	diff -u "$out/stock.sums" "$out/wt.sums" || fail "mode $mode: files differ from stock after a remount"
	note "mode $mode: $(grep -c ret= "$out/wt") hostile writes x $battery_rounds," \
		"$taken taken, $(grep -c 'errno=EFAULT\|errno=0.*ret=[1-9]' "$out/wt") EFAULT or short;" \
		"answers, disk content and files after a remount as stock ($((SECONDS - t))s)"
	t=$SECONDS
done
grep -E '^(efault|max|rlimit|zero_at|iov_1025|iov_negative)[^ ]*\.plain\.psync ' "$out/wt" | sed 's/^/  # /'

# --- O_APPEND from several processes -----------------------------------------
for mode in dsync all; do
	xwt_mode "$dev" "$mode"
	f=$mnt/append.$mode
	hostile_writes append -p "$append_procs" -n "$append_recs" "$f" || fail "mode $mode: an appender failed"
	hostile_writes appendcheck -p "$append_procs" -n "$append_recs" "$f" >/dev/null ||
		fail "mode $mode: appends at once"
	drop_caches
	hostile_writes appendcheck -p "$append_procs" -n "$append_recs" "$f" >/dev/null ||
		fail "mode $mode: appends after drop_caches"
	remount "$dev" "$mnt"
	note "mode $mode, O_APPEND: $(hostile_writes appendcheck -p "$append_procs" -n "$append_recs" "$f")" ||
		fail "mode $mode: appends after a remount"
done

# --- RWF_ATOMIC ---------------------------------------------------------------
umount "$mnt" "$ref"
if [[ $XWT_KERNEL == 6.1 ]]; then
	note "6.1 has no RWF_ATOMIC"
	exit 0
fi
adev=$(sdebug_load dev_size_mb=320 sector_size=4096 atomic_wr=1 atomic_wr_gran=1 atomic_wr_align=1)
xwt_mkfs "$adev"
xwt_mount "$adev" "$mnt"
mkdir "$mnt/off" "$mnt/dsync"
hostile_writes battery -A -V plain,rwf_dsync "$mnt/off" >"$out/atomic.off" ||
	{ cat "$out/atomic.off"; fail "atomic battery, mode off"; }
xwt_mode "$adev" dsync
hostile_writes battery -A -V plain,rwf_dsync "$mnt/dsync" >"$out/atomic.dsync" ||
	{ cat "$out/atomic.dsync"; fail "atomic battery, mode dsync: short, or the disk differs"; }
# A zero-length atomic write does nothing: 0, what stock answers, or EINVAL
# as from 6.13 (a length that is not a power of two). 6.12's stock answer is
# EOPNOTSUPP: a mode-off file cannot take RWF_ATOMIC at all.
awk 'NR == FNR { off[$1] = $0; next }
	$1 ~ /^atomic_zero/ && $2 != "ret=0" && $3 != "errno=EINVAL" && $0 != off[$1] { print; bad = 1 }
	END { exit bad }' "$out/atomic.off" "$out/atomic.dsync" ||
	fail "zero-length atomic writes answer neither 0 nor as stock"
grep -E '^atomic.*\.psync ' "$out/atomic.off" | sed 's/^/  # off:   /'
grep -E '^atomic.*\.psync ' "$out/atomic.dsync" | sed 's/^/  # dsync: /'
umount "$mnt"
