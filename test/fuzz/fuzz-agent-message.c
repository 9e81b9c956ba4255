/* SPDX-License-Identifier: Apache-2.0 */
/* The message runc and crun send the agent with the notify fd: parsed and
 * checked as the agent does (jv_parse, osl_agent_message_from_jv), then the
 * image taken from its listenerMetadata, else from the state's annotations
 * and bundle. */
#include "agent.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_jv_ jv *msg = NULL;
        _cleanup_free_ char *mode = NULL;
        osl_agent_message m;
        osl_image img = {};
        osl_error err = {};

        if (size > OSL_AGENT_MESSAGE_MAX)
                return 0;
        if (jv_parse((const char *) data, size, "seccomp agent message", &msg, &err) < 0)
                return 0;
        if (osl_agent_message_from_jv(msg, &m, &err) < 0)
                return 0;
        if (!m.id || !m.state)
                fuzz_fail("a message passed without an id or state");
        if (m.metadata && *m.metadata && osl_agent_metadata_parse(m.metadata, &img, &mode, &err) == 0) {
                osl_image_clear(&img);
                return 0;
        }
        if (osl_image_resolve(jv_obj_get(m.state, "annotations"), jv_str(jv_obj_get(m.state, "bundle")), &img, &err) == 0)
                osl_image_clear(&img);
        return 0;
}
