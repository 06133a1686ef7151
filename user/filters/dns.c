/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dns.c - DNS names in the egress decision, the agent's side (dns.h).
 */
#include "filters/dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/log.h"
#include "custos.skel.h"
#include "rules/dest.h"

int filter_dns_server_parse(const char *s, struct dns_server_key *out, char *why, size_t wl)
{
	struct dest_pat p;

	memset(out, 0, sizeof(*out));
	if (dest_parse(s, &p, why, wl))
		return -EINVAL;
	if (p.is_name || p.prefix != (p.family == AF_INET ? 32 : 128) ||
	    (p.has_port && p.port_lo != p.port_hi)) {
		snprintf(why, wl, "expected an address with an optional port (ADDR, ADDR:PORT, "
			 "[IPV6]:PORT)");
		return -EINVAL;
	}
	out->family = p.family == AF_INET ? 4 : 6;
	out->port = p.has_port ? p.port_lo : DNS_PORT;
	memcpy(out->addr, p.addr, 16);
	return 0;
}

size_t filter_dns_resolv_conf(const char *text, struct dns_server_key *out, size_t max)
{
	const char *line = text;
	size_t n = 0;

	while (line && *line && n < max) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char addr[64], why[128];

		/* "nameserver ADDR", an IPv6 maybe with its %scope */
		if (len > 11 && len < 11 + sizeof(addr) && strncmp(line, "nameserver", 10) == 0 &&
		    (line[10] == ' ' || line[10] == '\t')) {
			size_t skip = strspn(line + 10, " \t");

			snprintf(addr, sizeof(addr), "%.*s", (int)(len - 10 - skip), line + 10 + skip);
			addr[strcspn(addr, " \t%#;")] = '\0';
			if (filter_dns_server_parse(addr, &out[n], why, sizeof(why)) == 0 &&
			    !strchr(addr, ']'))
				n++;
		}
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

static size_t read_resolv_conf(struct dns_server_key *out, size_t max)
{
	char buf[8192];
	FILE *f = fopen(DNS_RESOLV_CONF, "r");
	size_t len;

	if (!f)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	return filter_dns_resolv_conf(buf, out, max);
}

int filter_dns_configure(struct loader *l, const char *const *servers, size_t n,
			 uint32_t grace_s, char *err, size_t errlen)
{
	struct dns_server_key keys[DNS_MAX_SERVERS];
	struct dns_conf conf = { .active = 1, .ttl_max_s = DNS_TTL_MAX_S, .grace_s = grace_s };
	size_t nk = 0;
	__u32 zero = 0;
	__u8 one = 1;
	char why[160], text[INET6_ADDRSTRLEN];

	if (!l || !l->skel)
		return 0;
	for (size_t i = 0; i < n && nk < DNS_MAX_SERVERS; i++) {
		if (filter_dns_server_parse(servers[i], &keys[nk], why, sizeof(why))) {
			snprintf(err, errlen, "--dns-server %s: %s", servers[i], why);
			return -EINVAL;
		}
		nk++;
	}
	if (n == 0)
		nk = read_resolv_conf(keys, DNS_MAX_SERVERS);
	for (size_t i = 0; i < nk; i++) {
		if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.dns_servers), &keys[i], &one,
					BPF_ANY)) {
			snprintf(err, errlen, "dns: writing the trusted resolvers failed: %s",
				 strerror(errno));
			return -errno;
		}
		inet_ntop(keys[i].family == 4 ? AF_INET : AF_INET6, keys[i].addr, text,
			  sizeof(text));
		log_info("dns: names are learned%s from the answers of %s port %u",
			 l->dns_off ? " (while a rule names a destination)" : "", text,
			 keys[i].port);
	}
	for (size_t i = 0, np = 0; i < nk; i++) {
		size_t j;

		for (j = 0; j < np && conf.ports[j] != keys[i].port; j++)
			;
		if (j < np)
			continue;
		if (np == DNS_CONF_PORTS) {
			conf.any_port = 1;
			break;
		}
		conf.ports[np++] = keys[i].port;
	}
	if (nk == 0)
		log_warn("dns: no trusted resolver (%s names none, no --dns-server): `dest` names "
			 "hold for no address and records carry no dest_name", DNS_RESOLV_CONF);
	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.dns_conf), &zero, &conf, BPF_ANY)) {
		snprintf(err, errlen, "dns: writing dns_conf failed: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

uint64_t filter_dns_slots(const struct filter_net *c, const char *name, size_t len)
{
	uint64_t slots = 0;

	for (size_t k = 0; k < c->n_nkeys; k++)
		if (dest_name_covers(c->nkeys[k].name, (int)c->nkeys[k].wild, name, len))
			slots |= c->nkey_slots[k];
	return slots;
}

int filter_dns_rewrite(const struct loader *l, const struct filter_net *c)
{
	int fd = bpf_map__fd(l->skel->maps.dns_bind);
	struct dns_bind_key key, next;
	struct dns_bind_val v;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;	/* evicted meanwhile */
		v.slots = filter_dns_slots(c, v.name, v.name_len < sizeof(v.name) ?
							   v.name_len : sizeof(v.name));
		v.gen = c->conf.gen;
		bpf_map_update_elem(fd, &key, &v, BPF_EXIST);
	}
	return 0;
}

int filter_dns_count(const struct loader *l, uint64_t *n)
{
	int fd = l && l->skel ? bpf_map__fd(l->skel->maps.dns_bind) : -1;
	struct dns_bind_key key, next;
	void *prev = NULL;

	*n = 0;
	if (fd < 0)
		return -ENOENT;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		(*n)++;
	}
	return 0;
}

int filter_dns_parse(const uint8_t *msg, size_t len, struct dns_answer *out)
{
	struct dns_buf b = { msg, len, out };

	return dns_parse(&b, 0, (__u32)(len > UINT32_MAX ? UINT32_MAX : len));
}
