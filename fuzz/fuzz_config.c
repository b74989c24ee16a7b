/* fuzz_config.c: libFuzzer target for the mlperf.conf / user.conf reader. The input is
 * split at the first 0xff byte into an mlperf.conf and a user.conf; both are loaded and
 * applied for a few models in every scenario. Besides never crashing, the reader must
 * keep its promises: a message on every error and none on success, nothing changed by a
 * failed apply, and every value it applies within the range its key documents. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/check.h"
#include "loadgen/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An error message is one non-empty line that names the file (or the function). */
static void check_message(int rc, const char *err, const char *name)
{
    if (rc == 0) {
        CHECK(err[0] == '\0');
        return;
    }
    CHECK(rc == LG_EINVAL || rc == LG_ENOMEM);
    CHECK(err[0] != '\0');
    CHECK(strchr(err, '\n') == NULL);
    CHECK(strncmp(err, name, strlen(name)) == 0);
}

/* Every value a config file can set is within its key's documented range. */
static void check_ranges(const lg_settings *s)
{
    CHECK(s->single_stream_expected_latency_ns >= 1);
    CHECK(s->multi_stream_expected_latency_ns >= 1);
    CHECK(s->server_target_latency_ns >= 1);
    CHECK(s->server_target_latency_ns <= INT64_C(31536000000000000));
    CHECK(s->single_stream_target_latency_percentile > 0 &&
          s->single_stream_target_latency_percentile < 1);
    CHECK(s->multi_stream_target_latency_percentile > 0 &&
          s->multi_stream_target_latency_percentile < 1);
    CHECK(s->server_target_latency_percentile > 0 &&
          s->server_target_latency_percentile < 1);
    CHECK(s->server_target_qps > 0 && s->server_target_qps <= 1e9);
    CHECK(s->offline_expected_qps > 0 && s->offline_expected_qps <= 1e9);
    CHECK(s->accuracy_log_probability >= 0 && s->accuracy_log_probability <= 1);
    CHECK(s->multi_stream_samples_per_query >= 1);
    CHECK(s->min_duration_ms <= UINT64_C(31536000000));
    CHECK(s->sample_timeout_ns >= 0);
    CHECK((unsigned)s->mode <= LG_MODE_FIND_PEAK);
}

static void exercise(const lg_config *c, const char *model, lg_scenario sc, bool all)
{
    lg_settings s, before;
    lg_settings_default(&s);
    before = s;
    lg_config_origin o[64], o_before[64];
    memset(o, 0, sizeof o);
    memset(o_before, 0, sizeof o_before);
    CHECK(lg_settings_field_count() <= 64);
    char err[256];
    int rc = lg_config_apply(c, model, sc, &s, o, err, sizeof err);
    if (rc) {
        CHECK(rc == LG_EINVAL);
        CHECK(err[0] != '\0');
        CHECK(memcmp(&s, &before, sizeof s) == 0);
        CHECK(memcmp(o, o_before, sizeof o) == 0);
    } else {
        CHECK(err[0] == '\0');
        CHECK(s.scenario == before.scenario);
        check_ranges(&s);
    }
    if (!all)
        return;
    char buf[128];
    for (size_t i = 0; i < lg_settings_field_count(); i++) {
        int n = lg_settings_field_format(&s, i, buf, sizeof buf);
        CHECK(n > 0 && (size_t)n < sizeof buf);
        /* What format writes, set reads back. */
        lg_settings t = s;
        CHECK(lg_settings_field_set(&t, i, buf, err, sizeof err) == 0);
        n = lg_config_origin_format(&o[i], buf, sizeof buf);
        CHECK(n > 0);
    }
    /* Statuses cost a lookup per line: the first lines are enough. */
    for (size_t i = 0; i < lg_config_entry_count(c) && i < 8; i++) {
        lg_config_entry e;
        CHECK(lg_config_entry_get(c, i, &e) == 0);
        CHECK(e.line >= 1 && e.file && e.key && e.value && e.name);
        int st = lg_config_entry_status(c, i, model, sc);
        CHECK(st >= LG_CONF_ENTRY_APPLIED && st <= LG_CONF_ENTRY_IGNORED);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    const char *text = (const char *)data;
    const uint8_t *split = memchr(data, 0xff, size);
    size_t n1 = split ? (size_t)(split - data) : size;
    const char *t2 = split ? text + n1 + 1 : NULL;
    size_t n2 = split ? size - n1 - 1 : 0;

    lg_config *c = NULL;
    if (lg_config_create(&c))
        return 0;
    char err[256];
    int rc = lg_config_load_string(c, "mlperf.conf", text, n1, LG_CONF_MLPERF, err,
                                   sizeof err);
    check_message(rc, err, "mlperf.conf");
    if (t2) {
        size_t before = lg_config_entry_count(c);
        rc = lg_config_load_string(c, "user.conf", t2, n2, LG_CONF_USER, err, sizeof err);
        check_message(rc, err, "user.conf");
        if (rc)
            CHECK(lg_config_entry_count(c) == before);
    }

    static const char *const models[] = {"resnet50", "*", NULL, "bert", "m"};
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++)
        for (int sc = 0; sc < 4; sc++)
            exercise(c, models[m], (lg_scenario)sc, m < 2);

    /* The generic setter on raw text: a field picked by the first byte. */
    if (size > 1 && size < 300) {
        char *z = malloc(size);
        if (z) {
            memcpy(z, data + 1, size - 1);
            z[size - 1] = '\0';
            lg_settings s;
            lg_settings_default(&s);
            size_t f = data[0] % lg_settings_field_count();
            rc = lg_settings_field_set(&s, f, z, err, sizeof err);
            CHECK(rc == 0 || (rc == LG_EINVAL && err[0] != '\0'));
            free(z);
        }
    }
    lg_config_destroy(c);
    return 0;
}
