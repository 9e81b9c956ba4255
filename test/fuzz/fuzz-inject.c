/* SPDX-License-Identifier: Apache-2.0 */
/* osl_inject on a config from the input, against a small store (fuzz_store:
 * a profile of docker.io/library/redis). With an agent socket listening in
 * the run directory (accepted and closed at once, as the agent does with
 * inject's probe), in the mode the annotation asks for and in learn,
 * complain and enforce mode: the learning and complain filters are built.
 * Without one, in learn and complain mode: the paths that skip learning.
 * The config inject returns must read back as it is. */
#include <sys/socket.h>

#include "agent.h"
#include "fuzz.h"
#include "inject.h"
#include "oci_config.h"
#include "rundir.h"

typedef struct run_dir {
        char *path;
        int listen_fd; /* -1: no agent */
} run_dir;

static void inject_one(const jv *cfg, const char *mode, const run_dir *rd)
{
        _cleanup_jv_ jv *copy = jv_dup(cfg);
        osl_inject_options opts = {
                .store_root = fuzz_store(),
                .run_dir = rd->path,
                .mode = mode,
                .default_mode = "learn",
                .hook_binary = "/usr/bin/oci-seccomp-learn",
        };
        osl_inject_result res = {};
        osl_error err = {};
        int r;

        if (!copy)
                abort();
        r = osl_inject(copy, &opts, &res, &err);
        /* inject's probe connected: take the connection off the backlog. */
        for (int fd; rd->listen_fd >= 0 && (fd = accept4(rd->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0;)
                close(fd);
        if (r < 0)
                return;
        fuzz_config_round_trip(copy);
}

static const run_dir *run_dirs(void)
{
        static run_dir rd[2];
        _cleanup_free_ char *socket = NULL;
        osl_error err = {};

        if (rd[0].path)
                return rd;
        rd[0].path = fuzz_tmpdir();
        rd[1].path = fuzz_tmpdir();
        rd[1].listen_fd = -1;
        if (osl_agent_socket_path(rd[0].path, &socket) < 0 || osl_agent_listen(socket, &rd[0].listen_fd, &err) < 0)
                fuzz_fail("cannot listen in the run directory: %s", err.msg);
        return rd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const with_agent[] = { NULL, "learn", "complain", "enforce" };
        static const char *const without_agent[] = { "learn", "complain" };
        const run_dir *rd = run_dirs();
        _cleanup_jv_ jv *cfg = NULL;
        osl_error err = {};

        if (osl_config_parse((const char *) data, size, "config.json", &cfg, &err) < 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(with_agent); i++)
                inject_one(cfg, with_agent[i], &rd[0]);
        for (size_t i = 0; i < ELEMENTSOF(without_agent); i++)
                inject_one(cfg, without_agent[i], &rd[1]);
        return 0;
}
