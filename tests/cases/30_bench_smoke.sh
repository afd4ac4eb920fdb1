# The benchmark's machinery runs end to end in a few seconds: fio jobs with
# their set-up hooks and CPU snapshots, wt_bench (the doublewrite pattern),
# and summarize's JSON, CSV and table. No number is judged.
. "$(dirname "$0")/../lib.sh"
need_disks 1
out=$(mktemp -d)
export BENCH_DEVICES=virtio BENCH_VIRTIO_DEV=${XWT_DISKS[0]} BENCH_PLOTS=0
export BENCH_RUNTIME=1 BENCH_RAMP=0 BENCH_REPEAT=1 BENCH_FILE_MB=16
export BENCH_ONLY='^virtio\.(randw\.psync-qd1-j1\.(dio|wt)-dsync|atomic\.psync-qd1-j1\.doublewrite)$'
"$XWT_REPO/tests/bench/run-bench" "$out"
for f in summary.json runs.json results.csv table.md; do
	[[ -s $out/$f ]] || fail "no $f"
done
# Every selected run gave a number; the table names the target it feeds.
n=$(perl -MJSON::PP -e 'local $/; my $d = decode_json(<STDIN>);
	print scalar grep { $_->{iops} && $_->{iops} > 0 && $_->{cpu_us_per_io} } @{ $d->{runs} }' <"$out/runs.json")
expect_eq 3 "$n" "runs with IOPS and CPU per I/O"
grep -q '^| 4k overwrites, wt-dsync vs dio-dsync, psync QD1 | virtio |' "$out/table.md" ||
	fail "no target line in the table"
cat "$out/table.md"
rm -rf "$out"
note "took $SECONDS s"
