/* SPDX-License-Identifier: Apache-2.0 */
/* Static prediction from an image's rootfs (predict.h, doc/prediction.md).
 *
 * Phase 1 reads every program named and, as the dynamic loader would, every
 * shared object it needs (DT_NEEDED found through DT_RPATH/DT_RUNPATH with
 * $ORIGIN, then musl's /etc/ld-musl-ARCH.path or glibc's standard multiarch
 * directories, all inside the rootfs), and their undefined dynamic symbols.
 * Phase 2 analyses each C library found (libc_scan.c), or takes its analysis
 * from the cache by build-id, and maps every imported function to the
 * syscalls it can make. */
#include "predict.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "image.h"
#include "libc_scan.h"
#include "syscalls.h"

#define LIBC_CACHE_VERSION 2
#define MAX_OBJECTS 1024

typedef struct object {
        char *path;   /* inside the rootfs, as found */
        const char *role; /* "entrypoint", "executable", "library" */
        dev_t dev;
        ino_t ino;
        char *reason; /* not analysed: why */
        char *interp;
        char *soname;
        char *build_id;
        char **needed, **imports, **rpath, **runpath;
        size_t *deps; /* indices of the objects it needs */
        size_t n_deps;
        size_t libc;  /* executables: index of its C library, SIZE_MAX: none */
        size_t loader; /* executables: index of its program interpreter, SIZE_MAX: none */
        bool is_libc;
        bool is_loader; /* glibc's ld.so: analysed for its start-up only */
        bool musl;    /* a musl libc */
} object;

typedef struct predict_ctx {
        int root_fd;
        object *objs;
        size_t n_objs;
        const char *cache_dir;
} predict_ctx;

static void ctx_clear(predict_ctx *c)
{
        if (c->root_fd >= 0)
                close(c->root_fd);
        for (size_t i = 0; i < c->n_objs; i++) {
                object *o = &c->objs[i];
                free(o->path);
                free(o->reason);
                free(o->interp);
                free(o->soname);
                free(o->build_id);
                strvfreep(&o->needed);
                strvfreep(&o->imports);
                strvfreep(&o->rpath);
                strvfreep(&o->runpath);
                free(o->deps);
        }
        free(c->objs);
}

/* Opens path (absolute or relative to the rootfs's /) inside the rootfs:
 * "..", absolute symlinks and magic links stay inside it. */
static int open_in_root(int root_fd, const char *path, int *fd)
{
        struct open_how how = {
                .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        while (*path == '/')
                path++;
        long r = syscall(SYS_openat2, root_fd, *path ? path : ".", &how, sizeof(how));
        if (r < 0)
                return -errno;
        *fd = (int) r;
        return 0;
}

static int push(char ***v, const char *s)
{
        size_t n = osl_strv_length(*v);
        return osl_strv_push(v, &n, s);
}

/* "a:b:c" -> strv, with $ORIGIN and ${ORIGIN} replaced by origin. */
static int split_path_list(const char *list, const char *origin, char ***out)
{
        _cleanup_free_ char *copy = osl_strdup(list);
        char *save = NULL;
        if (!copy)
                return -ENOMEM;
        for (char *tok = strtok_r(copy, ":\n", &save); tok; tok = strtok_r(NULL, ":\n", &save)) {
                _cleanup_free_ char *expanded = NULL;
                const char *rest = NULL;
                if (strncmp(tok, "$ORIGIN", 7) == 0)
                        rest = tok + 7;
                else if (strncmp(tok, "${ORIGIN}", 9) == 0)
                        rest = tok + 9;
                if (rest && osl_asprintf(&expanded, "%s%s", origin, rest) < 0)
                        return -ENOMEM;
                if (push(out, expanded ? expanded : tok) < 0)
                        return -ENOMEM;
        }
        if (!*out && !(*out = calloc(1, sizeof(char *))))
                return -ENOMEM;
        return 0;
}

static int note_build_id(Elf *elf, char **out)
{
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
                        continue;
                Elf_Data *data = elf_getdata(scn, NULL);
                GElf_Nhdr nh;
                size_t off = 0, name_off, desc_off;
                while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
                        if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
                            memcmp((char *) data->d_buf + name_off, "GNU", 4) != 0 || nh.n_descsz == 0 ||
                            nh.n_descsz > 64)
                                continue;
                        char *hex = malloc(nh.n_descsz * 2 + 1);
                        if (!hex)
                                return -ENOMEM;
                        for (size_t i = 0; i < nh.n_descsz; i++)
                                sprintf(hex + 2 * i, "%02x", ((unsigned char *) data->d_buf)[desc_off + i]);
                        *out = hex;
                        return 0;
                }
        }
        return 0;
}

static int read_dynamic(Elf *elf, object *o)
{
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh) || sh.sh_entsize == 0)
                        continue;
                Elf_Data *data = elf_getdata(scn, NULL);
                size_t n = data ? sh.sh_size / sh.sh_entsize : 0;
                if (sh.sh_type == SHT_DYNAMIC) {
                        for (size_t i = 0; i < n; i++) {
                                GElf_Dyn d;
                                if (!gelf_getdyn(data, (int) i, &d))
                                        continue;
                                if (d.d_tag != DT_NEEDED && d.d_tag != DT_RPATH && d.d_tag != DT_RUNPATH &&
                                    d.d_tag != DT_SONAME)
                                        continue;
                                const char *s = elf_strptr(elf, sh.sh_link, d.d_un.d_val);
                                if (!s)
                                        continue;
                                int r = 0;
                                if (d.d_tag == DT_NEEDED)
                                        r = push(&o->needed, s);
                                else if (d.d_tag == DT_RPATH)
                                        r = push(&o->rpath, s);
                                else if (d.d_tag == DT_RUNPATH)
                                        r = push(&o->runpath, s);
                                else if (!o->soname && !(o->soname = osl_strdup(s)))
                                        r = -ENOMEM;
                                if (r < 0)
                                        return r;
                        }
                } else if (sh.sh_type == SHT_DYNSYM) {
                        for (size_t i = 1; i < n; i++) {
                                GElf_Sym sym;
                                if (!gelf_getsym(data, (int) i, &sym) || sym.st_shndx != SHN_UNDEF)
                                        continue;
                                int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
                                if ((type != STT_FUNC && type != STT_NOTYPE) || (bind != STB_GLOBAL && bind != STB_WEAK))
                                        continue;
                                const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
                                if (name && *name && !osl_strv_contains(o->imports, name) && push(&o->imports, name) < 0)
                                        return -ENOMEM;
                        }
                }
        }
        return 0;
}

static int set_reason(object *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_reason(object *o, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        free(o->reason);
        int r = vasprintf(&o->reason, fmt, ap);
        va_end(ap);
        if (r < 0) {
                o->reason = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* Reads the ELF headers of an open object. A file that is not an x86_64
 * ELF object gets a reason, not an error. */
static int read_object(int fd, object *o, osl_error *err)
{
        GElf_Ehdr eh;
        size_t n_ph = 0;
        char head[2] = {};
        int r = 0;

        if (pread(fd, head, 2, 0) == 2 && head[0] == '#' && head[1] == '!')
                return set_reason(o, "a script: its interpreter is another program") < 0 ? -ENOMEM : 0;
        Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
                r = set_reason(o, "not an ELF file");
                goto out;
        }
        if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
                r = set_reason(o, "not an x86_64 program (e_machine %u); only x86_64 is analysed", eh.e_machine);
                goto out;
        }
        if (elf_getphdrnum(elf, &n_ph) != 0) {
                r = osl_err(err, -EINVAL, "%s: broken ELF program headers: %s", o->path, elf_errmsg(-1));
                goto out;
        }
        for (size_t i = 0; i < n_ph; i++) {
                GElf_Phdr ph;
                if (!gelf_getphdr(elf, (int) i, &ph) || ph.p_type != PT_INTERP || o->interp)
                        continue;
                size_t size = 0;
                const char *raw = elf_rawfile(elf, &size);
                if (!raw || ph.p_offset >= size || ph.p_filesz == 0 || ph.p_filesz > 4096 ||
                    ph.p_filesz > size - ph.p_offset)
                        continue;
                if (!(o->interp = strndup(raw + ph.p_offset, ph.p_filesz))) {
                        r = -ENOMEM;
                        goto out;
                }
        }
        if ((r = read_dynamic(elf, o)) < 0 || (r = note_build_id(elf, &o->build_id)) < 0)
                goto out;
        if (strcmp(o->role, "library") != 0 && !o->interp)
                r = set_reason(o, "statically linked: it imports nothing");
out:
        if (elf)
                elf_end(elf);
        if (r == -ENOMEM)
                return osl_err(err, -ENOMEM, "out of memory");
        return r;
}

/* Adds the object at path (or finds it when the same file was added).
 * -ENOENT (no message) when the file does not exist in the rootfs. */
static int add_object(predict_ctx *c, const char *path, const char *role, size_t *index, osl_error *err)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r = open_in_root(c->root_fd, path, &fd);

        if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)
                return -ENOENT;
        if (r < 0)
                return osl_err(err, r, "cannot open %s in the rootfs: %s", path, strerror(-r));
        if (fstat(fd, &st) < 0)
                return osl_err(err, -errno, "cannot stat %s in the rootfs: %m", path);
        if (!S_ISREG(st.st_mode))
                return -ENOENT;
        for (size_t i = 0; i < c->n_objs; i++)
                if (c->objs[i].dev == st.st_dev && c->objs[i].ino == st.st_ino) {
                        *index = i;
                        return 0;
                }
        if (c->n_objs >= MAX_OBJECTS)
                return osl_err(err, -E2BIG, "more than %d programs and libraries", MAX_OBJECTS);
        object *grown = realloc(c->objs, (c->n_objs + 1) * sizeof(*grown));
        if (!grown)
                return osl_err(err, -ENOMEM, "out of memory");
        c->objs = grown;
        object *o = &c->objs[c->n_objs++];
        *o = (object) { .path = osl_strdup(path), .role = role, .dev = st.st_dev, .ino = st.st_ino, .libc = SIZE_MAX,
                        .loader = SIZE_MAX };
        if (!o->path)
                return osl_err(err, -ENOMEM, "out of memory");
        *index = c->n_objs - 1;
        return read_object(fd, o, err);
}

static bool is_musl_interp(const char *interp)
{
        const char *base = interp ? strrchr(interp, '/') : NULL;
        return base && strncmp(base + 1, "ld-musl-", 8) == 0;
}

/* musl's loader answers these names with itself. */
static bool musl_builtin(const char *name)
{
        static const char *const names[] = { "libc.so", "libdl.so", "libpthread.so", "librt.so", "libm.so",
                                             "libutil.so", "libxnet.so", "libcrypt.so", "libresolv.so" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                size_t n = strlen(names[i]);
                if (strncmp(name, names[i], n) == 0 && (name[n] == '\0' || name[n] == '.'))
                        return true;
        }
        return false;
}

static const char *const glibc_dirs[] = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                                          "/lib", "/usr/lib" };

/* The directories the loader searches for what object o needs. */
static int search_dirs(predict_ctx *c, size_t oi, size_t exe, bool musl, char ***dirs, osl_error *err)
{
        object *o = &c->objs[oi];
        _cleanup_free_ char *origin = osl_strdup(o->path);
        char *slash = origin ? strrchr(origin, '/') : NULL;
        if (!origin)
                return -ENOMEM;
        if (slash)
                *(slash == origin ? slash + 1 : slash) = '\0';
        /* DT_RUNPATH replaces DT_RPATH; without it, the RPATH of the object
         * and of the executable that loads it. */
        if (o->runpath)
                for (char **p = o->runpath; *p; p++)
                        if (split_path_list(*p, origin, dirs) < 0)
                                return -ENOMEM;
        if (!o->runpath || musl) {
                for (char **p = o->rpath; p && *p; p++)
                        if (split_path_list(*p, origin, dirs) < 0)
                                return -ENOMEM;
                if (exe != oi && !c->objs[exe].runpath) {
                        _cleanup_free_ char *exe_origin = osl_strdup(c->objs[exe].path);
                        char *s = exe_origin ? strrchr(exe_origin, '/') : NULL;
                        if (!exe_origin)
                                return -ENOMEM;
                        if (s)
                                *(s == exe_origin ? s + 1 : s) = '\0';
                        for (char **p = c->objs[exe].rpath; p && *p; p++)
                                if (split_path_list(*p, exe_origin, dirs) < 0)
                                        return -ENOMEM;
                }
        }
        if (musl) {
                _cleanup_close_ int fd = -1;
                _cleanup_free_ char *text = NULL;
                size_t len;
                osl_error ignored = {};
                if (open_in_root(c->root_fd, "/etc/ld-musl-x86_64.path", &fd) == 0 &&
                    osl_read_fd(fd, "ld-musl-x86_64.path", 65536, &text, &len, &ignored) == 0)
                        return split_path_list(text, "/", dirs);
                return split_path_list("/lib:/usr/local/lib:/usr/lib", "/", dirs);
        }
        (void) err;
        for (size_t i = 0; i < ELEMENTSOF(glibc_dirs); i++)
                if (push(dirs, glibc_dirs[i]) < 0)
                        return -ENOMEM;
        return 0;
}

/* Finds what object oi needs (its DT_NEEDED), inside the rootfs, and adds
 * it; exe is the program whose closure this is. */
static int resolve_needed(predict_ctx *c, size_t oi, size_t exe, size_t interp_index, bool musl, osl_error *err)
{
        _cleanup_strv_ char **dirs = NULL;
        int r;

        if (c->objs[oi].n_deps > 0 || !c->objs[oi].needed)
                return 0;
        if ((r = search_dirs(c, oi, exe, musl, &dirs, err)) < 0)
                return r == -ENOMEM ? osl_err(err, -ENOMEM, "out of memory") : r;
        size_t n_needed = osl_strv_length(c->objs[oi].needed);
        size_t *deps = calloc(n_needed, sizeof(size_t));
        if (!deps)
                return osl_err(err, -ENOMEM, "out of memory");
        c->objs[oi].deps = deps;
        for (size_t k = 0; k < n_needed; k++) {
                const char *name = c->objs[oi].needed[k];
                size_t found = SIZE_MAX;
                if (musl && interp_index != SIZE_MAX && musl_builtin(name))
                        found = interp_index;
                else if (strchr(name, '/')) {
                        r = add_object(c, name, "library", &found, err);
                        if (r < 0 && r != -ENOENT)
                                return r;
                } else
                        for (char **d = dirs; *d && found == SIZE_MAX; d++) {
                                _cleanup_free_ char *path = NULL;
                                if (osl_asprintf(&path, "%s/%s", strcmp(*d, "/") == 0 ? "" : *d, name) < 0)
                                        return osl_err(err, -ENOMEM, "out of memory");
                                r = add_object(c, path, "library", &found, err);
                                if (r == -ENOENT)
                                        continue;
                                if (r < 0)
                                        return r;
                                if (c->objs[found].reason)
                                        found = SIZE_MAX; /* wrong architecture: the loader goes on */
                        }
                if (found != SIZE_MAX)
                        c->objs[oi].deps[c->objs[oi].n_deps++] = found;
        }
        return 0;
}

/* Phase 1 for one program: its closure, breadth first, and its libc. */
static int load_closure(predict_ctx *c, size_t exe, osl_error *err)
{
        size_t interp_index = SIZE_MAX;
        object *e = &c->objs[exe];
        bool musl = is_musl_interp(e->interp);
        int r;

        /* The program interpreter: musl's is its C library; glibc's ld.so
         * is analysed for what it does before the program starts. */
        if (e->interp) {
                r = add_object(c, e->interp, "library", &interp_index, err);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r == 0 && c->objs[interp_index].reason)
                        interp_index = SIZE_MAX;
                if (interp_index != SIZE_MAX) {
                        c->objs[exe].loader = interp_index;
                        if (musl) {
                                c->objs[interp_index].is_libc = c->objs[interp_index].musl = true;
                                c->objs[exe].libc = interp_index;
                        } else
                                c->objs[interp_index].is_loader = true;
                }
        }
        if (!musl)
                interp_index = SIZE_MAX;
        _cleanup_free_ size_t *queue = calloc(MAX_OBJECTS, sizeof(size_t));
        _cleanup_free_ bool *queued = calloc(MAX_OBJECTS, sizeof(bool));
        size_t head = 0, tail = 0;
        if (!queue || !queued)
                return osl_err(err, -ENOMEM, "out of memory");
        queue[tail++] = exe;
        queued[exe] = true;
        while (head < tail) {
                size_t oi = queue[head++];
                if ((r = resolve_needed(c, oi, exe, interp_index, musl, err)) < 0)
                        return r;
                const object *o = &c->objs[oi];
                for (size_t k = 0; k < o->n_deps; k++)
                        if (!queued[o->deps[k]]) {
                                queued[o->deps[k]] = true;
                                queue[tail++] = o->deps[k];
                        }
                if (!musl && o->soname && strcmp(o->soname, "libc.so.6") == 0) {
                        c->objs[oi].is_libc = true;
                        c->objs[exe].libc = oi;
                }
        }
        if (c->objs[exe].libc == SIZE_MAX && !c->objs[exe].reason)
                return set_reason(&c->objs[exe], "no C library (glibc or musl) among the libraries it loads") < 0
                               ? osl_err(err, -ENOMEM, "out of memory")
                               : 0;
        return 0;
}

/* ---- the C library's analysis, cached by build-id ---- */

static int map_to_jv(const osl_libc_map *m, const char *build_id, jv **out)
{
        _cleanup_jv_ jv *doc = jv_new_object();
        jv *fns = jv_new_object();
        if (!doc || jv_obj_set(doc, "cacheVersion", jv_new_int(LIBC_CACHE_VERSION)) < 0 ||
            jv_obj_set(doc, "buildId", jv_new_string(build_id)) < 0 ||
            jv_obj_set(doc, "callDepth", jv_new_int(OSL_LIBC_CALL_DEPTH)) < 0 ||
            jv_obj_set(doc, "syscallSites", jv_new_uint(m->syscall_sites)) < 0 ||
            jv_obj_set(doc, "resolvedSites", jv_new_uint(m->resolved_sites)) < 0 || jv_obj_set(doc, "functions", fns) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_functions; i++) {
                jv *names = jv_new_array();
                if (jv_obj_set(fns, m->functions[i].name, names) < 0)
                        return -ENOMEM;
                for (char **s = m->functions[i].syscalls; *s; s++)
                        if (jv_arr_append(names, jv_new_string(*s)) < 0)
                                return -ENOMEM;
        }
        *out = TAKE_PTR(doc);
        return 0;
}

/* A cached analysis, or NULL when there is none usable (stale, damaged). */
static osl_libc_map *map_from_cache(const char *path, const char *build_id)
{
        _cleanup_jv_ jv *doc = NULL;
        osl_error ignored = {};
        int64_t version = 0, depth = 0;
        uint64_t sites = 0, resolved = 0;

        if (jv_parse_file(path, OSL_PREDICTED_MAX_BYTES, &doc, &ignored) < 0 ||
            !jv_get_int64(jv_obj_get(doc, "cacheVersion"), &version) || version != LIBC_CACHE_VERSION ||
            !jv_get_int64(jv_obj_get(doc, "callDepth"), &depth) || depth != OSL_LIBC_CALL_DEPTH ||
            !jv_str(jv_obj_get(doc, "buildId")) || strcmp(jv_str(jv_obj_get(doc, "buildId")), build_id) != 0 ||
            !jv_get_uint64(jv_obj_get(doc, "syscallSites"), &sites) ||
            !jv_get_uint64(jv_obj_get(doc, "resolvedSites"), &resolved))
                return NULL;
        const jv *fns = jv_obj_get(doc, "functions");
        if (!jv_is(fns, JV_OBJECT))
                return NULL;
        _cleanup_libc_map_ osl_libc_map *m = calloc(1, sizeof(*m));
        if (!m || !(m->functions = calloc(fns->u.object.len + 1, sizeof(*m->functions))))
                return NULL;
        m->syscall_sites = sites;
        m->resolved_sites = resolved;
        for (size_t i = 0; i < fns->u.object.len; i++) {
                osl_libc_function *f = &m->functions[m->n_functions];
                const jv *names = fns->u.object.values[i];
                size_t n = 0;
                if (!jv_is(names, JV_ARRAY) || (i > 0 && strcmp(fns->u.object.keys[i - 1], fns->u.object.keys[i]) >= 0))
                        return NULL; /* not what we write: sorted, unique */
                if (!(f->name = osl_strdup(fns->u.object.keys[i])) ||
                    !(f->syscalls = calloc(jv_arr_len(names) + 1, sizeof(char *))))
                        return NULL;
                m->n_functions++;
                for (size_t k = 0; k < jv_arr_len(names); k++) {
                        const char *s = jv_str(jv_arr_at(names, k));
                        if (!s || !osl_syscall_known(s) || !(f->syscalls[n++] = osl_strdup(s)))
                                return NULL;
                }
        }
        return TAKE_PTR(m);
}

static int analyse_libc(predict_ctx *c, const object *lib, osl_libc_map **out, bool *cached, osl_error *err)
{
        _cleanup_free_ char *cache_path = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        *cached = false;
        if (c->cache_dir && lib->build_id) {
                if (osl_asprintf(&cache_path, "%s/%s.json", c->cache_dir, lib->build_id) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if ((*out = map_from_cache(cache_path, lib->build_id))) {
                        *cached = true;
                        return 0;
                }
        }
        if ((r = open_in_root(c->root_fd, lib->path, &fd)) < 0)
                return osl_err(err, r, "cannot open %s in the rootfs: %s", lib->path, strerror(-r));
        if ((r = osl_libc_analyse(fd, lib->path, out, err)) < 0)
                return r;
        if (cache_path) {
                _cleanup_jv_ jv *doc = NULL;
                if (map_to_jv(*out, lib->build_id, &doc) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                /* A cache that cannot be written costs time, not results. */
                osl_error ignored = {};
                if (osl_mkdir_p(c->cache_dir, 0755, &ignored) == 0)
                        (void) jv_write_file_atomic(doc, cache_path, 0644, &ignored);
        }
        return 0;
}

/* ---- the document ---- */

static void sort_keys(jv *obj)
{
        /* Insertion sort: documents are small and must come out the same each time. */
        for (size_t i = 1; i < obj->u.object.len; i++)
                for (size_t j = i; j > 0 && strcmp(obj->u.object.keys[j - 1], obj->u.object.keys[j]) > 0; j--) {
                        char *k = obj->u.object.keys[j];
                        jv *v = obj->u.object.values[j];
                        obj->u.object.keys[j] = obj->u.object.keys[j - 1];
                        obj->u.object.values[j] = obj->u.object.values[j - 1];
                        obj->u.object.keys[j - 1] = k;
                        obj->u.object.values[j - 1] = v;
                }
}

/* binaries[] entry: its syscalls as {name: [imported functions]}. */
/* Adds "syscall: [symbol]" evidence for every syscall of f. */
static int add_evidence(jv *sys, jv *predicted, const osl_libc_function *f, const char *symbol)
{
        for (char **s = f ? f->syscalls : NULL; s && *s; s++) {
                jv *syms = jv_obj_get(sys, *s);
                if (!syms && jv_obj_set(sys, *s, syms = jv_new_array()) < 0)
                        return -ENOMEM;
                if (jv_arr_append(syms, jv_new_string(symbol)) < 0)
                        return -ENOMEM;
                if (!jv_obj_get(predicted, *s) && jv_obj_set(predicted, *s, jv_new_bool(true)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* loader: the analysis of a program's interpreter, whose start-up runs
 * before it (NULL for libraries and static programs). */
static int binary_entry(const object *o, const osl_libc_map *m, const object *libc, const osl_libc_map *loader,
                        jv *predicted, jv **out)
{
        _cleanup_jv_ jv *e = jv_new_object();
        jv *sys = jv_new_object();
        const char *reason = o->reason ? o->reason : !m ? "no C library (glibc or musl) among what its program loads" : NULL;
        if (!e || jv_obj_set(e, "path", jv_new_string(o->path)) < 0 || jv_obj_set(e, "role", jv_new_string(o->role)) < 0 ||
            jv_obj_set(e, "analysed", jv_new_bool(!reason)) < 0 ||
            jv_obj_set(e, "reason", reason ? jv_new_string(reason) : jv_new_null()) < 0 ||
            jv_obj_set(e, "libc", libc ? jv_new_string(libc->path) : jv_new_null()) < 0 ||
            jv_obj_set(e, "imports", jv_new_uint(osl_strv_length(o->imports))) < 0 || jv_obj_set(e, "syscalls", sys) < 0)
                return -ENOMEM;
        for (char **imp = o->imports; !reason && imp && *imp; imp++)
                if (add_evidence(sys, predicted, osl_libc_map_find(m, *imp), *imp) < 0)
                        return -ENOMEM;
        if (!reason && loader &&
            add_evidence(sys, predicted, osl_libc_map_find(loader, OSL_LIBC_ENTRY), OSL_PREDICT_LOADER_SYMBOL) < 0)
                return -ENOMEM;
        sort_keys(sys);
        *out = TAKE_PTR(e);
        return 0;
}

int osl_predict(const osl_predict_options *opt, jv **out, osl_error *err)
{
        _cleanup_(ctx_clear) predict_ctx c = { .root_fd = -1, .cache_dir = opt->cache_dir };
        _cleanup_jv_ jv *doc = jv_new_object(), *predicted = jv_new_object();
        size_t n_exes = 0;
        char now[32];
        int r;

        osl_now_rfc3339(now);
        if (!doc || !predicted || jv_obj_set(doc, "schemaVersion", jv_new_int(OSL_PREDICTED_SCHEMA_VERSION)) < 0 ||
            jv_obj_set(doc, "image", jv_new_string(opt->image_key)) < 0 ||
            jv_obj_set(doc, "digest", opt->digest ? jv_new_string(opt->digest) : jv_new_null()) < 0 ||
            jv_obj_set(doc, "created", jv_new_string(now)) < 0 ||
            jv_obj_set(doc, "arch", jv_new_string("SCMP_ARCH_X86_64")) < 0 ||
            jv_obj_set(doc, "callDepth", jv_new_int(OSL_LIBC_CALL_DEPTH)) < 0 ||
            jv_obj_set(doc, "libcs", jv_new_array()) < 0 || jv_obj_set(doc, "binaries", jv_new_array()) < 0 ||
            jv_obj_set(doc, "predicted", jv_new_array()) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        /* Owned by doc, filled below. */
        jv *libcs = jv_obj_get(doc, "libcs"), *binaries = jv_obj_get(doc, "binaries"), *names = jv_obj_get(doc, "predicted");
        if (elf_version(EV_CURRENT) == EV_NONE)
                return osl_err(err, -ENOTSUP, "libelf: %s", elf_errmsg(-1));
        c.root_fd = open(opt->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c.root_fd < 0)
                return osl_err(err, -errno, "cannot open the rootfs %s: %m", opt->rootfs);
        if (opt->n_executables == 0)
                return osl_err(err, -EINVAL, "no program to analyse");

        /* Phase 1: the programs, then each one's closure. */
        for (size_t i = 0; i < opt->n_executables; i++) {
                size_t idx;
                const char *p = opt->executables[i];
                if (p[0] != '/')
                        return osl_err(err, -EINVAL, "%s: programs are named by their absolute path in the image", p);
                r = add_object(&c, p, i == 0 ? "entrypoint" : "executable", &idx, err);
                if (r == -ENOENT)
                        return osl_err(err, -ENOENT, "%s: no such program in the rootfs %s (no regular file there)", p,
                                       opt->rootfs);
                if (r < 0)
                        return r;
                n_exes = c.n_objs;
        }
        for (size_t i = 0; i < n_exes; i++)
                if (!c.objs[i].reason && (r = load_closure(&c, i, err)) < 0)
                        return r;

        /* Phase 2: every C library once, then every object's imports. */
        osl_libc_map **maps = calloc(c.n_objs, sizeof(*maps));
        if (!maps)
                return osl_err(err, -ENOMEM, "out of memory");
        r = 0;
        for (size_t i = 0; i < c.n_objs && r >= 0; i++) {
                bool cached = false;
                jv *l = NULL;
                if (!c.objs[i].is_libc && !c.objs[i].is_loader)
                        continue;
                if ((r = analyse_libc(&c, &c.objs[i], &maps[i], &cached, err)) < 0)
                        break;
                const char *flavor = c.objs[i].musl ? "musl" : c.objs[i].is_libc ? "glibc" : "glibc-loader";
                if (!(l = jv_new_object()) || jv_arr_append(libcs, l) < 0 ||
                    jv_obj_set(l, "path", jv_new_string(c.objs[i].path)) < 0 ||
                    jv_obj_set(l, "flavor", jv_new_string(flavor)) < 0 ||
                    jv_obj_set(l, "buildId", c.objs[i].build_id ? jv_new_string(c.objs[i].build_id) : jv_new_null()) < 0 ||
                    jv_obj_set(l, "functions", jv_new_uint(maps[i]->n_functions)) < 0 ||
                    jv_obj_set(l, "syscallSites", jv_new_uint(maps[i]->syscall_sites)) < 0 ||
                    jv_obj_set(l, "resolvedSites", jv_new_uint(maps[i]->resolved_sites)) < 0 ||
                    jv_obj_set(l, "cached", jv_new_bool(cached)) < 0)
                        r = osl_err(err, -ENOMEM, "out of memory");
        }
        /* Which libc serves each object: its program's (the first program
         * that loads it decides). */
        _cleanup_free_ size_t *served = malloc(c.n_objs * sizeof(size_t));
        if (r >= 0 && !served)
                r = osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; r >= 0 && i < c.n_objs; i++)
                served[i] = i < n_exes ? c.objs[i].libc : SIZE_MAX;
        for (size_t pass = 0; r >= 0 && pass < c.n_objs; pass++) {
                bool changed = false;
                for (size_t i = 0; i < c.n_objs; i++)
                        for (size_t k = 0; served[i] != SIZE_MAX && k < c.objs[i].n_deps; k++)
                                if (served[c.objs[i].deps[k]] == SIZE_MAX) {
                                        served[c.objs[i].deps[k]] = served[i];
                                        changed = true;
                                }
                if (!changed)
                        break;
        }
        for (size_t i = 0; r >= 0 && i < c.n_objs; i++) {
                jv *e = NULL;
                if (c.objs[i].is_libc || c.objs[i].is_loader)
                        continue; /* their calls are what their programs import and start with */
                const object *libc = served[i] != SIZE_MAX ? &c.objs[served[i]] : NULL;
                const osl_libc_map *loader = c.objs[i].loader != SIZE_MAX ? maps[c.objs[i].loader] : NULL;
                if (binary_entry(&c.objs[i], libc ? maps[served[i]] : NULL, libc, loader, predicted, &e) < 0 ||
                    jv_arr_append(binaries, e) < 0)
                        r = osl_err(err, -ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < c.n_objs; i++)
                osl_libc_map_free(maps[i]);
        free(maps);
        if (r < 0)
                return r;
        sort_keys(predicted);
        for (size_t i = 0; i < predicted->u.object.len; i++)
                if (jv_arr_append(names, jv_new_string(predicted->u.object.keys[i])) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(doc);
        return 0;
}
