/* net/dataset.h: prompt datasets in JSON Lines, one sample a line, each turned into its
 * request body once, when loaded, so that a run only copies bytes.
 *
 * A line is one JSON object with
 *   "prompt"           a string (for /v1/completions; for chat it is sent as one user
 *                      message), or
 *   "messages"         an array of {"role": string, "content": string} (chat only);
 *   "max_tokens"       optional, an integer >= 1 (else the options' default applies);
 *   "expected_output"  optional, a string kept for accuracy checks, never sent.
 * Exactly one of prompt and messages. Any other key is refused, naming it: a misspelt
 * "max_token" would otherwise change the benchmark without a word. A dataset that
 * carries its own metadata sets ignore_unknown_keys (the keys are then dropped, not
 * sent). Blank lines (white space only) are skipped; the last line needs no LF; a CR
 * before the LF is white space. Lines longer than the limit are refused before they are
 * read whole, so a file without line ends cannot exhaust memory.
 *
 * Errors name the file, the line and the key: "prompts.jsonl:12: key 'max_tokens': must
 * be an integer >= 1 (got 0)".
 *
 * Memory: the request bodies and expected outputs, in large blocks, and one 64-byte
 * record a sample; the decoded prompts are not kept. Thread safety: a loaded dataset is
 * read-only and may be read from any number of threads. */
#ifndef NET_DATASET_H
#define NET_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/openai_msg.h"

/* The line length limit when the options give 0: 16 MiB. */
#define NET_DS_DEFAULT_MAX_LINE (16u << 20)

typedef struct net_ds_options {
    const char *model;           /* required: the request bodies name it */
    net_oai_endpoint endpoint;   /* completions refuses "messages" samples */
    bool stream;                 /* streamed bodies (with include_usage) or plain */
    bool max_completion_tokens;  /* chat: the max_tokens key's name (net_oai_request) */
    uint64_t default_max_tokens; /* for samples without max_tokens; 0: none sent */
    const char *extra;           /* NULL, or a JSON object of members added to every */
    size_t extra_len;            /*   body (net_oai_extra_check) */
    size_t max_line_bytes;       /* 0: NET_DS_DEFAULT_MAX_LINE */
    bool ignore_unknown_keys;    /* drop unknown keys instead of refusing the line */
} net_ds_options;

typedef struct net_ds_sample {
    const char *body;            /* the request body, NUL-terminated */
    size_t body_len;
    const char *expected_output; /* NUL-terminated, NULL when the line had none */
    size_t expected_len;
    uint64_t max_tokens;         /* what the body asks for; 0 when it asks nothing */
    uint64_t prompt_bytes;       /* the prompt's bytes, or all message contents' */
    uint64_t line;               /* its line in the file, from 1 */
    uint32_t n_messages;         /* 0 for a prompt sample */
} net_ds_sample;

typedef struct net_dataset net_dataset;

/*
 * Reads the JSON Lines file at path. On success *out receives the dataset (at least one
 * sample). Returns 0; -ENOENT and the like when the file cannot be read; -EINVAL for a
 * line that breaks the rules above, an empty dataset or bad options; -EMSGSIZE for a line
 * over the limit; -ENOMEM. err (errlen bytes, may be NULL) receives one line naming the
 * file, the line and the key on failure.
 */
int net_dataset_load(const char *path, const net_ds_options *o, net_dataset **out,
                     char *err, size_t errlen);

/* The same from text in memory; name stands for the file in messages. */
int net_dataset_parse(const char *name, const char *text, size_t n, const net_ds_options *o,
                      net_dataset **out, char *err, size_t errlen);

/* The number of samples (at least 1). */
size_t net_dataset_count(const net_dataset *d);

/* Sample i (0 <= i < count); its pointers live as long as the dataset. */
const net_ds_sample *net_dataset_sample(const net_dataset *d, size_t i);

/* The largest request body, for sizing a send buffer. */
size_t net_dataset_max_body(const net_dataset *d);

/* Frees the dataset and everything its samples point to; accepts NULL. */
void net_dataset_free(net_dataset *d);

#endif /* NET_DATASET_H */
