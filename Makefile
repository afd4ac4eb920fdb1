# SPDX-License-Identifier: GPL-2.0
#
# xfs_wt: build for the running kernel (make, make dkms-install), or for the
# whole test matrix in QEMU guests (make check).

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
KERNELS ?= 6.1 6.12 7.2
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)

.PHONY: all module clean install dkms-install dkms-uninstall provision \
	matrix checkpatch tests check guest-check demo stress fsx-long bench \
	debug-kernel

all: module

# --- a real machine ---------------------------------------------------------
module:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module modules

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/module clean
	rm -rf build tests/bin

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR)/module modules_install
	depmod -a $(KVER)

dkms-install:
	scripts/dkms-install $(KVER)

dkms-uninstall:
	dkms remove -m xfs_wt -v $(VERSION) --all

# --- the test matrix --------------------------------------------------------
provision:
	scripts/provision --kernels "$(KERNELS)"

# Build with W=1 and warnings as errors against each kernel's own headers.
matrix: provision
	scripts/build-matrix $(KERNELS)

checkpatch: provision
	scripts/run-checkpatch

tests: provision
	scripts/in-root $(MAKE) -C tests

check: provision
	scripts/check $(KERNELS)

guest-check:
	scripts/check --no-build $(KERNELS)

demo:
	scripts/demo

# The debug kernel (6.12 with KASAN and lockdep), built once and cached; then
# make check KERNELS=6.12-debug, make stress KERNELS=6.12-debug.
debug-kernel:
	scripts/provision --kernels 6.12
	scripts/debug-kernel

fsx-long: provision
	scripts/build-matrix $(KERNELS)
	scripts/in-root $(MAKE) -C tests
	KERNELS="$(KERNELS)" scripts/fsx-long

# The long runs: each has its own script, which says what it runs.
stress: provision
	scripts/build-matrix $(KERNELS)
	scripts/in-root $(MAKE) -C tests
	KERNELS="$(KERNELS)" scripts/stress

bench: provision
	scripts/build-matrix $(KERNELS)
	scripts/in-root $(MAKE) -C tests
	KERNELS="$(KERNELS)" scripts/bench
