/*
 * Tests of lib/actor.c: detached actors (the fake runtime every actor test
 * uses), dispatch and ownership, asking and answering across loops, wakes,
 * timers, handles, back-pressure and the ordered shutdown.  LSan checks
 * that every message, handled or still queued, is freed.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actor.h"
#include "log.h"
#include "msg.h"
#include "runtime.pb-c.h"
#include "testutil.h"
#include "xmalloc.h"

#define WAIT_MS		10000	/* deadline of every wait */
#define REC_IDS		1024
#define REC_SENDERS	4

/* An actor that records what it gets and does what its flags say. */
struct rec {
	struct actor	*self;
	struct actor	*peer;
	_Atomic(int)	 probes;
	_Atomic(int)	 ticks[4];
	_Atomic(int)	 wrong_loop;
	_Atomic(int)	 out_of_order;
	uint64_t	 last[REC_SENDERS];
	uint64_t	 ids[REC_IDS];
	size_t		 nids;
	struct envelope	 env;		/* of the last Probe */
	Petrel__Probe	*kept;
	int		 keep;		/* keep Probes (ACTOR_KEPT) */
	int		 reply;		/* answer Probe{id + 1} */
	uint32_t	 error_status;	/* answer an Error instead */
	int		 cancel_at;	/* stop timer 1 after so many ticks */
	uint64_t	 free_at;	/* free itself on this Probe id */
	uint64_t	 poke_at;	/* on this id: cancel peer's timer 1 */
	uint32_t	 got_status;	/* of the last Error */
	char		*got_text;
};

static int	rec_init(struct actor *, void *);
static void	rec_fini(void *);
static int	rec_on_probe(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	rec_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	rec_on_error(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler rec_handlers[] = {
	{ &petrel__probe__descriptor,	rec_on_probe },
	{ &petrel__tick__descriptor,	rec_on_tick },
	{ &petrel__error__descriptor,	rec_on_error },
	{ NULL, NULL }
};

static const struct actor_type rec_actor = {
	.name = "rec",
	.size = sizeof(struct rec),
	.init = rec_init,
	.fini = rec_fini,
	.handlers = rec_handlers
};

static _Atomic(int) rec_finis;

/* Wait until *flag reaches want, at most WAIT_MS; whether it did. */
static int
wait_for(_Atomic(int) *flag, int want)
{
	struct timespec	 ts = { 0, 1000000 };
	uint64_t	 deadline = test_now_ms() + WAIT_MS;

	while (atomic_load(flag) < want) {
		if (test_now_ms() > deadline)
			return (0);
		nanosleep(&ts, NULL);
	}
	return (1);
}

/* A Probe with id. */
static Petrel__Probe *
probe(uint64_t id)
{
	Petrel__Probe	*p = msg_new(&petrel__probe__descriptor);

	p->id = id;
	return (p);
}

static int
rec_init(struct actor *a, void *state)
{
	struct rec	*r = state;

	r->self = a;
	return (0);
}

static void
rec_fini(void *state)
{
	struct rec	*r = state;

	msg_free(r->kept);
	free(r->got_text);
	atomic_fetch_add(&rec_finis, 1);
}

/* Record a Probe (sender in the top byte of the id), then act on flags. */
static int
rec_on_probe(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct rec	*r = state;
	Petrel__Probe	*p = (Petrel__Probe *)m;
	uint64_t	 sender = p->id >> 56, seq = p->id & 0xffffffffffffff;

	if (loop_current() != actor_loop(r->self))
		atomic_fetch_add(&r->wrong_loop, 1);
	if (sender < REC_SENDERS) {
		if (seq <= r->last[sender])
			atomic_fetch_add(&r->out_of_order, 1);
		r->last[sender] = seq;
	}
	if (r->nids < REC_IDS)
		r->ids[r->nids++] = p->id;
	r->env = *env;
	if (r->reply)
		actor_reply(env, probe(p->id + 1));
	if (r->error_status != 0)
		actor_reply_error(env, r->error_status, "bad probe %llu",
		    (unsigned long long)p->id);
	if (r->poke_at != 0 && p->id == r->poke_at) {
		actor_timer_cancel(r->peer, 1);
		actor_send(r->peer, probe(1));
	}
	if (r->free_at != 0 && p->id == r->free_at)
		actor_free(r->self);
	atomic_fetch_add(&r->probes, 1);
	if (r->keep) {
		msg_free(r->kept);
		r->kept = p;
		return (ACTOR_KEPT);
	}
	return (0);
}

/* Count a Tick; after cancel_at ticks of timer 1 stop it, arm timer 2. */
static int
rec_on_tick(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct rec	*r = state;
	Petrel__Tick	*t = (Petrel__Tick *)m;
	int		 n;

	if (t->id >= 4)
		return (-1);
	n = atomic_fetch_add(&r->ticks[t->id], 1) + 1;
	if (t->id == 1 && r->cancel_at != 0 && n == r->cancel_at) {
		actor_timer_cancel(r->self, 1);
		actor_timer(r->self, 2, 30, 0);
	}
	return (0);
}

/* Record an Error answer. */
static int
rec_on_error(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct rec	*r = state;
	Petrel__Error	*e = (Petrel__Error *)m;

	r->got_status = e->status;
	free(r->got_text);
	r->got_text = xstrdup(e->text);
	r->env = *env;
	return (0);
}

/* Spawn a rec actor. */
static struct actor *
rec_spawn(struct loop *l, const char *name, struct rec **state)
{
	struct actor	*a = actor_spawn(l, &rec_actor, name);

	ck_assert_ptr_nonnull(a);
	*state = actor_state(a);
	return (a);
}

/* Send stderr to a temporary file until capture_end(). */
static void
capture_start(void)
{
	ck_assert_int_eq(test_capture_start(), 0);
}

/* Restore stderr; what was written meanwhile (the caller frees it). */
static char *
capture_end(void)
{
	char	*out = test_capture_end();

	ck_assert_ptr_nonnull(out);
	return (out);
}

START_TEST(test_detached_order)
{
	struct actor	*a;
	struct rec	*r;
	uint64_t	 i;

	a = rec_spawn(NULL, "rec", &r);
	ck_assert_str_eq(actor_name(a), "rec");
	ck_assert_ptr_null(actor_loop(a));
	for (i = 1; i <= 100; i++)
		ck_assert_int_eq(actor_send(a, probe(i)), 0);
	ck_assert_uint_eq(actor_depth(a), 100);
	ck_assert_int_eq(atomic_load(&r->probes), 0);
	ck_assert_uint_eq(actor_run_pending(a), 100);
	ck_assert_uint_eq(actor_depth(a), 0);
	for (i = 0; i < 100; i++)
		ck_assert_uint_eq(r->ids[i], i + 1);
	ck_assert_int_eq(atomic_load(&r->wrong_loop), 0);
	ck_assert_uint_eq(actor_run_pending(a), 0);
	actor_free(a);
	ck_assert_int_eq(atomic_load(&rec_finis), 1);
}
END_TEST

START_TEST(test_pop)
{
	struct actor	*a, *peer;
	struct rec	*r, *pr;
	struct envelope	 env = { NULL, 11, 12 };
	Petrel__Probe	*p;

	a = rec_spawn(NULL, "a", &r);
	peer = rec_spawn(NULL, "peer", &pr);
	actor_ask(a, probe(5), peer, 9);
	env.from = peer;
	actor_post(a, probe(6), &env);
	actor_send(a, msg_new(&petrel__tick__descriptor));
	p = (Petrel__Probe *)actor_pop(a, &env);
	ck_assert_uint_eq(p->id, 5);
	ck_assert_ptr_eq(env.from, peer);
	ck_assert_uint_eq(env.cookie, 9);
	ck_assert_uint_eq(env.conn, 0);
	msg_free(p);
	p = (Petrel__Probe *)actor_pop(a, &env);
	ck_assert_uint_eq(p->id, 6);
	ck_assert_uint_eq(env.cookie, 11);
	ck_assert_uint_eq(env.conn, 12);
	msg_free(p);
	/* The rest is run, not popped; popping an empty box gives NULL. */
	ck_assert_uint_eq(actor_run_pending(a), 1);
	ck_assert_int_eq(atomic_load(&r->ticks[0]), 1);
	ck_assert_ptr_null(actor_pop(a, &env));
	ck_assert_ptr_null(env.from);
	ck_assert_ptr_null(actor_pop(a, NULL));
	actor_send(a, probe(7));	/* left queued: actor_free frees it */
	actor_free(a);
	actor_free(peer);
}
END_TEST

START_TEST(test_kept)
{
	struct actor	*a;
	struct rec	*r;
	Petrel__Probe	*p;

	a = rec_spawn(NULL, "keeper", &r);
	r->keep = 1;
	actor_send(a, probe(3));
	actor_run_pending(a);
	ck_assert_ptr_nonnull(r->kept);
	ck_assert_uint_eq(r->kept->id, 3);
	p = r->kept;			/* the handler's now; take it over */
	r->kept = NULL;
	ck_assert_uint_eq(p->id, 3);
	msg_free(p);
	actor_send(a, probe(4));
	actor_run_pending(a);		/* kept again: fini frees it */
	actor_free(a);
}
END_TEST

START_TEST(test_send_fails)
{
	struct actor	*a;
	struct rec	*r;
	struct envelope	 env = { NULL, 1, 0 };

	/* Every failure still takes the message over (LSan checks). */
	ck_assert_int_eq(actor_send(NULL, probe(1)), -1);
	ck_assert_int_eq(actor_ask(NULL, probe(1), NULL, 1), -1);
	ck_assert_int_eq(actor_post(NULL, probe(1), &env), -1);
	ck_assert_int_eq(actor_reply(&env, probe(1)), -1);
	ck_assert_int_eq(actor_reply(NULL, probe(1)), -1);
	ck_assert_int_eq(actor_reply_error(&env, 1, "x"), -1);
	a = rec_spawn(NULL, "rec", &r);
	ck_assert_int_eq(actor_send(a, NULL), -1);
	ck_assert_uint_eq(actor_depth(a), 0);
	actor_free(a);
	actor_free(NULL);
}
END_TEST

START_TEST(test_unknown_type)
{
	struct actor	*a;
	struct rec	*r;
	char		*out;

	a = rec_spawn(NULL, "rec", &r);
	actor_send(a, msg_new(&petrel__configured__descriptor));
	capture_start();
	ck_assert_uint_eq(actor_run_pending(a), 1);
	out = capture_end();
	ck_assert_ptr_nonnull(strstr(out,
	    "actor rec: no handler for petrel.Configured"));
	free(out);
	actor_free(a);
}
END_TEST

START_TEST(test_stop_answered)
{
	struct actor	*a, *peer;
	struct rec	*r, *pr;
	struct envelope	 env;
	ProtobufCMessage *m;

	/* rec has no Stop handler: the runtime answers Stopped for it. */
	a = rec_spawn(NULL, "rec", &r);
	peer = rec_spawn(NULL, "peer", &pr);
	actor_ask(a, msg_new(&petrel__stop__descriptor), peer, 33);
	ck_assert_uint_eq(actor_run_pending(a), 1);
	m = actor_pop(peer, &env);
	ck_assert(msg_is(m, &petrel__stopped__descriptor));
	ck_assert_uint_eq(env.cookie, 33);
	msg_free(m);
	actor_free(a);
	actor_free(peer);
}
END_TEST

START_TEST(test_reply)
{
	struct actor	*server, *client;
	struct rec	*s, *c;
	struct envelope	 env = { NULL, 77, 5 };
	Petrel__Probe	*p;

	server = rec_spawn(NULL, "server", &s);
	client = rec_spawn(NULL, "client", &c);
	s->reply = 1;
	env.from = client;
	actor_post(server, probe(40), &env);
	actor_run_pending(server);
	p = (Petrel__Probe *)actor_pop(client, &env);
	ck_assert_uint_eq(p->id, 41);
	ck_assert_uint_eq(env.cookie, 77);
	ck_assert_uint_eq(env.conn, 5);
	ck_assert_ptr_null(env.from);
	msg_free(p);
	/* An error answer goes through the client's Error handler. */
	s->reply = 0;
	s->error_status = 5;
	actor_ask(server, probe(8), client, 78);
	actor_run_pending(server);
	ck_assert_uint_eq(actor_run_pending(client), 1);
	ck_assert_uint_eq(c->got_status, 5);
	ck_assert_str_eq(c->got_text, "bad probe 8");
	ck_assert_uint_eq(c->env.cookie, 78);
	/* Asked without a sender: nobody to answer, nothing leaks. */
	actor_send(server, probe(9));
	actor_run_pending(server);
	actor_free(server);
	actor_free(client);
}
END_TEST

START_TEST(test_hwm)
{
	struct actor	*a;
	struct rec	*r;

	a = rec_spawn(NULL, "rec", &r);
	actor_send(a, probe(1));
	actor_send(a, probe(2));
	actor_send(a, probe(3));
	ck_assert_int_eq(actor_busy(a), 0);	/* no mark: never busy */
	actor_set_hwm(a, 3);
	ck_assert_int_eq(actor_busy(a), 0);
	actor_send(a, probe(4));
	ck_assert_uint_eq(actor_depth(a), 4);
	ck_assert_int_eq(actor_busy(a), 1);
	ck_assert_uint_eq(actor_run_pending(a), 4);
	ck_assert_int_eq(actor_busy(a), 0);
	actor_set_hwm(a, 0);
	actor_free(a);
}
END_TEST

START_TEST(test_ref)
{
	struct actor	*a, *b;
	struct rec	*r;
	uint64_t	 ra, rb;

	a = rec_spawn(NULL, "a", &r);
	b = rec_spawn(NULL, "b", &r);
	ra = actor_ref(a);
	rb = actor_ref(b);
	ck_assert_uint_ne(ra, 0);
	ck_assert_uint_ne(ra, rb);
	ck_assert_uint_eq(actor_ref(a), ra);
	ck_assert_ptr_eq(actor_deref(ra), a);
	ck_assert_ptr_eq(actor_deref(rb), b);
	ck_assert_ptr_null(actor_deref(0));
	ck_assert_ptr_null(actor_deref(ra + 12345));
	ck_assert_ptr_null(actor_deref(UINT64_MAX));
	ck_assert_uint_eq(actor_ref(NULL), 0);
	actor_free(a);
	ck_assert_ptr_null(actor_deref(ra));	/* stale: not the new one */
	a = rec_spawn(NULL, "a2", &r);
	ck_assert_ptr_null(actor_deref(ra));
	ck_assert_ptr_eq(actor_deref(actor_ref(a)), a);
	actor_free(a);
	actor_free(b);
	ck_assert_ptr_null(actor_deref(rb));
}
END_TEST

START_TEST(test_trace)
{
	struct actor	*a;
	struct rec	*r;
	char		*out;

	a = rec_spawn(NULL, "traced", &r);
	log_init("check", LOG_LEVEL_DEBUG);
	actor_send(a, probe(1));
	capture_start();
	actor_run_pending(a);
	out = capture_end();
	ck_assert_ptr_null(strstr(out, "<-"));	/* level 2: not traced */
	free(out);
	log_setverbose(3);
	actor_send(a, probe(2));
	capture_start();
	actor_run_pending(a);
	out = capture_end();
	ck_assert_ptr_nonnull(strstr(out, "traced <- petrel.Probe"));
	free(out);
	actor_free(a);
}
END_TEST

START_TEST(test_free_in_handler)
{
	struct actor	*a;
	struct rec	*r;
	uint64_t	 i;

	a = rec_spawn(NULL, "doomed", &r);
	r->free_at = 2;
	for (i = 1; i <= 5; i++)
		actor_send(a, probe(i));
	/* Gone after the second; the other three are freed with it. */
	ck_assert_uint_eq(actor_run_pending(a), 2);
	ck_assert_int_eq(atomic_load(&rec_finis), 1);
}
END_TEST

START_TEST(test_timer_detached)
{
	struct actor	*a;
	struct rec	*r;

	a = rec_spawn(NULL, "rec", &r);
	ck_assert_int_eq(actor_timer(a, 1, 0, 0), 0);
	ck_assert_int_eq(actor_timer(a, 2, 1, 1), 0);
	ck_assert_int_eq(actor_timer(a, 1, 5, 1), 0);	/* replaced */
	ck_assert_uint_eq(actor_run_pending(a), 0);	/* never fire */
	actor_timer_cancel(a, 2);
	actor_timer_cancel(a, 99);
	ck_assert_int_eq(actor_timer(NULL, 1, 1, 0), -1);
	actor_free(a);			/* timer 1 still set: freed */
}
END_TEST

static int
bad_init(struct actor *a, void *state)
{
	actor_timer(a, 1, 10, 1);
	return (-1);
}

static const struct actor_type bad_actor = {
	.name = "bad",
	.size = 16,
	.init = bad_init,
};

START_TEST(test_init_fails)
{
	struct loop	*l = loop_new("bad");
	char		*out;

	capture_start();
	ck_assert_ptr_null(actor_spawn(NULL, &bad_actor, NULL));
	ck_assert_ptr_null(actor_spawn(l, &bad_actor, "bad2"));
	out = capture_end();
	ck_assert_ptr_nonnull(strstr(out, "actor bad failed to start"));
	ck_assert_ptr_nonnull(strstr(out, "actor bad2 failed to start"));
	free(out);
	loop_free(l);
}
END_TEST

/* Asks server on a Probe without cookie; records the answer. */
struct client {
	struct actor	*self;
	struct actor	*server;
	_Atomic(int)	 done;
	uint64_t	 got_id;
	uint64_t	 got_cookie;
	int		 got_from;	/* the answer had a sender */
	int		 right_loop;
};

static int	client_init(struct actor *, void *);
static int	client_on_probe(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler client_handlers[] = {
	{ &petrel__probe__descriptor,	client_on_probe },
	{ NULL, NULL }
};

static const struct actor_type client_actor = {
	.name = "client",
	.size = sizeof(struct client),
	.init = client_init,
	.handlers = client_handlers
};

static int
client_init(struct actor *a, void *state)
{
	((struct client *)state)->self = a;
	return (0);
}

static int
client_on_probe(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct client	*c = state;
	Petrel__Probe	*p = (Petrel__Probe *)m;

	if (env->cookie == 0)
		return (actor_ask(c->server, probe(p->id), c->self, 42));
	c->got_id = p->id;
	c->got_cookie = env->cookie;
	c->got_from = env->from != NULL;
	c->right_loop = loop_current() == actor_loop(c->self);
	atomic_store(&c->done, 1);
	return (0);
}

START_TEST(test_ask_two_loops)
{
	struct loop	*l1 = loop_new("one"), *l2 = loop_new("two");
	struct actor	*ca, *sa;
	struct client	*c;
	struct rec	*s;

	ca = actor_spawn(l1, &client_actor, NULL);
	c = actor_state(ca);
	sa = rec_spawn(l2, "server", &s);
	s->reply = 1;
	c->server = sa;
	ck_assert_ptr_eq(actor_loop(ca), l1);
	loop_start(l1);
	loop_start(l2);
	actor_send(ca, probe(100));
	ck_assert(wait_for(&c->done, 1));
	ck_assert_uint_eq(c->got_id, 101);
	ck_assert_uint_eq(c->got_cookie, 42);
	ck_assert_int_eq(c->got_from, 0);
	ck_assert_int_eq(c->right_loop, 1);
	ck_assert_int_eq(atomic_load(&s->wrong_loop), 0);
	loop_exit(l1);
	loop_exit(l2);
	loop_join(l1);
	loop_join(l2);
	actor_free(ca);
	actor_free(sa);
	loop_free(l1);
	loop_free(l2);
}
END_TEST

START_TEST(test_wakes)
{
	struct loop	*l = loop_new("wakes");
	struct actor	*a;
	struct rec	*r;
	uint64_t	 i;

	a = rec_spawn(l, "rec", &r);
	/* Loop not running: 1000 sends, one wake. */
	for (i = 1; i <= 1000; i++)
		actor_send(a, probe(i));
	ck_assert_uint_eq(actor_wakes(a), 1);
	ck_assert_uint_eq(actor_depth(a), 1000);
	loop_start(l);
	ck_assert(wait_for(&r->probes, 1000));
	ck_assert_int_eq(atomic_load(&r->out_of_order), 0);
	ck_assert_int_eq(atomic_load(&r->wrong_loop), 0);
	for (i = 0; i < 1000; i++) {
		if (r->ids[i] != i + 1)
			ck_abort_msg("ids[%llu] is %llu", (unsigned long long)i,
			    (unsigned long long)r->ids[i]);
	}
	loop_exit(l);
	loop_join(l);
	ck_assert_uint_eq(actor_depth(a), 0);
	actor_free(a);
	loop_free(l);
}
END_TEST

struct sender {
	pthread_t	 thread;
	struct actor	*to;
	uint64_t	 index;
};

/* Send 20000 Probes with the sender index in the top byte. */
static void *
sender_main(void *arg)
{
	struct sender	*s = arg;
	uint64_t	 i;

	for (i = 1; i <= 20000; i++)
		actor_send(s->to, probe(s->index << 56 | i));
	return (NULL);
}

START_TEST(test_order_threads)
{
	struct loop	*l = loop_new("order");
	struct sender	 senders[REC_SENDERS];
	struct actor	*a;
	struct rec	*r;
	int		 i;

	a = rec_spawn(l, "rec", &r);
	loop_start(l);
	for (i = 0; i < REC_SENDERS; i++) {
		senders[i].to = a;
		senders[i].index = (uint64_t)i;
		pthread_create(&senders[i].thread, NULL, sender_main,
		    &senders[i]);
	}
	for (i = 0; i < REC_SENDERS; i++)
		pthread_join(senders[i].thread, NULL);
	ck_assert(wait_for(&r->probes, REC_SENDERS * 20000));
	loop_exit(l);
	loop_join(l);
	ck_assert_int_eq(atomic_load(&r->out_of_order), 0);
	for (i = 0; i < REC_SENDERS; i++)
		ck_assert_uint_eq(r->last[i], 20000);
	ck_assert_uint_le(actor_wakes(a), REC_SENDERS * 20000);
	actor_free(a);
	loop_free(l);
}
END_TEST

START_TEST(test_timer_oneshot)
{
	struct loop	*l = loop_new("timers");
	struct actor	*a;
	struct rec	*r;

	a = rec_spawn(l, "rec", &r);
	loop_start(l);
	/* Armed from another thread while the loop runs. */
	ck_assert_int_eq(actor_timer(a, 1, 10, 0), 0);
	ck_assert_int_eq(actor_timer(a, 3, 60000, 0), 0);
	ck_assert_int_eq(actor_timer(a, 2, 80, 0), 0);
	ck_assert(wait_for(&r->ticks[2], 1));
	/* Timer 2 fired later: by then timer 1 fired once, 3 not yet. */
	ck_assert_int_eq(atomic_load(&r->ticks[1]), 1);
	ck_assert_int_eq(atomic_load(&r->ticks[3]), 0);
	/* A fired one-shot timer can be armed again. */
	ck_assert_int_eq(actor_timer(a, 1, 1, 0), 0);
	ck_assert(wait_for(&r->ticks[1], 2));
	loop_exit(l);
	loop_join(l);
	actor_free(a);			/* timer 3 pending: freed */
	loop_free(l);
}
END_TEST

START_TEST(test_timer_repeat)
{
	struct loop	*l = loop_new("timers");
	struct actor	*a;
	struct rec	*r;

	a = rec_spawn(l, "rec", &r);
	r->cancel_at = 3;
	actor_timer(a, 1, 5, 1);
	loop_start(l);
	/* The handler cancels timer 1 at its third tick and arms timer 2. */
	ck_assert(wait_for(&r->ticks[2], 1));
	ck_assert_int_eq(atomic_load(&r->ticks[1]), 3);
	loop_exit(l);
	loop_join(l);
	actor_free(a);
	loop_free(l);
}
END_TEST

START_TEST(test_timer_rearm)
{
	struct loop	*l = loop_new("timers");
	struct actor	*a;
	struct rec	*r;

	a = rec_spawn(l, "rec", &r);
	loop_start(l);
	/* Arming an id again replaces it: one tick, soon. */
	actor_timer(a, 1, 60000, 1);
	actor_timer(a, 1, 5, 0);
	actor_timer(a, 2, 60, 0);
	ck_assert(wait_for(&r->ticks[2], 1));
	ck_assert_int_eq(atomic_load(&r->ticks[1]), 1);
	/* Cancelled from another thread before it fires: no tick. */
	actor_timer(a, 1, 60000, 0);
	actor_timer_cancel(a, 1);
	actor_timer(a, 2, 80, 0);
	ck_assert(wait_for(&r->ticks[2], 2));
	ck_assert_int_eq(atomic_load(&r->ticks[1]), 1);
	loop_exit(l);
	loop_join(l);
	actor_free(a);
	loop_free(l);
}
END_TEST

START_TEST(test_timer_cancel_queued)
{
	struct loop	*l = loop_new("timers");
	struct actor	*a, *b;
	struct rec	*ra, *rb;
	uint64_t	 i;

	/*
	 * b gets 300 Probes, more than one batch, before the loop runs, and
	 * a's timer is due at once.  On the first pass b handles a batch and
	 * goes to the back of the queue, then a's timer queues a Tick (which
	 * wakes a behind b), then b's last Probe cancels a's timer and sends
	 * a Probe: a must drop the Tick that was queued before the cancel.
	 */
	a = rec_spawn(l, "a", &ra);
	b = rec_spawn(l, "b", &rb);
	rb->peer = a;
	rb->poke_at = 300;
	for (i = 1; i <= 300; i++)
		actor_send(b, probe(i));
	actor_timer(a, 1, 0, 0);
	loop_start(l);
	ck_assert(wait_for(&ra->probes, 1));
	ck_assert_int_eq(atomic_load(&rb->probes), 300);
	ck_assert_uint_eq(actor_wakes(a), 1);	/* the Tick did come */
	ck_assert_int_eq(atomic_load(&ra->ticks[1]), 0);
	loop_exit(l);
	loop_join(l);
	actor_free(b);
	actor_free(a);
	loop_free(l);
}
END_TEST

START_TEST(test_free_in_handler_loop)
{
	struct loop	*l = loop_new("free");
	struct actor	*a;
	struct rec	*r;
	uint64_t	 i;

	a = rec_spawn(l, "doomed", &r);
	r->free_at = 10;
	for (i = 1; i <= 100; i++)
		actor_send(a, probe(i));
	loop_start(l);
	ck_assert(wait_for(&rec_finis, 1));
	loop_exit(l);
	loop_join(l);
	loop_free(l);
}
END_TEST

/* Shutdown: actors that record the order they stop in. */
struct stopper {
	struct actor	*self;
	int		 tag;
	int		 mode;		/* STOP_* */
	struct envelope	 saved;
};

#define STOP_NOW	0
#define STOP_NEVER	1
#define STOP_LATE	2

static int	stopper_init(struct actor *, void *);
static int	stopper_on_stop(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	stopper_on_tick(void *, ProtobufCMessage *,
		    const struct envelope *);
static int	stopper_on_probe(void *, ProtobufCMessage *,
		    const struct envelope *);

static const struct actor_handler stopper_handlers[] = {
	{ &petrel__stop__descriptor,	stopper_on_stop },
	{ &petrel__tick__descriptor,	stopper_on_tick },
	{ &petrel__probe__descriptor,	stopper_on_probe },
	{ NULL, NULL }
};

static const struct actor_type stopper_actor = {
	.name = "stopper",
	.size = sizeof(struct stopper),
	.init = stopper_init,
	.handlers = stopper_handlers
};

static _Atomic(int)	stop_order[16];
static _Atomic(int)	stop_n;
static _Atomic(int)	late_answered;
static _Atomic(int)	stopper_probes;

static int
stopper_init(struct actor *a, void *state)
{
	((struct stopper *)state)->self = a;
	return (0);
}

/* Note the order; answer now, never, or after a timer. */
static int
stopper_on_stop(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct stopper	*s = state;

	stop_order[atomic_fetch_add(&stop_n, 1) % 16] = s->tag;
	switch (s->mode) {
	case STOP_NOW:
		return (actor_reply(env, msg_new(&petrel__stopped__descriptor)));
	case STOP_LATE:
		s->saved = *env;
		return (actor_timer(s->self, 1, 150, 0));
	default:
		return (0);
	}
}

/* The late answer. */
static int
stopper_on_tick(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	struct stopper	*s = state;

	actor_reply(&s->saved, msg_new(&petrel__stopped__descriptor));
	atomic_store(&late_answered, 1);
	return (0);
}

static int
stopper_on_probe(void *state, ProtobufCMessage *m, const struct envelope *env)
{
	atomic_fetch_add(&stopper_probes, 1);
	return (0);
}

/* Spawn a stopper with a tag and a mode. */
static struct actor *
stopper_spawn(struct loop *l, int tag, int mode)
{
	struct actor	*a = actor_spawn(l, &stopper_actor, NULL);
	struct stopper	*s = actor_state(a);

	s->tag = tag;
	s->mode = mode;
	return (a);
}

START_TEST(test_shutdown_order)
{
	struct loop	*loops[3];
	struct actor	*actors[6];
	struct rec	*r;
	size_t		 i;
	int		 j;

	loops[0] = loop_new("one");
	loops[1] = loop_new("two");
	loops[2] = loop_new("never-started");
	actors[0] = stopper_spawn(loops[0], 0, STOP_NOW);
	actors[1] = stopper_spawn(loops[1], 1, STOP_NOW);
	actors[2] = stopper_spawn(loops[2], 2, STOP_NOW);
	actors[3] = rec_spawn(loops[0], "rec", &r);	/* runtime answers */
	actors[4] = NULL;
	actors[5] = stopper_spawn(NULL, 5, STOP_NOW);	/* run here */
	loop_start(loops[0]);
	loop_start(loops[1]);
	/* Messages everywhere, some handled, some still queued. */
	for (i = 0; i < 6; i++) {
		for (j = 0; j < 200 && actors[i] != NULL; j++)
			actor_send(actors[i], probe((uint64_t)j + 1));
	}
	ck_assert_int_eq(actor_shutdown(loops, 3, actors, 6, WAIT_MS), 0);
	ck_assert_int_eq(atomic_load(&stop_n), 4);
	ck_assert_int_eq(stop_order[0], 5);
	ck_assert_int_eq(stop_order[1], 2);
	ck_assert_int_eq(stop_order[2], 1);
	ck_assert_int_eq(stop_order[3], 0);
	ck_assert_int_eq(atomic_load(&rec_finis), 1);
}
END_TEST

START_TEST(test_shutdown_in_flight)
{
	struct loop	*l1 = loop_new("one"), *l2 = loop_new("two");
	struct actor	*actors[3];
	struct rec	*r;
	int		 i, j;

	actors[0] = stopper_spawn(l1, 0, STOP_NOW);
	actors[1] = rec_spawn(l2, "rec", &r);
	actors[2] = stopper_spawn(l2, 2, STOP_NOW);
	loop_start(l1);
	loop_start(l2);
	ck_assert_int_eq(actor_stop_all(actors, 3, WAIT_MS), 0);
	/* Sent while the loops stop, and after: all freed below. */
	for (i = 0; i < 3; i++)
		for (j = 0; j < 1000; j++)
			actor_send(actors[i], probe((uint64_t)j + 1));
	loop_exit(l1);
	loop_exit(l2);
	for (i = 0; i < 3; i++)
		actor_send(actors[i], probe(5000));
	loop_join(l1);
	loop_join(l2);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 100; j++)
			actor_send(actors[i], probe((uint64_t)j + 1));
		actor_timer(actors[i], 1, 0, 1);
	}
	for (i = 3; i-- > 0;)
		actor_free(actors[i]);
	loop_free(l1);
	loop_free(l2);
}
END_TEST

START_TEST(test_shutdown_timeout)
{
	struct loop	*l = loop_new("one");
	struct actor	*actors[4];
	char		*out;

	actors[0] = stopper_spawn(l, 0, STOP_NOW);
	actors[1] = stopper_spawn(l, 1, STOP_NEVER);
	actors[2] = stopper_spawn(l, 2, STOP_LATE);
	actors[3] = stopper_spawn(l, 3, STOP_NOW);
	loop_start(l);
	capture_start();
	ck_assert_int_eq(actor_stop_all(actors, 4, 50), -1);
	out = capture_end();
	/* The silent and the late one time out; the others still stop. */
	ck_assert_ptr_nonnull(strstr(out,
	    "actor stopper did not stop within 50 ms"));
	free(out);
	ck_assert_int_eq(atomic_load(&stop_n), 4);
	ck_assert_int_eq(stop_order[0], 3);
	ck_assert_int_eq(stop_order[1], 2);
	ck_assert_int_eq(stop_order[2], 1);
	ck_assert_int_eq(stop_order[3], 0);
	/* The late answer arrives after its deadline: harmless. */
	ck_assert(wait_for(&late_answered, 1));
	ck_assert_int_eq(actor_shutdown(&l, 1, actors, 4, 1000), -1);
}
END_TEST

/* Before each test: counters at zero, default verbosity (CK_FORK=no). */
static void
reset(void)
{
	int	 i;

	log_init("check", LOG_LEVEL_INFO);
	atomic_store(&rec_finis, 0);
	atomic_store(&stop_n, 0);
	atomic_store(&late_answered, 0);
	atomic_store(&stopper_probes, 0);
	for (i = 0; i < 16; i++)
		atomic_store(&stop_order[i], -1);
}

Suite *
actor_suite(void)
{
	Suite	*s = suite_create("actor");
	TCase	*tc;

	tc = tcase_create("detached");
	tcase_add_checked_fixture(tc, reset, NULL);
	tcase_add_test(tc, test_detached_order);
	tcase_add_test(tc, test_pop);
	tcase_add_test(tc, test_kept);
	tcase_add_test(tc, test_send_fails);
	tcase_add_test(tc, test_unknown_type);
	tcase_add_test(tc, test_stop_answered);
	tcase_add_test(tc, test_reply);
	tcase_add_test(tc, test_hwm);
	tcase_add_test(tc, test_ref);
	tcase_add_test(tc, test_trace);
	tcase_add_test(tc, test_free_in_handler);
	tcase_add_test(tc, test_timer_detached);
	tcase_add_test(tc, test_init_fails);
	suite_add_tcase(s, tc);
	tc = tcase_create("loops");
	tcase_add_checked_fixture(tc, reset, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ask_two_loops);
	tcase_add_test(tc, test_wakes);
	tcase_add_test(tc, test_order_threads);
	tcase_add_test(tc, test_free_in_handler_loop);
	suite_add_tcase(s, tc);
	tc = tcase_create("timers");
	tcase_add_checked_fixture(tc, reset, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_timer_oneshot);
	tcase_add_test(tc, test_timer_repeat);
	tcase_add_test(tc, test_timer_rearm);
	tcase_add_test(tc, test_timer_cancel_queued);
	suite_add_tcase(s, tc);
	tc = tcase_create("shutdown");
	tcase_add_checked_fixture(tc, reset, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_shutdown_order);
	tcase_add_test(tc, test_shutdown_in_flight);
	tcase_add_test(tc, test_shutdown_timeout);
	suite_add_tcase(s, tc);
	return (s);
}
