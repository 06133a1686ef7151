/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_forward_auth.c - the forward sink's shared-key handshake and its
 * backoff, against servers this test runs on 127.0.0.1 in a thread:
 *
 *   RIGHT      knows the key: HELO, checks nothing, PONG with the key's
 *              digest for its own name, then acks every message (the
 *              control: it proves the fake speaks the protocol)
 *   REFLECT    does not know the key: echoes our PING's name and digest
 *              back as its PONG (the bypass Fluentd's check_pong stops)
 *   REFLECT_RENAMED  the same digest under its own name (which the digest
 *              then does not fit)
 *   WRONG_KEY  another key: PONG false, as Fluentd answers
 *   HANGUP     accepts and closes at once (a failed handshake)
 *
 * The server counts connections and every byte that arrives after its
 * PONG, i.e. records sent to a server that did not prove the key.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>
#include <msgpack.h>
#include <openssl/evp.h>

#include "base/clock.h"
#include "sinks/sink.h"

enum server_mode { RIGHT, REFLECT, REFLECT_RENAMED, WRONG_KEY, HANGUP };

#define KEY "s3cret"
#define SERVER_NAME "custos-test-server"
#define NONCE "nonce-0123456789"

struct server {
	enum server_mode mode;
	int lfd, port;
	pthread_t th;
	int stop;		/* under mu */
	int accepts;		/* under mu */
	long after_pong;	/* bytes received after the PONG, under mu */
	int acks;		/* under mu */
	pthread_mutex_t mu;
};

static const char line[] =
	"{\"schema\":\"custos.event/1\",\"time\":\"2026-11-23T07:12:03.5Z\",\"seq\":1,"
	"\"kind\":\"exec\",\"rule\":\"r\"}\n";

static void hex_sha512(const char *parts[4], char out[129])
{
	unsigned char md[64];
	unsigned n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	assert_non_null(c);
	assert_true(EVP_DigestInit_ex(c, EVP_sha512(), NULL));
	for (int i = 0; i < 4; i++)
		assert_true(EVP_DigestUpdate(c, parts[i], strlen(parts[i])));
	assert_true(EVP_DigestFinal_ex(c, md, &n));
	EVP_MD_CTX_free(c);
	for (int i = 0; i < 64; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void send_all(int fd, const msgpack_sbuffer *sb)
{
	for (size_t off = 0; off < sb->size;) {
		ssize_t n = send(fd, sb->data + off, sb->size - off, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* The next msgpack object from fd into res (2 s at most): 1, or 0. */
static int recv_obj(struct server *sv, int fd, msgpack_unpacker *up, msgpack_unpacked *res,
		    int counting)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (msgpack_unpacker_next(up, res) == MSGPACK_UNPACK_SUCCESS)
			return 1;
		if (poll(&p, 1, 2000) != 1)
			return 0;
		msgpack_unpacker_reserve_buffer(up, 4096);
		n = recv(fd, msgpack_unpacker_buffer(up), 4096, 0);
		if (n <= 0)
			return 0;
		msgpack_unpacker_buffer_consumed(up, (size_t)n);
		if (counting) {
			pthread_mutex_lock(&sv->mu);
			sv->after_pong += n;
			pthread_mutex_unlock(&sv->mu);
		}
	}
}

static const msgpack_object *at(const msgpack_object *o, uint32_t i)
{
	return o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size > i ? &o->via.array.ptr[i]
									 : NULL;
}

static void str_of(const msgpack_object *o, char *buf, size_t size)
{
	size_t n = o && o->type == MSGPACK_OBJECT_STR ? o->via.str.size : 0;

	if (n >= size)
		n = size - 1;
	memcpy(buf, n ? o->via.str.ptr : "", n);
	buf[n] = '\0';
}

static void pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

/* HELO, PING, the PONG of the server's mode; then acks (RIGHT) or counts. */
static void serve_conn(struct server *sv, int fd)
{
	char host[256], salt[128], digest[129], hex[129];
	msgpack_unpacker up;
	msgpack_unpacked res;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_unpacker_init(&up, 4096);
	msgpack_unpacked_init(&res);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	pack_str(&pk, "HELO");
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "nonce");
	pack_str(&pk, NONCE);
	pack_str(&pk, "auth");
	pack_str(&pk, "");
	pack_str(&pk, "keepalive");
	msgpack_pack_true(&pk);
	send_all(fd, &sb);
	if (!recv_obj(sv, fd, &up, &res, 0))
		goto out;
	str_of(at(&res.data, 1), host, sizeof(host));
	str_of(at(&res.data, 2), salt, sizeof(salt));
	str_of(at(&res.data, 3), digest, sizeof(digest));
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_array(&pk, 5);
	pack_str(&pk, "PONG");
	if (sv->mode == WRONG_KEY) {
		msgpack_pack_false(&pk);
		pack_str(&pk, "shared_key mismatch");
		pack_str(&pk, SERVER_NAME);
		pack_str(&pk, "");
	} else if (sv->mode == REFLECT || sv->mode == REFLECT_RENAMED) {
		msgpack_pack_true(&pk);
		pack_str(&pk, "");
		/* the client's own name, or its own; the client's digest */
		pack_str(&pk, sv->mode == REFLECT ? host : SERVER_NAME);
		pack_str(&pk, digest);
	} else {
		const char *parts[4] = { salt, SERVER_NAME, NONCE, KEY };

		hex_sha512(parts, hex);
		msgpack_pack_true(&pk);
		pack_str(&pk, "");
		pack_str(&pk, SERVER_NAME);
		pack_str(&pk, hex);
	}
	send_all(fd, &sb);
	while (recv_obj(sv, fd, &up, &res, 1)) {
		const msgpack_object *opt = at(&res.data, 2);
		char chunk[64] = "";

		if (sv->mode != RIGHT || !opt || opt->type != MSGPACK_OBJECT_MAP)
			continue;
		for (uint32_t i = 0; i < opt->via.map.size; i++) {
			const msgpack_object *k = &opt->via.map.ptr[i].key;

			if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 5 &&
			    !memcmp(k->via.str.ptr, "chunk", 5))
				str_of(&opt->via.map.ptr[i].val, chunk, sizeof(chunk));
		}
		msgpack_sbuffer_clear(&sb);
		msgpack_pack_map(&pk, 1);
		pack_str(&pk, "ack");
		pack_str(&pk, chunk);
		send_all(fd, &sb);
		pthread_mutex_lock(&sv->mu);
		sv->acks++;
		pthread_mutex_unlock(&sv->mu);
	}
out:
	msgpack_sbuffer_destroy(&sb);
	msgpack_unpacked_destroy(&res);
	msgpack_unpacker_destroy(&up);
}

static void *server_main(void *arg)
{
	struct server *sv = arg;

	for (;;) {
		struct pollfd p = { .fd = sv->lfd, .events = POLLIN };
		int stop, fd;

		pthread_mutex_lock(&sv->mu);
		stop = sv->stop;
		pthread_mutex_unlock(&sv->mu);
		if (stop)
			return NULL;
		if (poll(&p, 1, 20) != 1)
			continue;
		fd = accept(sv->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&sv->mu);
		sv->accepts++;
		pthread_mutex_unlock(&sv->mu);
		if (sv->mode != HANGUP)
			serve_conn(sv, fd);
		close(fd);
	}
}

static void server_start(struct server *sv, enum server_mode mode)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	memset(sv, 0, sizeof(*sv));
	sv->mode = mode;
	pthread_mutex_init(&sv->mu, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sv->lfd >= 0);
	assert_int_equal(bind(sv->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(sv->lfd, 64), 0);
	assert_int_equal(getsockname(sv->lfd, (struct sockaddr *)&sa, &sl), 0);
	sv->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&sv->th, NULL, server_main, sv), 0);
}

static void server_stop(struct server *sv)
{
	pthread_mutex_lock(&sv->mu);
	sv->stop = 1;
	pthread_mutex_unlock(&sv->mu);
	pthread_join(sv->th, NULL);
	close(sv->lfd);
	pthread_mutex_destroy(&sv->mu);
}

static int server_get(struct server *sv, int *field)
{
	int v;

	pthread_mutex_lock(&sv->mu);
	v = *field;
	pthread_mutex_unlock(&sv->mu);
	return v;
}

static struct sink *open_sink(const struct server *sv, const char *opts)
{
	char spec[256], err[256];
	struct sink *s;

	snprintf(spec, sizeof(spec), "forward:127.0.0.1:%d,shared-key=" KEY
		 ",self-hostname=custos-test-client%s", sv->port, opts);
	assert_int_equal(sink_open(spec, &s, err, sizeof(err)), 0);
	return s;
}

/* The control: the fake server with the key gets the record and acks it. */
static void test_server_with_the_key_acks(void **state)
{
	struct server sv;
	struct sink_stats st = { 0 };
	struct sink *s;

	server_start(&sv, RIGHT);
	s = open_sink(&sv, "");
	assert_int_equal(sink_write(s, line, strlen(line)), 0);
	for (int i = 0; i < 250 && st.acked < 1; i++) {
		usleep(20000);
		sink_get_stats(s, &st);
	}
	assert_int_equal(st.acked, 1);
	assert_int_equal(st.errors, 0);
	assert_int_equal(sink_close(s), 0);
	server_stop(&sv);
	assert_int_equal(sv.acks, 1);
	assert_true(sv.after_pong > 0);
}

/* A server that reflects our PING as its PONG never gets a record, under
 * our name or its own. */
static void check_reflection_refused(enum server_mode mode)
{
	struct server sv;
	struct sink_stats st;
	struct sink *s;

	server_start(&sv, mode);
	s = open_sink(&sv, ",backoff-max-ms=200,drain-ms=0");
	assert_int_equal(sink_write(s, line, strlen(line)), 0);
	usleep(1200000);
	sink_get_stats(s, &st);
	assert_true(server_get(&sv, &sv.accepts) >= 2);	/* it was tried, and again */
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.acked, 0);
	assert_true(st.errors >= 2);
	assert_int_equal(sink_close(s), 0);
	server_stop(&sv);
	assert_int_equal(sv.after_pong, 0);	/* not one byte after the PONG */
}

static void test_reflecting_server_refused(void **state)
{
	check_reflection_refused(REFLECT);
	check_reflection_refused(REFLECT_RENAMED);
}

/*
 * While records keep coming (one every 5 ms, each waking the worker), the
 * attempts against a server that refuses follow the backoff: 100, 200, 400,
 * 800 ms, then the cap of 1000 ms, i.e. about 6 in 3 s; and the drain at
 * close backs off too.
 */
static void check_attempts_bounded(enum server_mode mode)
{
	struct server sv;
	struct sink *s;
	uint64_t t0;
	int before_close, n;

	server_start(&sv, mode);
	s = open_sink(&sv, ",backoff-max-ms=1000,drain-ms=1000");
	t0 = now_ms();
	while (now_ms() - t0 < 3000) {
		sink_write(s, line, strlen(line));
		usleep(5000);
	}
	before_close = server_get(&sv, &sv.accepts);
	assert_int_equal(sink_close(s), 0);
	n = server_get(&sv, &sv.accepts);
	server_stop(&sv);
	print_message("attempts: %d in 3 s, %d more during a 1 s drain\n", before_close,
		      n - before_close);
	assert_true(before_close >= 3);		/* it did retry */
	assert_true(before_close <= 8);		/* and backed off */
	assert_true(n - before_close <= 2);
	assert_int_equal(sv.after_pong, 0);
}

static void test_wrong_key_attempts_bounded(void **state)
{
	check_attempts_bounded(WRONG_KEY);
}

static void test_hangup_attempts_bounded(void **state)
{
	check_attempts_bounded(HANGUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_with_the_key_acks),
		cmocka_unit_test(test_reflecting_server_refused),
		cmocka_unit_test(test_wrong_key_attempts_bounded),
		cmocka_unit_test(test_hangup_attempts_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
