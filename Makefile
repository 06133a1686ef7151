# custos - build, run, test.  `make help` lists the targets.
#
# Layout of the build (everything lands in build/):
#   bpf/*.bpf.c  --clang -target bpf-->  build/bpf/*.bpf.o
#                --bpftool gen object--> build/custos.bpf.o  (one linked object)
#                --bpftool gen skeleton--> build/custos.skel.h
#   user/*.c (but main.c)               -> build/libcustos.a
#   user/main.c + libcustos.a           -> build/custos
#   tests/unit/test_*.c                 -> build/tests/unit/test_*   (cmocka, no root)
#   tests/e2e/test_*.c + harness.c      -> build/tests/e2e/test_*    (root, real BPF)

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
LDLIBS  += -lbpf -lelf -lz -lyaml -lmsgpackc -lssl -lcrypto -lpthread
STATIC  ?=
ifneq ($(STATIC),)
LDFLAGS += -static
LDLIBS  += -lzstd -lpthread
endif

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPFARCH) \
	      -Wall -Wno-unused-function $(WERROR) \
	      -Ivmlinux/$(ARCH) -Ibpf -MMD -MP

BPF_SRCS  := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
USER_SRCS := $(filter-out user/main.c,$(sort $(wildcard user/*.c)))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
E2E_SRCS  := $(sort $(wildcard tests/e2e/test_*.c))
E2E_BINS  := $(patsubst tests/e2e/%.c,$(BUILD)/tests/e2e/%,$(E2E_SRCS))
E2E_LIB   := $(patsubst tests/e2e/%.c,$(BUILD)/tests/e2e/%.o,$(filter-out $(E2E_SRCS),$(wildcard tests/e2e/*.c)))
E2E_HELP  := $(patsubst tests/e2e/bin/%.c,$(BUILD)/tests/e2e/bin/%,$(wildcard tests/e2e/bin/*.c))

.PHONY: all deps run test test-unit test-e2e bench clean help vmlinux
all: $(BUILD)/custos

help:
	@echo "make            build build/custos"
	@echo "make run        install missing packages, build, run the agent on rules/ (root)"
	@echo "make test       install missing packages, build, run unit and end-to-end tests (root)"
	@echo "make test-unit  unit tests only (no root)"
	@echo "make test-e2e   end-to-end tests only (root, real BPF)"
	@echo "make vmlinux    regenerate vmlinux/$(ARCH)/vmlinux.h from this kernel's BTF"
	@echo "make clean      remove build/"

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	scripts/run.sh

test: deps
	@scripts/forward-setup.sh
	@$(MAKE) --no-print-directory all tests
	scripts/test.sh

test-unit: $(UNIT_BINS)
	scripts/test.sh unit

test-e2e: $(BUILD)/custos $(E2E_BINS) $(E2E_HELP)
	scripts/forward-setup.sh
	scripts/test.sh e2e

tests: $(UNIT_BINS) $(E2E_BINS) $(E2E_HELP)

vmlinux:
	scripts/gen-vmlinux.sh $(ARCH)

# --- kernel side -----------------------------------------------------------
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/custos.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/custos.skel.h: $(BUILD)/custos.bpf.o
	$(BPFTOOL) gen skeleton $< name custos_bpf > $@.tmp && mv $@.tmp $@

# --- agent -----------------------------------------------------------------
$(BUILD)/user/%.o: user/%.c | $(BUILD)/user
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# the loader includes the skeleton
$(BUILD)/user/loader.o: $(BUILD)/custos.skel.h

$(BUILD)/libcustos.a: $(USER_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/custos: $(BUILD)/user/main.o $(BUILD)/libcustos.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# --- tests -----------------------------------------------------------------
$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libcustos.a | $(BUILD)/tests/unit
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(BUILD)/libcustos.a -lcmocka -ljansson $(LDLIBS)

$(BUILD)/tests/e2e/%.o: tests/e2e/%.c | $(BUILD)/tests/e2e
	$(CC) $(CPPFLAGS) -Itests/e2e $(CFLAGS) -Wno-missing-prototypes -c $< -o $@

$(BUILD)/tests/e2e/test_%: $(BUILD)/tests/e2e/test_%.o $(E2E_LIB) $(BUILD)/libcustos.a
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -ljansson $(LDLIBS)

# helper programs the e2e tests run (plain C, no libraries)
$(BUILD)/tests/e2e/bin/%: tests/e2e/bin/%.c | $(BUILD)/tests/e2e/bin
	$(CC) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $<

$(BUILD)/bpf $(BUILD)/user $(BUILD)/tests/unit $(BUILD)/tests/e2e $(BUILD)/tests/e2e/bin:
	mkdir -p $@

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/bpf/*.d $(BUILD)/user/*.d $(BUILD)/tests/*/*.d)
