# shellcheck shell=bash
# Helpers for the guest-side tests. Sourced by tests/run and by each case.

XWT_REPO=${XWT_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}
# The series (6.1, 6.12, 7.2): a debug build (6.12-debug) behaves as its series.
XWT_KERNEL=${XFS_WT_KERNEL:?run inside scripts/vm-run}
XWT_BUILD=$XWT_REPO/build/$XWT_KERNEL
XWT_KERNEL=${XWT_KERNEL%-debug}
# XFS_WT_MODULE loads another build of the module (to bisect, say).
XWT_MOD=${XFS_WT_MODULE:-$XWT_BUILD/module/xfs_wt.ko}
XWT_RIVAL=$XWT_BUILD/rival/xfs_wt_rival.ko
XWT_BIN=$XWT_REPO/tests/bin
XWT_SYS=/sys/fs/xfs_wt
read -r -a XWT_DISKS <<<"${XFS_WT_DISKS:-}"
export PATH=$XWT_BIN:$PATH

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
note() { echo "  # $*"; }

expect_eq() { # WANT GOT WHAT
	[[ "$1" == "$2" ]] || fail "$3: want '$1', got '$2'"
}

need_disks() { # N
	((${#XWT_DISKS[@]} >= $1)) || fail "need $1 scratch disks, have ${#XWT_DISKS[@]}"
}

# mkfs.xfs with the defaults of the running kernel's release, so that 6.1 and
# 6.12 can mount what the guest's newer xfsprogs makes.
xwt_mkfs() { # DEV [mkfs options...]
	local dev=$1 conf=
	shift
	case $XWT_KERNEL in
	6.1) conf=/usr/share/xfsprogs/mkfs/lts_6.1.conf ;;
	6.12) conf=/usr/share/xfsprogs/mkfs/lts_6.12.conf ;;
	esac
	mkfs.xfs -f -q ${conf:+-c options=$conf} "$@" "$dev"
}

xwt_mount() { # DEV DIR [mount options]
	mkdir -p "$2"
	mount -t xfs ${3:+-o "$3"} "$1" "$2"
}

xwt_load() { # [module params]
	insmod "$XWT_MOD" "$@"
}

xwt_loaded() { [[ -d /sys/module/xfs_wt ]]; }

xwt_unload() {
	if xwt_loaded; then rmmod xfs_wt; fi
}

# The name XFS and xfs_wt use for a mounted device: /dev/vda -> vda,
# /dev/mapper/x -> dm-0 (a node, not a link, when there is no udev).
xwt_devname() {
	local maj min
	read -r maj min < <(stat -L -c '%t %T' "$1")
	basename "$(readlink -f "/sys/dev/block/$((16#$maj)):$((16#$min))")"
}

xwt_mode() { # DEV [MODE]
	local f=$XWT_SYS/$(xwt_devname "$1")/mode
	if (($# > 1)); then echo "$2" >"$f"; else cat "$f"; fi
}

xwt_stat() { # DEV NAME
	awk -v n="$2" '$1 == n { print $2; found = 1 } END { if (!found) exit 1 }' \
		"$XWT_SYS/$(xwt_devname "$1")/stats" || fail "no counter $2"
}

# The writes the engine took on DEV: the dsync ones and, in mode all, the plain ones.
xwt_taken() { # DEV
	echo $(($(xwt_stat "$1" taken_dsync_writes) + $(xwt_stat "$1" taken_other_writes)))
}

# Snapshot all counters of DEV into an associative array named by $2.
xwt_stats_snap() { # DEV ARRAY
	local -n _snap=$2
	local k v
	_snap=()
	while read -r k v; do _snap[$k]=$v; done <"$XWT_SYS/$(xwt_devname "$1")/stats"
}

# Check that counter deltas since a snapshot match: NAME=DELTA ... ; every
# counter not named must not have moved (inflight gauges excepted).
xwt_stats_expect() { # DEV ARRAY NAME=DELTA...
	local dev=$1 k v
	local -n _before=$2
	local -A now want=()
	shift 2
	for kv in "$@"; do want[${kv%%=*}]=${kv#*=}; done
	xwt_stats_snap "$dev" now
	for k in "${!now[@]}"; do
		[[ $k == inflight* ]] && continue
		v=$((now[$k] - ${_before[$k]:-0}))
		expect_eq "${want[$k]:-0}" "$v" "counter $k moved"
	done
	for k in "${!want[@]}"; do
		[[ -n ${now[$k]+x} ]] || fail "no counter $k"
	done
}

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

remount() { # DEV DIR
	umount "$2"
	mount -t xfs "$1" "$2"
}

# After a failed write-through write on DEV, counted in its stats from
# ERRORS (the count before): the next fsync of FILE reports ERRTEXT, the one
# after reports nothing, and no bio is in flight nor page under writeback.
expect_write_error_reported() { # DEV FILE ERRORS WHAT ERRTEXT
	local out
	out=$(xfs_io -c fsync "$2" 2>&1) || true
	grep -q "fsync.*$5" <<<"$out" || fail "$4: a later fsync did not report the error"
	out=$(xfs_io -c fsync "$2" 2>&1) || true
	[[ -z $out ]] || fail "$4: the error was reported twice: $out"
	expect_eq 0 "$(xwt_stat "$1" inflight)" "$4: bios in flight"
	(($(xwt_stat "$1" errors) > $3)) || fail "$4: no error counted"
	awk '$1 == "Writeback:" && $2 != 0 { exit 1 }' /proc/meminfo || fail "$4: pages left under writeback"
}

# Undo whatever a test left behind, so that one failure does not cascade.
xwt_cleanup() {
	local m n d have=' ' dms=()
	for m in $(awk '$2 ~ "^/mnt/xwt" { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rmmod xfs_wt 2>/dev/null || true
	rmmod xfs_wt_rival 2>/dev/null || true
	rmmod scsi_debug 2>/dev/null || true
	flakey_remove
	# crash_replay's and partial_bio_errors' devices, stacked ones first,
	# in one dmsetup call and only if there are any: sysfs costs no exec.
	for d in /sys/block/dm-*/dm/name; do
		if [[ -r $d ]] && read -r n <"$d"; then have+="$n "; fi
	done
	for n in xwt_cr_snap xwt_cr_lw xwt_cr_data xwt_cr_log xwt_cr_replay xwt_cr_cow xwt_pe; do
		if [[ $have == *" $n "* ]]; then dms+=("$n"); fi
	done
	if ((${#dms[@]})); then dmsetup remove --retry "${dms[@]}" 2>/dev/null || true; fi
}

# dm-flakey over a scratch disk, as fstests' common/dmflakey does: tables
# that pass every write, drop every write (a power cut), or fail them.
FLAKEY=xwt_flakey
flakey_table() { # DISK up|drop|error
	local disk=$1 sectors
	sectors=$(blockdev --getsz "$disk")
	case $2 in
	up) echo "0 $sectors flakey $disk 0 180 0" ;;
	drop) echo "0 $sectors flakey $disk 0 0 180 1 drop_writes" ;;
	error) echo "0 $sectors flakey $disk 0 0 180 1 error_writes" ;;
	esac
}
flakey_create() { # DISK
	modprobe dm-flakey
	dmsetup create "$FLAKEY" --table "$(flakey_table "$1" up)"
	echo "/dev/mapper/$FLAKEY"
}
flakey_load() { # DISK up|drop|error
	# --nolockfs: a freeze would flush the log first, or fail on errors.
	dmsetup suspend --nolockfs "$FLAKEY"
	dmsetup load "$FLAKEY" --table "$(flakey_table "$1" "$2")"
	dmsetup resume "$FLAKEY"
}
flakey_remove() {
	dmsetup remove "$FLAKEY" 2>/dev/null || true
}

# Load scsi_debug with PARAMS and print its disk, e.g. /dev/sda.
sdebug_load() { # PARAMS...
	local d
	modprobe sd_mod
	modprobe scsi_debug "$@" || fail "cannot load scsi_debug $*"
	for _ in $(seq 100); do
		d=$(ls -d /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/* 2>/dev/null | head -n 1)
		[[ -n $d ]] && break
		sleep 0.1
	done
	[[ -n $d ]] || fail "no scsi_debug disk"
	echo "/dev/$(basename "$d")"
}
