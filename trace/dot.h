/*
 * dot.h: `descend trace --dot` and `--svg FILE`: the trace as a Graphviz
 * graph.
 */
#ifndef DESCEND_DOT_H
#define DESCEND_DOT_H

#include <stdbool.h>
#include <stdio.h>

#include "trace.h"

/* Writes the graph of what the trace learnt (call after the checks). */
void trace_dot_write(const struct trace *t, const char *title, FILE *out);

/* True when Graphviz's dot is on PATH (checked before resolving). */
bool trace_dot_available(void);

/* Renders the graph to `path` with dot -Tsvg; 0 or -1 (with a message). */
int trace_dot_svg(const struct trace *t, const char *title, const char *path,
    const char *prog);

#endif /* DESCEND_DOT_H */
