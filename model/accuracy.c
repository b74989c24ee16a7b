/* model/accuracy.c: responses scored against the labels: top-1, top-5 (when the
 * responses are scores), the confusion matrix and what each class got right. The
 * program's `loadgen accuracy` and the accuracy pass of `loadgen run` feed it the
 * entries of mlperf_log_accuracy.json, decoded from hex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int model_score_init(model_score *a, const unsigned char *labels, size_t n_labels)
{
    memset(a, 0, sizeof *a);
    if (!labels || !n_labels)
        return LG_EINVAL;
    a->seen = calloc(n_labels, 1);
    if (!a->seen)
        return LG_ENOMEM;
    a->labels = labels;
    a->n_labels = n_labels;
    return 0;
}

void model_score_free(model_score *a)
{
    free(a->seen);
    a->seen = NULL;
}

static uint64_t le64(const unsigned char *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* How many scores beat the label's (ties counted against the label, so a network that
 * answers all-equal scores is not credited): the label is in the top k when fewer than
 * k do. */
static unsigned rank_of(const float *scores, unsigned label)
{
    unsigned above = 0;
    for (unsigned c = 0; c < MODEL_CLASSES; c++)
        if (c != label && scores[c] >= scores[label])
            above++;
    return above;
}

int model_score_add(model_score *a, uint64_t qsl_idx, const void *data, size_t size,
                       char *err, size_t errlen)
{
    a->entries++;
    if (qsl_idx >= a->n_labels) {
        snprintf(err, errlen, "qsl_idx %llu is past the %zu labels",
                 (unsigned long long)qsl_idx, a->n_labels);
        return LG_EINVAL;
    }
    float scores[MODEL_CLASSES];
    int predicted;
    model_answer_kind kind;
    if (size == MODEL_RESPONSE_BYTES) {
        kind = MODEL_ANSWER_SCORES;
        predicted = model_response_decode(data, size, scores);
        if (predicted < 0) {
            snprintf(err, errlen, "a score of sample %llu is not a finite number",
                     (unsigned long long)qsl_idx);
            return LG_EINVAL;
        }
    } else if (size == 4 || size == 8) {
        kind = size == 4 ? MODEL_ANSWER_INT32 : MODEL_ANSWER_INT64;
        uint64_t v = le64(data, (unsigned)size);
        int64_t c = size == 4 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
        if (c < 0 || c >= MODEL_CLASSES) {
            snprintf(err, errlen, "sample %llu: predicted class %lld is out of range (0..%d)",
                     (unsigned long long)qsl_idx, (long long)c, MODEL_CLASSES - 1);
            return LG_EINVAL;
        }
        predicted = (int)c;
    } else {
        snprintf(err, errlen, "sample %llu: a response of %zu bytes is neither %d float32 "
                 "scores (%d bytes) nor a class as int32 (4) or int64 (8)",
                 (unsigned long long)qsl_idx, size, MODEL_CLASSES, MODEL_RESPONSE_BYTES);
        return LG_EINVAL;
    }
    if (a->seen[qsl_idx]) {
        a->duplicates++;
        return 0;
    }
    a->seen[qsl_idx] = 1;
    unsigned label = a->labels[qsl_idx];
    a->scored++;
    a->by_kind[kind]++;
    a->confusion[label][predicted]++;
    a->correct += (unsigned)predicted == label;
    if (kind == MODEL_ANSWER_SCORES && rank_of(scores, label) < 5)
        a->top5_correct++;
    return 0;
}

double model_score_top1(const model_score *a)
{
    return a->scored ? (double)a->correct / (double)a->scored : 0.0;
}

void model_score_class(const model_score *a, unsigned c, uint64_t *support,
                          uint64_t *right, uint64_t *predicted)
{
    uint64_t s = 0, p = 0;
    for (unsigned k = 0; k < MODEL_CLASSES; k++) {
        s += a->confusion[c][k];
        p += a->confusion[k][c];
    }
    *support = s;
    *right = a->confusion[c][c];
    *predicted = p;
}
