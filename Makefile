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
# the signal sources: MQTT, HTTP, JSON
SRC_LIBS = $(shell pkg-config --libs libmosquitto libcurl json-c 2>/dev/null) -lm -pthread
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
INIH_LIBS = $(shell pkg-config --libs inih 2>/dev/null)
CURL_LIBS = $(shell pkg-config --libs libcurl 2>/dev/null)
MHD_LIBS = $(shell pkg-config --libs libmicrohttpd 2>/dev/null)
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

AGENT_COMMON := $(B)/agent/tf_nl.o $(B)/agent/nl_ledger.o
TFCTL_OBJS := $(B)/agent/tfctl.o $(B)/agent/print.o $(B)/agent/units.o $(AGENT_COMMON)
TFD_OBJS := $(B)/agent/tokenfactoryd.o $(B)/agent/log.o $(B)/agent/agent.o $(B)/agent/account.o \
	$(B)/agent/attrib.o $(B)/agent/sensor.o $(B)/agent/units.o $(B)/agent/nvml.o \
	$(B)/agent/drm.o $(B)/agent/config.o $(B)/agent/control.o $(B)/agent/policy.o \
	$(B)/agent/lever.o $(B)/agent/actuate.o $(B)/agent/promtext.o \
	$(B)/agent/tokens.o $(B)/agent/metrics.o $(B)/agent/sigparse.o \
	$(B)/agent/source.o $(B)/agent/trace.o $(B)/agent/localday.o \
	$(B)/agent/privs.o $(B)/agent/notify.o $(AGENT_COMMON)
BPF_SKELS := $(B)/bpf/sensor.skel.h

UNIT_TESTS := $(B)/tests/unit/test_energy $(B)/tests/unit/test_print \
	$(B)/tests/unit/test_units $(B)/tests/unit/test_attrib \
	$(B)/tests/unit/test_account $(B)/tests/unit/test_nvml \
	$(B)/tests/unit/test_policy $(B)/tests/unit/test_trace \
	$(B)/tests/unit/test_drm $(B)/tests/unit/test_config \
	$(B)/tests/unit/test_lever $(B)/tests/unit/test_actuate \
	$(B)/tests/unit/test_promtext $(B)/tests/unit/test_tokens \
	$(B)/tests/unit/test_metrics $(B)/tests/unit/tf-metrics-demo \
	$(B)/tests/unit/test_eval $(B)/tests/unit/test_demo_worker \
	$(B)/tests/unit/test_demo_loadgen $(B)/tests/unit/test_demo_report \
	$(B)/tests/unit/test_sigparse $(B)/tests/unit/test_sources \
	$(B)/tests/unit/test_privs $(B)/tests/unit/test_oom \
	$(B)/tests/unit/test_sensor_msg $(B)/tests/unit/test_notify \
	$(B)/tests/unit/test_nl_ledger $(B)/tests/unit/test_oom_actuate \
	$(B)/tests/unit/test_oom_source $(B)/tests/unit/test_oom_control
BPF_TESTS := $(B)/tests/bpf/test_sensor $(B)/tests/bpf/test_oom_agent $(B)/tests/bpf/test_agent
VM_TOOLS := $(B)/tests/vm/tf-nlraw $(B)/tests/bench/tf-nlbench $(B)/tests/vm/tf-spin \
	$(B)/tests/vm/tf-sensor-check $(B)/tests/vm/tf-latency $(B)/tests/vm/tf-nlfuzz \
	$(B)/tests/bench/tf-agent-bench
BENCH_TOOLS := $(B)/tests/bench/tf-sensor-bench $(B)/tests/bench/tf-agent-bench \
	$(B)/tests/bench/tokenfactoryd-nldouble
# The NVML test double (a library named as the driver's, in a directory of
# its own) and the read-only check for hosts with NVIDIA GPUs.
NVML_DOUBLE := $(B)/tests/nvml-double/libnvidia-ml.so.1
GPU_TOOLS := $(B)/tests/gpu/tf-nvml-check
# The demo's inference worker, load generator and report (tests/demo/).
DEMO_TOOLS := $(B)/tests/demo/tf-worker $(B)/tests/demo/tf-loadgen $(B)/tests/demo/tf-report
# The parser fuzzers (libFuzzer, tests/fuzz/): make fuzz-parsers, make check.
FUZZ_TARGETS := sigjson sighttp sigcsv config promtext promsel drm series caiso
FUZZ_BINS := $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
TEST_BINS := $(UNIT_TESTS) $(BPF_TESTS) $(VM_TOOLS) $(BENCH_TOOLS) $(NVML_DOUBLE) \
	$(GPU_TOOLS) $(DEMO_TOOLS)

.PHONY: all module userspace tests deps check check-unit check-bpf check-vm check-gpu \
	style sparse clean help demo bench-netlink bench-sensor fuzz-netlink check-debug \
	check-pkg deb bench-agent fuzz-parsers check-fuzz
.DEFAULT_GOAL := all

all: module userspace tests

help:
	@echo 'make            module, BPF sensor, tokenfactoryd, tfctl, tests'
	@echo 'make deps       install build and test dependencies (apt-get)'
	@echo 'make check      all tests: unit, BPF, fuzz, VM; ends with "N passed, N failed"'
	@echo 'make check-unit | check-bpf | check-fuzz | check-vm [T=name] [VM_KERNEL=rt]'
	@echo 'make check-gpu  read-only NVML checks on this host'"'"'s NVIDIA GPUs'
	@echo 'make check-pkg  DKMS, Debian packages, Ansible, kernel matrix (docs/rollout.md)'
	@echo 'make deb        the Debian packages tokenfactory, tokenfactory-dkms into build/deb'
	@echo 'make bench-netlink | bench-sensor | bench-agent   benchmarks (docs/benchmarks.md)'
	@echo 'make eval [TRACE=f] [DAYS=FROM..TO] [JSON=1]   policies on the CAISO trace (docs/eval.md)'

	@echo 'make fuzz-parsers [FUZZ_SECONDS=20] [T=name]   libFuzzer on the agent'"'"'s parsers'
	@echo 'make fuzz-netlink [N=100000] [DEBUG_KERNEL=1]   the VM netlink fuzzer, long'
	@echo 'make check-debug [T=name]   the VM suite on a KASAN/UBSAN/lockdep/kmemleak kernel'
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
userspace: $(B)/tfctl $(B)/tokenfactoryd $(B)/tf-caiso $(B)/tf-eval

$(B)/tf-eval: $(B)/agent/tf-eval.o $(B)/agent/eval.o $(B)/agent/policy.o $(B)/agent/trace.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ -lm

$(B)/tf-caiso: $(B)/agent/tf-caiso.o $(B)/agent/trace.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^

$(B)/agent/%.o: agent/%.c $(wildcard agent/*.h) include/uapi/linux/tokenfactory.h $(BPF_SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(TF_CFLAGS) $(CFLAGS) -c $< -o $@

$(B)/tfctl: $(TFCTL_OBJS)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS) $(JSON_LIBS)

$(B)/tokenfactoryd: $(TFD_OBJS)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS) $(BPF_LIBS) $(INIH_LIBS) \
	-ldl -pthread $(CURL_LIBS) $(MHD_LIBS) -lm $(SRC_LIBS) -lcap

# ---- tests -------------------------------------------------------------------
# The module's pure logic is compiled for userspace from the same files, with
# tests/unit/kshim standing in for the few kernel headers it includes.
# -iquote: kmod/signal.h must not shadow <signal.h>
KSHIM_CFLAGS := -Itests/unit/kshim -iquote kmod

tests: $(TEST_BINS)

$(B)/tests/unit/kmod_%.o: kmod/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(TF_CFLAGS) $(KSHIM_CFLAGS) $(CFLAGS) -c $< -o $@

$(B)/tests/%.o: tests/%.c $(wildcard agent/*.h kmod/*.h tests/unit/kshim/*/*.h tests/*.h tests/unit/*.h) $(BPF_SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(TF_CFLAGS) $(KSHIM_CFLAGS) -Iagent -Itests $(CFLAGS) -c $< -o $@

# The sensor's tools and tests need no kernel shim (and kmod/signal.h would
# shadow <signal.h>).
SENSOR_TEST_OBJS := $(B)/tests/bpf/test_sensor.o $(B)/tests/vm/sensor_check.o \
	$(B)/tests/bench/sensor_bench.o $(B)/tests/bpf/test_oom_agent.o \
	$(B)/tests/bpf/test_agent.o
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

$(B)/tests/unit/test_policy: $(B)/tests/unit/test_policy.o $(B)/agent/policy.o \
		$(B)/agent/localday.o $(B)/agent/trace.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ -lm $(CMOCKA_LIBS)

$(B)/tests/unit/test_eval: $(B)/tests/unit/test_eval.o $(B)/agent/eval.o $(B)/agent/policy.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ -lm $(CMOCKA_LIBS)

$(B)/tests/unit/test_drm: $(B)/tests/unit/test_drm.o $(B)/agent/drm.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS)

$(B)/tests/unit/test_trace: $(B)/tests/unit/test_trace.o $(B)/agent/trace.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS)

# test_config loads packaging/tokenfactoryd.conf from the source tree.
$(B)/tests/unit/test_config.o: TF_CFLAGS += -DTF_SRCDIR='"$(CURDIR)"'
$(B)/tests/unit/test_config: $(B)/tests/unit/test_config.o $(B)/agent/config.o $(B)/agent/units.o \
		$(B)/agent/policy.o $(B)/agent/localday.o $(B)/agent/trace.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(INIH_LIBS) -lm $(CMOCKA_LIBS)

$(B)/tests/unit/test_promtext: $(B)/tests/unit/test_promtext.o $(B)/agent/promtext.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ -lm $(CMOCKA_LIBS)

$(B)/tests/unit/test_tokens: $(B)/tests/unit/test_tokens.o $(B)/agent/tokens.o \
		$(B)/agent/promtext.o $(B)/agent/account.o $(B)/agent/attrib.o $(B)/agent/log.o \
		$(B)/agent/metrics.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(CURL_LIBS) $(MHD_LIBS) -lm -pthread $(CMOCKA_LIBS)

$(B)/tests/unit/test_metrics: $(B)/tests/unit/test_metrics.o $(B)/agent/metrics.o \
		$(B)/agent/promtext.o $(B)/agent/log.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(MHD_LIBS) $(CURL_LIBS) -lm -pthread $(CMOCKA_LIBS)

# served to a real Prometheus by tests/unit/test_metrics_scrape.sh
$(B)/tests/unit/tf-metrics-demo: $(B)/tests/unit/metrics_demo.o $(B)/agent/metrics.o $(B)/agent/log.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(MHD_LIBS) -lm -pthread

$(B)/tests/unit/test_sigparse: $(B)/tests/unit/test_sigparse.o $(B)/agent/sigparse.o \
		$(B)/agent/trace.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(JSON_LIBS) -lm $(CMOCKA_LIBS)

# runs a real mosquitto broker and a local HTTP server (tests/deps.sh)
$(B)/tests/unit/test_sources: $(B)/tests/unit/test_sources.o $(B)/agent/source.o \
		$(B)/agent/sigparse.o $(B)/agent/trace.o $(B)/agent/log.o $(AGENT_COMMON)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(SRC_LIBS) $(NL_LIBS) $(CMOCKA_LIBS)

$(B)/tests/unit/test_privs: $(B)/tests/unit/test_privs.o $(B)/agent/privs.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ -lcap $(CMOCKA_LIBS)

# Every allocation of the agent's data path failed in turn: failalloc.o
# interposes malloc, calloc and realloc for the whole binary (libc's and the
# libraries' own allocations too).
OOM_OBJS := config units policy localday trace sigparse promtext tokens account \
	attrib log metrics drm
$(B)/tests/unit/test_oom: $(B)/tests/unit/test_oom.o $(B)/tests/unit/failalloc.o \
		$(OOM_OBJS:%=$(B)/agent/%.o)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(INIH_LIBS) $(JSON_LIBS) $(CURL_LIBS) \
	$(MHD_LIBS) -ldl -lm -pthread $(CMOCKA_LIBS)

# The same for the actuators, the sources and the control step, each with
# the doubles of its own test (netlink; NVML is the double library).
$(B)/tests/unit/test_oom_actuate: $(B)/tests/unit/test_oom_actuate.o \
		$(B)/tests/unit/failalloc.o $(B)/agent/actuate.o $(B)/agent/lever.o \
		$(B)/agent/nvml.o $(B)/agent/log.o | $(NVML_DOUBLE)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ -ldl -pthread $(CMOCKA_LIBS)

$(B)/tests/unit/test_oom_source: $(B)/tests/unit/test_oom_source.o \
		$(B)/tests/unit/failalloc.o $(B)/agent/source.o $(B)/agent/sigparse.o \
		$(B)/agent/trace.o $(B)/agent/log.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(SRC_LIBS) -ldl $(CMOCKA_LIBS)

CTL_OOM_OBJS := control actuate lever nvml source sigparse trace tokens promtext \
	account attrib metrics log policy localday config units
$(B)/tests/unit/test_oom_control: $(B)/tests/unit/test_oom_control.o \
		$(B)/tests/unit/failalloc.o $(CTL_OOM_OBJS:%=$(B)/agent/%.o)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(SRC_LIBS) $(CURL_LIBS) $(MHD_LIBS) \
	$(INIH_LIBS) -ldl -lm -pthread $(CMOCKA_LIBS)

# The sensor's start-up failure messages (agent/sensor.c); no BPF loaded.
$(B)/tests/unit/test_sensor_msg: $(B)/tests/unit/test_sensor_msg.o $(B)/agent/sensor.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(BPF_LIBS) $(CMOCKA_LIBS)

$(B)/tests/unit/test_notify: $(B)/tests/unit/test_notify.o $(B)/agent/notify.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS)

$(B)/tests/unit/test_nl_ledger: $(B)/tests/unit/test_nl_ledger.o $(B)/agent/nl_ledger.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS) $(CMOCKA_LIBS)

# agent/nvml.c dlopens libnvidia-ml.so.1: nothing NVIDIA at build time.
$(B)/tests/unit/test_nvml: $(B)/tests/unit/test_nvml.o $(B)/agent/nvml.o | $(NVML_DOUBLE)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ -ldl -lm $(CMOCKA_LIBS)

$(B)/tests/unit/test_lever: $(B)/tests/unit/test_lever.o $(B)/agent/lever.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS)

# The module's netlink client is replaced by a double inside the test (no
# module is loaded on the build host); NVML is the double library.
$(B)/tests/unit/test_actuate: $(B)/tests/unit/test_actuate.o $(B)/agent/actuate.o \
		$(B)/agent/lever.o $(B)/agent/nvml.o $(B)/agent/log.o | $(NVML_DOUBLE)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ -ldl -pthread $(CMOCKA_LIBS)

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

$(B)/tests/vm/tf-latency: $(B)/tests/vm/latency.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(shell pkg-config --libs libmosquitto 2>/dev/null)

$(B)/tests/vm/tf-nlfuzz: $(B)/tests/vm/fuzz.o $(AGENT_COMMON)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS)

$(B)/tests/vm/tf-spin: $(B)/tests/vm/spin.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^

$(B)/tests/vm/tf-sensor-check: $(B)/tests/vm/sensor_check.o $(B)/agent/sensor.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(BPF_LIBS)

$(B)/tests/bench/tf-sensor-bench: $(B)/tests/bench/sensor_bench.o $(B)/agent/sensor.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(BPF_LIBS)

$(B)/tests/bench/tf-nlbench: $(B)/tests/bench/nlbench.o $(AGENT_COMMON)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS)

# The agent's real tick (sensor, NVML, accounting, /metrics) with a netlink
# double in the bench itself: no module on the host (docs/benchmarks.md).
$(B)/tests/bench/agent_bench.o: tests/bench/agent_bench.c $(wildcard agent/*.h bpf/*.h tests/*.h) $(BPF_SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(TF_CFLAGS) -Iagent -Itests $(CFLAGS) -c $< -o $@

$(B)/tests/bench/tf-agent-bench: $(B)/tests/bench/agent_bench.o $(B)/agent/agent.o \
		$(B)/agent/account.o $(B)/agent/attrib.o $(B)/agent/sensor.o $(B)/agent/nvml.o \
		$(B)/agent/drm.o $(B)/agent/metrics.o $(B)/agent/promtext.o $(B)/agent/log.o \
		$(B)/agent/nl_ledger.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(BPF_LIBS) $(NL_LIBS) $(MHD_LIBS) -ldl -lm -pthread

# The whole daemon natively, netlink to a double (no module here): its CPU
# and memory as a host runs it (docs/benchmarks.md). Not installed.
$(B)/tests/bench/tokenfactoryd-nldouble: $(filter-out $(B)/agent/tf_nl.o,$(TFD_OBJS)) \
		$(B)/tests/bench/nl_double.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS) $(BPF_LIBS) $(INIH_LIBS) \
	-ldl -pthread $(CURL_LIBS) $(MHD_LIBS) -lm $(SRC_LIBS) -lcap

$(B)/tests/bpf/test_sensor: $(B)/tests/bpf/test_sensor.o $(B)/agent/sensor.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(BPF_LIBS) $(CMOCKA_LIBS)

# The agent's tick with each allocation failing in turn (tests/unit/failalloc.c)
# and a netlink double in the test; the real sensor, so root (make check-bpf).
$(B)/tests/bpf/test_oom_agent: $(B)/tests/bpf/test_oom_agent.o $(B)/tests/unit/failalloc.o \
		$(B)/agent/agent.o $(B)/agent/account.o $(B)/agent/attrib.o $(B)/agent/sensor.o \
		$(B)/agent/nvml.o $(B)/agent/drm.o $(B)/agent/log.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(BPF_LIBS) -ldl -lm -pthread $(CMOCKA_LIBS)

# The agent's tick end to end: the sensor, the NVML double, a netlink double.
$(B)/tests/bpf/test_agent: $(B)/tests/bpf/test_agent.o \
		$(B)/agent/agent.o $(B)/agent/account.o $(B)/agent/attrib.o $(B)/agent/sensor.o \
		$(B)/agent/nvml.o $(B)/agent/drm.o $(B)/agent/log.o | $(NVML_DOUBLE)
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(BPF_LIBS) -ldl -lm -pthread $(CMOCKA_LIBS)

# ---- the demo's worker, load generator and report (tests/demo/README.md) ------
# Plain C and libc, json-c and libmicrohttpd: no kernel shim, no skeleton.
MHD_LIBS = $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
DEMO_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iagent -Itests \
	$(shell pkg-config --cflags json-c 2>/dev/null)
$(B)/tests/demo/%.o: tests/demo/%.c $(wildcard tests/demo/*.h) agent/log.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(DEMO_CFLAGS) $(CFLAGS) -c $< -o $@

$(B)/tests/demo/tf-worker: $(B)/tests/demo/worker.o $(B)/tests/demo/tfm.o \
		$(B)/tests/demo/serve.o $(B)/agent/log.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(MHD_LIBS) $(JSON_LIBS) -lm -pthread

$(B)/tests/demo/tf-loadgen: $(B)/tests/demo/loadgen.o $(B)/tests/demo/lgmath.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(JSON_LIBS) -lm -pthread

$(B)/tests/demo/tf-report: $(B)/tests/demo/report_main.o $(B)/tests/demo/report.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(JSON_LIBS) -lm

$(B)/tests/unit/test_demo_worker: $(B)/tests/unit/test_demo_worker.o \
		$(B)/tests/demo/tfm.o $(B)/tests/demo/serve.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(JSON_LIBS) -lm $(CMOCKA_LIBS)

$(B)/tests/unit/test_demo_loadgen: $(B)/tests/unit/test_demo_loadgen.o $(B)/tests/demo/lgmath.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ -lm $(CMOCKA_LIBS)

$(B)/tests/unit/test_demo_report: $(B)/tests/unit/test_demo_report.o $(B)/tests/demo/report.o
	$(call msg,LD,$@)$(CC) $(CFLAGS) -o $@ $^ $(JSON_LIBS) -lm $(CMOCKA_LIBS)

# Each layer prints PASS:/FAIL: lines; tests/run.sh tallies them and prints
# the verdict. T=name runs the tests whose name contains it.
# fuzz: each parser fuzzer for 10 s. pkg (DKMS into the VM, the packages,
# Ansible, the 6.1 kernel matrix); trixie's 6.12 headers (a 400 MB fetch)
# only in make check-pkg.
check: all $(FUZZ_BINS)
	$(Q)TF_PKG_TRIXIE=$${TF_PKG_TRIXIE:-0} tests/run.sh unit bpf fuzz vm pkg

check-unit: tests
	$(Q)tests/run.sh unit

check-bpf: tests
	$(Q)tests/run.sh bpf

check-fuzz: $(FUZZ_BINS)
	$(Q)tests/run.sh fuzz

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

export T KDIR VM_KERNEL DAY ACCEL QUOTA_FRAC

# Benchmarks run in the VM (tests/vm/bench/), one boot, figures as ratios
# against a baseline measured in the same run (docs/benchmarks.md).
bench-netlink: module userspace $(VM_TOOLS)
	$(Q)TF_VM_SUITE=bench T=netlink tests/vm/run.sh

# tokenfactoryd at a 1 s tick with 2,000 processes and 8 GPUs (the NVML test
# double): natively (tf-agent-bench, the per-tick work, root) and in the VM
# (tests/vm/bench/20-agent.sh, the whole daemon); figures against the goals.
bench-agent: module userspace $(VM_TOOLS) $(NVML_DOUBLE)
	$(Q)tests/bench/agent.sh

# The sensor on this machine's own kernel (root; perf and bpftrace from make
# deps): ns per sched_switch from the kernel's BPF stats, and context-switch
# throughput with and without it, beside bpftrace (docs/benchmarks.md).
# BENCH_ARGS: tf-sensor-bench's options (-r repetitions, -l loops, -c cpu).
bench-sensor: $(BENCH_TOOLS)
	$(Q)tests/bench/sensor.sh $(BENCH_ARGS)

# The main job: one day of the CAISO trace through MQTT to tokenfactoryd in
# the VM, real workers, the report and its plot, and make eval's model of
# the same day beside it (tests/demo/run.sh; DAY=YYYY-MM-DD, ACCEL=480).
demo: module userspace $(VM_TOOLS) $(DEMO_TOOLS)
	$(Q)tests/demo/run.sh

# Many days of the CAISO trace through the agent's policy and the baselines
# (docs/eval.md): make eval [TRACE=file] [DAYS=YYYY-MM-DD..YYYY-MM-DD] [JSON=1]
# [CURVE=file] [EVAL_ARGS='--quota N ...'].
TRACE ?= ../shared/data/caiso-curtailment/curtail_report_2016-2018.csv
CURVE ?= tests/eval/cpu-curve.csv
.PHONY: eval
eval: $(B)/tf-eval
	$(Q)$(B)/tf-eval --curve $(CURVE) $(if $(DAYS),--days $(DAYS)) $(if $(JSON),--json) \
		$(EVAL_ARGS) $(TRACE)

# ---- parser fuzzing (libFuzzer) ------------------------------------------------
# The agent's parsers built with clang's libFuzzer, ASan and UBSan (any UB
# aborts) into build/fuzz/, one target per tests/fuzz/fuzz_NAME.c, seeds in
# tests/fuzz/corpus/NAME/. tests/fuzz/run.sh runs each for FUZZ_SECONDS;
# make check's fuzz layer runs each for 10 s (docs/testing.md).
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_SECONDS ?= 20
FUZZ_SIG := $(B)/fuzz/agent/sigparse.o $(B)/fuzz/agent/trace.o
FUZZ_CONF := $(B)/fuzz/agent/config.o $(B)/fuzz/agent/localday.o $(B)/fuzz/agent/trace.o \
	$(B)/fuzz/agent/units.o $(B)/fuzz/agent/policy.o

$(B)/fuzz/agent/%.o: agent/%.c $(wildcard agent/*.h) include/uapi/linux/tokenfactory.h
	@mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)$(FUZZ_CC) $(TF_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		$(FUZZ_DEFS) -c $< -o $@
# config.c opens the files its keys name: through the target's guard
$(B)/fuzz/agent/config.o: FUZZ_DEFS := -Dfopen=tf_fuzz_fopen

$(B)/fuzz/%.o: tests/fuzz/%.c tests/fuzz/fuzz.h $(wildcard agent/*.h)
	@mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)$(FUZZ_CC) $(TF_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		-Iagent -c $< -o $@

$(B)/fuzz/fuzz_sigjson $(B)/fuzz/fuzz_sighttp $(B)/fuzz/fuzz_sigcsv: $(FUZZ_SIG)
$(B)/fuzz/fuzz_config: $(FUZZ_CONF)
$(B)/fuzz/fuzz_promtext $(B)/fuzz/fuzz_promsel: $(B)/fuzz/agent/promtext.o
$(B)/fuzz/fuzz_drm: $(B)/fuzz/agent/drm.o
$(B)/fuzz/fuzz_series $(B)/fuzz/fuzz_caiso: $(B)/fuzz/agent/trace.o
$(B)/fuzz/fuzz_%: $(B)/fuzz/fuzz_%.o
	$(call msg,FUZZ-LD,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ \
		$(JSON_LIBS) $(INIH_LIBS) -lm

fuzz-parsers: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS)

# The netlink fuzzer's VM test (tests/vm/tests/92-fuzz.sh) with N requests
# instead of 10,000; DEBUG_KERNEL=1 runs it on the debug kernel.
N ?=
export TF_VM_APPEND = $(if $(N),tf.fuzz_n=$(N))
fuzz-netlink:
	$(Q)$(MAKE) $(if $(filter 1,$(DEBUG_KERNEL)),check-debug,check-vm) T=fuzz \
		N=$(or $(N),100000) TF_VM_TIMEOUT=$${TF_VM_TIMEOUT:-3600}

# The VM suite on a debug kernel built from Debian's linux-source-6.1 with
# tests/vm/debug.config (KASAN, UBSAN, lockdep, kmemleak, ...): built once
# per config, cached outside the repository (tests/vm/debug-kernel.sh); the
# module is rebuilt against it, the guest ends with a kmemleak scan.
# (Two lines: make -n runs a line that holds $(MAKE), and must not build a kernel.)
check-debug:
	@mkdir -p $(B)
	$(Q)tests/vm/debug-kernel.sh > $(B)/debug-kdir
	$(Q)$(MAKE) check-vm KDIR=$$(cat $(B)/debug-kdir 2>/dev/null) \
		TF_VM_TIMEOUT=$${TF_VM_TIMEOUT:-7200}

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
	$(Q)install -D -m 0644 agent/tokenfactoryd.8 $(DESTDIR)$(PREFIX)/share/man/man8/tokenfactoryd.8
	$(Q)install -D -m 0644 agent/tfctl.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tfctl
