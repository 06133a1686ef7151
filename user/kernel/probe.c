/* SPDX-License-Identifier: Apache-2.0 */
/*
 * probe.c - preconditions and kernel feature probes (see probe.h).
 *
 * Tracing program kinds are probed by loading a two-instruction program
 * against a real kernel function and attaching it: on some kernels fentry
 * and LSM programs load but attaching them is refused (EPERM), and only the
 * attach tells.  Each probe's link is closed at once.
 */
#include "kernel/probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "base/log.h"
#include "filter_maps.h"

#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

static int have_cap(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return !!(data[cap / 32].effective & (1u << (cap % 32)));
}

int probe_preconditions(char *err, size_t errlen)
{
	if (geteuid() != 0 && !(have_cap(CAP_SYS_ADMIN) ||
				(have_cap(39 /* CAP_BPF */) && have_cap(38 /* CAP_PERFMON */)))) {
		snprintf(err, errlen,
			 "custos: not privileged: loading BPF programs needs root "
			 "(or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN): run it with sudo");
		return -EPERM;
	}
	if (access(BTF_VMLINUX, R_OK) != 0) {
		snprintf(err, errlen,
			 "custos: no kernel BTF at %s: custos needs a kernel built with "
			 "CONFIG_DEBUG_INFO_BTF=y (Debian, Ubuntu, Fedora and RHEL kernels "
			 "since 5.x have it)", BTF_VMLINUX);
		return -ENOENT;
	}
	return 0;
}

int probe_find_mount(const char *mounts_path, const char *fstype, char *out, size_t size)
{
	char dev[256], dir[256], type[64];
	FILE *f = fopen(mounts_path, "re");
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3) {
		if (strcmp(type, fstype) == 0) {
			snprintf(out, size, "%s", dir);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int ensure_tracefs(struct probe *p)
{
	const char *dir = "/sys/kernel/tracing";

	if (probe_find_mount("/proc/mounts", "tracefs", p->tracefs, sizeof(p->tracefs)) == 0)
		return 0;
	mkdir(dir, 0700);
	if (mount("nodev", dir, "tracefs", 0, NULL) != 0) {
		log_warn("probe: mounting tracefs at %s failed: %s "
			 "(tracepoint programs will not attach; mount it by hand)",
			 dir, strerror(errno));
		p->tracefs[0] = '\0';
		return -errno;
	}
	snprintf(p->tracefs, sizeof(p->tracefs), "%s", dir);
	p->tracefs_mounted_by_us = 1;
	log_info("probe: tracefs was not mounted; mounted it at %s", dir);
	return 0;
}

/* Loads "r0 = 0; exit" as (type, attach type) against the BTF id of name, then attaches. */
static int probe_tracing(struct btf *vmlinux, enum bpf_prog_type type,
			 enum bpf_attach_type attach, const char *name, __u32 kind)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },	/* BPF_MOV64_IMM(R0, 0) */
		{ .code = 0x95 },				/* BPF_EXIT */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	int id, prog_fd, link_fd;

	if (!vmlinux)
		return 0;
	id = btf__find_by_name_kind(vmlinux, name, kind);
	if (id < 0)
		return 0;
	opts.expected_attach_type = attach;
	opts.attach_btf_id = id;
	prog_fd = bpf_prog_load(type, "custos_probe", "GPL", insns, 2, &opts);
	if (prog_fd < 0)
		return 0;
	link_fd = bpf_link_create(prog_fd, 0, attach, NULL);
	if (link_fd < 0 && attach == BPF_TRACE_RAW_TP)
		link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	close(prog_fd);
	if (link_fd < 0)
		return 0;
	close(link_fd);
	return 1;
}

static void read_lsm_list(struct probe *p)
{
	FILE *f = fopen("/sys/kernel/security/lsm", "re");

	if (!f) {
		mkdir("/sys/kernel/security", 0755);
		if (mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL) == 0)
			f = fopen("/sys/kernel/security/lsm", "re");
	}
	if (!f)
		return;
	if (!fgets(p->lsm_list, sizeof(p->lsm_list), f))
		p->lsm_list[0] = '\0';
	p->lsm_list[strcspn(p->lsm_list, "\n")] = '\0';
	fclose(f);
}

static int lsm_list_has_bpf(const char *list)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, "bpf") == 0)
			return 1;
	return 0;
}

/*
 * Which helpers the egress programs (cgroup sock_addr, sock_create and
 * sockopt programs) may call here: NET_HELPER_* when every one of the three
 * program types offers them.  5.10 offers neither in all three.
 */
static unsigned probe_net_helpers(void)
{
	static const enum bpf_prog_type types[] = { BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
						    BPF_PROG_TYPE_CGROUP_SOCK,
						    BPF_PROG_TYPE_CGROUP_SOCKOPT };
	unsigned task = 1, id = 1;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		task &= libbpf_probe_bpf_helper(types[i], BPF_FUNC_get_current_task, NULL) == 1;
		id &= libbpf_probe_bpf_helper(types[i], BPF_FUNC_get_current_pid_tgid, NULL) == 1 &&
		      libbpf_probe_bpf_helper(types[i], BPF_FUNC_get_current_comm, NULL) == 1;
	}
	return (task ? NET_HELPER_TASK : 0) | (id ? NET_HELPER_ID : 0);
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int probe_run(struct probe *p)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	struct btf *vmlinux;

	memset(p, 0, sizeof(*p));
	p->have_btf = access(BTF_VMLINUX, R_OK) == 0;
	probe_find_mount("/proc/mounts", "cgroup2", p->cgroup2, sizeof(p->cgroup2));
	ensure_tracefs(p);
	read_lsm_list(p);

	vmlinux = p->have_btf ? btf__load_vmlinux_btf() : NULL;
	if (vmlinux && libbpf_get_error(vmlinux))
		vmlinux = NULL;
	p->have_ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	p->have_raw_tp = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL) == 1;
	p->have_cgroup_sock = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, NULL) == 1;
	p->net_helpers = p->have_cgroup_sock ? probe_net_helpers() : 0;
	p->have_tp_btf = probe_tracing(vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
				       "btf_trace_sched_process_exec", BTF_KIND_TYPEDEF);
	p->have_fentry = probe_tracing(vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY,
				       "security_file_open", BTF_KIND_FUNC);
	p->have_rdonly_cast = vmlinux &&
			      btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	p->have_lsm = lsm_list_has_bpf(p->lsm_list) &&
		      probe_tracing(vmlinux, BPF_PROG_TYPE_LSM, BPF_LSM_MAC,
				    "bpf_lsm_file_open", BTF_KIND_FUNC);
	btf__free(vmlinux);
	libbpf_set_print(old);
	return 0;
}

void probe_describe(const struct probe *p, char *buf, size_t size)
{
	snprintf(buf, size,
		 "btf=%s ringbuf=%s tp_btf=%s raw_tracepoint=%s fentry=%s lsm=%s "
		 "rdonly_cast=%s cgroup_sock_addr=%s cgroup_task=%s cgroup_pid=%s cgroup2=%s "
		 "tracefs=%s lsm_list=%s",
		 p->have_btf ? "yes" : "no", p->have_ringbuf ? "yes" : "no",
		 p->have_tp_btf ? "yes" : "no", p->have_raw_tp ? "yes" : "no",
		 p->have_fentry ? "yes" : "no", p->have_lsm ? "yes" : "no",
		 p->have_rdonly_cast ? "yes" : "no",
		 p->have_cgroup_sock ? "yes" : "no",
		 p->net_helpers & NET_HELPER_TASK ? "yes" : "no",
		 p->net_helpers & NET_HELPER_ID ? "yes" : "no",
		 p->cgroup2[0] ? p->cgroup2 : "none", p->tracefs[0] ? p->tracefs : "none",
		 p->lsm_list[0] ? p->lsm_list : "unknown");
}
