#!/usr/bin/env bash
# Time to first byte and bytes of each dashboard page on a study of 10,000
# trials, and the CPU the event streams cost:
#
#	go build -o /tmp/dltune ./cmd/dltune
#	benchmarks/dashboard.sh /tmp/dltune
#
# The store is $DLTUNE_BIG_STORE (default /tmp/dltune-big.db), written by
# the dashboard's TestWriteBig if missing. Each page is fetched three times
# after a first request that is timed alone (the first read of the study);
# then 1 and 10 event streams of the study page, then of the list of
# studies, stay open for 10 s while the server's CPU time is read from
# /proc (Linux; in clock ticks of 10 ms).
set -euo pipefail
bin=$1
port=${2:-18480}
store=${DLTUNE_BIG_STORE:-/tmp/dltune-big.db}
cd "$(dirname "$0")/.."
if [ ! -e "$store" ]; then
	DLTUNE_BIG_STORE=$store go test ./dashboard -run TestWriteBig -count 1 >/dev/null
fi
base=http://127.0.0.1:$port

serve() {
	"$bin" serve --storage "$store" --addr 127.0.0.1:$port >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 100); do curl -s -o /dev/null $base/nope && return; sleep 0.1; done
	echo "dltune serve did not start" >&2
	exit 1
}
stop() { kill $pid; wait $pid 2>/dev/null || true; }

serve
curl -s -o /dev/null -w "first request /study/big: ttfb %{time_starttransfer} s, %{size_download} bytes\n" $base/study/big
for p in / /study/big /study/big/leaderboard '/study/big?sort=lr&order=desc&page=7' \
	/study/big/plot/history.svg /study/big/plot/curves.svg /study/big/plot/parallel.svg \
	/study/big/plot/slice.svg /study/big/plot/importance.svg /study/big/plot/timeline.svg \
	/study/big/trial/5000 /study/big/history.json /study/big/curves.json /study/big/trial/5000/curve.json; do
	for _ in 1 2 3; do
		curl -s -o /dev/null -w "%{time_starttransfer} %{size_download}\n" "$base$p"
	done | awk -v p="$p" '{t[NR]=$1; s=$2} END {printf "%-38s ttfb %6.3f %6.3f %6.3f s %10d bytes\n", p, t[1], t[2], t[3], s}'
done
# What a browser that takes gzip receives of the pages, plots and chart data.
for p in /study/big /study/big/leaderboard /study/big/trial/5000 \
	/study/big/plot/history.svg /study/big/plot/curves.svg /study/big/plot/parallel.svg \
	/study/big/plot/slice.svg /study/big/plot/timeline.svg \
	/study/big/history.json /study/big/curves.json; do
	curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w "%{size_download}\n" "$base$p" |
		awk -v p="$p" '{printf "%-38s gzip %10d bytes\n", p, $1}'
done
stop

cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
# A study page's stream, and the list of studies' (which asks every
# study's revision), if this build serves it.
for stream in study/big/events events; do
	for n in 1 10; do
		serve
		if [ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 $base/$stream)" = 404 ]; then
			stop
			continue 2
		fi
		streams=()
		for _ in $(seq $n); do curl -s -N -o /dev/null $base/$stream & streams+=($!); done
		sleep 2
		a=$(cpu)
		sleep 10
		b=$(cpu)
		echo "$n streams of /$stream open: server CPU $(((b - a) * 10)) ms in 10 s"
		kill "${streams[@]}" 2>/dev/null || true
		stop
	done
done
