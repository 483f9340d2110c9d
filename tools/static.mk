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

# The shared userspace library (tools/lib/ioasid: raw /dev/ioasid calls, the
# kernel-log watcher, the edu VFIO driver) and what is generated for it:
# kmsg_patterns.h, the test bed's kernel-log problem patterns
# (scripts/lib/kmsg-problems) as C strings.
# (The includer's first rule, "all", stays the default goal.)
.DEFAULT_GOAL := all
IOASID_LIB := $(TOP)/tools/lib/ioasid
GEN := $(TOP)/build/$(DEB_ARCH)/gen
KMSG_PATTERNS := $(GEN)/kmsg_patterns.h
IOASID_LIB_HDRS := $(wildcard $(IOASID_LIB)/*.h) $(KMSG_PATTERNS) \
		   $(TOP)/include/uapi/linux/ioasidfd.h
CFLAGS += -I$(TOP)/include/uapi -I$(IOASID_LIB) -I$(GEN)

$(KMSG_PATTERNS): $(TOP)/scripts/lib/kmsg-problems
	@mkdir -p $(GEN)
	@{ echo '/* Generated from scripts/lib/kmsg-problems: do not edit. */'; \
	  grep -v -e '^#' -e '^$$' $< | sed -e 's/^@trace //' \
		-e 's/\\/\\\\/g' -e 's/"/\\"/g' \
		-e 's/^/\t"/' -e 's/$$/",/'; } >$@.tmp
	@mv $@.tmp $@
