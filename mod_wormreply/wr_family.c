/* wr_family.c - the known family attributes and their values */
#include <string.h>

#include <apr_strings.h>

#include "wr_family.h"

typedef struct {
    const char *key;
    const char *values;     /* allowed values, '|'-separated; NULL: any
                             * word of printable ASCII */
    const char *dflt;       /* value of a family that does not set it */
} family_key_t;

/* One row per key; see wr_family.h for what each means. */
static const family_key_t family_keys[] = {
    {"confidence", "certain|likely|recon", "certain"},
    {"kind", "worm|scanner", "scanner"},
};

#define NKEYS ((int)(sizeof(family_keys) / sizeof(family_keys[0])))

static const char *const confidence_names[WR_CONFIDENCE_COUNT] = {
    "certain", "likely", "recon"
};

int wr_family_key_count(void)
{
    return NKEYS;
}

const char *wr_family_key_name(int k)
{
    return k >= 0 && k < NKEYS ? family_keys[k].key : NULL;
}

int wr_family_key_index(const char *key)
{
    int k;

    for (k = 0; k < NKEYS; k++) {
        if (!strcmp(family_keys[k].key, key)) {
            return k;
        }
    }
    return -1;
}

const char *wr_family_key_default(int k)
{
    return k >= 0 && k < NKEYS ? family_keys[k].dflt : NULL;
}

/* value_allowed - whether `value` is one of the '|'-separated `values` */
static int value_allowed(const char *values, const char *value)
{
    size_t n = strlen(value);
    const char *v = values;

    while (v && *v) {
        const char *bar = strchr(v, '|');
        size_t len = bar ? (size_t)(bar - v) : strlen(v);
        if (len == n && !strncmp(v, value, n)) {
            return 1;
        }
        v = bar ? bar + 1 : NULL;
    }
    return 0;
}

/* printable_word - a non-empty value of printable ASCII without blanks */
static int printable_word(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (; *s; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

apr_status_t wr_family_attr_check(const char *key, const char *value,
                                  int *k, const char **err, apr_pool_t *p)
{
    int i = wr_family_key_index(key);

    if (i < 0) {
        const char *known = "";
        int j;
        for (j = 0; j < NKEYS; j++) {
            known = apr_pstrcat(p, known, j ? ", " : "", family_keys[j].key,
                                NULL);
        }
        *err = apr_psprintf(p, "unknown family attribute '%s' (known: %s)",
                            key, known);
        return APR_ENOENT;
    }
    if (family_keys[i].values ? !value_allowed(family_keys[i].values, value)
                              : !printable_word(value)) {
        *err = family_keys[i].values
               ? apr_psprintf(p, "family attribute %s: '%s' is not one of %s",
                              key, value, family_keys[i].values)
               : apr_psprintf(p, "family attribute %s: the value must be a "
                              "word of printable ASCII", key);
        return APR_EINVAL;
    }
    *k = i;
    return APR_SUCCESS;
}

int wr_family_attr_split(const char *word, const char **key,
                         const char **value, apr_pool_t *p)
{
    const char *eq = strchr(word, '='), *s;

    if (eq == NULL || eq == word || !(*word >= 'a' && *word <= 'z')) {
        return 0;
    }
    for (s = word; s < eq; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')
              || *s == '-')) {
            return 0;
        }
    }
    *key = apr_pstrmemdup(p, word, (apr_size_t)(eq - word));
    *value = apr_pstrdup(p, eq + 1);
    return 1;
}

apr_status_t wr_confidence_parse(const char *s, wr_confidence_t *c)
{
    int i;

    for (i = 0; i < WR_CONFIDENCE_COUNT; i++) {
        if (!strcmp(s, confidence_names[i])) {
            *c = (wr_confidence_t)i;
            return APR_SUCCESS;
        }
    }
    return APR_EINVAL;
}

const char *wr_confidence_name(wr_confidence_t c)
{
    return (int)c >= 0 && (int)c < WR_CONFIDENCE_COUNT
           ? confidence_names[c] : confidence_names[0];
}
