#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ioasidfd.ko load/unload leak test (busybox sh), TAP output.
#
# First, unloading is refused while anything is open: ioasidfd_test.ko
# with a software device fd open (attached to a parked IOASID), then, with
# the dependent modules out of the way, ioasidfd.ko with a /dev/ioasid fd
# open (a mapped IOASID), and with only a fault queue fd open (its
# /dev/ioasid fd closed); each time the module stays loaded and working,
# and once the holder exits every counter is back to 0.
#
# Then 300 cycles (200 on a kernel with kmemleak, the debug kernel) of: load ioasidfd.ko (the first cycle uses the instance the
# test bed loaded, with whatever the earlier tests left in it), run one
# ALLOC/MAP/DESTROY/close cycle with 21_reload_cycle (which also ALLOCs
# every PASID of [1, N]: a PASID leaked by an earlier instance shows up
# there, and on x86 such a leak would persist in the kernel's PASID
# allocator), check that every debugfs counter reads 0 with all fds
# closed, and unload.  Then the kernel log must hold no WARN/BUG (the
# module WARNs at exit about any counter left non-zero), and on a kernel
# with kmemleak a scan must find nothing the cycles leaked.
#
# ioasidfd_vfio.ko and ioasidfd_test.ko depend on ioasidfd.ko: those loaded
# are unloaded first and loaded again at the end.  Every module is left as
# found: loaded or not, with the parameter values it had.
#
# Killed (the test bed's timeout sends SIGTERM), it still puts the modules
# back, so that the programs after it find them loaded.
#
# The suite runs fewer than 1000 cycles for time: a cycle costs 0.35-0.4 s
# on Debian's kernel under TCG and over 0.6 s on the debug kernel, where
# 1000 did not fit the 600 s budget.  IOASID_RELOAD_CYCLES=1000 runs them.
#
# Environment: IOASID_RELOAD_CYCLES (default 200 with kmemleak, else 300),
# IOASID_MODULES (the directory holding the .ko files, default /modules as
# in the test bed).

cycles=300
[ -e /sys/kernel/debug/kmemleak ] && cycles=200
cycles=${IOASID_RELOAD_CYCLES:-$cycles}
moddir=${IOASID_MODULES:-/modules}
npasids=32
here=$(cd "$(dirname "$0")" && pwd)
helper=$here/21_reload_cycle
core=ioasidfd
deps="ioasidfd_vfio ioasidfd_test"
counters=/sys/kernel/debug/ioasidfd/counters
max_failures=3

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
diag() { echo "$*" | sed 's/^/# /'; }

is_loaded() { grep -q "^$1 " /proc/modules; }

# "name=value ..." of a module's parameters, to load it again as it was
params_of() {
	for f in /sys/module/"$1"/parameters/*; do
		[ -r "$f" ] || continue
		printf '%s=%s ' "${f##*/}" "$(cat "$f")"
	done
}

# The .ko of a module: /modules/<name>.ko, with - or _
ko_of() {
	for f in "$moddir/$1.ko" "$moddir/$(echo "$1" | tr _ -).ko"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# Counter lines that are not 0, or a reason why they cannot be read
nonzero_counters() {
	[ -r "$counters" ] || { echo "$counters unreadable"; return; }
	awk '$2 != 0 { printf "%s=%s ", $1, $2 }' "$counters"
}

splats() {
	dmesg | grep -cE 'WARNING:|BUG:|Oops|general protection|counter .* leaked|refcount_t:'
}

echo "TAP version 13"

core_ko=$(ko_of $core)
if [ -z "$core_ko" ] || [ ! -x "$helper" ]; then
	echo "1..0 # SKIP needs $moddir/$core.ko and $helper (run in the test bed)"
	exit 4
fi
[ -d /sys/kernel/debug/ioasidfd ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# One result per block of 100 cycles
block=100
blocks=$(((cycles + block - 1) / block))
echo "1..$((blocks + 7))"

# --- the state to leave behind --------------------------------------------------
core_was=0 core_params='' loaded_deps=''
if is_loaded $core; then
	core_was=1
	core_params=$(params_of $core)
fi
for dep in $deps; do
	if is_loaded "$dep"; then
		loaded_deps="$loaded_deps $dep"
		eval "params_$dep=\"\$(params_of $dep)\""
	fi
done
diag "$core: loaded=$core_was $core_params; dependents loaded:${loaded_deps:- none}"
splats_before=$(splats)

# Load and unload as found, with the parameters found; sets $why.
put_back() {
	why=''
	if [ $core_was = 1 ] && ! is_loaded $core; then
		# shellcheck disable=SC2086
		out=$(insmod "$core_ko" $core_params 2>&1) || why="insmod $core: $out"
	fi
	if [ $core_was = 0 ] && is_loaded $core; then
		out=$(rmmod $core 2>&1) || why="rmmod $core: $out"
	fi
	for dep in $loaded_deps; do
		is_loaded "$dep" && continue
		if ko=$(ko_of "$dep"); then
			eval "dep_params=\$params_$dep"
			# shellcheck disable=SC2086
			out=$(insmod "$ko" $dep_params 2>&1) ||
				why="${why:+$why; }insmod $dep: $out"
		else
			why="${why:+$why; }no .ko for $dep in $moddir"
		fi
	done
	[ $core_was = 1 ] && [ "$(params_of $core)" != "$core_params" ] &&
		why="${why:+$why; }$core parameters now: $(params_of $core)"
	for dep in $loaded_deps; do
		eval "dep_params=\$params_$dep"
		[ "$(params_of "$dep")" != "$dep_params" ] &&
			why="${why:+$why; }$dep parameters now: $(params_of "$dep")"
	done
}
trap 'put_back; echo "# killed: modules put back${why:+ ($why)}"; exit 1' TERM INT

# --- unloading refused while something is open ---------------------------------
# hold KIND MODULE: with "21_reload_cycle --hold KIND" running, rmmod MODULE
# must fail and leave it loaded; after the holder exits, the counters drop
# to 0.  Sets $why.
hold() {
	why=''
	out=/tmp/.reload-hold.$$
	"$helper" --hold "$1" </dev/null >"$out" 2>&1 &
	hpid=$!
	t=0
	while ! grep -q ready "$out" 2>/dev/null && [ $t -lt 100 ]; do
		kill -0 $hpid 2>/dev/null || break
		sleep 0.1
		t=$((t + 1))
	done
	if ! grep -q ready "$out"; then
		why="the holder did not get ready: $(cat "$out")"
	elif rmmod "$2" 2>/dev/null; then
		why="rmmod $2 succeeded with a $1 open"
	elif ! is_loaded "$2"; then
		why="$2 is gone after a refused rmmod"
	elif [ -z "$(nonzero_counters)" ]; then
		why="the counters show nothing held"
	fi
	kill $hpid 2>/dev/null
	wait $hpid 2>/dev/null
	rm -f "$out"
	t=0
	while [ -n "$(nonzero_counters)" ] && [ $t -lt 100 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	left=$(nonzero_counters)
	[ -n "$why" ] || [ -z "$left" ] || why="counters not 0 once the holder is gone: $left"
}

if is_loaded ioasidfd_test && [ -c /dev/ioasid-test ]; then
	hold swdev ioasidfd_test
	if [ -z "$why" ]; then
		ok "rmmod ioasidfd_test refused while a device fd is open"
	else
		not_ok "rmmod ioasidfd_test refused while a device fd is open"
		diag "$why"
	fi
else
	ok "rmmod ioasidfd_test refused while a device fd is open # SKIP ioasidfd_test not loaded"
fi

# --- dependent modules out of the way -------------------------------------------
why=''
for dep in $loaded_deps; do
	out=$(rmmod "$dep" 2>&1) || why="${why:+$why; }rmmod $dep: $out"
done
if [ -n "$why" ]; then
	not_ok "unload the dependent modules before the cycles"
	diag "$why"
else
	ok "unload the dependent modules before the cycles:${loaded_deps:- none loaded}"
fi

for kind in ioasid faultq; do
	if [ -n "$loaded_deps" ] && is_loaded ioasidfd_vfio; then
		not_ok "rmmod $core refused while a $kind fd is open"
		diag "ioasidfd_vfio is still loaded"
		continue
	fi
	hold $kind $core
	if [ -z "$why" ]; then
		ok "rmmod $core refused while a $kind fd is open"
	else
		not_ok "rmmod $core refused while a $kind fd is open"
		diag "$why"
	fi
done

# --- the cycles -----------------------------------------------------------------
consecutive=0
i=1
block_failed=''
while [ $i -le "$cycles" ]; do
	why=''
	if [ $consecutive -ge $max_failures ]; then
		why="not run after $max_failures failed cycles in a row"
	fi
	if [ -z "$why" ] && ! is_loaded $core; then
		out=$(insmod "$core_ko" 2>&1) || why="insmod: $out"
	fi
	if [ -z "$why" ] && [ ! -c /dev/ioasid ]; then
		why="no /dev/ioasid after loading"
	fi
	if [ -z "$why" ]; then
		out=$("$helper" --cycle $npasids 2>&1) || why="use cycle failed: $out"
	fi
	# Whatever happened, every fd is closed now: all counters must be 0.
	if [ -z "$why" ]; then
		left=$(nonzero_counters)
		[ -z "$left" ] || why="counters not 0 before unload: $left"
	fi
	if [ $consecutive -lt $max_failures ] && is_loaded $core; then
		out=$(rmmod $core 2>&1) || why="${why:+$why; }rmmod: $out"
	fi
	if [ -z "$why" ] && { is_loaded $core || [ -e /dev/ioasid ]; }; then
		why="still loaded after rmmod"
	fi
	if [ -z "$why" ]; then
		consecutive=0
	else
		[ -n "$block_failed" ] || diag "cycle $i: $why"
		block_failed="$block_failed $i"
		consecutive=$((consecutive + 1))
	fi
	if [ $((i % block)) = 0 ] || [ $i = "$cycles" ]; then
		first=$(((i - 1) / block * block + 1))
		if [ -z "$block_failed" ]; then
			ok "cycles $first-$i: load, use, close, counters 0, unload"
		else
			not_ok "cycles $first-$i: load, use, close, counters 0, unload"
			diag "failed cycles:$block_failed"
		fi
		block_failed=''
	fi
	i=$((i + 1))
done

# --- kmemleak: what the cycles left ---------------------------------------------
km=/sys/kernel/debug/kmemleak
if [ -w "$km" ]; then
	echo scan >"$km"
	echo scan >"$km"
	# Leaks of the module or of the programs the cycles ran
	leaks=$(awk '/^unreferenced object/ { n++ } END { print n + 0 }' "$km")
	ours=$(awk '
		/^unreferenced object/ { if (blk ~ /ioasidfd|insmod|rmmod|21_reload_cycle/) n++; blk = "" }
		{ blk = blk "\n" $0 }
		END { if (blk ~ /ioasidfd|insmod|rmmod|21_reload_cycle/) n++; print n + 0 }' "$km")
	if [ "$ours" = 0 ]; then
		ok "kmemleak: nothing leaked by the cycles ($leaks suspected leaks in all)"
	else
		not_ok "kmemleak: nothing leaked by the cycles"
		diag "$ours suspected leaks of the module or the cycles:"
		grep -B1 -A14 '^unreferenced object' "$km" | head -n 60 | sed 's/^/# /'
	fi
else
	ok "kmemleak: nothing leaked by the cycles # SKIP no kmemleak in this kernel"
fi

# --- put things back ------------------------------------------------------------
put_back
if [ -z "$why" ]; then
	ok "modules left as found"
else
	not_ok "modules left as found"
	diag "$why"
fi

# --- the kernel log -------------------------------------------------------------
splats_after=$(splats)
if [ "$splats_after" = "$splats_before" ]; then
	ok "no kernel warning during the cycles"
else
	not_ok "no kernel warning during the cycles"
	diag "$((splats_after - splats_before)) new WARN/BUG lines in dmesg:"
	dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|counter .* leaked|refcount_t:' |
		tail -n $((splats_after - splats_before)) | sed 's/^/# /'
fi

[ $failed = 0 ]
