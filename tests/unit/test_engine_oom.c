/*
 * test_engine_oom.c: every allocation the engine makes while resolving
 * fails in turn (malloc interposed); each time the request must end
 * cleanly, with the right answer or SERVFAIL, and never crash. Reuses the
 * scripted authorities of test_engine.c.
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdbool.h>
#include <stddef.h>

#define main test_engine_main
int test_engine_main(void);
#include "test_engine.c"
#undef main

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OOM_SKIP 1	/* the sanitizers own malloc */
#else
#define OOM_SKIP 0

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static bool inject;		/* count and fail only inside engine calls */
static unsigned long allocs, fail_at;
static bool failed;

static unsigned long in_ldns;	/* failures skipped: ldns's own bugs */

/*
 * ldns functions that do not check their own allocations (ldns_pkt_new
 * pushes onto section lists it never checked): a failure inside them
 * crashes ldns whatever the engine does, so it is not injected there.
 */
static const char *const ldns_unchecked[] = {
	"ldns_pkt_new",
	"ldns_pkt2buffer_wire",	/* its compression tree */
	"ldns_wire2rr",		/* ldns_rr_new unchecked */
};

/*
 * The caches belong to the storage module (resolver/rrset_cache.c and
 * answer_cache.c, being rewritten to packed RRsets): allocations under
 * their entry points are not failed here, their own tests own that.
 */
static const char *const other_modules[] = {
	"rrset_cache_", "answer_cache_", "lru_",
};

static bool
inside_unchecked_ldns(void)
{
	void *frames[24];
	int n = backtrace(frames, 24);

	for (int i = 0; i < n; i++) {
		Dl_info info;

		if (dladdr(frames[i], &info) == 0 || info.dli_sname == NULL)
			continue;
		for (size_t j = 0; j < sizeof(ldns_unchecked) /
		    sizeof(ldns_unchecked[0]); j++)
			if (strcmp(info.dli_sname, ldns_unchecked[j]) == 0)
				return true;
		for (size_t j = 0; j < sizeof(other_modules) /
		    sizeof(other_modules[0]); j++)
			if (strncmp(info.dli_sname, other_modules[j],
			    strlen(other_modules[j])) == 0)
				return true;
	}
	return false;
}

static bool
should_fail(void)
{
	bool unchecked;

	if (!inject || allocs++ != fail_at)
		return false;
	inject = false;
	unchecked = inside_unchecked_ldns();
	inject = true;
	if (unchecked) {
		in_ldns++;
		fail_at++;	/* the next allocation fails instead */
		return false;
	}
	failed = true;
	if (getenv("OOM_TRACE") != NULL) {	/* where did it fail? */
		void *frames[24];
		int n;

		inject = false;
		n = backtrace(frames, 24);
		backtrace_symbols_fd(frames, n, 2);
		inject = true;
	}
	errno = ENOMEM;
	return true;
}

void *
malloc(size_t n)
{
	return should_fail() ? NULL : __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __libc_realloc(p, n);
}

void
free(void *p)
{
	__libc_free(p);
}

/* Like resolve(), with allocations failing inside the engine's calls. */
static bool
resolve_oom(struct engine *engine, const char *name, const char *expect,
    int *rcode)
{
	struct engine_question q = { .type = LDNS_RR_TYPE_A,
	    .klass = LDNS_RR_CLASS_IN };
	struct engine_now now = { 1000000, 5000 };
	struct engine_request *req;
	struct engine_action action;
	struct engine_result r;
	enum engine_action_kind kind;
	char *text;
	bool clean;

	q.name = ldns_dname_new_frm_str(name);
	inject = true;
	req = engine_request_new(engine, &q, 0, now, NULL, NULL);
	inject = false;
	ldns_rdf_deep_free(q.name);
	if (req == NULL) {
		*rcode = -1;	/* refused to start: clean */
		return true;
	}
	for (;;) {
		struct server *s;
		ldns_pkt *query = NULL, *reply;
		uint8_t *wire = NULL;
		size_t len;

		inject = true;
		kind = engine_next_action(req, now, &action);
		inject = false;
		if (kind != ENGINE_SEND)
			break;
		now.ms += 1;
		s = server_at(&action.send.addr);
		ldns_wire2pkt(&query, action.send.wire, action.send.wire_len);
		if (s == NULL || s->silent || query == NULL) {
			now.ms += action.send.timeout_ms;
			inject = true;
			engine_feed_timeout(req, action.send.id, now);
			inject = false;
			ldns_pkt_free(query);
			continue;
		}
		reply = authority_answer(s, query, action.send.transport ==
		    ENGINE_TCP);
		ldns_pkt2wire(&wire, reply, &len);
		inject = true;
		engine_feed_reply(req, action.send.id,
		    (struct sockaddr *)&action.send.addr, action.send.addrlen,
		    wire, len, 1, now);
		inject = false;
		free(wire);
		ldns_pkt_free(reply);
		ldns_pkt_free(query);
	}
	engine_request_result(req, &r);
	text = answer_text(req);
	*rcode = r.rcode;
	/* Done, and either the real answer or a SERVFAIL: nothing else. */
	clean = kind == ENGINE_DONE && (r.rcode == LDNS_RCODE_SERVFAIL ||
	    (r.rcode == LDNS_RCODE_NOERROR && strstr(text, expect) != NULL));
	if (!clean)
		diag("allocation %lu failed: kind %d rcode %d \"%s\" answer %s",
		    fail_at, kind, r.rcode, r.ede_text != NULL ? r.ede_text : "",
		    text);
	free(text);
	engine_request_free(req);
	return clean;
}

static void
test_every_allocation_fails(const char *name, const char *expect)
{
	unsigned long total = 0, servfails = 0, unclean = 0;

	for (fail_at = getenv("OOM_AT") != NULL ?
	    strtoul(getenv("OOM_AT"), NULL, 10) : 0;; fail_at++) {
		struct engine *engine = new_engine_case(true);
		int rcode;

		if (engine == NULL) {
			diag("no engine");
			unclean++;
			break;
		}

		allocs = 0;
		failed = false;
		if (!resolve_oom(engine, name, expect, &rcode))
			unclean++;
		if (rcode == LDNS_RCODE_SERVFAIL)
			servfails++;
		engine_free(engine);
		if (!failed) {
			total = allocs;	/* no allocation left to fail */
			break;
		}
	}
	ok(unclean == 0 && total > 0, "%s: each of its %lu allocations failed "
	    "in turn: the request ended cleanly every time (%lu SERVFAIL, %lu "
	    "unclean)", name, total, servfails, unclean);
}
#endif

int
main(void)
{
	if (!OOM_SKIP) {
		void *warm[1];

		backtrace(warm, 1);	/* loads what backtrace() needs, once */
	}
	if (OOM_SKIP) {
		printf("1..0 # SKIP malloc is the sanitizer's\n");
		return 0;
	}
#if !OOM_SKIP
	servers = lab;
	server_count = sizeof(lab) / sizeof(lab[0]);
	test_every_allocation_fails("www.example.test.", "198.51.100.10");
	test_every_allocation_fails("alias.glueless.test.", "198.51.100.10");
	test_every_allocation_fails("www.dname.glueless.test.", "198.51.100.10");
	USE_WORLD(habits);
	test_every_allocation_fails("www.a.b.c.pf.test.", "198.51.100.51");
#endif
	scripted_hints_remove();
	return tap_done();
}
