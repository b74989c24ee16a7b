/* results_fields.h: the fields of results.json, listed once. The writer (loadgen/logs.c)
 * and the reader (report/run.c) expand the same lists, so a field added here is written
 * and read back alike (docs/logs.md documents each). Not installed: part of the
 * libraries' build. */
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

/* "invalid_reasons": X(code, LG_INVALID_* flag), in the file's order. */
#define LG_RESULTS_REASONS(X)                                                                 \
    X("min_duration", LG_INVALID_MIN_DURATION)                                                \
    X("min_queries", LG_INVALID_MIN_QUERIES)                                                  \
    X("perf_constraint", LG_INVALID_PERF_CONSTRAINT)                                          \
    X("early_stopping", LG_INVALID_EARLY_STOPPING)                                            \
    X("failed_samples", LG_INVALID_FAILED_SAMPLES)                                            \
    X("timed_out", LG_INVALID_TIMED_OUT)                                                      \
    X("aborted", LG_INVALID_ABORTED)                                                          \
    X("max_limit", LG_INVALID_MAX_LIMIT)                                                      \
    X("completion_errors", LG_INVALID_COMPLETION_ERRORS)                                      \
    X("out_of_memory", LG_INVALID_OUT_OF_MEMORY)                                              \
    X("qsl_failure", LG_INVALID_QSL_FAILURE)                                                  \
    X("token_errors", LG_INVALID_TOKEN_ERRORS)                                                \
    X("hdr_recording", LG_INVALID_HDR_RECORDING)

/* "early_stopping": X(key, type, lg_early_stopping member); type BOOL, DBL, U64 or I64. */
#define LG_RESULTS_EARLY_STOPPING(X)                                                          \
    X("applies", BOOL, applies)                                                               \
    X("met", BOOL, met)                                                                       \
    X("percentile", DBL, percentile)                                                          \
    X("queries", U64, queries)                                                                \
    X("min_queries", U64, min_queries)                                                        \
    X("overlatency", U64, overlatency)                                                        \
    X("more_queries_needed", U64, more_queries_needed)                                        \
    X("estimate_ns", I64, estimate_ns)                                                        \
    X("estimate99_ns", I64, estimate99_ns)

/* "throughput": X(key, lg_results member), doubles. */
#define LG_RESULTS_THROUGHPUT(X)                                                              \
    X("completed_samples_per_sec", completed_samples_per_sec)                                 \
    X("scheduled_samples_per_sec", scheduled_samples_per_sec)                                 \
    X("samples_per_sec", samples_per_sec)                                                     \
    X("qps_with_loadgen_overhead", qps_with_loadgen_overhead)                                 \
    X("qps_without_loadgen_overhead", qps_without_loadgen_overhead)

/* "tokens" (lg_results.tokens, an lg_token_results): X(key, type, member), its scalar
 * members in the file's order; type BOOL, DBL or U64. count_source, the definitions,
 * the latency and early-stopping objects and the token settings follow them. */
#define LG_RESULTS_TOKENS(X)                                                                  \
    X("applies", BOOL, applies)                                                               \
    X("mlperf", BOOL, mlperf)                                                                 \
    X("samples_with_tokens", U64, samples_with_tokens)                                        \
    X("output_tokens", U64, output_tokens)                                                    \
    X("token_count", U64, token_count)                                                        \
    X("tokens_per_sec", DBL, tokens_per_sec)                                                  \
    X("completed_tokens_per_sec", DBL, completed_tokens_per_sec)                              \
    X("tokens_per_sec_with_loadgen_overhead", DBL, tokens_per_sec_with_loadgen_overhead)      \
    X("tokens_per_sec_without_loadgen_overhead", DBL,                                         \
      tokens_per_sec_without_loadgen_overhead)                                                \
    X("inferred_tokens_per_sec", DBL, inferred_tokens_per_sec)                                \
    X("ttft_constraint_met", BOOL, ttft_constraint_met)                                       \
    X("tpot_constraint_met", BOOL, tpot_constraint_met)                                       \
    X("first_token_duplicates", U64, first_token_duplicates)                                  \
    X("first_token_unknown", U64, first_token_unknown)                                        \
    X("first_token_late", U64, first_token_late)                                              \
    X("first_tokens_ignored", U64, first_tokens_ignored)                                      \
    X("missing_first_token", U64, missing_first_token)                                        \
    X("n_tokens_zero", U64, n_tokens_zero)                                                    \
    X("n_tokens_negative", U64, n_tokens_negative)                                            \
    X("n_tokens_one", U64, n_tokens_one)                                                      \
    X("slo_applies", BOOL, slo_applies)                                                       \
    X("good_requests", U64, good_requests)                                                    \
    X("good_tokens", U64, good_tokens)                                                        \
    X("request_goodput", DBL, request_goodput)                                                \
    X("token_goodput", DBL, token_goodput)                                                    \
    X("output_tokens_per_sec", DBL, output_tokens_per_sec)

/* The latency objects of "tokens": X(key, lg_token_results member), each written as the
 * top-level latency objects are (LG_RESULTS_LATENCY). */
#define LG_RESULTS_TOKEN_LATENCIES(X)                                                         \
    X("ttft_ns", ttft)                                                                        \
    X("tpot_ns", tpot)                                                                        \
    X("ttft_from_send_ns", ttft_from_send)                                                    \
    X("latency_from_send_ns", latency_from_send)

/* The early-stopping objects of "tokens": X(key, lg_token_results member), each as the
 * top-level "early_stopping" (LG_RESULTS_EARLY_STOPPING). */
#define LG_RESULTS_TOKEN_EARLY_STOPPING(X)                                                    \
    X("ttft_early_stopping", ttft_early_stopping)                                             \
    X("tpot_early_stopping", tpot_early_stopping)

/* The token settings in "tokens"."settings": X(key, type, member of the core's effective
 * settings); written for people and tools, not read back. */
#define LG_RESULTS_TOKEN_SETTINGS(X)                                                          \
    X("ttft_latency_ns", I64, ttft_latency_ns)                                                \
    X("tpot_latency_ns", I64, tpot_latency_ns)                                                \
    X("infer_token_latencies", BOOL, infer_tokens)                                            \
    X("token_latency_scaling_factor", U64, token_scaling)                                     \
    X("slo_ttft_ns", I64, slo_ttft_ns)                                                        \
    X("slo_tpot_ns", I64, slo_tpot_ns)                                                        \
    X("slo_e2e_ns", I64, slo_e2e_ns)

/* "durations_ns": X(key, lg_results member), signed nanoseconds. */
#define LG_RESULTS_DURATIONS(X)                                                               \
    X("run", duration_ns)                                                                     \
    X("final_issue", final_issue_ns)                                                          \
    X("final_scheduled", final_scheduled_ns)

/*
 * "settings": the effective settings of the run, which are also the detail log's
 * effective_* lines, in its order: X(key, type, source, reader).
 *   type: U64, I64, DBL or BOOL.
 *   source: EFF(m), the member m of the core's effective settings, or REQ(m), the
 *     lg_settings member m (settings used as requested).
 *   reader: where report/run.c reads it back: RES(m), an lg_results member; RUN(m), a
 *     member of the run's inputs (rpt_inputs); or NONE (written, not read back).
 * (The detail log also has effective_scenario and effective_test_mode first; results.json
 * has them at its top level.)
 */
#define LG_RESULTS_SETTINGS(X)                                                                \
    X("samples_per_query", U64, EFF(samples_per_query), RES(samples_per_query))               \
    X("target_qps", DBL, EFF(target_qps), RUN(target_qps))                                    \
    X("target_latency_ns", I64, EFF(target_latency_ns), RUN(target_latency_ns))               \
    X("target_latency_percentile", DBL, EFF(target_latency_percentile),                        \
      RUN(target_latency_percentile))                                                         \
    X("max_async_queries", U64, EFF(max_async_queries), RUN(max_async_queries))               \
    X("target_duration_ms", U64, EFF(target_duration_ms), NONE)                               \
    X("min_duration_ms", U64, EFF(min_duration_ms), RUN(min_duration_ms))                     \
    X("max_duration_ms", U64, EFF(max_duration_ms), RUN(max_duration_ms))                     \
    X("min_query_count", U64, EFF(min_query_count), RUN(min_query_count))                     \
    X("max_query_count", U64, EFF(max_query_count), RUN(max_query_count))                     \
    X("min_sample_count", U64, EFF(min_sample_count), NONE)                                   \
    X("qsl_rng_seed", U64, REQ(qsl_rng_seed), RUN(qsl_rng_seed))                              \
    X("sample_index_rng_seed", U64, REQ(sample_index_rng_seed), RUN(sample_index_rng_seed))   \
    X("schedule_rng_seed", U64, REQ(schedule_rng_seed), RUN(schedule_rng_seed))               \
    X("accuracy_log_rng_seed", U64, REQ(accuracy_log_rng_seed), NONE)                         \
    X("accuracy_log_probability", DBL, REQ(accuracy_log_probability), NONE)                   \
    X("accuracy_log_sampling_target", U64, REQ(accuracy_log_sampling_target), NONE)           \
    X("print_timestamps", BOOL, REQ(print_timestamps), NONE)                                  \
    X("performance_issue_unique", BOOL, REQ(performance_issue_unique), NONE)                  \
    X("performance_issue_same", BOOL, REQ(performance_issue_same), NONE)                      \
    X("performance_issue_same_index", U64, REQ(performance_issue_same_index), NONE)           \
    X("performance_sample_count", U64, EFF(performance_sample_count),                         \
      RES(performance_sample_count))                                                          \
    X("accuracy_sample_count", U64, EFF(accuracy_sample_count), RES(accuracy_sample_count))   \
    X("sample_concatenate_permutation", BOOL, REQ(sample_concatenate_permutation), NONE)      \
    X("sample_timeout_ns", I64, EFF(sample_timeout_ns), RUN(sample_timeout_ns))               \
    X("warmup_duration_ms", U64, REQ(warmup_duration_ms), NONE)

#endif /* LOADGEN_RESULTS_FIELDS_H */
