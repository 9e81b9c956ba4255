/* SPDX-License-Identifier: Apache-2.0 */
/* The prestart hook's record of a container instance,
 * RUNDIR/containers/<key>.json (key: osl_instance_key of the id and the
 * bundle), read and removed by the poststop hook. */
#pragma once

#include "util.h"

typedef struct osl_registration {
        const char *container_id;
        const char *image_key; /* NULL when unknown */
        const char *mode;      /* "learn", ... */
        int pid;
        const char *bundle;    /* with container_id, names the file */
        bool learning;         /* the config has our learning filter */
        uint32_t version;      /* complain/enforce: the profile version applied; 0: none */
        const char *start_time; /* filled by write when NULL */
        const char *method;    /* "log" for SECCOMP_RET_LOG; NULL: notify */
} osl_registration;

int osl_registration_write(const char *run_dir, const osl_registration *reg, osl_error *err);

/* A registration as read back: every string owned. */
typedef struct osl_registration_owned {
        char *container_id, *image_key, *mode, *bundle, *start_time;
        bool log; /* method "log" (absent in older registrations: notify) */
        int pid;
        bool learning;
        uint32_t version;
} osl_registration_owned;
void osl_registration_clear(osl_registration_owned *reg);
/* The registration of the instance (container_id, bundle): the state's id
 * and bundle. -ENOENT when it was never registered. */
int osl_registration_load(const char *run_dir, const char *container_id, const char *bundle,
                          osl_registration_owned *out, osl_error *err);
/* The same, from RUNDIR/containers/<key>.json. */
int osl_registration_load_path(const char *path, osl_registration_owned *out, osl_error *err);
int osl_registration_remove(const char *run_dir, const char *container_id, const char *bundle);
