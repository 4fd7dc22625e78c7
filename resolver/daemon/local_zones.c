/*
 * local_zones.c: the local-zone and local-data table (Unbound's
 * semantics), the built-in special-use zones, and the answers they give.
 * Lookups hash the query name's suffixes (no allocation); answers are
 * built with ldns, as these are rare next to cache hits.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "dname.h"
#include "local_zones.h"
#include "lru.h"

#define LOCAL_BUCKETS	1024
#define LOCAL_TTL	3600	/* local-data without a TTL, as Unbound */
#define DEFAULT_TTL	10800

struct local_zone {
	struct local_zone *next;	/* hash chain */
	struct local_zone *listed;	/* in the order configured */
	enum local_zone_type type;
	bool built_in;
	ldns_rdf *name;
	size_t len;
	uint8_t wire[DNAME_WIRE_MAX];	/* lowercase */
};

struct local_name {
	struct local_name *next;
	struct local_name *listed;
	ldns_rdf *name;
	ldns_rr_list *rrs;		/* empty: an empty non-terminal */
	bool configured;		/* named by a local-data line */
	size_t len;
	uint8_t wire[DNAME_WIRE_MAX];
};

struct local_zones {
	uint32_t seed;
	struct local_zone *zones[LOCAL_BUCKETS];
	struct local_zone *zone_list, **zone_tail;
	struct local_name *names[LOCAL_BUCKETS];
	struct local_name *name_list, **name_tail;
	ldns_rr_list *data;		/* the local-data lines, in order */
};

static const char *const type_names[] = {
	[LOCAL_ZONE_TRANSPARENT] = "transparent",
	[LOCAL_ZONE_STATIC] = "static",
	[LOCAL_ZONE_REDIRECT] = "redirect",
	[LOCAL_ZONE_REFUSE] = "refuse",
	[LOCAL_ZONE_DENY] = "deny",
	[LOCAL_ZONE_ALWAYS_NXDOMAIN] = "always_nxdomain",
	[LOCAL_ZONE_ALWAYS_REFUSE] = "always_refuse",
	[LOCAL_ZONE_ALWAYS_NODATA] = "always_nodata",
	[LOCAL_ZONE_NODEFAULT] = "nodefault",
};

/*
 * ::1's reverse name, a built-in zone with a PTR record: named once, and
 * the record's text is this name joined to the rest of its line.
 */
#define IP6_LOOPBACK_REVERSE \
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa."

/* Answered locally unless the operator says otherwise (Unbound's list). */
static const char *const default_zones[] = {
	"localhost.", "invalid.", "test.", "onion.", "home.arpa.",
	"127.in-addr.arpa.", "0.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
	"10.in-addr.arpa.", "168.192.in-addr.arpa.", "254.169.in-addr.arpa.",
	"16.172.in-addr.arpa.", "17.172.in-addr.arpa.", "18.172.in-addr.arpa.",
	"19.172.in-addr.arpa.", "20.172.in-addr.arpa.", "21.172.in-addr.arpa.",
	"22.172.in-addr.arpa.", "23.172.in-addr.arpa.", "24.172.in-addr.arpa.",
	"25.172.in-addr.arpa.", "26.172.in-addr.arpa.", "27.172.in-addr.arpa.",
	"28.172.in-addr.arpa.", "29.172.in-addr.arpa.", "30.172.in-addr.arpa.",
	"31.172.in-addr.arpa.", "2.0.192.in-addr.arpa.",
	"100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.",
	"d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.",
	"b.e.f.ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.",
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	IP6_LOOPBACK_REVERSE,
};

/* The data of the built-in zones besides their SOA and NS. */
static const char *const default_records[] = {
	"localhost. 10800 IN A 127.0.0.1",
	"localhost. 10800 IN AAAA ::1",
	"1.0.0.127.in-addr.arpa. 10800 IN PTR localhost.",
	IP6_LOOPBACK_REVERSE " 10800 IN PTR localhost.",
};

/* Lowercase wire form of `name` into key; its length. */
static size_t
wire_key(const ldns_rdf *name, uint8_t *key)
{
	return dname_key(name, key);
}

static uint32_t
bucket_of(const struct local_zones *t, const uint8_t *wire, size_t len)
{
	return hash_seeded(t->seed, wire, len) % LOCAL_BUCKETS;
}

static struct local_zone *
zone_find(const struct local_zones *t, const uint8_t *wire, size_t len)
{
	struct local_zone *z = t->zones[bucket_of(t, wire, len)];

	for (; z != NULL; z = z->next)
		if (z->len == len && memcmp(z->wire, wire, len) == 0)
			return z;
	return NULL;
}

static struct local_name *
name_find(const struct local_zones *t, const uint8_t *wire, size_t len)
{
	struct local_name *n = t->names[bucket_of(t, wire, len)];

	for (; n != NULL; n = n->next)
		if (n->len == len && memcmp(n->wire, wire, len) == 0)
			return n;
	return NULL;
}

struct local_zones *
local_zones_new(void)
{
	struct local_zones *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->seed = arc4random();
	t->zone_tail = &t->zone_list;
	t->name_tail = &t->name_list;
	if ((t->data = ldns_rr_list_new()) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
local_zones_free(struct local_zones *t)
{
	struct local_zone *z, *znext;
	struct local_name *n, *nnext;

	if (t == NULL)
		return;
	for (z = t->zone_list; z != NULL; z = znext) {
		znext = z->listed;
		ldns_rdf_deep_free(z->name);
		free(z);
	}
	for (n = t->name_list; n != NULL; n = nnext) {
		nnext = n->listed;
		ldns_rdf_deep_free(n->name);
		ldns_rr_list_deep_free(n->rrs);
		free(n);
	}
	ldns_rr_list_deep_free(t->data);
	free(t);
}

static struct local_zone *
zone_insert(struct local_zones *t, const ldns_rdf *name,
    enum local_zone_type type, bool built_in)
{
	struct local_zone *z = calloc(1, sizeof(*z));
	uint32_t b;

	if (z == NULL || (z->name = ldns_rdf_clone(name)) == NULL) {
		free(z);
		return NULL;
	}
	ldns_dname2canonical(z->name);
	z->len = wire_key(name, z->wire);
	z->type = type;
	z->built_in = built_in;
	b = bucket_of(t, z->wire, z->len);
	z->next = t->zones[b];
	t->zones[b] = z;
	*t->zone_tail = z;
	t->zone_tail = &z->listed;
	return z;
}

static struct local_name *
name_insert(struct local_zones *t, const ldns_rdf *name)
{
	uint8_t wire[DNAME_WIRE_MAX];
	size_t len = wire_key(name, wire);
	struct local_name *n = name_find(t, wire, len);
	uint32_t b;

	if (n != NULL)
		return n;
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->name = ldns_rdf_clone(name)) == NULL ||
	    (n->rrs = ldns_rr_list_new()) == NULL) {
		if (n != NULL)
			ldns_rdf_deep_free(n->name);
		free(n);
		return NULL;
	}
	ldns_dname2canonical(n->name);
	memcpy(n->wire, wire, len);
	n->len = len;
	b = bucket_of(t, wire, len);
	n->next = t->names[b];
	t->names[b] = n;
	*t->name_tail = n;
	t->name_tail = &n->listed;
	return n;
}

int
local_zones_add_zone(struct local_zones *t, const char *text,
    const char *type, char *err, size_t errlen)
{
	ldns_rdf *name = NULL;
	uint8_t wire[DNAME_WIRE_MAX];
	size_t i, len;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcasecmp(type, type_names[i]) == 0)
			break;
	if (i == sizeof(type_names) / sizeof(type_names[0])) {
		snprintf(err, errlen, "local-zone '%s': unknown type '%s' "
		    "(static, redirect, transparent, refuse, deny, "
		    "always_nxdomain, always_refuse, always_nodata, nodefault)",
		    text, type);
		return -1;
	}
	if (ldns_str2rdf_dname(&name, text) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "local-zone: bad name '%s'", text);
		return -1;
	}
	len = wire_key(name, wire);
	if (zone_find(t, wire, len) != NULL) {
		snprintf(err, errlen, "local-zone '%s' is configured twice",
		    text);
		ldns_rdf_deep_free(name);
		return -1;
	}
	if (zone_insert(t, name, (enum local_zone_type)i, false) == NULL) {
		snprintf(err, errlen, "out of memory");
		ldns_rdf_deep_free(name);
		return -1;
	}
	ldns_rdf_deep_free(name);
	return 0;
}

static int
add_record(struct local_zones *t, ldns_rr *rr, bool configured)
{
	struct local_name *n = name_insert(t, ldns_rr_owner(rr));

	if (n == NULL)
		return -1;
	if (configured) {
		ldns_rr *copy = ldns_rr_clone(rr);

		if (copy == NULL || !ldns_rr_list_push_rr(t->data, copy)) {
			ldns_rr_free(copy);
			return -1;
		}
		n->configured = true;
	}
	ldns_dname2canonical(ldns_rr_owner(rr));
	return ldns_rr_list_push_rr(n->rrs, rr) ? 0 : -1;
}

int
local_zones_add_data(struct local_zones *t, const char *text, char *err,
    size_t errlen)
{
	ldns_rr *rr = NULL;
	ldns_status status = ldns_rr_new_frm_str(&rr, text, LOCAL_TTL, NULL,
	    NULL);

	if (status != LDNS_STATUS_OK || rr == NULL ||
	    ldns_rr_get_type(rr) == 0 || ldns_rr_get_class(rr) !=
	    LDNS_RR_CLASS_IN) {
		snprintf(err, errlen, "local-data '%s': %s", text,
		    status != LDNS_STATUS_OK ? ldns_get_errorstr_by_id(status) :
		    "not a record of class IN");
		ldns_rr_free(rr);
		return -1;
	}
	if (add_record(t, rr, true) != 0) {
		snprintf(err, errlen, "out of memory");
		ldns_rr_free(rr);
		return -1;
	}
	return 0;
}

/* The zone of the table that encloses wire (lowercase), most specific first. */
static const struct local_zone *
zone_enclosing(const struct local_zones *t, const uint8_t *wire, size_t len)
{
	size_t off = 0;

	for (;;) {
		const struct local_zone *z = zone_find(t, wire + off, len - off);

		if (z != NULL && z->type != LOCAL_ZONE_NODEFAULT)
			return z;
		if (wire[off] == 0)
			return NULL;
		off += (size_t)wire[off] + 1;
	}
}

static int
add_default_zone(struct local_zones *t, const char *text)
{
	ldns_rdf *name = ldns_dname_new_frm_str(text);
	char rr_text[512];
	ldns_rr *rr = NULL;
	uint8_t wire[DNAME_WIRE_MAX];
	int rc = -1;

	if (name == NULL)
		return -1;
	if (zone_find(t, wire, wire_key(name, wire)) != NULL) {
		ldns_rdf_deep_free(name);
		return 0;	/* the operator's zone of the same name wins */
	}
	if (zone_insert(t, name, LOCAL_ZONE_STATIC, true) == NULL)
		goto out;
	/* SOA and NS as Unbound's built-in zones have them. */
	snprintf(rr_text, sizeof(rr_text), "%s %d IN SOA localhost. "
	    "nobody.invalid. 1 3600 1200 604800 10800", text, DEFAULT_TTL);
	if (ldns_rr_new_frm_str(&rr, rr_text, 0, NULL, NULL) != LDNS_STATUS_OK ||
	    add_record(t, rr, false) != 0)
		goto out;
	rr = NULL;
	snprintf(rr_text, sizeof(rr_text), "%s %d IN NS localhost.", text,
	    DEFAULT_TTL);
	if (ldns_rr_new_frm_str(&rr, rr_text, 0, NULL, NULL) != LDNS_STATUS_OK ||
	    add_record(t, rr, false) != 0)
		goto out;
	rr = NULL;
	for (size_t i = 0; i < sizeof(default_records) /
	    sizeof(default_records[0]); i++) {
		ldns_rr *d = NULL;

		if (ldns_rr_new_frm_str(&d, default_records[i], 0, NULL, NULL) !=
		    LDNS_STATUS_OK)
			goto out;
		if (!dname_in_bailiwick(ldns_rr_owner(d), name) ||
		    add_record(t, d, false) != 0) {
			ldns_rr_free(d);
			continue;
		}
	}
	rc = 0;
out:
	ldns_rr_free(rr);
	ldns_rdf_deep_free(name);
	return rc;
}

int
local_zones_finish(struct local_zones *t, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(default_zones) / sizeof(default_zones[0]);
	    i++) {
		if (add_default_zone(t, default_zones[i]) != 0)
			goto oom;
	}
	/* Local data outside every zone gets a transparent zone of its own. */
	for (struct local_name *n = t->name_list; n != NULL; n = n->listed) {
		const struct local_zone *z;

		if (!n->configured)
			continue;
		if ((z = zone_enclosing(t, n->wire, n->len)) == NULL &&
		    (z = zone_insert(t, n->name, LOCAL_ZONE_TRANSPARENT,
		    false)) == NULL)
			goto oom;
		/* Names between the data and its zone exist: NODATA, not NXDOMAIN. */
		for (unsigned labels = dname_labels(n->name);
		    labels > dname_labels(z->name); labels--) {
			ldns_rdf *up = dname_ancestor(n->name, labels - 1);

			if (up == NULL || name_insert(t, up) == NULL) {
				ldns_rdf_deep_free(up);
				goto oom;
			}
			ldns_rdf_deep_free(up);
		}
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

void
local_zones_print(const struct local_zones *t, FILE *out)
{
	for (const struct local_zone *z = t->zone_list; z != NULL;
	    z = z->listed) {
		char *name;

		if (z->built_in)
			continue;
		name = ldns_rdf2str(z->name);
		fprintf(out, "local-zone: %s %s\n", name != NULL ? name : "?",
		    type_names[z->type]);
		free(name);
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(t->data); i++) {
		char *rr = ldns_rr2str(ldns_rr_list_rr(t->data, i));

		if (rr == NULL)
			continue;
		rr[strcspn(rr, "\n")] = '\0';
		for (char *p = rr; *p != '\0'; p++)
			if (*p == '\t')
				*p = ' ';
		fprintf(out, "local-data: \"%s\"\n", rr);
		free(rr);
	}
}

void
local_zones_flush_cache(const struct local_zones *t, struct engine *engine)
{
	for (const struct local_zone *z = t->zone_list; z != NULL;
	    z = z->listed)
		if (!z->built_in && z->type != LOCAL_ZONE_NODEFAULT)
			engine_cache_flush_zone(engine, z->name);
	for (const struct local_name *n = t->name_list; n != NULL;
	    n = n->listed)
		if (n->configured)
			engine_cache_flush_name(engine, n->name);
}

/* Records of `name` (local data) answering `type`, with owner `owner`. */
static size_t
push_matching(ldns_pkt *pkt, const struct local_name *n, ldns_rr_type type,
    const ldns_rdf *owner)
{
	size_t pushed = 0;
	bool cname = false;

	for (size_t i = 0; i < ldns_rr_list_rr_count(n->rrs); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(n->rrs, i)) ==
		    LDNS_RR_TYPE_CNAME)
			cname = true;
	for (size_t i = 0; i < ldns_rr_list_rr_count(n->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(n->rrs, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		ldns_rr *copy;

		/* A CNAME answers every other type (it is the name's only data). */
		if (!(t == type || type == LDNS_RR_TYPE_ANY ||
		    (cname && t == LDNS_RR_TYPE_CNAME)))
			continue;
		if ((copy = ldns_rr_clone(rr)) == NULL)
			continue;
		ldns_rdf_deep_free(ldns_rr_owner(copy));
		ldns_rr_set_owner(copy, ldns_rdf_clone(owner));
		ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, copy);
		pushed++;
	}
	return pushed;
}

/* The zone's SOA (local data at its apex) into the authority section. */
static void
push_soa(const struct local_zones *t, ldns_pkt *pkt,
    const struct local_zone *z)
{
	const struct local_name *apex = name_find(t, z->wire, z->len);

	for (size_t i = 0; apex != NULL && i < ldns_rr_list_rr_count(apex->rrs);
	    i++) {
		const ldns_rr *rr = ldns_rr_list_rr(apex->rrs, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY,
			    ldns_rr_clone(rr));
	}
}

size_t
local_zone_answer(const struct local_zones *t, const struct client_query *q,
    uint8_t *out, size_t cap, bool *drop)
{
	uint8_t wire[DNAME_WIRE_MAX];
	const struct local_zone *z;
	const struct local_name *n, *apex;
	ldns_rdf *qname = NULL;
	ldns_pkt *pkt = NULL;
	ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
	uint8_t *answer = NULL;
	size_t len = 0;
	bool negative = false;

	*drop = false;
	if (t == NULL || q->qclass != LDNS_RR_CLASS_IN ||
	    q->qname_len > sizeof(wire))
		return 0;
	for (size_t i = 0; i < q->qname_len; i++)
		wire[i] = (uint8_t)(q->qname[i] >= 'A' && q->qname[i] <= 'Z' ?
		    q->qname[i] + 32 : q->qname[i]);
	if ((z = zone_enclosing(t, wire, q->qname_len)) == NULL)
		return 0;
	n = name_find(t, wire, q->qname_len);
	apex = name_find(t, z->wire, z->len);
	if ((qname = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, q->qname_len,
	    q->qname)) == NULL || (pkt = ldns_pkt_new()) == NULL)
		goto out;
	{
		ldns_rr *question = ldns_rr_new();
		ldns_rdf *owner = ldns_rdf_clone(qname);

		if (question == NULL || owner == NULL) {
			ldns_rr_free(question);
			ldns_rdf_deep_free(owner);
			goto out;
		}
		ldns_rr_set_owner(question, owner);
		ldns_rr_set_type(question, q->qtype);
		ldns_rr_set_class(question, q->qclass);
		ldns_rr_set_question(question, true);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, question);
	}
	switch (z->type) {
	case LOCAL_ZONE_ALWAYS_NXDOMAIN:
		rcode = LDNS_RCODE_NXDOMAIN;
		negative = true;
		goto build;
	case LOCAL_ZONE_ALWAYS_REFUSE:
		rcode = LDNS_RCODE_REFUSED;
		goto build;
	case LOCAL_ZONE_ALWAYS_NODATA:
		negative = true;
		goto build;
	default:
		break;
	}
	/* Local data answers first, whatever the zone's type. */
	if (z->type == LOCAL_ZONE_REDIRECT && apex != NULL &&
	    push_matching(pkt, apex, q->qtype, qname) > 0)
		goto build;
	if (z->type != LOCAL_ZONE_REDIRECT && n != NULL &&
	    ldns_rr_list_rr_count(n->rrs) > 0) {
		if (push_matching(pkt, n, q->qtype, qname) == 0)
			negative = true;	/* the name has other types: NODATA */
		goto build;
	}
	switch (z->type) {
	case LOCAL_ZONE_TRANSPARENT:
		if (n != NULL)		/* an empty non-terminal of local data */
			negative = true;
		else
			goto out;	/* resolve as usual */
		break;
	case LOCAL_ZONE_REFUSE:
		rcode = LDNS_RCODE_REFUSED;
		break;
	case LOCAL_ZONE_DENY:
		*drop = true;
		goto out;
	default:	/* static, redirect */
		negative = true;
		if (z->type == LOCAL_ZONE_STATIC && n == NULL &&
		    !(z->len == q->qname_len))
			rcode = LDNS_RCODE_NXDOMAIN;
		break;
	}
build:
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_aa(pkt, rcode != LDNS_RCODE_REFUSED);
	ldns_pkt_set_ra(pkt, true);
	ldns_pkt_set_rcode(pkt, (uint8_t)rcode);
	if (negative)
		push_soa(t, pkt, z);
	if (ldns_pkt2wire(&answer, pkt, &len) != LDNS_STATUS_OK || len > cap)
		len = 0;
	else
		memcpy(out, answer, len);
out:
	free(answer);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(qname);
	return len;
}

size_t
local_any_answer(const struct client_query *q, uint8_t *out, size_t cap)
{
	static const uint8_t header[12] = { 0, 0, 0x81, 0x80, 0, 1, 0, 1 };
	static const uint8_t hinfo[] = {
		0xc0, 12,			/* the question's name */
		0, LDNS_RR_TYPE_HINFO, 0, LDNS_RR_CLASS_IN,
		0, 0, 0x0e, 0x10,		/* TTL 3600 */
		0, 9, 7, 'R', 'F', 'C', '8', '4', '8', '2', 0,
	};
	size_t question = sizeof(header) + q->qname_len;

	if (question + 4 + sizeof(hinfo) > cap)
		return 0;
	memcpy(out, header, sizeof(header));
	memcpy(out + sizeof(header), q->qname, q->qname_len);
	ldns_write_uint16(out + question, q->qtype);
	ldns_write_uint16(out + question + 2, q->qclass);
	memcpy(out + question + 4, hinfo, sizeof(hinfo));
	return question + 4 + sizeof(hinfo);
}
