# SPDX-License-Identifier: GPL-2.0
#
# Included by the Makefiles of the static guest programs (tools/ioasid-demo,
# tools/ioasid-bench, the selftests) after they set TOP: the compiler for
# ARCH (x86_64 or arm64, the kernel's names) and DEB_ARCH, the name of the
# build/<arch>/ tree (amd64 or arm64).

ARCH ?= x86_64
ifeq ($(ARCH),arm64)
CC := aarch64-linux-gnu-gcc
DEB_ARCH := arm64
else ifeq ($(ARCH),x86_64)
CC := gcc
DEB_ARCH := amd64
else
$(error unsupported ARCH=$(ARCH): use x86_64 or arm64)
endif
LDFLAGS += -static
