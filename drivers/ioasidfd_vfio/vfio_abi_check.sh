#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vfio_abi_check.sh GENKSYMS_OUTPUT MODULE_SYMVERS
#
# Fails unless every "#SYMVER <symbol> <crc>" line genksyms printed for
# vfio_abi.c names a symbol the kernel's Module.symvers records with the same
# CRC, and unless there is at least one such line.  See vfio_internal.h.

out=$1
symvers=$2

if [ ! -s "$symvers" ]; then
	echo "vfio_abi_check: $symvers is missing: cannot check vfio_internal.h" >&2
	exit 1
fi

n=0
bad=0
while read -r tag sym crc; do
	[ "$tag" = "#SYMVER" ] || continue
	n=$((n + 1))
	want=$(awk -v s="$sym" '$2 == s { print $1; exit }' "$symvers")
	if [ -z "$want" ]; then
		echo "vfio_abi_check: $sym is not in $symvers (is CONFIG_VFIO set?)" >&2
		bad=1
	elif [ $((want)) -ne $((crc)) ]; then
		echo "vfio_abi_check: $sym: CRC $crc with vfio_internal.h," \
			"$want in $symvers" >&2
		echo "vfio_abi_check: vfio_internal.h does not restate" \
			"this kernel's drivers/vfio/vfio.h" >&2
		bad=1
	fi
done <"$out"

if [ "$n" = 0 ]; then
	echo "vfio_abi_check: genksyms computed no CRC (is CONFIG_MODVERSIONS set?)" >&2
	exit 1
fi
exit "$bad"
