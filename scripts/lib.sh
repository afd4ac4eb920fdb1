# shellcheck shell=bash
# Shared helpers of the xfs_wt test bed.  Source it; do not execute it.

XFS_WT_TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
XFS_WT_CACHE="${XFS_WT_CACHE:-$HOME/.cache/xfs-wt}"
XFS_WT_ROOT="$XFS_WT_CACHE/root"
export XFS_WT_TOP XFS_WT_CACHE XFS_WT_ROOT

# shellcheck source=scripts/kernels.conf
. "$XFS_WT_TOP/scripts/kernels.conf"

XFS_WT_STEP="${XFS_WT_STEP:-$(basename "$0")}"

log()  { printf '[%s] %s\n' "$XFS_WT_STEP" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$XFS_WT_STEP" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$XFS_WT_STEP" "$*" >&2; exit 1; }

# Loud multi-line banner on stderr.
shout() {
	local line
	printf '\n%s\n' "************************************************************************" >&2
	for line in "$@"; do printf '*** %s\n' "$line" >&2; done
	printf '%s\n\n' "************************************************************************" >&2
}

# kvar FIELD SHORT -> value of e.g. KABI_6_12 from kernels.conf
kvar() {
	local n="K${1}_${2//./_}"
	[[ -n "${!n:-}" ]] || die "kernels.conf: $n is not set (unknown kernel '$2'? known: $KERNELS_ALL)"
	printf '%s\n' "${!n}"
}

# in_words WORD LIST: true when WORD is one of the words of LIST.
in_words() {
	local w
	for w in $2; do [[ "$w" == "$1" ]] && return 0; done
	return 1
}

is_known_kernel() { in_words "$1" "$KERNELS_ALL $KERNELS_BUILT"; }

# is_built_kernel SHORT: built by the test bed (scripts/debug-kernel), not
# installed from Debian's packages.
is_built_kernel() { in_words "$1" "$KERNELS_BUILT"; }

kernel_dir() { printf '%s\n' "$XFS_WT_CACHE/kernels/$1"; }

# kver_of SHORT -> ABI name (uname -r) that provisioning actually installed.
kver_of() {
	local f
	f="$(kernel_dir "$1")/kver"
	[[ -s "$f" ]] || die "kernel $1 is not provisioned (no $f); run scripts/provision --kernels $1"
	cat "$f"
}

checkpatch_path() { printf '%s\n' "$XFS_WT_CACHE/checkpatch/checkpatch.pl"; }

# Mirror of the Debian archive: $XFS_WT_MIRROR, else the host's apt config.
# Index 1 = main archive, 2 = security archive.
_host_apt_uri() {
	local idx=$1 f uris=()
	f=/etc/apt/sources.list.d/debian.sources
	if [[ -r $f ]]; then
		mapfile -t uris < <(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$f")
	fi
	if ((${#uris[@]} == 0)) && [[ -r /etc/apt/sources.list ]]; then
		mapfile -t uris < <(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' /etc/apt/sources.list | awk '!seen[$0]++')
	fi
	if ((${#uris[@]} >= idx)); then
		printf '%s\n' "${uris[idx - 1]%/}"
	fi
}

mirror_url() {
	local u="${XFS_WT_MIRROR:-$(_host_apt_uri 1)}"
	[[ -n "$u" ]] || die "cannot derive the Debian mirror from the host's apt config; set XFS_WT_MIRROR"
	printf '%s\n' "${u%/}"
}

security_mirror_url() {
	local u="${XFS_WT_SECURITY_MIRROR:-}"
	if [[ -z "$u" ]]; then
		u="$(_host_apt_uri 2)"
		[[ "$u" == *security* ]] || u="$(mirror_url)-security"
	fi
	printf '%s\n' "${u%/}"
}

# Make sure host commands exist; apt-get install the packages providing them.
# need_host_cmds cmd:package ...
need_host_cmds() {
	local spec missing=()
	for spec in "$@"; do
		command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
	done
	((${#missing[@]} == 0)) && return 0
	log "installing host packages: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
	}
}

# run_with_progress LOGFILE DESCRIPTION CMD... : run CMD with output to LOGFILE,
# printing the log tail every 10 s so nobody thinks it hung.
run_with_progress() {
	local logf=$1 desc=$2 rc=0 ticker start
	shift 2
	start=$SECONDS
	log "$desc (log: $logf)"
	(
		while sleep 10; do
			printf '[%s]   ... %s: %ds: %s\n' "$XFS_WT_STEP" "$desc" $((SECONDS - start)) \
				"$(tail -n 1 "$logf" 2>/dev/null | tr -d '\r' | cut -c1-100)"
		done
	) &
	ticker=$!
	"$@" >"$logf" 2>&1 || rc=$?
	kill "$ticker" 2>/dev/null || true
	wait "$ticker" 2>/dev/null || true
	if ((rc != 0)); then
		warn "$desc failed (exit $rc); last lines of $logf:"
		tail -n 30 "$logf" >&2
		return "$rc"
	fi
	log "$desc: done in $((SECONDS - start)) s"
}

# Kernel log scan.  Prints offending lines with context; returns 1 if any.
XFS_WT_BAD_RE='WARNING:|-+\[ cut here \]-+|(^|[^A-Za-z])BUG:|kernel BUG at|Oops|soft lockup|hard LOCKUP|blocked for more than|KFENCE|general protection fault|Kernel panic|RCU stall|self-detected stall|rcu: INFO:|detected stalls on CPUs|UBSAN:'

scan_kernel_log() {
	local f=$1 n
	[[ -r $f ]] || return 0
	n=$(grep -c -E -a -- "$XFS_WT_BAD_RE" "$f" || true)
	((n == 0)) && return 0
	shout "KERNEL PROBLEM: $n suspicious line(s) in the kernel log ($(basename "$f")):"
	grep -n -a -E -B 3 -A 12 -- "$XFS_WT_BAD_RE" "$f" | tr -d '\r' | head -n 200 >&2
	printf '%s\n' "*** end of kernel problem report" >&2
	kernel_log_digest "$f" >&2
	return 1
}

# One line on the first problem in a kernel log: the test that was running
# (tests/run marks each start in the log), the first bad line, where it
# happened and the functions of its call trace. It survives where a long
# report gets cut, and scripts/check repeats it in its summary.
kernel_log_digest() {
	tr -d '\r' <"$1" | awk -v re="$XFS_WT_BAD_RE" '
		function strip(s) { sub(/^<[0-9]+>/, "", s); sub(/^\[ *[0-9.]+\] /, "", s); return s }
		/xwt-tests: start / && !bad { t = $0; sub(/.*xwt-tests: start /, "", t) }
		!bad && $0 ~ re { bad = strip($0); next }
		!bad { next }
		/RIP: 0010:/ && !rip { rip = strip($0); sub(/^RIP: 0010:/, "", rip); sub(/\+.*/, "", rip); next }
		/Call Trace:/ && !done { intrace = 1; next }
		intrace && (/<\/TASK>|---\[ end trace|^[^[]|Modules linked in/) { intrace = 0; done = 1 }
		intrace && n < 14 {
			s = strip($0); sub(/^ */, "", s)
			if (s ~ /^(\? |<|RIP|Code|R[A-Z0-9]+:)/) next
			sub(/\+0x.*/, "", s); if (s != "") fn[n++] = s
		}
		END {
			if (!bad) exit
			line = "[vm-run] kernel problem" (t != "" ? " during " t : "") ": " bad
			if (rip != "") line = line " | at " rip
			if (n) { line = line " | trace:"; for (i = 0; i < n; i++) line = line " " fn[i] }
			print substr(line, 1, 900)
		}'
}
