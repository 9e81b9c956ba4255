/* SPDX-License-Identifier: Apache-2.0 */
/* OCI prestart hook: registers the container (id, image, mode, pid) for the
 * poststop hook, and says so when a learn-mode container has no learning
 * filter (the filter must be put in at config time: inject, precreate or
 * the runtime wrapper). Never fails a learn-mode container. */
#include <string.h>
#include <syslog.h>

#include "agent.h"
#include "commands.h"
#include "image.h"
#include "inject.h"
#include "oci_config.h"
#include "registration.h"
#include "rundir.h"

static const char prestart_help[] =
        "Usage: oci-seccomp-learn prestart\n"
        "\n"
        "An OCI prestart hook: reads the container state on stdin, registers the\n"
        "container in RUNDIR/containers/ID-HASH.json (HASH: of the bundle path)\n"
        "for the poststop hook, and reports (stderr, syslog, RUNDIR/hooks.log)\n"
        "when a learn-mode container has no learning filter. Always exits 0: it\n"
        "must never stop a container.\n";

int cmd_prestart(int argc, char **argv, const osl_global *g)
{
        _cleanup_free_ char *config_path = NULL, *socket = NULL;
        _cleanup_jv_ jv *cfg = NULL;
        _cleanup_seccomp_ osl_seccomp *seccomp = NULL;
        osl_registration reg = {};
        osl_state st = {};
        osl_image img = {};
        osl_error err = {};
        osl_mode mode = OSL_MODE_OFF;
        int r;

        if (osl_wants_help(argc, argv)) {
                fputs(prestart_help, stdout);
                return EXIT_OK;
        }
        r = osl_state_read_fd(STDIN_FILENO, &st, &err);
        if (r < 0) {
                /* A hook that fails stops the container: only report. */
                osl_hook_log(g->run_dir, LOG_ERR, "prestart: %s", err.msg);
                return EXIT_OK;
        }
        if (st.bundle && osl_asprintf(&config_path, "%s/config.json", st.bundle) >= 0 &&
            osl_config_load(config_path, &cfg, &err) < 0)
                osl_hook_log(g->run_dir, LOG_WARNING, "prestart: container %s: %s", st.id, err.msg);

        const char *mode_name = jv_str(jv_obj_get(st.annotations, OSL_ANNOTATION_MODE));
        if (!mode_name)
                mode_name = osl_config_annotation(cfg, OSL_ANNOTATION_MODE);
        if (mode_name && osl_mode_parse(mode_name, &mode) < 0) {
                osl_hook_log(g->run_dir, LOG_WARNING, "prestart: container %s: unknown mode \"%.32s\"", st.id,
                             mode_name);
                mode = OSL_MODE_OFF;
        }

        /* Is this container's filter ours? */
        bool learning = false;
        if (cfg && osl_config_get_seccomp(cfg, &seccomp, &err) >= 0 && seccomp && seccomp->listener_path &&
            osl_agent_socket_path(g->run_dir, &socket) >= 0)
                learning = strcmp(seccomp->listener_path, socket) == 0;
        /* complain through the log method: the agent's collector records
         * it (lib/log_collector.h, lib/rundir.h), when one runs. */
        const char *method = osl_config_annotation(cfg, OSL_ANNOTATION_METHOD);
        bool log_method = method && strcmp(method, OSL_METHOD_NAME_LOG) == 0;
        if (mode == OSL_MODE_COMPLAIN && log_method && !learning)
                learning = osl_log_collector_running(g->run_dir);
        if (mode == OSL_MODE_LEARN && !learning)
                osl_hook_log(g->run_dir, LOG_WARNING,
                             "prestart: container %s is in learn mode but its config has no learning filter: "
                             "nothing will be learned (put the filter in with 'oci-seccomp-learn inject', the "
                             "precreate hook or the runtime wrapper)",
                             st.id);

        r = osl_image_resolve(st.annotations, st.bundle, &img, &err);
        if (r < 0 && cfg)
                r = osl_image_resolve_config(cfg, st.bundle, false, &img, &err);

        uint32_t version = 0;
        const char *applied = osl_config_annotation(cfg, OSL_ANNOTATION_APPLIED_VERSION);
        if (applied)
                version = (uint32_t) strtoul(applied, NULL, 10);
        reg = (osl_registration){
                .version = version,
                .container_id = st.id,
                .image_key = r >= 0 ? img.key : NULL,
                .mode = osl_mode_name(mode),
                .pid = st.pid,
                .bundle = st.bundle,
                .learning = learning,
                .method = log_method ? OSL_METHOD_NAME_LOG : NULL,
        };
        if (mode != OSL_MODE_OFF && osl_registration_write(g->run_dir, &reg, &err) < 0)
                osl_hook_log(g->run_dir, LOG_ERR, "prestart: container %s: %s", st.id, err.msg);

        osl_image_clear(&img);
        osl_state_clear(&st);
        return EXIT_OK;
}
