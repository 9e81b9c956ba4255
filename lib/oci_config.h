/* SPDX-License-Identifier: Apache-2.0 */
/* An OCI runtime config (config.json) and container state, as a JSON
 * document: we read the parts we need and change only linux.seccomp,
 * annotations, hooks and process.capabilities; everything else is written
 * back as it was read (lib/json.h keeps order and number text). */
#pragma once

#include "json.h"
#include "seccomp_profile.h"

/* config.json files larger than this are refused (runc's own limit is
 * looser, but a config this large is a mistake or an attack). */
#define OSL_CONFIG_MAX_BYTES (16u * 1024 * 1024)

/* Fails with -EINVAL and a message naming the JSON path when the config
 * could be read differently by a runtime than by us: in the objects we read
 * or write (the root, process, process.capabilities, process.user, linux,
 * linux.seccomp and its rules and their args, annotations, hooks and each
 * hook), a key that appears twice, or a key that equals an OCI field only
 * when case is ignored ("SECCOMP"). runc and containerd decode with Go's
 * encoding/json: the last duplicate wins and keys match fields
 * case-insensitively (with Unicode's simple folding of 'ſ' and 'K'); crun
 * (yajl) takes the first and matches exactly. doc/security.md. */
int osl_config_check_unambiguous(const jv *cfg, osl_error *err);

/* Reads and checks that the top level is an object. */
int osl_config_parse(const char *buf, size_t len, const char *what, jv **out, osl_error *err);
int osl_config_load(const char *path, jv **out, osl_error *err);
/* Atomic rewrite, keeping the file's mode. */
int osl_config_save(const jv *cfg, const char *path, osl_error *err);

/* NULL when absent or not a string. */
const char *osl_config_annotation(const jv *cfg, const char *key);
int osl_config_set_annotation(jv *cfg, const char *key, const char *value, osl_error *err);

/* linux.seccomp: *out is NULL when the config has none. */
int osl_config_get_seccomp(const jv *cfg, osl_seccomp **out, osl_error *err);
/* Replaces linux.seccomp (NULL removes it). */
int osl_config_set_seccomp(jv *cfg, const osl_seccomp *s, osl_error *err);

/* process.noNewPrivileges (false when absent). */
bool osl_config_no_new_privileges(const jv *cfg);

/* Adds an OCI hook to hooks.<stage> unless one with the same path and the
 * same last argument (the command) is there already. */
int osl_config_add_hook(jv *cfg, const char *stage, const char *path, char *const *args, int timeout_sec,
                        osl_error *err);

/* The state the runtime gives hooks on stdin (runtime spec "state"). */
typedef struct osl_state {
        char *id;
        char *status;
        int pid;
        char *bundle;
        jv *annotations; /* owned; may be NULL */
} osl_state;
void osl_state_clear(osl_state *st);
int osl_state_from_jv(const jv *v, osl_state *out, osl_error *err);
int osl_state_read_fd(int fd, osl_state *out, osl_error *err);

/* Removes from all five sets of process.capabilities (bounding, effective,
 * permitted, inheritable, ambient) every capability not in keep (CAP_*
 * numbers). Never adds one. Names go through libcap; a name libcap does not
 * know is removed too. *removed (may be NULL) gets the distinct names
 * removed, NULL-terminated. */
int osl_config_restrict_capabilities(jv *cfg, const int *keep, size_t n_keep, char ***removed, osl_error *err);
