/* SPDX-License-Identifier: Apache-2.0 */
/* OCI poststop hook: waits (bounded) for the agent's observation of the
 * container, merges it into the image's profile, merges what earlier
 * poststops could not (RUN/pending/, lib/pending.h), and removes the
 * container's registration. Its own errors are logged; it never fails a
 * teardown, and it finishes well inside its 30 s hook timeout: every wait
 * is bounded (WORK_BUDGET_MS in all). */
#include <getopt.h>
#include <string.h>
#include <syslog.h>

#include "commands.h"
#include "image.h"
#include "inject.h"
#include "oci_config.h"
#include "observation.h"
#include "pending.h"
#include "registration.h"
#include "rundir.h"
#include "store.h"

static const char poststop_help[] =
        "Usage: oci-seccomp-learn poststop [--timeout SECONDS]\n"
        "\n"
        "An OCI poststop hook: reads the container state on stdin, waits for the\n"
        "agent's observation of the container (RUNDIR/observations/ID-HASH.json, at most\n"
        "--timeout seconds, default 5; not at all when no agent listens on its socket),\n"
        "merges it into the image's profile in the store and removes the container's\n"
        "registration. An observation it cannot\n"
        "merge (the image's lock held for 10 s, a damaged store, a full disk) is kept\n"
        "in RUNDIR/pending/; every poststop then merges what is pending there, as\n"
        "'oci-seccomp-learn profile merge --pending' does. Problems are reported to\n"
        "stderr, syslog and RUNDIR/hooks.log; the exit code is always 0.\n";

/* The hook's timeout is 30 s (lib/inject.c, contrib/hooks.d): the wait for
 * the observation, the locks and the merges all end within this from the
 * hook's start, however the store behaves. */
#define WORK_BUDGET_MS 20000u
/* The longest wait for one image's lock. */
#define LOCK_TIMEOUT_MS 10000u

/* What is left of the budget that started at start_ms. */
static unsigned budget_left(uint64_t start_ms)
{
        uint64_t spent = osl_monotonic_ms() - start_ms;
        return spent >= WORK_BUDGET_MS ? 0 : (unsigned) (WORK_BUDGET_MS - spent);
}

/* The observation merged (learn) or its drift recorded (complain), by
 * osl_observation_take; an observation kept pending puts its image key into
 * *kept_key. */
static void take_observation(const osl_global *g, const char *id, const char *obs_path, const char *fallback_key,
                             osl_mode mode, uint32_t version, unsigned lock_timeout_ms, char **kept_key)
{
        _cleanup_(osl_take_result_clear) osl_take_result res = {};
        osl_error err = {};
        const char *key;

        if (osl_observation_take(g->store, g->run_dir, obs_path, fallback_key, mode, version, lock_timeout_ms, &res,
                                 &err) < 0) {
                osl_hook_log(g->run_dir, LOG_ERR, "poststop: container %s: %s", id, err.msg);
                if (res.pending)
                        *kept_key = TAKE_PTR(res.image_key);
                return;
        }
        key = res.image_key;
        if (res.drift && (res.drift_res.added_syscalls || res.drift_res.added_capabilities))
                osl_hook_log(g->run_dir, LOG_WARNING,
                             "poststop: container %s: image %s: drift from version %u: %zu syscalls and "
                             "%zu capabilities outside the profile (see 'oci-seccomp-learn profile drift %s')",
                             id, key, version, res.drift_res.added_syscalls, res.drift_res.added_capabilities, key);
        else if (res.drift)
                osl_hook_log(g->run_dir, LOG_INFO, "poststop: container %s: image %s: stayed within version %u", id,
                             key, version);
        else if (res.merge.new_version)
                osl_hook_log(g->run_dir, LOG_NOTICE,
                             "poststop: container %s: image %s: version %u, %zu new syscalls, %zu new capabilities",
                             id, key, res.merge.version, res.merge.added_syscalls, res.merge.added_capabilities);
        else
                osl_hook_log(g->run_dir, LOG_INFO, "poststop: container %s: image %s: nothing new (version %u)", id,
                             key, res.merge.version);
}

static void report_pending(void *userdata, const char *path, const char *image_key, int r,
                           const osl_merge_result *res, const osl_error *err)
{
        const osl_global *g = userdata;
        if (r < 0)
                osl_hook_log(g->run_dir, LOG_ERR, "poststop: pending %s: %s (still pending)", path, err->msg);
        else
                osl_hook_log(g->run_dir, LOG_NOTICE, "poststop: pending %s: merged into %s (version %u, %zu new syscalls)",
                             path, image_key, res->version, res->added_syscalls);
}

/* What earlier poststops could not merge, with what is left of the budget;
 * not the image whose lock or store just failed (skip_key). */
static void merge_pending(const osl_global *g, const char *id, const char *skip_key, uint64_t start_ms)
{
        osl_error err = {};
        unsigned budget = budget_left(start_ms);
        if (budget == 0)
                return;
        char *skip[] = { (char *) skip_key, NULL };
        int r = osl_pending_merge_all(g->store, g->run_dir, skip, LOCK_TIMEOUT_MS, budget, report_pending, (void *) g,
                                      &err);
        if (r < 0)
                osl_hook_log(g->run_dir, LOG_ERR, "poststop: container %s: %s", id, err.msg);
        else if (r > 0)
                osl_hook_log(g->run_dir, LOG_WARNING,
                             "poststop: container %s: %d observation(s) still pending in %s/" OSL_PENDING_DIR
                             " (see 'oci-seccomp-learn profile merge --pending')",
                             id, r, osl_rundir(g->run_dir));
}

int cmd_poststop(int argc, char **argv, const osl_global *g)
{
        static const struct option options[] = {
                { "timeout", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_free_ char *obs_path = NULL, *kept_key = NULL;
        osl_registration_owned reg = {};
        osl_state st = {};
        osl_error err = {};
        double timeout_sec = 5;
        uint64_t start_ms = osl_monotonic_ms();
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
                char *end;
                switch (c) {
                case 't':
                        timeout_sec = strtod(optarg, &end);
                        if (*end || end == optarg || timeout_sec < 0 || timeout_sec > 60) {
                                fprintf(stderr, "oci-seccomp-learn poststop: --timeout takes 0 to 60 seconds\n");
                                return EXIT_USAGE;
                        }
                        break;
                case 'h':
                        fputs(poststop_help, stdout);
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }

        if (osl_state_read_fd(STDIN_FILENO, &st, &err) < 0) {
                osl_hook_log(g->run_dir, LOG_ERR, "poststop: %s", err.msg);
                return EXIT_OK;
        }
        int r = osl_registration_load(g->run_dir, st.id, st.bundle, &reg, &err);
        if (r < 0 && r != -ENOENT)
                osl_hook_log(g->run_dir, LOG_WARNING, "poststop: container %s: %s", st.id, err.msg);

        osl_mode mode = OSL_MODE_OFF;
        const char *mode_name = reg.mode ? reg.mode : jv_str(jv_obj_get(st.annotations, OSL_ANNOTATION_MODE));
        if (mode_name)
                (void) osl_mode_parse(mode_name, &mode);

        if ((mode == OSL_MODE_LEARN || mode == OSL_MODE_COMPLAIN) &&
            osl_rundir_path(g->run_dir, "observations", st.id, st.bundle, &obs_path, &err) >= 0) {
                /* Without a registration we cannot know whether a filter was
                 * in place, so wait as if it were. */
                bool expected = reg.container_id ? reg.learning : mode == OSL_MODE_LEARN;
                r = expected ? osl_observation_wait(g->run_dir, obs_path, (unsigned) (timeout_sec * 1000), &err) : 0;
                if (r > 0) {
                        unsigned lock_ms = budget_left(start_ms);
                        take_observation(g, st.id, obs_path, reg.image_key, mode, reg.version,
                                         lock_ms < LOCK_TIMEOUT_MS ? lock_ms : LOCK_TIMEOUT_MS, &kept_key);
                } else if (r == -ENOTCONN)
                        osl_hook_log(g->run_dir, LOG_WARNING,
                                     "poststop: container %s: no agent serves this container (%s); nothing merged, "
                                     "no wait", st.id, err.msg);
                else if (r < 0)
                        osl_hook_log(g->run_dir, LOG_WARNING, "poststop: container %s: %s; nothing merged", st.id,
                                     err.msg);
                else if (expected)
                        osl_hook_log(g->run_dir, LOG_WARNING,
                                     "poststop: container %s: no observation from the agent after %.1f s; "
                                     "nothing merged (is 'oci-seccomp-learn agent' running?)",
                                     st.id, timeout_sec);
        }
        merge_pending(g, st.id, kept_key, start_ms);
        osl_registration_remove(g->run_dir, st.id, st.bundle);
        osl_registration_clear(&reg);
        osl_state_clear(&st);
        return EXIT_OK;
}
