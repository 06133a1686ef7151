# custos - build, run, test.  `make help` lists the targets.
#
# Layout of the build (everything lands in build/):
#   bpf/*.bpf.c  --clang -target bpf-->  build/bpf/*.bpf.o
#                --bpftool gen object--> build/custos.bpf.o  (one linked object)
#                --bpftool gen skeleton--> build/custos.skel.h
#   user/*/*.c (but cmd/main.c)         -> build/libcustos.a
#   user/cmd/main.c + libcustos.a       -> build/custos
#   tests/unit/test_*.c                 -> build/tests/unit/test_*   (cmocka, no root)
#   tests/e2e/test_*.c + harness.c      -> build/tests/e2e/test_*    (root, real BPF)
#   SAN=1 (make test-asan, make fuzz): the same tree built by clang with
#   ASan+UBSan into build/asan/, plus tests/fuzz/fuzz_*.c -> build/asan/fuzz/fuzz_*

ARCH    ?= $(shell uname -m)
BPFARCH := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(ARCH)))
BUILD   ?= build
CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GITREV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

WERROR  ?= $(if $(CI),-Werror,)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter \
	   -Wformat=2 -Wmissing-prototypes $(WERROR) \
	   -D_GNU_SOURCE -DCUSTOS_VERSION='"$(VERSION)"' -DCUSTOS_GITREV='"$(GITREV)"'
CPPFLAGS += -Iuser -Ibpf -I$(BUILD) -MMD -MP
LDLIBS  += -lbpf -lelf -lz -lyaml -lmsgpackc -lssl -lcrypto -ljansson -lpthread
# SAN=1: clang, AddressSanitizer + UndefinedBehaviorSanitizer, every report
# fatal; objects carry the coverage libFuzzer reads (the sanitizer runtime
# has no-op hooks for it), so the harnesses link against the same library
# the sanitized unit and e2e tests use
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_COV   := -fsanitize-coverage=inline-8bit-counters,pc-table,trace-cmp
ifneq ($(SAN),)
CC      := $(CLANG)
CFLAGS  += -O1 $(SAN_FLAGS) $(SAN_COV)
LDFLAGS += $(SAN_FLAGS)
endif


# STATIC=1: a self-contained agent for kernels booted from an initramfs
# (scripts/test-kernels.sh).  Debian ships no libcmocka.a, so test binaries
# link every library statically but cmocka and libc, whose .so files the
# initramfs packer copies.
TEST_LDFLAGS := $(LDFLAGS)
TEST_LIBS    = -lcmocka -ljansson $(LDLIBS)
STATIC  ?=
ifneq ($(STATIC),)
LDFLAGS += -static
LDLIBS  += -lzstd -lpthread
TEST_LIBS = -Wl,-Bstatic -ljansson $(LDLIBS) -Wl,-Bdynamic -lcmocka
endif

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPFARCH) \
	      -Wall -Wno-unused-function $(WERROR) \
	      -Ivmlinux/$(ARCH) -Ibpf -MMD -MP

BPF_SRCS  := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
USER_SRCS := $(filter-out user/cmd/main.c,$(sort $(wildcard user/*/*.c)))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
E2E_SRCS  := $(sort $(wildcard tests/e2e/test_*.c))
E2E_BINS  := $(patsubst tests/e2e/%.c,$(BUILD)/tests/e2e/%,$(E2E_SRCS))
E2E_LIB   := $(patsubst tests/e2e/%.c,$(BUILD)/tests/e2e/%.o,$(filter-out $(E2E_SRCS),$(wildcard tests/e2e/*.c)))
E2E_HELP  := $(patsubst tests/e2e/bin/%.c,$(BUILD)/tests/e2e/bin/%,$(wildcard tests/e2e/bin/*.c))
# the OCSF schema validator: a library for the tests, a command for any record
OCSF_VALIDATE := $(BUILD)/tests/ocsf/ocsf_validate.o
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
ASAN_BUILD := $(BUILD)/asan

.PHONY: all deps run test test-unit test-e2e test-kernels test-deploy bench bench-pair bench-kernels clean \
	help vmlinux fuzz fuzzers sanitized test-asan
all: $(BUILD)/custos

help:
	@echo "make            build build/custos"
	@echo "make run        install missing packages, build, run the agent on rules/ (root)"
	@echo "make test       install missing packages, build, run unit and end-to-end tests, then"
	@echo "                the kernel matrix under QEMU (root; KERNELS_SKIP=1 leaves it out)"
	@echo "make test-unit  unit tests and rule-pack cases (no root)"
	@echo "make test-e2e   end-to-end tests only (root, real BPF)"
	@echo "make test-kernels  end-to-end tests on Debian kernels 5.10..sid under QEMU (root)"
	@echo "make test-deploy   the .deb on a booted Debian with systemd as PID 1, under QEMU (root)"
	@echo "make test-asan  unit and end-to-end tests built with ASan+UBSan, then every fuzz"
	@echo "                harness over its corpus and for FUZZ_SECONDS (default 5) each"
	@echo "make fuzz       build the libFuzzer harnesses (tests/fuzz/) and fuzz each for"
	@echo "                FUZZ_SECONDS (default 60); FUZZ=NAME picks one"
	@echo "make bench      workload with and without the agent, alternated (root; BENCH_ARGS=--help)"
	@echo "make bench-pair A=BIN B=BIN  two custos builds at once over one workload: each one's"
	@echo "                BPF time a run, paired by round (root; BENCH_PAIR_ARGS=--help)"
	@echo "make bench-kernels  the same per file backend (LSM, fentry, tracepoint) inside"
	@echo "                Debian kernels under QEMU (root; BENCH_KERNELS=6.12, docs/PERFORMANCE.md)"
	@echo "make vmlinux    regenerate vmlinux/$(ARCH)/vmlinux.h from this kernel's BTF"
	@echo "make clean      remove build/"

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	scripts/run.sh

# when `make test` started: the whole run keeps to CUSTOS_TEST_BUDGET seconds
# (default 5100, inside CI's 90 minutes), the kernel matrix taking what is left
CUSTOS_TEST_T0 := $(or $(CUSTOS_TEST_T0),$(shell date +%s))

test: deps
	@scripts/deps.sh test test-kernels test-deploy
	@scripts/forward-setup.sh
	@$(MAKE) --no-print-directory all tests sanitized
	CUSTOS_TEST_T0=$(CUSTOS_TEST_T0) scripts/test.sh

test-unit: $(BUILD)/custos $(UNIT_BINS)
	scripts/test.sh unit

test-e2e: $(BUILD)/custos $(E2E_BINS) $(E2E_HELP)
	@scripts/deps.sh test
	scripts/forward-setup.sh
	scripts/test.sh e2e

# a bookworm root file system (cached in build/deploy), the .deb installed,
# booted with systemd as PID 1 under QEMU; drives the unit (docs/OPERATIONS.md)
test-deploy:
	@scripts/deps.sh test-kernels test-deploy
	scripts/test.sh deploy

# fetches Debian kernels, builds build-static/, boots each under QEMU
test-kernels:
	@scripts/deps.sh test-kernels
	scripts/test-kernels.sh

tests: $(BUILD)/custos $(UNIT_BINS) $(E2E_BINS) $(E2E_HELP) $(BUILD)/tests/ocsf-validate

# --- sanitizers and fuzzing --------------------------------------------------
# the whole tree and the harnesses, sanitized, in $(ASAN_BUILD)
sanitized:
	@$(MAKE) --no-print-directory SAN=1 BUILD=$(ASAN_BUILD) tests fuzzers

fuzzers: $(FUZZ_BINS)

test-asan: sanitized
	@scripts/deps.sh test
	scripts/forward-setup.sh
	ASAN_BUILD=$(ASAN_BUILD) scripts/test.sh asan

fuzz: sanitized
	ASAN_BUILD=$(ASAN_BUILD) scripts/fuzz.sh $(or $(FUZZ_SECONDS),60) $(FUZZ)

# libFuzzer's main; the library is the sanitized one
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(BUILD)/libcustos.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(CFLAGS) -Wno-missing-prototypes -fsanitize=fuzzer \
		$(LDFLAGS) -o $@ $< $(BUILD)/libcustos.a $(LDLIBS)

vmlinux:
	scripts/gen-vmlinux.sh $(ARCH)

# overhead benchmark (root): docs/PERFORMANCE.md; e.g. make bench BENCH_ARGS="--pairs 9"
bench: $(BUILD)/custos $(BUILD)/bench/workload $(BUILD)/bench/floor
	python3 scripts/bench.py --agent $(BUILD)/custos --workload $(BUILD)/bench/workload \
		--floor $(BUILD)/bench/floor --out $(BUILD)/bench/results.json $(BENCH_ARGS)

# two builds side by side, each one's BPF time a run over the same events
# (docs/PERFORMANCE.md, "Two builds at once"); e.g. make bench-pair A=old/custos B=build/custos
bench-pair: $(BUILD)/bench/workload
	@test -n "$(A)" -a -n "$(B)" || { echo "make bench-pair: give A=BIN B=BIN (two custos builds)"; exit 2; }
	python3 scripts/bench-pair.py $(A) $(B) $(BENCH_PAIR_ARGS)

# innocent-workload overhead per backend inside QEMU guests (LSM and fentry
# attach there): docs/PERFORMANCE.md, e.g. make bench-kernels BENCH_KERNELS="6.1 6.12"
bench-kernels:
	@scripts/deps.sh test-kernels
	scripts/bench-kernels.sh

# the workload generator bench.py times (plain C, no libraries)
$(BUILD)/bench/workload: tests/bench/workload.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# the reference monitor bench.py times custos against: a bare program on
# each hook custos uses (tests/bench/floor.bpf.c), and its loader
$(BUILD)/bench/floor.bpf.o: tests/bench/floor.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/floor.skel.h: $(BUILD)/bench/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/floor: tests/bench/floor.c $(BUILD)/bench/floor.skel.h
	$(CC) $(CFLAGS) -I$(BUILD)/bench $(LDFLAGS) -o $@ $< $(LDLIBS)

# --- kernel side -----------------------------------------------------------
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/custos.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/custos.skel.h: $(BUILD)/custos.bpf.o
	$(BPFTOOL) gen skeleton $< name custos_bpf > $@.tmp && mv $@.tmp $@

# --- agent -----------------------------------------------------------------
$(BUILD)/user/%.o: user/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# the loader, the agent (its per-process state map) and the filter apply steps include the skeleton
$(BUILD)/user/kernel/loader.o $(BUILD)/user/kernel/loader_pin.o $(BUILD)/user/kernel/loader_split.o $(BUILD)/user/agent/agent.o $(patsubst user/%.c,$(BUILD)/user/%.o,$(wildcard user/filters/*.c)): $(BUILD)/custos.skel.h

# `custos version` names the commit it was built from: its object is rebuilt
# when HEAD moves (the stamp changes only then)
$(BUILD)/gitrev: FORCE
	@mkdir -p $(@D)
	@echo '$(GITREV)' | cmp -s - $@ || echo '$(GITREV)' > $@
$(BUILD)/user/cmd/version.o: $(BUILD)/gitrev
.PHONY: FORCE
FORCE:

# an archive member is named by its file's base name: two alike would replace each other
USER_DUPS := $(strip $(shell printf '%s\n' $(notdir $(USER_SRCS)) | sort | uniq -d))
$(if $(USER_DUPS),$(error user/: two source files share a base name: $(USER_DUPS)))

$(BUILD)/libcustos.a: $(USER_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/custos: $(BUILD)/user/cmd/main.o $(BUILD)/libcustos.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# --- tests -----------------------------------------------------------------
$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libcustos.a | $(BUILD)/tests/unit
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -Wno-missing-prototypes $(TEST_LDFLAGS) -o $@ $< $(TEST_EXTRA) $(BUILD)/libcustos.a $(TEST_LIBS)

# the tests that validate OCSF records link the validator
$(BUILD)/tests/unit/test_ocsf: $(OCSF_VALIDATE)
$(BUILD)/tests/unit/test_ocsf: TEST_EXTRA = $(OCSF_VALIDATE) -Itests/ocsf
$(BUILD)/tests/e2e/test_ocsf: $(OCSF_VALIDATE)
$(BUILD)/tests/e2e/test_ocsf.o: CPPFLAGS += -Itests/ocsf

$(BUILD)/tests/ocsf/%.o: tests/ocsf/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -c $< -o $@

$(BUILD)/tests/ocsf-validate: $(BUILD)/tests/ocsf/main.o $(OCSF_VALIDATE) $(BUILD)/libcustos.a
	$(CC) $(TEST_LDFLAGS) -o $@ $^ -ljansson $(LDLIBS)

$(BUILD)/tests/e2e/%.o: tests/e2e/%.c | $(BUILD)/tests/e2e
	$(CC) $(CPPFLAGS) -Itests/e2e $(CFLAGS) -Wno-missing-prototypes -c $< -o $@

$(BUILD)/tests/e2e/test_%: $(BUILD)/tests/e2e/test_%.o $(E2E_LIB) $(BUILD)/libcustos.a
	$(CC) $(TEST_LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libcustos.a $(TEST_LIBS)

# helper programs the e2e tests run (plain C, no libraries); linked like the
# tests, against the shared libc even in STATIC=1 builds, so that the dynamic
# loader can run them (test_lineage)
$(BUILD)/tests/e2e/bin/%: tests/e2e/bin/%.c | $(BUILD)/tests/e2e/bin
	$(CC) $(CFLAGS) -Wno-missing-prototypes $(TEST_LDFLAGS) -o $@ $<

$(BUILD)/bpf $(BUILD)/tests/unit $(BUILD)/tests/e2e $(BUILD)/tests/e2e/bin:
	mkdir -p $@

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/bpf/*.d $(BUILD)/user/*/*.d $(BUILD)/tests/*/*.d $(BUILD)/fuzz/*.d $(BUILD)/bench/*.d)

# --- install and package ----------------------------------------------------
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
BINDIR     := $(PREFIX)/bin
DATADIR    := $(PREFIX)/share/custos
DOCDIR     := $(PREFIX)/share/doc/custos
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
DEB_ARCH   := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB        := $(BUILD)/custos_$(VERSION)_$(DEB_ARCH).deb

.PHONY: install deb
install: $(BUILD)/custos
	install -D -m 0755 $(BUILD)/custos $(DESTDIR)$(BINDIR)/custos
	install -d -m 0755 $(DESTDIR)$(DATADIR)/rules $(DESTDIR)$(SYSCONFDIR)/custos/rules.d \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0644 rules/*.yaml packaging/self-protection.yaml $(DESTDIR)$(DATADIR)/rules/
	install -m 0644 packaging/rules.d-README $(DESTDIR)$(SYSCONFDIR)/custos/rules.d/README
	install -d -m 0700 $(DESTDIR)$(LOCALSTATEDIR)/log/custos $(DESTDIR)$(LOCALSTATEDIR)/lib/custos
	sed -e 's|@DATADIR@|$(DATADIR)|g' packaging/custos.yaml > $(DESTDIR)$(SYSCONFDIR)/custos/custos.yaml
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/custos/custos.yaml
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' packaging/custos.service \
		> $(DESTDIR)$(UNITDIR)/custos.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/custos.service
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/

# the binary looks for the shipped rules under DATADIR when installed
$(BUILD)/user/cmd/run.o: CPPFLAGS += -DCUSTOS_DATADIR='"$(DATADIR)"'

deb:
	rm -rf $(BUILD)/deb
	$(MAKE) --no-print-directory install PREFIX=/usr BUILD=$(BUILD)/deb-build \
		DESTDIR=$(CURDIR)/$(BUILD)/deb
	install -d -m 0755 $(BUILD)/deb/DEBIAN
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@ARCH@|$(DEB_ARCH)|' packaging/debian/control.in \
		> $(BUILD)/deb/DEBIAN/control
	printf '/etc/custos/custos.yaml\n/etc/custos/rules.d/README\n' > $(BUILD)/deb/DEBIAN/conffiles
	install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm \
		$(BUILD)/deb/DEBIAN/
	dpkg-deb --root-owner-group --build $(BUILD)/deb $(DEB)
