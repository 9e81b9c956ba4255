/* SPDX-License-Identifier: Apache-2.0 */
/* The container state a runtime gives hooks on stdin: osl_state_read_fd on
 * a memfd holding the input (as the prestart and poststop hooks read it),
 * then the image lookup the hooks make from its annotations and bundle. */
#include <sys/mman.h>

#include "fuzz.h"
#include "image.h"
#include "oci_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_close_ int fd = memfd_create("state", MFD_CLOEXEC);
        osl_state st = {};
        osl_image img = {};
        osl_error err = {};

        if (fd < 0)
                fuzz_fail("memfd_create: %m");
        if (size > 0 && write(fd, data, size) != (ssize_t) size)
                fuzz_fail("write: %m");
        if (lseek(fd, 0, SEEK_SET) != 0)
                fuzz_fail("lseek: %m");
        if (osl_state_read_fd(fd, &st, &err) < 0)
                return 0;
        if (osl_image_resolve(st.annotations, st.bundle, &img, &err) == 0)
                osl_image_clear(&img);
        osl_state_clear(&st);
        return 0;
}
