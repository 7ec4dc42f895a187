/*
 * Tests of lib/client.c: routes built from a name server's answer, the
 * round robin queue choice and how it avoids a failed broker, the check
 * of topic and group names, error strings, the waiting helpers, and a
 * client whose name servers are all down (sends fail with a clear code,
 * every name server is tried).
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "msg.h"
#include "name.h"
#include "xmalloc.h"

#include "proto/frame.pb-c.h"

/* A route answer: brokers a..(n-1) with q write queues each. */
static Petrel__GetRouteResponse *
route_resp(int n, uint32_t q, int with_slave_only)
{
	Petrel__GetRouteResponse	*r;
	Petrel__QueueData		*qd;
	Petrel__BrokerData		*bd;
	Petrel__BrokerAddress		*ba;
	char				 name[16], addr[32];
	int				 i;

	r = msg_new(&petrel__get_route_response__descriptor);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "broker-%c", 'a' + i);
		snprintf(addr, sizeof addr, "127.0.0.1:%d", 10000 + i);
		qd = msg_new(&petrel__queue_data__descriptor);
		msg_set_string(&qd->broker_name, name);
		qd->read_queues = qd->write_queues = q;
		qd->perm = 6;
		msg_array_add((void ***)&r->queues, &r->n_queues, qd);
		bd = msg_new(&petrel__broker_data__descriptor);
		msg_set_string(&bd->broker_name, name);
		ba = msg_new(&petrel__broker_address__descriptor);
		ba->broker_id = with_slave_only && i == n - 1 ? 1 : 0;
		msg_set_string(&ba->address, addr);
		msg_array_add((void ***)&bd->addresses, &bd->n_addresses, ba);
		msg_array_add((void ***)&r->brokers, &r->n_brokers, bd);
	}
	return (r);
}

START_TEST(test_route_build)
{
	struct client_route		*r;
	Petrel__GetRouteResponse	*resp;
	uint32_t			 next = 0;

	r = client_route_build("T", route_resp(2, 4, 0));
	ck_assert_uint_eq(r->nqueues, 8);
	ck_assert_str_eq(r->queues[0].broker, "broker-a");
	ck_assert_uint_eq(r->queues[3].queue_id, 3);
	ck_assert_str_eq(r->queues[4].broker, "broker-b");
	ck_assert_str_eq(r->queues[4].address, "127.0.0.1:10001");
	ck_assert_str_eq(client_route_master(r, "broker-a"),
	    "127.0.0.1:10000");
	ck_assert_ptr_null(client_route_master(r, "broker-z"));
	client_route_free(r);

	/* A broker without a master, or not writable, has no write queue. */
	r = client_route_build("T", route_resp(2, 4, 1));
	ck_assert_uint_eq(r->nqueues, 4);
	client_route_free(r);
	resp = route_resp(1, 4, 0);
	resp->queues[0]->perm = PETREL__PERM__PERM_READ;
	r = client_route_build("T", resp);
	ck_assert_uint_eq(r->nqueues, 0);
	ck_assert_int_eq(client_route_pick(r, &next, NULL), -1);
	client_route_free(r);
}
END_TEST

START_TEST(test_route_pick)
{
	struct client_route	*r;
	uint32_t		 next = 0;
	int			 i, k, seen[8];

	r = client_route_build("T", route_resp(2, 4, 0));
	memset(seen, 0, sizeof seen);
	for (i = 0; i < 16; i++) {
		k = client_route_pick(r, &next, NULL);
		ck_assert_int_eq(k, i % 8);
		seen[k]++;
	}
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(seen[i], 2);

	/* Avoiding broker-b: only broker-a's queues, still in turn. */
	for (i = 0; i < 12; i++) {
		k = client_route_pick(r, &next, "broker-b");
		ck_assert_str_eq(r->queues[k].broker, "broker-a");
	}
	/* Avoiding the only broker: it is used all the same. */
	client_route_free(r);
	r = client_route_build("T", route_resp(1, 2, 0));
	for (i = 0; i < 4; i++)
		ck_assert_int_ge(client_route_pick(r, &next, "broker-a"), 0);
	client_route_free(r);
}
END_TEST

/*
 * Names as the broker takes them (lib/name.h): 1 to 127 bytes of
 * [A-Za-z0-9_%-], a leading '%' only where the caller allows it.
 */
START_TEST(test_name_ok)
{
	const char	*bad[] = { "", "a|b", "|", "a.b", "a/b", "a b", "a\n",
			    "\xc3\xa9", NULL };
	const char	*good[] = { "a", "Orders_1-x", "A%B", "0", NULL };
	char		 name[NAME_LEN_MAX + 2];
	size_t		 i;

	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(!client_name_ok(bad[i], 0), "%s", bad[i]);
		ck_assert_msg(!client_name_ok(bad[i], 1), "%s", bad[i]);
	}
	for (i = 0; good[i] != NULL; i++) {
		ck_assert_msg(client_name_ok(good[i], 0), "%s", good[i]);
		ck_assert_msg(client_name_ok(good[i], 1), "%s", good[i]);
	}
	ck_assert(!client_name_ok("%RETRY%g", 0));
	ck_assert(client_name_ok("%RETRY%g", 1));
	ck_assert(!client_name_ok("%", 0));
	ck_assert(client_name_ok("%", 1));

	memset(name, 'n', NAME_LEN_MAX + 1);
	name[NAME_LEN_MAX + 1] = '\0';
	ck_assert(!client_name_ok(name, 1));
	name[NAME_LEN_MAX] = '\0';
	ck_assert(client_name_ok(name, 0));
	name[NAME_LEN_MAX - 1] = '|';
	ck_assert(!client_name_ok(name, 0));
}
END_TEST

START_TEST(test_strerror)
{
	static const int	 codes[] = { PETREL_OK, PETREL_E_SYSTEM,
	    PETREL_E_BUSY, PETREL_E_BAD_REQUEST, PETREL_E_NOT_FOUND,
	    PETREL_E_FLUSH_DISK_TIMEOUT, PETREL_E_MESSAGE_ILLEGAL,
	    PETREL_E_SERVICE_NOT_AVAILABLE, PETREL_E_TOPIC_NOT_EXIST,
	    PETREL_E_NOT_WRITABLE, PETREL_E_TIMEOUT,
	    PETREL_E_CONNECTION_CLOSED, PETREL_E_CONNECT_FAILED,
	    PETREL_E_PROTOCOL, PETREL_E_NOT_SENT };
	const char		*unknown = petrel_strerror(12345);
	size_t			 i, j;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		ck_assert_str_ne(petrel_strerror(codes[i]), unknown);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(petrel_strerror(codes[i]),
			    petrel_strerror(codes[j]));
	}
	ck_assert_str_eq(petrel_version(), PACKAGE_VERSION);
}
END_TEST

static void *
answer_later(void *arg)
{
	struct client_wait	*w = arg;

	usleep(20000);
	client_wait_done(w, PETREL_E_TIMEOUT, "too slow");
	return (NULL);
}

static void *
answer_now(void *arg)
{
	client_wait_done(arg, PETREL_E_BUSY, NULL);
	return (NULL);
}

START_TEST(test_wait)
{
	struct petrel_client	*c;
	struct client_wait	w;
	struct petrel_error	err;
	pthread_t		t;
	int			i;

	/* Waits run the client's loop meanwhile; nothing is asked of it. */
	c = petrel_client_new("127.0.0.1:1", &err);
	ck_assert_ptr_nonnull(c);

	client_wait_init(&w, NULL, 0);
	pthread_create(&t, NULL, answer_later, &w);
	ck_assert_int_eq(client_wait_for(c, &w, &err), -1);
	ck_assert_int_eq(err.code, PETREL_E_TIMEOUT);
	ck_assert_str_eq(err.text, "too slow");
	pthread_join(t, NULL);

	client_wait_init(&w, NULL, 0);
	client_wait_done(&w, PETREL_OK, NULL);
	ck_assert_int_eq(client_wait_for(c, &w, &err), 0);

	/* Answer and wait racing: every wait ends with its own answer. */
	for (i = 0; i < 2000; i++) {
		client_wait_init(&w, NULL, 0);
		pthread_create(&t, NULL, answer_now, &w);
		ck_assert_int_eq(client_wait_for(c, &w, &err), -1);
		ck_assert_int_eq(err.code, PETREL_E_BUSY);
		pthread_join(t, NULL);
	}
	petrel_client_free(c);
}
END_TEST

static void *
leave_later(void *arg)
{
	usleep(20000);
	client_gate_leave(arg);
	return (NULL);
}

START_TEST(test_gate)
{
	struct client_gate	g;
	pthread_t		t;

	client_gate_init(&g, 2);
	ck_assert_int_eq(client_gate_enter(&g, 0), 0);
	ck_assert_int_eq(client_gate_enter(&g, 0), 0);
	ck_assert_int_eq(client_gate_enter(&g, 10), -1);
	ck_assert_int_eq(client_gate_drain(&g, 10), -1);
	pthread_create(&t, NULL, leave_later, &g);
	ck_assert_int_eq(client_gate_enter(&g, 5000), 0);
	pthread_join(t, NULL);
	client_gate_leave(&g);
	client_gate_leave(&g);
	ck_assert_int_eq(client_gate_drain(&g, 0), 0);
	client_gate_fini(&g);
}
END_TEST

/* A loopback port nothing listens on. */
static int
dead_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

START_TEST(test_no_namesrv)
{
	struct petrel_client	*c;
	struct petrel_producer	*p;
	struct petrel_msg	*m;
	struct petrel_error	 err;
	char			 list[64];

	ck_assert_ptr_null(petrel_client_new("nonsense", &err));
	ck_assert_int_eq(err.code, PETREL_E_BAD_REQUEST);
	ck_assert_ptr_null(petrel_client_new(";", &err));
	ck_assert_ptr_null(petrel_client_new(NULL, &err));

	snprintf(list, sizeof list, "127.0.0.1:%d;127.0.0.1:%d", dead_port(),
	    dead_port());
	c = petrel_client_new(list, &err);
	ck_assert_ptr_nonnull(c);
	p = petrel_producer_new(c, NULL, &err);
	ck_assert_ptr_nonnull(p);
	m = petrel_msg_new("T", "x", 1);
	ck_assert_int_eq(petrel_send(p, m, NULL, &err), -1);
	ck_assert_int_eq(err.code, PETREL_E_CONNECT_FAILED);
	ck_assert_int_eq(petrel_send_async(p, m, NULL, NULL, &err), 0);
	ck_assert_int_eq(petrel_producer_flush(p, 5000, &err), 0);
	petrel_msg_free(m);
	petrel_producer_free(p);
	petrel_client_free(c);
}
END_TEST

/* The two intervals default to 30 s and are range-checked. */
START_TEST(test_client_options)
{
	struct petrel_client_options	 o;
	struct petrel_client		*c;
	struct petrel_error		 err;
	uint32_t			 bad[] = { 0, PETREL_INTERVAL_MIN_MS - 1,
					     PETREL_INTERVAL_MAX_MS + 1 };
	size_t				 i;

	petrel_client_options_init(&o);
	ck_assert_uint_eq(o.poll_namesrv_ms, 30000);
	ck_assert_uint_eq(o.heartbeat_ms, 30000);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		petrel_client_options_init(&o);
		o.poll_namesrv_ms = bad[i];
		memset(&err, 0, sizeof err);
		ck_assert_ptr_null(petrel_client_new_opts("127.0.0.1:1", &o,
		    &err));
		ck_assert_int_eq(err.code, PETREL_E_BAD_REQUEST);
		ck_assert_ptr_nonnull(strstr(err.text, "poll_namesrv_ms"));
		petrel_client_options_init(&o);
		o.heartbeat_ms = bad[i];
		ck_assert_ptr_null(petrel_client_new_opts("127.0.0.1:1", &o,
		    &err));
		ck_assert_int_eq(err.code, PETREL_E_BAD_REQUEST);
	}
	o.poll_namesrv_ms = PETREL_INTERVAL_MIN_MS;
	o.heartbeat_ms = PETREL_INTERVAL_MAX_MS;
	c = petrel_client_new_opts("127.0.0.1:1", &o, &err);
	ck_assert_ptr_nonnull(c);
	petrel_client_free(c);
	c = petrel_client_new_opts("127.0.0.1:1", NULL, &err);
	ck_assert_ptr_nonnull(c);
	petrel_client_free(c);
}
END_TEST

Suite *
petrel_client_suite(void)
{
	Suite	*s = suite_create("petrel_client");
	TCase	*tc;

	tc = tcase_create("route");
	tcase_add_test(tc, test_route_build);
	tcase_add_test(tc, test_route_pick);
	suite_add_tcase(s, tc);
	tc = tcase_create("api");
	tcase_add_test(tc, test_name_ok);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_wait);
	tcase_add_test(tc, test_gate);
	tcase_add_test(tc, test_no_namesrv);
	tcase_add_test(tc, test_client_options);
	suite_add_tcase(s, tc);
	return (s);
}
