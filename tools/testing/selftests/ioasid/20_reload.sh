#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ioasidfd.ko load/unload leak test (busybox sh), TAP output.
#
# 100 cycles of: load ioasidfd.ko (the first cycle uses the instance the
# test bed loaded, with whatever the earlier tests left in it), run one
# ALLOC/MAP/DESTROY/close cycle with 21_reload_cycle (which also ALLOCs
# every PASID of [1, N]: a PASID leaked by an earlier instance shows up
# there, and on x86 such a leak would persist in the kernel's PASID
# allocator), check that every debugfs counter reads 0 with all fds
# closed, and unload.  Then the kernel log must hold no WARN/BUG (the
# module WARNs at exit about any counter left non-zero).
#
# ioasidfd_vfio.ko and ioasidfd_test.ko depend on ioasidfd.ko: those loaded
# are unloaded first and loaded again at the end.  Every module is left as
# found: loaded or not, with the parameter values it had.
#
# Environment: IOASID_RELOAD_CYCLES (default 100), IOASID_MODULES (the
# directory holding the .ko files, default /modules as in the test bed).

cycles=${IOASID_RELOAD_CYCLES:-100}
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

echo "1..$((cycles + 3))"

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

# --- the cycles -----------------------------------------------------------------
consecutive=0
i=1
while [ $i -le "$cycles" ]; do
	why=''
	if [ $consecutive -ge $max_failures ]; then
		not_ok "cycle $i: not run after $max_failures failed cycles in a row"
		i=$((i + 1))
		continue
	fi
	if ! is_loaded $core; then
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
	if is_loaded $core; then
		out=$(rmmod $core 2>&1) || why="${why:+$why; }rmmod: $out"
	fi
	if [ -z "$why" ] && { is_loaded $core || [ -e /dev/ioasid ]; }; then
		why="still loaded after rmmod"
	fi
	if [ -z "$why" ]; then
		ok "cycle $i: load, use, close, counters 0, unload"
		consecutive=0
	else
		not_ok "cycle $i"
		diag "$why"
		consecutive=$((consecutive + 1))
	fi
	i=$((i + 1))
done

# --- put things back ------------------------------------------------------------
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
