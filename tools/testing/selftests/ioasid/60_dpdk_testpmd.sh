#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A real, unmodified VFIO user (busybox sh), TAP output: Debian's DPDK 22.11
# dpdk-testpmd on the test bed's two e1000e NICs (82574L, DPDK's
# net_e1000_em PMD), which QEMU wires back to back.
#
# Per mode, in one boot ("type1": both NICs bound to plain vfio-pci, DPDK's
# ordinary VFIO type1 container, served by vfio_iommu_type1; "compat": the
# same, with ioasidfd_vfio's type1_compat on for the run, so that the
# container is an IOASID of /dev/ioasid):
#
#   1. bind both NICs to the mode's driver (driver_override + drivers_probe);
#   2. start testpmd in interactive mode on both ports (-a BDF twice, the
#      hugepages, --iova-mode=va, rxonly forwarding) and time its start-up:
#      EAL maps all of its hugepage memory (-m 64: 32 pages of 2 MiB)
#      through VFIO_IOMMU_MAP_DMA when it sets up the container, at the
#      first device's probe;
#   3. "start tx_first 4": each port sends 4 bursts of 32 packets, which
#      arrive at the other port; poll "show port stats all" until both ports
#      have received them (bounded);
#   4. "stop": the forward statistics must say TX = RX = 128 on both ports,
#      no drops, and the NICs' own counters must agree;
#   5. "quit", then both NICs unbound again with driver_override cleared,
#      as /init left them;
#   6. (while testpmd runs) who serves the container: vfio_iommu_type1 in
#      type1 mode (no container in /sys/kernel/debug/ioasidfd_vfio/type1),
#      /dev/ioasid in compat mode (a container of testpmd's pid there, and
#      its IOASID in /sys/kernel/debug/ioasidfd/ioasids with EAL's mappings
#      and both NICs attached).
#
# Every wait is bounded (TCG is slow, and the other guest may be running);
# testpmd is killed if it does not quit.  Results: started, forwarded,
# counts match, NICs released, and a few more; start-up times are '#'
# diagnostics.
#
# Environment: IOASID_VM_NIC (the NICs' PCI addresses, from the test bed),
# IOASID_DPDK_MODES (default "type1 compat"), IOASID_DPDK_TESTPMD (default
# /usr/bin/dpdk-testpmd), IOASID_DPDK_KEEP (a directory to keep testpmd's
# output in).

MODES=${IOASID_DPDK_MODES:-type1 compat}
TESTPMD=${IOASID_DPDK_TESTPMD:-/usr/bin/dpdk-testpmd}
STDBUF=/usr/libexec/coreutils/libstdbuf.so
BURSTS=4
BURST=32
EXPECT=$((BURSTS * BURST))
HUGE_MB=64
START_LIMIT=120		# s, testpmd to its prompt (2.5 s in the test bed)
TRAFFIC_LIMIT=60	# s, for the packets to arrive
QUIT_LIMIT=30		# s, for testpmd to exit after "quit"
PER_MODE=7		# results per mode
COMPAT=/sys/module/ioasidfd_vfio/parameters/type1_compat
COMPAT_DEBUGFS=/sys/kernel/debug/ioasidfd_vfio/type1
IOASIDS_DEBUGFS=/sys/kernel/debug/ioasidfd/ioasids
# The worst case of one mode (every wait to its limit, then the kill) is
# about 260 s: 60_dpdk_testpmd.timeout (600) must grow with MODES.

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
skip() { n=$((n + 1)); echo "ok $n $* # SKIP"; }
diag() { echo "$*" | sed 's/^/# /'; }
# result COND-STATUS DESCRIPTION [WHY]: ok if the status is 0, else not ok
# with WHY as a diagnostic.
result() {
	if [ "$1" = 0 ]; then
		ok "$2"
	else
		not_ok "$2"
		[ -z "${3:-}" ] || diag "$3"
	fi
}

# Uptime in hundredths of a second, into $now.
now_cs() {
	read -r now _ </proc/uptime
	now=${now%%.*}${now##*.}
	while [ "${now#0}" != "$now" ]; do now=${now#0}; done
	: "${now:=0}"
}
fmt_cs() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }

sysfs=/sys/bus/pci/devices
driver_of() {
	if [ -e "$sysfs/$1/driver" ]; then
		basename "$(readlink "$sysfs/$1/driver")"
	fi
}

# bind DRIVER BDF...: bind each to DRIVER through driver_override; fails
# (with the reason on stdout) unless every one ends up bound to it.
bind() {
	drv=$1
	shift
	for b in "$@"; do
		cur=$(driver_of "$b")
		[ "$cur" = "$drv" ] && continue
		[ -z "$cur" ] || echo "$b" >"$sysfs/$b/driver/unbind" ||
			{ echo "$b: cannot unbind from $cur"; return 1; }
		echo "$drv" >"$sysfs/$b/driver_override" ||
			{ echo "$b: cannot set driver_override"; return 1; }
		# drivers_probe fails when no driver takes the device.
		echo "$b" >/sys/bus/pci/drivers_probe 2>/dev/null
		cur=$(driver_of "$b")
		[ "$cur" = "$drv" ] ||
			{ echo "$b: bound to '${cur:-nothing}', not $drv (driver not loaded?)"; return 1; }
		[ -e "$sysfs/$b/iommu_group" ] || { echo "$b: no IOMMU group"; return 1; }
	done
}

# release BDF...: unbound, driver_override cleared.
release() {
	for b in "$@"; do
		cur=$(driver_of "$b")
		[ -z "$cur" ] || echo "$b" >"$sysfs/$b/driver/unbind" ||
			{ echo "$b: cannot unbind from $cur"; return 1; }
		echo >"$sysfs/$b/driver_override"
		cur=$(driver_of "$b")
		[ -z "$cur" ] || { echo "$b: still bound to $cur"; return 1; }
		[ "$(cat "$sysfs/$b/driver_override")" = "(null)" ] ||
			{ echo "$b: driver_override is '$(cat "$sysfs/$b/driver_override")'"; return 1; }
	done
}

# Every line testpmd prints, prefixed with the uptime (hundredths of a
# second) at which it arrived.
stamp() {
	while IFS= read -r line; do
		now_cs
		printf '%s %s\n' "$now" "$line"
	done
}

# wait_for PATTERN SECONDS: wait until a line of the output matches the
# extended regular expression PATTERN (after the stamp); fails at the limit
# or when testpmd is gone.  Leaves the first such line's stamp in $at.
wait_for() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		at=$(grep -E -m 1 "^[0-9]+ .*$1" "$out" | cut -d' ' -f1)
		[ -n "$at" ] && return 0
		kill -0 "$tp" 2>/dev/null || {
			sleep 0.2
			at=$(grep -E -m 1 "^[0-9]+ .*$1" "$out" | cut -d' ' -f1)
			[ -n "$at" ]
			return
		}
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stat_of BLOCK-PATTERN PORT FIELD: FIELD ("RX-packets", ...) of PORT in the
# last block of the output whose header matches BLOCK-PATTERN.
stat_of() {
	awk -v hdr="$1" -v port="$2" -v field="$3:" '
		index($0, hdr) {
			inblk = 0
			for (i = 2; i < NF; i++)
				if ($i == "port" && $(i + 1) == port)
					inblk = 1
			next
		}
		$2 ~ /^(-+|#+|[+]+)$/ { inblk = 0; next }
		inblk { for (i = 2; i < NF; i++) if ($i == field) last = $(i + 1) }
		END { print last }' "$out"
}

# The statistics of the last "stop" and "show port stats all".
fwd_stat() { stat_of "Forward statistics for port" "$1" "$2"; }
nic_stat() { stat_of "NIC statistics for port" "$1" "$2"; }

# send COMMAND: one line to testpmd's command line.
send() { echo "$1" >&7; }

# check_backend: while testpmd runs, one result: its container is served by
# vfio_iommu_type1 (type1_compat off: no container of ours) or by /dev/ioasid
# (on: a container of testpmd's pid, whose IOASID maps EAL's memory and has
# both NICs attached).
check_backend() {
	if [ $compat = N ]; then
		if [ ! -e "$COMPAT_DEBUGFS" ] || ! grep -q "^container " "$COMPAT_DEBUGFS"; then
			ok "$mode: the container is vfio_iommu_type1's"
		else
			not_ok "$mode: the container is vfio_iommu_type1's"
			diag "$(cat "$COMPAT_DEBUGFS")"
		fi
		return
	fi
	c=$(grep "^container .* pid $tp " "$COMPAT_DEBUGFS" 2>/dev/null)
	pasid=$(echo "$c" | sed -n 's/.* pasid \([0-9]*\) .*/\1/p')
	line=
	[ -z "$pasid" ] || line=$(grep "^pasid $pasid " "$IOASIDS_DEBUGFS")
	nmap=$(echo "$line" | sed -n 's/.* mappings \([0-9]*\) .*/\1/p')
	case "$line" in
	*" $nic0"*" $nic1"* | *" $nic1"*" $nic0"*) nics=1 ;;
	*) nics=0 ;;
	esac
	if [ -n "$pasid" ] && [ "${nmap:-0}" -gt 0 ] && [ $nics = 1 ]; then
		ok "$mode: the container is IOASID $pasid of /dev/ioasid, $nmap mapping(s), both NICs attached"
		diag "$mode: $c"
		diag "$mode: $line"
	else
		not_ok "$mode: the container is an IOASID of /dev/ioasid"
		diag "$mode: $COMPAT_DEBUGFS: $(cat "$COMPAT_DEBUGFS" 2>&1)"
		diag "$mode: $IOASIDS_DEBUGFS: $(cat "$IOASIDS_DEBUGFS" 2>&1)"
	fi
}

# run_mode MODE: the whole run with the NICs in MODE; PER_MODE results.
run_mode() {
	mode=$1
	case $mode in
	type1) drv=vfio-pci eal_extra="--iova-mode=va" compat=N ;;
	compat) drv=vfio-pci eal_extra="--iova-mode=va" compat=Y ;;
	*)
		for i in $(seq $PER_MODE); do not_ok "$mode: unknown mode"; done
		return
		;;
	esac
	# shellcheck disable=SC2086
	set -- $IOASID_VM_NIC
	nic0=$1 nic1=$2
	out=$work/$mode.out
	rm -f "$work/in" "$work/pipe" "$out"

	# 1. the backend for new type1 containers, and bind
	why=
	if [ -e "$COMPAT" ]; then
		echo $compat >"$COMPAT" || why="cannot set $COMPAT to $compat"
	elif [ $compat = Y ]; then
		why="no $COMPAT (ioasidfd_vfio not loaded, or without type1 compatibility)"
	fi
	[ -n "$why" ] || why=$(bind "$drv" "$nic0" "$nic1")
	st=$?
	[ -z "$why" ] || st=1
	result $st "$mode: both NICs bound to $drv (type1_compat=$compat)" "$why"
	if [ $st != 0 ]; then
		for i in $(seq $((PER_MODE - 2))); do not_ok "$mode: not run (NICs not bound)"; done
		[ ! -e "$COMPAT" ] || echo N >"$COMPAT"
		why=$(release "$nic0" "$nic1")
		result $? "$mode: NICs released" "$why"
		return
	fi
	diag "$mode: $nic0 group $(basename "$(readlink "$sysfs/$nic0/iommu_group")")," \
		"$nic1 group $(basename "$(readlink "$sysfs/$nic1/iommu_group")")"

	# 2. start testpmd: commands through a FIFO (opened read-write, so
	# that no open blocks), output through another into stamp.
	mkfifo "$work/in" "$work/pipe"
	exec 7<>"$work/in"
	: >"$out"
	stamp <"$work/pipe" >"$out" &
	sp=$!
	now_cs
	t0=$now
	# -l 0-1: the main lcore 0 runs the command line, lcore 1 forwards.
	# --in-memory: no files in hugetlbfs or /var/run/dpdk to clean up.
	# -m: memory allocated (and DMA-mapped) at start-up.
	# --no-telemetry: one thread less.  --total-num-mbufs: the default
	# (sized for 32 ports of 2048 descriptors) would not fit in 128 MiB.
	# stdout is a pipe: line-buffered through stdbuf's library (coreutils'
	# libstdbuf.so, in the guest with DPDK), or the statistics would only
	# come out 4 KiB at a time.  EAL's own log lines flush it anyway.
	# shellcheck disable=SC2086
	LD_PRELOAD=$STDBUF _STDBUF_O=L "$TESTPMD" -l 0-1 -n 1 --in-memory -m "$HUGE_MB" --no-telemetry \
		$eal_extra -a "$nic0" -a "$nic1" --log-level=lib.eal:info -- \
		-i --forward-mode=rxonly --burst=$BURST --total-num-mbufs=2048 \
		<"$work/in" >"$work/pipe" 2>&1 &
	tp=$!
	# Read only once testpmd is at its prompt: the command's echo marks
	# the end of the start-up.
	send "start tx_first $BURSTS"
	if wait_for "testpmd> start tx_first" $START_LIMIT; then
		ok "$mode: testpmd started"
		diag "$mode: testpmd start-up $(fmt_cs $((at - t0))) s (launch to prompt)"
		# EAL sets the IOMMU type at the first device's probe and
		# then maps all of its memory: the time to the next line.
		ti=$(grep -m 1 -n 'EAL: Using IOMMU type' "$out" | cut -d: -f1)
		if [ -n "$ti" ]; then
			t1=$(sed -n "${ti}p" "$out" | cut -d' ' -f1)
			t2=$(sed -n "$((ti + 1))p" "$out" | cut -d' ' -f1)
			te=$(head -n 1 "$out" | cut -d' ' -f1)
			tp1=$(grep -m 1 'EAL: Probe PCI driver' "$out" | cut -d' ' -f1)
			diag "$mode: launch to EAL's first line $(fmt_cs $((te - t0))) s" \
				"(loading and relocating the libraries), to the first probe" \
				"$(fmt_cs $((tp1 - t0))) s, container set up + ${HUGE_MB} MiB" \
				"DMA-mapped $(fmt_cs $((t2 - t1))) s"
		fi
		diag "$mode: 2 MiB hugepages in use while testpmd runs:" \
			"$(awk '/HugePages_Total/ { t = $2 } /HugePages_Free/ { f = $2 }
				END { print t - f }' /proc/meminfo)"
		grep -E 'IOVA mode|IOMMU type|Probe PCI' "$out" | cut -d' ' -f2- |
			sed "s/^/$mode: /" | while IFS= read -r l; do diag "$l"; done
		started=1
		check_backend
	else
		not_ok "$mode: testpmd started"
		diag "$mode: no prompt within ${START_LIMIT}s; the last lines:"
		tail -n 15 "$out" | cut -d' ' -f2- | while IFS= read -r l; do diag "  $l"; done
		started=0
		not_ok "$mode: container's backend (testpmd did not start)"
	fi

	# 3. the packets
	if [ $started = 1 ]; then
		i=0 arrived=0
		while [ $i -lt "$TRAFFIC_LIMIT" ] && kill -0 "$tp" 2>/dev/null; do
			send "show port stats all"
			sleep 1
			r0=$(nic_stat 0 RX-packets) r1=$(nic_stat 1 RX-packets)
			if [ "${r0:-0}" -ge $EXPECT ] && [ "${r1:-0}" -ge $EXPECT ]; then
				arrived=1
				break
			fi
			i=$((i + 1))
		done
		result $((1 - arrived)) "$mode: forwarded: each port received the other's packets" \
			"after ${i}s: port 0 RX ${r0:-?}, port 1 RX ${r1:-?} of $EXPECT"
		[ $arrived = 0 ] || diag "$mode: all packets in within $((i + 1)) s of the start"
	else
		not_ok "$mode: forwarded (testpmd did not start)"
	fi

	# 4. stop, and the counts
	if [ $started = 1 ] && send stop && wait_for "Accumulated forward statistics" 30; then
		sleep 1
		send "show port stats all"
		sleep 1
		ftx0=$(fwd_stat 0 TX-packets) frx0=$(fwd_stat 0 RX-packets)
		ftx1=$(fwd_stat 1 TX-packets) frx1=$(fwd_stat 1 RX-packets)
		fd0=$(fwd_stat 0 RX-dropped) fd1=$(fwd_stat 1 RX-dropped)
		ftd0=$(fwd_stat 0 TX-dropped) ftd1=$(fwd_stat 1 TX-dropped)
		ntx0=$(nic_stat 0 TX-packets) nrx0=$(nic_stat 0 RX-packets)
		ntx1=$(nic_stat 1 TX-packets) nrx1=$(nic_stat 1 RX-packets)
		ne0=$(nic_stat 0 RX-errors) ne1=$(nic_stat 1 RX-errors)
		counts="forward: port 0 TX $ftx0 RX $frx0 (dropped $ftd0/$fd0), port 1 TX $ftx1 RX $frx1 (dropped $ftd1/$fd1); NIC: port 0 TX $ntx0 RX $nrx0 (errors $ne0), port 1 TX $ntx1 RX $nrx1 (errors $ne1); expected $EXPECT"
		st=0
		for v in "$ftx0" "$frx1" "$ftx1" "$frx0" "$ntx0" "$nrx1" "$ntx1" "$nrx0"; do
			[ "$v" = $EXPECT ] || st=1
		done
		for v in "$fd0" "$fd1" "$ftd0" "$ftd1" "$ne0" "$ne1"; do
			[ "$v" = 0 ] || st=1
		done
		result $st "$mode: counts match: TX of each port = RX of the other = $EXPECT" "$counts"
		[ $st != 0 ] || diag "$mode: $counts"
	else
		not_ok "$mode: counts match (no statistics)"
	fi

	# 5. quit, or kill
	send quit
	if wait_for "Bye\\.\\.\\." $QUIT_LIMIT; then
		i=0
		while kill -0 "$tp" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	if kill -0 "$tp" 2>/dev/null; then
		kill -TERM "$tp"
		sleep 5
		kill -KILL "$tp" 2>/dev/null
		not_ok "$mode: testpmd quit (killed)"
	else
		wait "$tp"
		st=$?
		result $st "$mode: testpmd quit, exit status 0" "exit status $st"
	fi
	exec 7>&-
	wait "$sp" 2>/dev/null
	if [ -n "${IOASID_DPDK_KEEP:-}" ]; then
		mkdir -p "$IOASID_DPDK_KEEP" && cp "$out" "$IOASID_DPDK_KEEP/"
	fi

	# 6. the NICs and the backend as they were
	[ ! -e "$COMPAT" ] || echo N >"$COMPAT"
	why=$(release "$nic0" "$nic1")
	result $? "$mode: NICs released (unbound, no driver_override)" "$why"
}

echo "TAP version 13"
# shellcheck disable=SC2086
set -- $IOASID_VM_NIC
if [ $# -lt 2 ]; then
	echo "1..0 # SKIP needs two NICs in IOASID_VM_NIC (run in the test bed)"
	exit 4
fi
nmodes=$(echo "$MODES" | wc -w)
echo "1..$((1 + nmodes * PER_MODE))"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
free=$(awk '/HugePages_Free/ { print $2 }' /proc/meminfo)
if [ -x "$TESTPMD" ] && [ -f "$STDBUF" ] && [ "${free:-0}" -ge $((HUGE_MB / 2)) ]; then
	ok "$TESTPMD present, $free free 2 MiB hugepages"
	for mode in $MODES; do
		run_mode "$mode"
	done
else
	not_ok "$TESTPMD present, ${HUGE_MB} MiB of free 2 MiB hugepages"
	diag "$(ls -l "$TESTPMD" "$STDBUF" 2>&1); HugePages_Free: ${free:-?}"
	for mode in $MODES; do
		for i in $(seq $PER_MODE); do not_ok "$mode: not run"; done
	done
fi

[ $failed = 0 ]
