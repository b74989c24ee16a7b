/* results_fields.h: the fields of results.json that map one to one onto lg_results,
 * listed once. The writer (loadgen/logs.c) and the reader (report/run.c) expand the same
 * lists, so a field added here is written and read back alike (docs/logs.md documents
 * each). Not installed: part of the libraries' build. */
#ifndef LOADGEN_RESULTS_FIELDS_H
#define LOADGEN_RESULTS_FIELDS_H

/* "counts": X(key, lg_results member), unsigned integers, in the file's order. */
#define LG_RESULTS_COUNTS(X)                                                                  \
    X("queries_issued", queries_issued)                                                       \
    X("samples_issued", samples_issued)                                                       \
    X("samples_completed", samples_completed)                                                 \
    X("samples_failed", samples_failed)                                                       \
    X("samples_timed_out", samples_timed_out)                                                 \
    X("duplicate_completions", duplicate_completions)                                         \
    X("unknown_completions", unknown_completions)                                             \
    X("late_completions", late_completions)                                                   \
    X("accuracy_samples_logged", accuracy_samples_logged)                                     \
    X("accuracy_samples_dropped", accuracy_samples_dropped)                                   \
    X("bad_responses", bad_responses)                                                         \
    X("warmup_queries", warmup_queries)                                                       \
    X("errors_logged", errors_logged)                                                         \
    X("warnings_logged", warnings_logged)

/* A latency object ("latency_ns", "query_latency_ns", "issue_lag_ns"): X(key,
 * lg_latency_stats member), signed nanoseconds after "count", in the file's order. */
#define LG_RESULTS_LATENCY(X)                                                                 \
    X("min", min_ns)                                                                          \
    X("max", max_ns)                                                                          \
    X("mean", mean_ns)                                                                        \
    X("p50", p50_ns)                                                                          \
    X("p90", p90_ns)                                                                          \
    X("p95", p95_ns)                                                                          \
    X("p97", p97_ns)                                                                          \
    X("p99", p99_ns)                                                                          \
    X("p99_9", p999_ns)                                                                       \
    X("target", target_ns)

#endif /* LOADGEN_RESULTS_FIELDS_H */
