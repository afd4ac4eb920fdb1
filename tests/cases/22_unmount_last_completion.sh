# Unmount racing the last write-through completion. libaio and io_uring
# callers submit RWF_DSYNC overwrites to a slow device and close the file,
# so the requests hold the last references to it; then:
# - umount: EBUSY while they are in flight, and succeeds once they are done;
# - umount -l while the caller exits without reaping: the file system goes
#   away when the last completion drops its file (the module's unmount hook
#   runs from there), with no hang and no oops;
# - umount -l while the caller reaps: every completion carries success;
# - umount -l then rmmod at once: the module waits for the in-flight
#   completions (or refuses), then unloads and loads again.
# After each, the file system mounts again and every submitted record is on
# disk; when an io_uring caller exits without reaping, io_uring cancels the
# writes it had not started, so there every record is whole, old or new.
. "$(dirname "$0")/../lib.sh"
mnt=/mnt/xwt0
# Each race with each engine; the short run splits them between engines.
races="libaio:busy libaio:lazy_exit uring:lazy_reap uring:rmmod"
rounds=1 nrec=16
if [[ -n ${STRESS:-} ]]; then
	races="libaio:busy uring:busy libaio:lazy_exit uring:lazy_exit libaio:lazy_reap"
	races+=" uring:lazy_reap libaio:rmmod uring:rmmod"
	rounds=15 nrec=64
fi
dev=$(sdebug_load dev_size_mb=320 sector_size=4096 ndelay=100000)
name=$(xwt_devname "$dev")
stats=$XWT_SYS/$name/stats
sdp=/sys/bus/pseudo/drivers/scsi_debug
st=$(mktemp -d)
trap '{ set +e; delay 100000; umount $mnt; rmmod xfs_wt; rmmod scsi_debug; } 2>/dev/null' EXIT
xwt_mkfs "$dev"
xwt_load

# Builtins only from submission to unmount: under TCG a fork costs more than
# the window. A pipe that never delivers serves as a sleep.
exec {never}<> <(:)
nap() { read -r -t "$1" -u "$never" || true; }
# scsi_debug refuses a new delay while commands are queued.
delay() { # NS
	for _ in $(seq 400); do
		{ echo "$1" >"$sdp/ndelay"; } 2>/dev/null && return 0
		nap 0.05
	done
	fail "cannot set scsi_debug's delay to $1"
}

busy=0 late=0 gen=1 inflight=0 maxinflight=0 maybe=
# Submit NREC writes with ENGINE, each taking about a second on the device,
# close the file and at once (from the same process: an exec takes longer
# than the window under TCG) do what ARGS say: -U busy|lazy, -R; with -w
# the caller reaps once the go file appears, else it exits at once.
submit() { # ENGINE ARGS...
	local e=$1 end
	shift
	gen=$((gen + 1)) maybe=
	[[ $e == uring && " $* " != *" -w "* ]] && maybe=1
	rm -f "$st/marker" "$st/go"
	delay 999000000
	stamp_io orphan -e "$e" -n "$nrec" -b 4096 -g "$gen" -m "$st/marker" -M "$mnt" -S "$stats" \
		"$@" -a "$st/ack" "$mnt/f" >"$st/out" 2>&1 &
	pid=$!
	end=$((SECONDS + 60))
	while [[ ! -e $st/marker ]] && kill -0 "$pid" 2>/dev/null && ((SECONDS < end)); do
		nap 0.01
	done
	[[ -e $st/marker ]] || { cat "$st/out"; fail "$e: no submission in 60 s"; }
	inflight=$(awk '$1 == "inflight" { print $2 }' "$st/out")
	if ((inflight > maxinflight)); then maxinflight=$inflight; fi
}
# The file system is gone once its xfs_wt directory is.
wait_gone() {
	local end=$((SECONDS + 120))
	while ((SECONDS < end)); do
		[[ -e $XWT_SYS/$name ]] || return 0
		nap 0.05
	done
	fail "the lazily unmounted file system never went away"
}
remount_check() { # WHAT
	delay 100000
	xwt_mount "$dev" "$mnt"
	echo dsync >"$XWT_SYS/$name/mode"
	if [[ -n $maybe ]]; then
		stamp_io check -l -b 4096 -n "$nrec" -a "$st/base" "$mnt/f" >/dev/null ||
			fail "$1: a record is torn or lost its old data"
		stamp_io write -e psync -t 1 -b 4096 -n "$nrec" -r 1 -f dsync -a "$st/base" \
			"$mnt/f" >/dev/null
	else
		stamp_io check -b 4096 -n "$nrec" -a "$st/ack" "$mnt/f" >/dev/null ||
			fail "$1: the submitted records are not on disk"
	fi
	# The check's readahead leaves large folios, and a write-through write
	# waits for the writeback of the folio it lands in: a later write to
	# another block of that folio would wait for an earlier one's I/O.
	echo 1 >/proc/sys/vm/drop_caches
}

xwt_mount "$dev" "$mnt"
echo dsync >"$XWT_SYS/$name/mode"
stamp_io write -e psync -t 1 -b 4096 -n "$nrec" -r 1 -f dsync -a "$st/base" "$mnt/f" >/dev/null
cp "$st/base" "$st/ack"
umount "$mnt"
remount_check "the first write"
times=
for _ in $(seq "$rounds"); do
	for race in $races; do
		e=${race%%:*} t=$SECONDS
		case ${race#*:} in
		busy)
			# umount while the requests hold the file: EBUSY, then success.
			submit "$e" -U busy -w "$st/go"
			if grep -q "umount busy: done" "$st/out"; then
				late=$((late + 1))
				delay 100000
				xwt_mount "$dev" "$mnt"
			else
				grep -q "umount busy: Device or resource busy" "$st/out" ||
					fail "$e: umount: $(cat "$st/out")"
				busy=$((busy + 1))
			fi
			touch "$st/go"
			wait "$pid" || { cat "$st/out"; fail "$e: a completion failed"; }
			delay 100000
			for _ in $(seq 100); do umount "$mnt" 2>/dev/null && break; nap 0.1; done
			! mountpoint -q "$mnt" || fail "$e: umount after the completions"
			;;
		lazy_exit)
			# umount -l; the caller exits without reaping.
			submit "$e" -U lazy
			wait "$pid" || { cat "$st/out"; fail "$e: orphaned caller"; }
			delay 100000
			wait_gone
			;;
		lazy_reap)
			# umount -l; the caller reaps afterwards.
			submit "$e" -U lazy -w "$st/go"
			touch "$st/go"
			wait "$pid" || { cat "$st/out"; fail "$e: a completion after the lazy umount failed"; }
			delay 100000
			wait_gone
			;;
		rmmod)
			# umount -l and rmmod at once: rmmod waits or refuses.
			submit "$e" -U lazy -R
			wait "$pid" || { cat "$st/out"; fail "$e: orphaned caller across rmmod"; }
			note "$e: $inflight bios in flight; $(grep rmmod "$st/out")"
			delay 100000
			xwt_unload
			xwt_load
			wait_gone
			;;
		esac
		remount_check "$race"
		times+=" $race:$((SECONDS - t))s"
	done
done
note "time per race:$times"
note "$rounds rounds of $races, $nrec writes each, at most $maxinflight bios in flight at" \
	"submission; umount found the file busy $busy times, the writes done first $late times"
[[ $races != *busy* ]] || ((busy > 0)) || fail "umount never raced an in-flight write"
((maxinflight > 0)) || fail "no write-through bio was ever in flight at the race"
umount "$mnt"
