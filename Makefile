# SPDX-License-Identifier: GPL-2.0
#
# tokenfactory: one Makefile for the module (through Kbuild), the BPF sensor,
# the agent, tfctl and the tests. `make help` lists the targets.

# ---- the kernel the module is built for --------------------------------------
# VM_KERNEL selects the Debian flavour for the VM tests: empty (generic) or rt.
VM_KERNEL ?=
KFLAVOUR := $(if $(filter rt,$(VM_KERNEL)),rt-amd64,amd64)
# The running kernel's build dir, else the newest installed Debian headers.
KDIR ?= $(or $(if $(VM_KERNEL),,$(wildcard /lib/modules/$(shell uname -r)/build)),\
	$(shell ls -d /usr/src/linux-headers-*-$(KFLAVOUR) 2>/dev/null | \
		grep -v -- '-cloud-amd64$$' | \
		$(if $(VM_KERNEL),cat,grep -v -- '-rt-amd64$$') | sort -V | tail -n 1))
KVER = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

# ---- userspace ---------------------------------------------------------------
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
CFLAGS ?= -O2 -g
PKGS := libnl-genl-3.0 libnl-3.0 json-c libbpf
TF_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Iinclude/uapi -Ibuild/bpf $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
NL_LIBS = $(shell pkg-config --libs libnl-genl-3.0 libnl-3.0 2>/dev/null)
JSON_LIBS = $(shell pkg-config --libs json-c 2>/dev/null)
BPF_LIBS = $(shell pkg-config --libs libbpf 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror -Ibpf

B := build

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
MAKEFLAGS += --no-print-directory
endif

AGENT_COMMON := $(B)/agent/tf_nl.o
TFCTL_OBJS := $(B)/agent/tfctl.o $(B)/agent/print.o $(B)/agent/units.o $(AGENT_COMMON)
TFD_OBJS := $(B)/agent/tokenfactoryd.o $(B)/agent/log.o $(B)/agent/agent.o $(B)/agent/account.o \
	$(B)/agent/attrib.o $(B)/agent/sensor.o $(B)/agent/units.o $(B)/agent/nvml.o \
	$(AGENT_COMMON)
BPF_SKELS := $(B)/bpf/sensor.skel.h

UNIT_TESTS := $(B)/tests/unit/test_energy $(B)/tests/unit/test_print \
	$(B)/tests/unit/test_units $(B)/tests/unit/test_attrib \
	$(B)/tests/unit/test_account $(B)/tests/unit/test_nvml \
	$(B)/tests/unit/test_policy $(B)/tests/unit/test_trace
BPF_TESTS := $(B)/tests/bpf/test_sensor
VM_TOOLS := $(B)/tests/vm/tf-nlraw $(B)/tests/bench/tf-nlbench $(B)/tests/vm/tf-spin \
	$(B)/tests/vm/tf-sensor-check
BENCH_TOOLS := $(B)/tests/bench/tf-sensor-bench
# The NVML test double (a library named as the driver's, in a directory of
# its own) and the read-only check for hosts with NVIDIA GPUs.
NVML_DOUBLE := $(B)/tests/nvml-double/libnvidia-ml.so.1
GPU_TOOLS := $(B)/tests/gpu/tf-nvml-check
TEST_BINS := $(UNIT_TESTS) $(BPF_TESTS) $(VM_TOOLS) $(BENCH_TOOLS) $(NVML_DOUBLE) \
	$(GPU_TOOLS)

.PHONY: all module userspace tests deps check check-unit check-bpf check-vm check-gpu \
	style sparse clean help demo bench-netlink bench-sensor check-pkg deb
.DEFAULT_GOAL := all

all: module userspace tests

help:
	@echo 'make            module, BPF sensor, tokenfactoryd, tfctl, tests'
	@echo 'make deps       install build and test dependencies (apt-get)'
	@echo 'make check      all tests: unit, BPF, VM; ends with "N passed, N failed"'
	@echo 'make check-unit | check-bpf | check-vm [T=name] [VM_KERNEL=rt]'
	@echo 'make check-gpu  read-only NVML checks on this host'"'"'s NVIDIA GPUs'
	@echo 'make check-pkg  DKMS, Debian packages, Ansible, kernel matrix (docs/rollout.md)'
	@echo 'make deb        the Debian packages tokenfactory, tokenfactory-dkms into build/deb'
	@echo 'make bench-netlink | bench-sensor   benchmarks (docs/benchmarks.md)'
	@echo 'make style      checkpatch.pl --strict over kmod/ and include/'
	@echo 'make sparse     the module built with sparse (C=1)'
	@echo 'KDIR=...        kernel build dir (now: $(KDIR))'

# ---- module ------------------------------------------------------------------
module:
	@test -d "$(KDIR)" || { echo 'no kernel headers: run make deps' >&2; exit 1; }
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# ---- BPF ---------------------------------------------------------------------
$(B)/bpf/%.bpf.o: bpf/%.bpf.c bpf/%.h bpf/vmlinux.h
	@mkdir -p $(@D)
	$(call msg,BPF,$@)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/bpf/%.skel.h: $(B)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

# ---- agent and tfctl ---------------------------------------------------------
userspace: $(B)/tfctl $(B)/tokenfactoryd $(B)/tf-caiso

$(B)/tf-caiso: $(B)/agent/tf-caiso.o $(B)/agent/trace.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^

$(B)/agent/%.o: agent/%.c $(wildcard agent/*.h) include/uapi/linux/tokenfactory.h $(BPF_SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(TF_CFLAGS) $(CFLAGS) -c $< -o $@

$(B)/tfctl: $(TFCTL_OBJS)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS) $(JSON_LIBS)

$(B)/tokenfactoryd: $(TFD_OBJS)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS) $(BPF_LIBS) -ldl -pthread

# ---- tests -------------------------------------------------------------------
# The module's pure logic is compiled for userspace from the same files, with
# tests/unit/kshim standing in for the few kernel headers it includes.
# -iquote: kmod/signal.h must not shadow <signal.h>
KSHIM_CFLAGS := -Itests/unit/kshim -iquote kmod

tests: $(TEST_BINS)

$(B)/tests/unit/kmod_%.o: kmod/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(TF_CFLAGS) $(KSHIM_CFLAGS) $(CFLAGS) -c $< -o $@

$(B)/tests/%.o: tests/%.c $(wildcard agent/*.h kmod/*.h tests/unit/kshim/*/*.h tests/*.h) $(BPF_SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(TF_CFLAGS) $(KSHIM_CFLAGS) -Iagent -Itests $(CFLAGS) -c $< -o $@

# The sensor's tools and tests need no kernel shim (and kmod/signal.h would
# shadow <signal.h>).
SENSOR_TEST_OBJS := $(B)/tests/bpf/test_sensor.o $(B)/tests/vm/sensor_check.o \
	$(B)/tests/bench/sensor_bench.o
$(SENSOR_TEST_OBJS): $(B)/tests/%.o: tests/%.c $(wildcard agent/*.h bpf/*.h tests/*.h tests/bpf/*.h) $(BPF_SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(TF_CFLAGS) -Iagent -Itests $(CFLAGS) -c $< -o $@

$(B)/tests/unit/test_energy: $(B)/tests/unit/test_energy.o $(B)/tests/unit/kmod_energy.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS)

$(B)/tests/unit/test_print: $(B)/tests/unit/test_print.o $(B)/agent/print.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(JSON_LIBS) $(CMOCKA_LIBS)

$(B)/tests/unit/test_units: $(B)/tests/unit/test_units.o $(B)/agent/units.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS)

$(B)/tests/unit/test_attrib: $(B)/tests/unit/test_attrib.o $(B)/agent/attrib.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS)

$(B)/tests/unit/test_account: $(B)/tests/unit/test_account.o $(B)/agent/account.o $(B)/agent/attrib.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS)

$(B)/tests/unit/test_policy: $(B)/tests/unit/test_policy.o $(B)/agent/policy.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS)

$(B)/tests/unit/test_trace: $(B)/tests/unit/test_trace.o $(B)/agent/trace.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS)

# agent/nvml.c dlopens libnvidia-ml.so.1: nothing NVIDIA at build time.
$(B)/tests/unit/test_nvml: $(B)/tests/unit/test_nvml.o $(B)/agent/nvml.o | $(NVML_DOUBLE)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ -ldl -lm $(CMOCKA_LIBS)

$(NVML_DOUBLE): tests/nvml-double/nvml-double.c agent/nvml_api.h
	@mkdir -p $(@D)
	$(call msg,CC-SO,$@)$(CC) $(TF_CFLAGS) -Iagent $(CFLAGS) -fPIC -shared \
		-fvisibility=hidden -Wl,-soname,libnvidia-ml.so.1 -o $@ $< -lm -pthread

# The NVML pieces need libc and nothing else (no skeleton, no pkg-config),
# so a GPU host without clang or libbpf builds the check (make check-gpu).
NVML_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iagent

$(B)/agent/nvml.o: agent/nvml.c agent/nvml.h agent/nvml_api.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(NVML_CFLAGS) $(CFLAGS) -c $< -o $@

$(B)/tests/gpu/nvml-check.o: tests/gpu/nvml-check.c agent/nvml.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(NVML_CFLAGS) $(CFLAGS) -c $< -o $@

$(B)/tests/gpu/tf-nvml-check: $(B)/tests/gpu/nvml-check.o $(B)/agent/nvml.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ -ldl

$(B)/tests/vm/tf-nlraw: $(B)/tests/vm/nlraw.o $(AGENT_COMMON)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS)

$(B)/tests/vm/tf-spin: $(B)/tests/vm/spin.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^

$(B)/tests/vm/tf-sensor-check: $(B)/tests/vm/sensor_check.o $(B)/agent/sensor.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(BPF_LIBS)

$(B)/tests/bench/tf-sensor-bench: $(B)/tests/bench/sensor_bench.o $(B)/agent/sensor.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(BPF_LIBS)

$(B)/tests/bench/tf-nlbench: $(B)/tests/bench/nlbench.o $(AGENT_COMMON)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS)

$(B)/tests/bpf/test_sensor: $(B)/tests/bpf/test_sensor.o $(B)/agent/sensor.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(BPF_LIBS) $(CMOCKA_LIBS)

# Each layer prints PASS:/FAIL: lines; tests/run.sh tallies them and prints
# the verdict. T=name runs the tests whose name contains it.
check: all
	$(Q)tests/run.sh unit bpf vm

check-unit: tests
	$(Q)tests/run.sh unit

check-bpf: tests
	$(Q)tests/run.sh bpf

check-vm: module userspace $(VM_TOOLS) $(NVML_DOUBLE)
	$(Q)tests/run.sh vm

# Packaging and rollout (docs/rollout.md): DKMS add/build/install and the
# VM booting that module, the Debian packages, the Ansible role, the site
# publisher, the kernel matrix. About 4 minutes: not part of make check.
check-pkg: module userspace $(VM_TOOLS) $(NVML_DOUBLE)
	$(Q)tests/run.sh pkg

# tokenfactory and tokenfactory-dkms into build/deb (packaging/build-deb.sh)
deb:
	$(Q)packaging/build-deb.sh $(B)/deb

# Needs a host with NVIDIA GPUs and their driver; builds with cc alone.
check-gpu: $(GPU_TOOLS)
	$(Q)tests/run.sh gpu

export T KDIR VM_KERNEL

# Benchmarks run in the VM (tests/vm/bench/), one boot, figures as ratios
# against a baseline measured in the same run (docs/benchmarks.md).
bench-netlink: module userspace $(VM_TOOLS)
	$(Q)TF_VM_SUITE=bench T=netlink tests/vm/run.sh

# The sensor on this machine's own kernel (root; perf and bpftrace from make
# deps): ns per sched_switch from the kernel's BPF stats, and context-switch
# throughput with and without it, beside bpftrace (docs/benchmarks.md).
# BENCH_ARGS: tf-sensor-bench's options (-r repetitions, -l loops, -c cpu).
bench-sensor: $(BENCH_TOOLS)
	$(Q)tests/bench/sensor.sh $(BENCH_ARGS)

# Until the CAISO day exists (make demo issue), the main job shows the thin
# real slice: the module in Debian's kernel, and tfctl status.
demo: module userspace $(VM_TOOLS)
	@echo '  DEMO     tokenfactory.ko in a VM and tfctl status (the CAISO day is not built yet)'
	$(Q)T=status tests/run.sh vm

# ---- kernel style and static analysis ------------------------------------------
CHECKPATCH_DIR := /var/cache/tokenfactory/checkpatch
style:
	$(Q)tests/fetch-checkpatch.sh $(CHECKPATCH_DIR)
	$(Q)$(CHECKPATCH_DIR)/checkpatch.pl --strict --no-tree --quiet --show-types \
		--ignore FILE_PATH_CHANGES \
		-f kmod/*.c kmod/*.h include/uapi/linux/tokenfactory.h && echo '  STYLE    clean'

sparse:
	@mkdir -p $(B)
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CF='-D__CHECK_ENDIAN__' modules 2>&1 | \
		tee $(B)/sparse.log | grep -v '^  ' ; \
	! grep -E 'warning|error' $(B)/sparse.log && echo '  SPARSE   clean'

# skeletons and BPF objects are inputs of several targets: keep them
.SECONDARY:

# ---- dependencies --------------------------------------------------------------
deps:
	$(Q)tests/deps.sh

clean:
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null 2>&1 || true
	$(Q)rm -rf $(B)

# ---- install -------------------------------------------------------------------
# The userspace programs, tfctl's man page and bash completion (the module is
# installed by kbuild: make -C $(KDIR) M=$(CURDIR) modules_install).
# make install [DESTDIR=/staging] [PREFIX=/usr]
PREFIX ?= /usr
.PHONY: install
install: userspace
	@printf '  %-8s %s\n' INSTALL '$(DESTDIR)$(PREFIX)'
	$(Q)install -D -m 0755 $(B)/tfctl $(DESTDIR)$(PREFIX)/sbin/tfctl
	$(Q)install -D -m 0755 $(B)/tokenfactoryd $(DESTDIR)$(PREFIX)/sbin/tokenfactoryd
	$(Q)install -D -m 0644 agent/tfctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/tfctl.8
	$(Q)install -D -m 0644 agent/tfctl.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tfctl
