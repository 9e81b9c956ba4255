/* SPDX-License-Identifier: Apache-2.0 */
#include "json.h"

#include <inttypes.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

static jv *jv_alloc(jv_type t)
{
        jv *v = calloc(1, sizeof(*v));
        if (v)
                v->type = t;
        return v;
}

jv *jv_new_null(void) { return jv_alloc(JV_NULL); }
jv *jv_new_array(void) { return jv_alloc(JV_ARRAY); }
jv *jv_new_object(void) { return jv_alloc(JV_OBJECT); }

jv *jv_new_bool(bool b)
{
        jv *v = jv_alloc(JV_BOOL);
        if (v)
                v->u.boolean = b;
        return v;
}

jv *jv_new_string_len(const char *s, size_t len)
{
        jv *v = jv_alloc(JV_STRING);
        if (!v)
                return NULL;
        v->u.string.s = malloc(len + 1);
        if (!v->u.string.s) {
                free(v);
                return NULL;
        }
        memcpy(v->u.string.s, s, len);
        v->u.string.s[len] = '\0';
        v->u.string.len = len;
        return v;
}

jv *jv_new_string(const char *s)
{
        return s ? jv_new_string_len(s, strlen(s)) : NULL;
}

jv *jv_new_number_raw(const char *text)
{
        jv *v = jv_alloc(JV_NUMBER);
        if (!v)
                return NULL;
        v->u.number = strdup(text);
        if (!v->u.number) {
                free(v);
                return NULL;
        }
        return v;
}

jv *jv_new_int(int64_t i)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRId64, i);
        return jv_new_number_raw(buf);
}

jv *jv_new_uint(uint64_t u)
{
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRIu64, u);
        return jv_new_number_raw(buf);
}

void jv_free(jv *v)
{
        if (!v)
                return;
        switch (v->type) {
        case JV_NUMBER:
                free(v->u.number);
                break;
        case JV_STRING:
                free(v->u.string.s);
                break;
        case JV_ARRAY:
                for (size_t i = 0; i < v->u.array.len; i++)
                        jv_free(v->u.array.items[i]);
                free(v->u.array.items);
                break;
        case JV_OBJECT:
                for (size_t i = 0; i < v->u.object.len; i++) {
                        free(v->u.object.keys[i]);
                        jv_free(v->u.object.values[i]);
                }
                free(v->u.object.keys);
                free(v->u.object.values);
                break;
        case JV_NULL:
        case JV_BOOL:
                break;
        }
        free(v);
}

jv *jv_dup(const jv *v)
{
        if (!v)
                return NULL;
        switch (v->type) {
        case JV_NULL:
                return jv_new_null();
        case JV_BOOL:
                return jv_new_bool(v->u.boolean);
        case JV_NUMBER:
                return jv_new_number_raw(v->u.number);
        case JV_STRING:
                return jv_new_string_len(v->u.string.s, v->u.string.len);
        case JV_ARRAY: {
                _cleanup_jv_ jv *a = jv_new_array();
                if (!a)
                        return NULL;
                for (size_t i = 0; i < v->u.array.len; i++) {
                        jv *item = jv_dup(v->u.array.items[i]);
                        if (!item || jv_arr_append(a, item) < 0)
                                return NULL;
                }
                return TAKE_PTR(a);
        }
        case JV_OBJECT: {
                _cleanup_jv_ jv *o = jv_new_object();
                if (!o)
                        return NULL;
                for (size_t i = 0; i < v->u.object.len; i++) {
                        jv *item = jv_dup(v->u.object.values[i]);
                        /* Appending (not set) keeps duplicate keys as they were. */
                        if (!item)
                                return NULL;
                        if (o->u.object.len == o->u.object.cap) {
                                size_t cap = o->u.object.cap ? o->u.object.cap * 2 : 8;
                                char **k = realloc(o->u.object.keys, cap * sizeof(char *));
                                if (!k) { jv_free(item); return NULL; }
                                o->u.object.keys = k;
                                jv **vals = realloc(o->u.object.values, cap * sizeof(jv *));
                                if (!vals) { jv_free(item); return NULL; }
                                o->u.object.values = vals;
                                o->u.object.cap = cap;
                        }
                        char *key = strdup(v->u.object.keys[i]);
                        if (!key) { jv_free(item); return NULL; }
                        o->u.object.keys[o->u.object.len] = key;
                        o->u.object.values[o->u.object.len++] = item;
                }
                return TAKE_PTR(o);
        }
        }
        return NULL;
}

/* ---- objects and arrays ---- */

static int obj_grow(jv *obj)
{
        if (obj->u.object.len < obj->u.object.cap)
                return 0;
        size_t cap = obj->u.object.cap ? obj->u.object.cap * 2 : 8;
        char **keys = realloc(obj->u.object.keys, cap * sizeof(char *));
        if (!keys)
                return -ENOMEM;
        obj->u.object.keys = keys;
        jv **values = realloc(obj->u.object.values, cap * sizeof(jv *));
        if (!values)
                return -ENOMEM;
        obj->u.object.values = values;
        obj->u.object.cap = cap;
        return 0;
}

/* Appends without looking for an existing key: the parser keeps duplicates. */
static int obj_append(jv *obj, char *key, jv *val)
{
        if (obj_grow(obj) < 0)
                return -ENOMEM;
        obj->u.object.keys[obj->u.object.len] = key;
        obj->u.object.values[obj->u.object.len++] = val;
        return 0;
}

jv *jv_obj_get(const jv *obj, const char *key)
{
        if (!obj || obj->type != JV_OBJECT)
                return NULL;
        for (size_t i = 0; i < obj->u.object.len; i++)
                if (strcmp(obj->u.object.keys[i], key) == 0)
                        return obj->u.object.values[i];
        return NULL;
}

int jv_obj_set(jv *obj, const char *key, jv *val)
{
        if (!val)
                return -ENOMEM;
        if (!obj || obj->type != JV_OBJECT) {
                jv_free(val);
                return -EINVAL;
        }
        for (size_t i = 0; i < obj->u.object.len; i++)
                if (strcmp(obj->u.object.keys[i], key) == 0) {
                        jv_free(obj->u.object.values[i]);
                        obj->u.object.values[i] = val;
                        return 0;
                }
        char *k = strdup(key);
        if (!k || obj_append(obj, k, val) < 0) {
                free(k);
                jv_free(val);
                return -ENOMEM;
        }
        return 0;
}

size_t jv_obj_remove(jv *obj, const char *key)
{
        size_t removed = 0, j = 0;
        if (!obj || obj->type != JV_OBJECT)
                return 0;
        for (size_t i = 0; i < obj->u.object.len; i++) {
                if (strcmp(obj->u.object.keys[i], key) == 0) {
                        free(obj->u.object.keys[i]);
                        jv_free(obj->u.object.values[i]);
                        removed++;
                        continue;
                }
                obj->u.object.keys[j] = obj->u.object.keys[i];
                obj->u.object.values[j++] = obj->u.object.values[i];
        }
        obj->u.object.len = j;
        return removed;
}

jv *jv_obj_ensure_object(jv *obj, const char *key)
{
        jv *v = jv_obj_get(obj, key);
        if (v)
                return v->type == JV_OBJECT ? v : NULL;
        v = jv_new_object();
        if (!v || jv_obj_set(obj, key, v) < 0)
                return NULL;
        return v;
}

jv *jv_get_path(const jv *root, ...)
{
        va_list ap;
        const jv *v = root;
        va_start(ap, root);
        for (const char *key = va_arg(ap, const char *); key && v; key = va_arg(ap, const char *))
                v = jv_obj_get(v, key);
        va_end(ap);
        return (jv *) v;
}

int jv_arr_append(jv *arr, jv *val)
{
        if (!val)
                return -ENOMEM;
        if (!arr || arr->type != JV_ARRAY) {
                jv_free(val);
                return -EINVAL;
        }
        if (arr->u.array.len == arr->u.array.cap) {
                size_t cap = arr->u.array.cap ? arr->u.array.cap * 2 : 8;
                jv **items = realloc(arr->u.array.items, cap * sizeof(jv *));
                if (!items) {
                        jv_free(val);
                        return -ENOMEM;
                }
                arr->u.array.items = items;
                arr->u.array.cap = cap;
        }
        arr->u.array.items[arr->u.array.len++] = val;
        return 0;
}

/* ---- typed reads ---- */

bool jv_is(const jv *v, jv_type t) { return v && v->type == t; }

const char *jv_str(const jv *v)
{
        if (!jv_is(v, JV_STRING) || strlen(v->u.string.s) != v->u.string.len)
                return NULL;
        return v->u.string.s;
}

bool jv_get_bool(const jv *v, bool *out)
{
        if (!jv_is(v, JV_BOOL))
                return false;
        *out = v->u.boolean;
        return true;
}

bool jv_get_int64(const jv *v, int64_t *out)
{
        if (!jv_is(v, JV_NUMBER) || strpbrk(v->u.number, ".eE"))
                return false;
        char *end;
        errno = 0;
        long long x = strtoll(v->u.number, &end, 10);
        if (errno || *end)
                return false;
        *out = x;
        return true;
}

bool jv_get_uint64(const jv *v, uint64_t *out)
{
        if (!jv_is(v, JV_NUMBER) || strpbrk(v->u.number, ".eE-"))
                return false;
        char *end;
        errno = 0;
        unsigned long long x = strtoull(v->u.number, &end, 10);
        if (errno || *end)
                return false;
        *out = x;
        return true;
}

const char *jv_type_name(jv_type t)
{
        static const char *const names[] = {
                [JV_NULL] = "null", [JV_BOOL] = "boolean", [JV_NUMBER] = "number",
                [JV_STRING] = "string", [JV_ARRAY] = "array", [JV_OBJECT] = "object",
        };
        return (unsigned) t < ELEMENTSOF(names) ? names[t] : "unknown";
}

bool jv_equal(const jv *a, const jv *b)
{
        if (!a || !b)
                return a == b;
        if (a->type != b->type)
                return false;
        switch (a->type) {
        case JV_NULL:
                return true;
        case JV_BOOL:
                return a->u.boolean == b->u.boolean;
        case JV_NUMBER:
                return strcmp(a->u.number, b->u.number) == 0;
        case JV_STRING:
                return a->u.string.len == b->u.string.len &&
                       memcmp(a->u.string.s, b->u.string.s, a->u.string.len) == 0;
        case JV_ARRAY:
                if (a->u.array.len != b->u.array.len)
                        return false;
                for (size_t i = 0; i < a->u.array.len; i++)
                        if (!jv_equal(a->u.array.items[i], b->u.array.items[i]))
                                return false;
                return true;
        case JV_OBJECT:
                if (a->u.object.len != b->u.object.len)
                        return false;
                for (size_t i = 0; i < a->u.object.len; i++)
                        if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) != 0 ||
                            !jv_equal(a->u.object.values[i], b->u.object.values[i]))
                                return false;
                return true;
        }
        return false;
}

/* ---- parsing ---- */

typedef struct parse_ctx {
        jv *root;
        jv *stack[JV_MAX_DEPTH + 1];
        char *pending_key[JV_MAX_DEPTH + 1]; /* the key an object is waiting to fill */
        size_t depth;
        int error; /* 0, -ENOMEM or -E2BIG (too deep) */
} parse_ctx;

static int add_value(parse_ctx *ctx, jv *v)
{
        if (!v) {
                ctx->error = -ENOMEM;
                return 0;
        }
        if (ctx->depth == 0) {
                ctx->root = v;
                return 1;
        }
        jv *parent = ctx->stack[ctx->depth - 1];
        int r;
        if (parent->type == JV_ARRAY)
                r = jv_arr_append(parent, v);
        else {
                r = obj_append(parent, ctx->pending_key[ctx->depth - 1], v);
                if (r < 0)
                        jv_free(v);
                else
                        ctx->pending_key[ctx->depth - 1] = NULL;
        }
        if (r < 0) {
                ctx->error = r;
                return 0;
        }
        return 1;
}

static int cb_null(void *c) { return add_value(c, jv_new_null()); }
static int cb_bool(void *c, int b) { return add_value(c, jv_new_bool(b)); }

static int cb_number(void *c, const char *s, size_t len)
{
        jv *v = jv_alloc(JV_NUMBER);
        if (v && !(v->u.number = strndup(s, len))) {
                free(v);
                v = NULL;
        }
        return add_value(c, v);
}

static int cb_string(void *c, const unsigned char *s, size_t len)
{
        return add_value(c, jv_new_string_len((const char *) s, len));
}

static int push(parse_ctx *ctx, jv *v)
{
        if (!v) {
                ctx->error = -ENOMEM;
                return 0;
        }
        if (ctx->depth >= JV_MAX_DEPTH) {
                jv_free(v);
                ctx->error = -E2BIG;
                return 0;
        }
        /* Attach first so that the tree owns v whatever happens next. */
        if (!add_value(ctx, v))
                return 0;
        ctx->stack[ctx->depth++] = v;
        return 1;
}

static int cb_start_map(void *c) { return push(c, jv_new_object()); }
static int cb_start_array(void *c) { return push(c, jv_new_array()); }

static int cb_map_key(void *c, const unsigned char *key, size_t len)
{
        parse_ctx *ctx = c;
        free(ctx->pending_key[ctx->depth - 1]);
        ctx->pending_key[ctx->depth - 1] = strndup((const char *) key, len);
        if (!ctx->pending_key[ctx->depth - 1]) {
                ctx->error = -ENOMEM;
                return 0;
        }
        return 1;
}

static int cb_end(void *c)
{
        parse_ctx *ctx = c;
        ctx->depth--;
        return 1;
}

static const yajl_callbacks callbacks = {
        .yajl_null = cb_null,
        .yajl_boolean = cb_bool,
        .yajl_number = cb_number,
        .yajl_string = cb_string,
        .yajl_start_map = cb_start_map,
        .yajl_map_key = cb_map_key,
        .yajl_end_map = cb_end,
        .yajl_start_array = cb_start_array,
        .yajl_end_array = cb_end,
};

static void yajl_freep(yajl_handle *h)
{
        if (*h)
                yajl_free(*h);
}

int jv_parse(const char *buf, size_t len, const char *what, jv **out, osl_error *err)
{
        return jv_parse_flags(buf, len, what, 0, out, err);
}

int jv_parse_flags(const char *buf, size_t len, const char *what, unsigned flags, jv **out, osl_error *err)
{
        parse_ctx ctx = {};
        __attribute__((cleanup(yajl_freep))) yajl_handle h = yajl_alloc(&callbacks, NULL, &ctx);
        int r = 0;

        if (!h)
                return osl_err(err, -ENOMEM, "out of memory parsing %s", what);
        if ((flags & JV_PARSE_KEEP_INVALID_UTF8) && !yajl_config(h, yajl_dont_validate_strings, 1))
                return osl_err(err, -EINVAL, "%s: cannot configure the JSON parser", what);
        yajl_status st = yajl_parse(h, (const unsigned char *) buf, len);
        if (st == yajl_status_ok)
                st = yajl_complete_parse(h);
        if (st != yajl_status_ok) {
                if (ctx.error == -ENOMEM)
                        r = osl_err(err, -ENOMEM, "out of memory parsing %s", what);
                else if (ctx.error == -E2BIG)
                        r = osl_err(err, -EINVAL, "%s: JSON nested deeper than %d levels", what, JV_MAX_DEPTH);
                else {
                        unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
                        size_t at = yajl_get_bytes_consumed(h);
                        char text[256];
                        snprintf(text, sizeof(text), "%s", msg ? (const char *) msg : "parse error");
                        text[strcspn(text, "\n")] = '\0';
                        if (msg)
                                yajl_free_error(h, msg);
                        r = osl_err(err, -EINVAL, "%s: invalid JSON near byte %zu: %s", what, at, text);
                }
        } else if (!ctx.root)
                r = osl_err(err, -EINVAL, "%s: empty input, expected JSON", what);
        for (size_t i = 0; i <= JV_MAX_DEPTH; i++)
                free(ctx.pending_key[i]);
        if (r < 0) {
                jv_free(ctx.root);
                return r;
        }
        *out = ctx.root;
        return 0;
}

int jv_parse_file(const char *path, size_t max_bytes, jv **out, osl_error *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = osl_read_file(path, max_bytes, &buf, &len, err);
        if (r < 0)
                return r;
        return jv_parse(buf, len, path, out, err);
}

/* ---- generation ---- */

static yajl_gen_status gen_value(yajl_gen g, const jv *v)
{
        yajl_gen_status st;
        switch (v->type) {
        case JV_NULL:
                return yajl_gen_null(g);
        case JV_BOOL:
                return yajl_gen_bool(g, v->u.boolean);
        case JV_NUMBER:
                return yajl_gen_number(g, v->u.number, strlen(v->u.number));
        case JV_STRING:
                return yajl_gen_string(g, (const unsigned char *) v->u.string.s, v->u.string.len);
        case JV_ARRAY:
                if ((st = yajl_gen_array_open(g)) != yajl_gen_status_ok)
                        return st;
                for (size_t i = 0; i < v->u.array.len; i++)
                        if ((st = gen_value(g, v->u.array.items[i])) != yajl_gen_status_ok)
                                return st;
                return yajl_gen_array_close(g);
        case JV_OBJECT:
                if ((st = yajl_gen_map_open(g)) != yajl_gen_status_ok)
                        return st;
                for (size_t i = 0; i < v->u.object.len; i++) {
                        const char *k = v->u.object.keys[i];
                        if ((st = yajl_gen_string(g, (const unsigned char *) k, strlen(k))) != yajl_gen_status_ok)
                                return st;
                        if ((st = gen_value(g, v->u.object.values[i])) != yajl_gen_status_ok)
                                return st;
                }
                return yajl_gen_map_close(g);
        }
        return yajl_gen_invalid_string;
}

static void yajl_gen_freep(yajl_gen *g)
{
        if (*g)
                yajl_gen_free(*g);
}

int jv_serialize(const jv *v, bool pretty, char **out, size_t *len, osl_error *err)
{
        __attribute__((cleanup(yajl_gen_freep))) yajl_gen g = yajl_gen_alloc(NULL);
        const unsigned char *buf;
        size_t n;

        if (!g)
                return osl_err(err, -ENOMEM, "out of memory writing JSON");
        if (pretty) {
                yajl_gen_config(g, yajl_gen_beautify, 1);
                yajl_gen_config(g, yajl_gen_indent_string, "    ");
        }
        yajl_gen_status st = gen_value(g, v);
        if (st != yajl_gen_status_ok)
                return osl_err(err, -EINVAL, "cannot write JSON (yajl generator status %d)", (int) st);
        yajl_gen_get_buf(g, &buf, &n);
        char *copy = malloc(n + 2);
        if (!copy)
                return osl_err(err, -ENOMEM, "out of memory writing JSON");
        memcpy(copy, buf, n);
        if (n == 0 || copy[n - 1] != '\n')
                copy[n++] = '\n';
        copy[n] = '\0';
        *out = copy;
        if (len)
                *len = n;
        return 0;
}

int jv_write_file_atomic(const jv *v, const char *path, mode_t mode, osl_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = jv_serialize(v, true, &text, &len, err);
        if (r < 0)
                return r;
        return osl_write_file_atomic(path, text, len, mode, err);
}

int jv_write_file_atomic_nosync(const jv *v, const char *path, mode_t mode, osl_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = jv_serialize(v, true, &text, &len, err);
        if (r < 0)
                return r;
        return osl_write_file_atomic_nosync(path, text, len, mode, err);
}
