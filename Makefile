# SPDX-License-Identifier: GPL-2.0
#
# /dev/ioasid out-of-tree modules for Debian 12's Linux 6.1.
#
#   make                    build the modules for amd64 (build/amd64/)
#   make ARCH=arm64         cross-build for arm64 (build/arm64/)
#   make C=1 / make W=1     sparse / extra warnings, as in the kernel tree
#   make selftests          build the kselftest suite (static programs)
#   make tools              build the demo and the benchmarks (static)
#   make check              checkpatch --strict on the module sources
#   make demo               build, boot the VT-d guest, run a short demo
#   make test               the full suite in both guests (what CI runs)
#   make clean
#   make KERNEL=debug       the modules and selftests for the debug kernel of
#                           scripts/debug-kernel (build/<arch>-debug/), with
#                           UBSAN and KCOV instrumentation
#   make KERNEL=debug COVERAGE=1   the same with gcov profiling of the modules
#                           (build/cov/<arch>-debug/, see scripts/coverage)
#
# KDIR selects the kernel build tree; by default the Debian headers fetched
# into the cache by scripts/kernel-cache.

ARCH ?= x86_64
ifeq ($(ARCH),arm64)
DEB_ARCH := arm64
CROSS_COMPILE ?= aarch64-linux-gnu-
else ifeq ($(ARCH),x86_64)
DEB_ARCH := amd64
else ifeq ($(ARCH),x86)
DEB_ARCH := amd64
else
$(error unsupported ARCH=$(ARCH): use x86_64 or arm64)
endif

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# KERNEL=debug builds against the O= tree of scripts/debug-kernel (Debian's
# source with lockdep and KASAN), into a tree of its own so that its objects
# never mix with those of the Debian build.
KERNEL ?= debian
ifeq ($(KERNEL),debian)
BUILD := $(TOP)/build/$(DEB_ARCH)
KDIR ?= $(shell $(TOP)/scripts/kernel-cache --print-kdir $(DEB_ARCH))
else ifeq ($(KERNEL),debug)
ifeq ($(COVERAGE),1)
BUILD := $(TOP)/build/cov/$(DEB_ARCH)-debug
else
BUILD := $(TOP)/build/$(DEB_ARCH)-debug
endif
KDIR ?= $(shell $(TOP)/scripts/debug-kernel --print-kdir $(DEB_ARCH))
# The debug kernel sanitizes and traces only what asks for it: the modules.
KBUILD_EXTRA := UBSAN_SANITIZE=y KCOV_INSTRUMENT=y $(if $(filter 1,$(COVERAGE)),GCOV_PROFILE=y)
else
$(error unsupported KERNEL=$(KERNEL): use debian or debug)
endif

# Sources mirrored (as symlinks) into the per-arch build tree, because kbuild
# in 6.1 writes objects next to the sources of an external module.
MIRROR := Kbuild drivers include

KBUILD_ARGS := -C $(KDIR) M=$(BUILD) ARCH=$(ARCH) \
	$(if $(CROSS_COMPILE),CROSS_COMPILE=$(CROSS_COMPILE)) $(KBUILD_EXTRA)

.PHONY: all modules prepare kcache selftests tools check demo test clean

all: modules

kcache:
	@[ -d "$(KDIR)" ] || $(TOP)/scripts/kernel-cache
ifeq ($(KERNEL),debug)
	@# Building the debug kernel takes long: never start it implicitly.
	@[ -f "$(KDIR)/Module.symvers" ] || { echo "no debug kernel in $(KDIR):" \
		"run scripts/debug-kernel --arch $(DEB_ARCH) first" >&2; exit 1; }
endif

prepare: kcache
	@mkdir -p $(BUILD)
	@for d in $(MIRROR); do \
		find $(TOP)/$$d \( -name '*.[ch]' -o -name Kbuild -o -name '*.sh' \) -print | \
		while read -r f; do \
			rel=$${f#$(TOP)/}; dst=$(BUILD)/$$rel; \
			[ -L "$$dst" ] || { mkdir -p "$$(dirname "$$dst")"; ln -sf "$$f" "$$dst"; }; \
		done; \
	done
	@find $(BUILD) -xtype l -delete

modules: prepare
	$(MAKE) $(KBUILD_ARGS) modules

selftests: kcache
	$(MAKE) -C tools/testing/selftests/ioasid ARCH=$(ARCH) OUTPUT=$(BUILD)/tests \
		KSFT_DIR=$(shell $(TOP)/scripts/kernel-cache --print-src)/tools/testing/selftests

tools:
	$(MAKE) -C tools/ioasid-demo ARCH=$(ARCH)
	$(MAKE) -C tools/ioasid-bench ARCH=$(ARCH)
	$(MAKE) -C tools/ioasid-fuzz ARCH=$(ARCH)

check: kcache
	$(TOP)/scripts/checkpatch

demo:
	$(TOP)/scripts/demo

test:
	$(TOP)/scripts/vm test

clean:
	rm -rf $(TOP)/build
