/*
 * dot.c: the trace as a Graphviz graph (--dot) and rendered to SVG by
 * Graphviz's dot (--svg FILE): one cluster per zone with its servers,
 * referrals as edges, the chain of trust as DS->DNSKEY edges per cut,
 * findings attached to the server or zone they name, everything coloured
 * by verdict. Something to paste into a ticket.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dname.h"
#include "dot.h"

#define COLOR_OK	"#2e7d32"
#define COLOR_WARN	"#ef6c00"
#define COLOR_ERROR	"#c62828"
#define COLOR_IDLE	"#757575"

/* A DOT string: quotes and backslashes escaped, newlines as \n. */
static void
dot_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, out);
	}
	fputc('"', out);
}

/* The worst finding for `zone` (-1: none). */
static int
zone_worst(const struct trace *t, const char *zone)
{
	int worst = -1;

	for (unsigned i = 0; i < t->finding_count; i++)
		if (strcmp(t->findings[i].zone, zone) == 0 &&
		    (int)t->findings[i].severity > worst)
			worst = (int)t->findings[i].severity;
	return worst;
}

static const char *
severity_color(int severity)
{
	return severity == SEVERITY_ERROR ? COLOR_ERROR :
	    severity == SEVERITY_WARNING ? COLOR_WARN : severity ==
	    SEVERITY_NOTICE ? COLOR_IDLE : COLOR_OK;
}

/* The validator's verdict for `zone`, or NULL (not validated). */
static const struct trace_dnssec_zone *
dnssec_zone(const struct trace *t, const ldns_rdf *zone)
{
	for (unsigned i = 0; i < t->dnssec_count; i++)
		if (dname_equal(t->dnssec[i].zone, zone))
			return &t->dnssec[i];
	return NULL;
}

static const char *
status_color(enum sec_status status)
{
	switch (status) {
	case SEC_SECURE:	return COLOR_OK;
	case SEC_BOGUS:		return COLOR_ERROR;
	case SEC_INDETERMINATE:	return COLOR_WARN;
	default:		return COLOR_IDLE;
	}
}

/* The last cut for each zone is the one drawn (a zone may be reached twice). */
static bool
cut_is_last(const struct trace *t, unsigned i)
{
	for (unsigned j = i + 1; j < t->cut_count; j++)
		if (dname_equal(t->cuts[j].zone, t->cuts[i].zone))
			return false;
	return true;
}

static void
write_cut(const struct trace *t, const struct trace_cut *cut, unsigned id,
    FILE *out)
{
	char zone[256], label[512], addr[64];
	int worst;

	const struct trace_dnssec_zone *z = dnssec_zone(t, cut->zone);

	dname_str(cut->zone, zone, sizeof(zone));
	worst = zone_worst(t, zone);
	fprintf(out, "  subgraph cluster_%u {\n    label=", id);
	snprintf(label, sizeof(label), "%s%s%s%s", zone, cut->planned ?
	    " (planned)" : "", z != NULL ? "\nDNSSEC: " : "", z == NULL ? "" :
	    t->unvalidated ? "not validated" : sec_status_name(z->status));
	dot_string(out, label);
	fprintf(out, "; color=\"%s\"; fontcolor=\"%s\"; style=%s;\n",
	    severity_color(worst), severity_color(worst), cut->planned ?
	    "dashed" : "solid");
	fprintf(out, "    z%u [shape=folder, style=filled, fillcolor=\"%s\", "
	    "fontcolor=white, label=", id, severity_color(worst));
	dot_string(out, zone);
	fputs("];\n", out);
	for (unsigned i = 0; i < cut->server_count; i++) {
		const struct trace_server *s = &cut->servers[i];
		const char *color = s->lame || s->timed_out ? COLOR_ERROR :
		    s->answered ? COLOR_OK : COLOR_IDLE;

		/* A server the checks found lame is red even if the
		 * resolution never asked it. */
		trace_addr_str((const struct sockaddr *)&s->addr, addr,
		    sizeof(addr));
		snprintf(label, sizeof(label), "(%s)", addr);
		for (unsigned f = 0; f < t->finding_count; f++)
			if (strcmp(t->findings[f].zone, zone) == 0 &&
			    t->findings[f].severity == SEVERITY_ERROR &&
			    strstr(t->findings[f].text, label) != NULL)
				color = COLOR_ERROR;
		snprintf(label, sizeof(label), "%s\n%s [%s]%s%s", s->name, addr,
		    addr_source_name(s->source), s->problem[0] != '\0' ?
		    "\n" : "", s->problem);
		fprintf(out, "    z%us%u [shape=box, color=\"%s\", label=", id, i,
		    color);
		dot_string(out, label);
		fprintf(out, "];\n    z%u -> z%us%u [arrowhead=none, "
		    "color=\"%s\"];\n", id, id, i, COLOR_IDLE);
	}
	fputs("  }\n", out);
}

/* Findings as notes, attached to the server whose address they name. */
static void
write_findings(const struct trace *t, const int *zone_ids, FILE *out)
{
	for (unsigned f = 0; f < t->finding_count; f++) {
		const struct finding *finding = &t->findings[f];
		char node[32] = "", label[700];
		int id = -1;

		for (unsigned i = 0; i < t->cut_count; i++) {
			char zone[256];

			if (zone_ids[i] < 0 || strcmp(dname_str(t->cuts[i].zone,
			    zone, sizeof(zone)), finding->zone) != 0)
				continue;
			id = zone_ids[i];
			snprintf(node, sizeof(node), "z%d", id);
			for (unsigned s = 0; s < t->cuts[i].server_count; s++) {
				char addr[64], paren[80];

				snprintf(paren, sizeof(paren), "(%s)",
				    trace_addr_str((const struct sockaddr *)
				    &t->cuts[i].servers[s].addr, addr,
				    sizeof(addr)));
				if (strstr(finding->text, paren) != NULL) {
					snprintf(node, sizeof(node), "z%ds%u",
					    id, s);
					break;
				}
			}
		}
		if (id < 0)
			continue;
		snprintf(label, sizeof(label), "%s %s\n%s",
		    severity_name(finding->severity), finding->code,
		    finding->text);
		fprintf(out, "  f%u [shape=note, fontsize=10, color=\"%s\", "
		    "fontcolor=\"%s\", label=", f,
		    severity_color((int)finding->severity),
		    severity_color((int)finding->severity));
		dot_string(out, label);
		fprintf(out, "];\n  %s -> f%u [style=dotted, arrowhead=none, "
		    "color=\"%s\"];\n", node, f,
		    severity_color((int)finding->severity));
	}
}

/* The cluster drawn for `zone` (-1: none). */
static int
zone_cluster(const struct trace *t, const int *zone_ids, const ldns_rdf *zone)
{
	if (ldns_dname_label_count(zone) == 0 && t->root.zone != NULL)
		return 0;
	for (unsigned i = 0; i < t->cut_count; i++)
		if (zone_ids[i] >= 0 && dname_equal(t->cuts[i].zone, zone))
			return zone_ids[i];
	return -1;
}

/*
 * The chain of trust of the zone of cluster `id`: its DNSKEYs as nodes in
 * its cluster (tag, algorithm, KSK/ZSK), the DS RRset its parent gave as
 * nodes in the parent's cluster (a cluster named again adds to it), and
 * an edge from each DS to the key it is the digest of, coloured by the
 * cut's verdict; a bogus cut's edges carry the reason and the EDE, an
 * insecure one's is a grey dashed edge from the parent saying so.
 */
static void
write_chain(const struct trace *t, const ldns_rdf *zone, int id, int parent,
    FILE *out)
{
	const struct trace_dnssec_zone *z = dnssec_zone(t, zone);
	const ldns_rr_list *keys = t->dnskey_seen, *ds = t->ds_seen;
	const char *color;
	char label[400], why[300] = "";
	unsigned key_count = 0, ds_count = 0;
	int home = parent >= 0 ? parent : id;

	if (z == NULL || t->unvalidated)
		return;		/* no validator, no keys seen: nothing to draw */
	color = status_color(z->status);
	/* A failed cut's edges say why, with the EDE the client gets. */
	if (z->status == SEC_BOGUS || z->status == SEC_INDETERMINATE) {
		char ede[32] = "";

		if (z->ede >= 0)
			snprintf(ede, sizeof(ede), " (EDE %d)", z->ede);
		snprintf(why, sizeof(why), "%s: %s%s", sec_status_name(
		    z->status), z->why, ede);
	}
	fprintf(out, "  subgraph cluster_%d {\n", id);
	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *key = ldns_rr_list_rr(keys, i);
		unsigned flags = trace_rr_u16(key, 0);

		if (!dname_equal(ldns_rr_owner(key), zone))
			continue;
		key_count++;
		snprintf(label, sizeof(label), "DNSKEY %u\nalgorithm %u, %s%s",
		    (unsigned)ldns_calc_keytag(key), trace_rr_u8(key, 2),
		    flags & 0x0080 ? "revoked" : (flags & 0x0101) == 0x0101 ?
		    "KSK" : flags & 0x0100 ? "ZSK" : "no Zone Key bit",
		    trace_chain_key_signs(t, key, zone) == 1 ?
		    "\nsigns the DNSKEY RRset" : "");
		fprintf(out, "    z%dk%zu [shape=ellipse, style=filled, "
		    "fillcolor=\"#fff8e1\", color=\"%s\", label=", id, i, color);
		dot_string(out, label);
		fputs("];\n", out);
	}
	fputs("  }\n", out);
	/* The root's keys hang from the trust anchor, not from a DS. */
	if (ldns_dname_label_count(zone) == 0) {
		fprintf(out, "  anchor [shape=octagon, color=\"%s\", "
		    "label=\"trust anchor\"];\n", color);
		for (size_t i = 0; keys != NULL &&
		    i < ldns_rr_list_rr_count(keys); i++)
			if (dname_equal(ldns_rr_owner(ldns_rr_list_rr(keys, i)),
			    zone) && (trace_rr_u16(ldns_rr_list_rr(keys, i), 0) &
			    0x0101) == 0x0101)
				fprintf(out, "  anchor -> z%dk%zu [color=\"%s\", "
				    "penwidth=2];\n", id, i, color);
		return;
	}
	fprintf(out, "  subgraph cluster_%d {\n", home);
	for (size_t i = 0; ds != NULL && i < ldns_rr_list_rr_count(ds); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ds, i);
		char zname[256];

		if (!dname_equal(ldns_rr_owner(rr), zone))
			continue;
		ds_count++;
		snprintf(label, sizeof(label), "DS %u for %s\nalgorithm %u, "
		    "digest type %u", trace_rr_u16(rr, 0), dname_str(zone, zname,
		    sizeof(zname)), trace_rr_u8(rr, 1), trace_rr_u8(rr, 2));
		fprintf(out, "    z%dd%zu [shape=note, color=\"%s\", label=",
		    id, i, color);
		dot_string(out, label);
		fputs("];\n", out);
	}
	fputs("  }\n", out);
	for (size_t i = 0; ds != NULL && i < ldns_rr_list_rr_count(ds); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ds, i), *key;

		if (!dname_equal(ldns_rr_owner(rr), zone))
			continue;
		key = trace_chain_ds_match(rr, keys, zone);
		for (size_t j = 0; key != NULL && j < ldns_rr_list_rr_count(keys);
		    j++)
			if (ldns_rr_list_rr(keys, j) == key)
				fprintf(out, "  z%dd%zu -> z%dk%zu [", id, i, id, j);
		if (key == NULL) {
			/* No key with its digest: the edge ends at the zone. */
			fprintf(out, "  z%dd%zu -> z%d [style=dashed, ", id, i, id);
			snprintf(label, sizeof(label), "%s%s%s", key_count > 0 ?
			    "matches no DNSKEY" : "no DNSKEY seen",
			    why[0] != '\0' ? "\n" : "", why);
		} else
			snprintf(label, sizeof(label), "%s", why[0] != '\0' ?
			    why : "matches");
		fprintf(out, "color=\"%s\", fontcolor=\"%s\", penwidth=2, "
		    "label=", color, color);
		dot_string(out, label);
		fputs("];\n", out);
	}
	if (ds_count == 0 && parent >= 0) {
		/* No DS: insecure with the parent's proof, or bogus. */
		snprintf(label, sizeof(label), "no DS\n%s", why[0] != '\0' ?
		    why : z->why);
		fprintf(out, "  z%d -> z%d [style=dashed, color=\"%s\", "
		    "fontcolor=\"%s\", constraint=false, label=", parent, id,
		    color, color);
		dot_string(out, label);
		fputs("];\n", out);
	}
}

void
trace_dot_write(const struct trace *t, const char *title, FILE *out)
{
	int zone_ids[TRACE_CUTS_MAX];
	char zone[256], parent[256], label[600], ns[64];
	bool root = t->root.zone != NULL;

	fputs("digraph descend_trace {\n  graph [compound=true, "
	    "rankdir=TB, fontname=\"Helvetica\", label=", out);
	dot_string(out, title);
	fputs(", labelloc=t];\n  node [fontname=\"Helvetica\", "
	    "fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
	    out);
	/* Cluster 0 is the root; then each zone the trace crossed. */
	if (root)
		write_cut(t, &t->root, 0, out);
	for (unsigned i = 0; i < t->cut_count; i++) {
		zone_ids[i] = cut_is_last(t, i) ? (int)i + 1 : -1;
		if (zone_ids[i] > 0)
			write_cut(t, &t->cuts[i], (unsigned)zone_ids[i], out);
	}
	/* Referrals: from the parent zone's node to the child's. */
	for (unsigned i = 0; i < t->cut_count; i++) {
		const struct trace_cut *cut = &t->cuts[i];
		int from = -1;

		if (zone_ids[i] < 0 || cut->parent == NULL)
			continue;
		if (ldns_dname_label_count(cut->parent) == 0 && root)
			from = 0;
		for (unsigned j = 0; j < t->cut_count; j++)
			if (zone_ids[j] > 0 && dname_equal(t->cuts[j].zone,
			    cut->parent))
				from = zone_ids[j];
		dname_str(cut->zone, zone, sizeof(zone));
		dname_str(cut->parent, parent, sizeof(parent));
		snprintf(ns, sizeof(ns), "%zu NS", cut->parent_ns != NULL ?
		    ldns_rr_list_rr_count(cut->parent_ns) : 0);
		snprintf(label, sizeof(label), "%s\n%s, glue %zu%s",
		    cut->planned ? "planned delegation" : "referral", ns,
		    cut->glue != NULL ? ldns_rr_list_rr_count(cut->glue) : 0,
		    cut->planned ? "" : cut->has_ds ? ", DS" : ", no DS");
		if (from < 0) {
			/* A parent the trace did not visit (--delegate). */
			fprintf(out, "  z%dp [shape=folder, label=", zone_ids[i]);
			dot_string(out, parent);
			fprintf(out, "];\n  z%dp -> z%d [lhead=cluster_%d, ",
			    zone_ids[i], zone_ids[i], zone_ids[i]);
		} else
			fprintf(out, "  z%d -> z%d [ltail=cluster_%d, "
			    "lhead=cluster_%d, ", from, zone_ids[i], from,
			    zone_ids[i]);
		fprintf(out, "style=%s, color=\"%s\", label=", cut->planned ?
		    "dashed" : "solid", severity_color(zone_worst(t, zone)));
		dot_string(out, label);
		fputs("];\n", out);
	}
	/* The chain of trust, when the trace validated. */
	if (root)
		write_chain(t, t->root.zone, 0, -1, out);
	for (unsigned i = 0; i < t->cut_count; i++)
		if (zone_ids[i] > 0)
			write_chain(t, t->cuts[i].zone, zone_ids[i],
			    t->cuts[i].parent != NULL ? zone_cluster(t, zone_ids,
			    t->cuts[i].parent) : -1, out);
	write_findings(t, zone_ids, out);
	fputs("}\n", out);
}

bool
trace_dot_available(void)
{
	const char *path = getenv("PATH");
	char copy[4096], *dir, *save = NULL, file[4200];

	if (path == NULL || strlcpy(copy, path, sizeof(copy)) >= sizeof(copy))
		return false;
	for (dir = strtok_r(copy, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(file, sizeof(file), "%s/dot", dir);
		if (access(file, X_OK) == 0)
			return true;
	}
	return false;
}

int
trace_dot_svg(const struct trace *t, const char *title, const char *path,
    const char *prog)
{
	int fds[2], status;
	pid_t pid;
	FILE *pipe_out;

	if (pipe(fds) == -1) {
		fprintf(stderr, "%s: pipe: %s\n", prog, strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		/* No shell: the file name is the user's, passed as is. */
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execlp("dot", "dot", "-Tsvg", "-o", path, (char *)NULL);
		fprintf(stderr, "%s: --svg needs Graphviz's dot, which could "
		    "not be run (%s): install the graphviz package, or use "
		    "--dot and render elsewhere\n", prog, strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	if ((pipe_out = fdopen(fds[1], "w")) == NULL) {
		close(fds[1]);
		waitpid(pid, &status, 0);
		return -1;
	}
	trace_dot_write(t, title, pipe_out);
	fclose(pipe_out);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) != 127)
			fprintf(stderr, "%s: dot could not write %s\n", prog,
			    path);
		return -1;
	}
	return 0;
}
