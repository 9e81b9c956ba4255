/* SPDX-License-Identifier: Apache-2.0 */
/* complain and enforce as the kernel decides them (issue 8, doc/modes.md).
 *
 * For a base profile (linux.seccomp) and a learned profile, E =
 * osl_profile_filter_build(base, learned, outside) is compiled the way runc
 * 1.1.5 compiles linux.seccomp (libcontainer/specconv SetupSeccomp and
 * libcontainer/seccomp: actions with their errno, extra architectures, the
 * rules a runtime skips, names libseccomp does not know, conditions on the
 * same argument split into separate rules, the -ENOSYS stub), and so is the
 * base. Both BPF programs, as libseccomp exports them, are run by a small
 * classic-BPF interpreter on a struct seccomp_data for every syscall number
 * of x86_64 and x86 (0 to a little past the largest libseccomp knows) and for
 * argument values on each boundary of every condition. The properties:
 *
 *  P0 E loads wherever the base loads (runc accepts it).
 *  P1 E never permits (ALLOW, LOG, NOTIFY, TRACE) a call the base denies
 *     (ERRNO, KILL, TRAP), and where the base denies, E's action is the
 *     base's (same errno). Where the base's action is TRACE, or NOTIFY to
 *     the container's own agent, someone else decides: E gives the same
 *     action or denies.
 *  P2 enforce: E permits a call only if libseccomp names it on that
 *     architecture and the name is learned.
 *  P3 complain: every call the base permits is still permitted.
 *  P4 complain: a call the base permits whose name is not learned is
 *     reported (NOTIFY to our agent, or LOG), unless the base hands it to a
 *     tracer or its own agent (then E keeps the base's action).
 *  P5 enforce: a call the base permits whose name is learned (on the native
 *     architecture, where learned_new records it) is permitted.
 *
 * The exceptions, each checked as narrowly as it is stated (E's action then
 * equals the base's, or denies, as said):
 *  X1 complain, base default permits, the syscall is named in the base only
 *     in rules with conditions: E leaves it to those rules and the default,
 *     unreported (an unconditional rule would override the conditions).
 *  X2 complain, base default permits: a number libseccomp has no name for
 *     falls to the base's default, unreported.
 *  X3 enforce, base default permits: E keeps that default, so numbers
 *     libseccomp has no name for (syscalls newer than it, such as
 *     fchmodat2 or mseal on kernel 6.18) stay permitted, and an unlearned
 *     syscall the base names only in conditional rules is denied with the
 *     outside action also where the base denies it with its own errno.
 *  X4 x86: socketcall and ipc multiplex the socket and SysV IPC calls;
 *     libseccomp filters them on their first argument, so P2, P4 and P5 do
 *     not apply to them by name. In enforce, E may deny them with the
 *     outside action where the base denies a call they carry with its own
 *     errno; complain leaves them to the base (unreported).
 *  X5 libseccomp 2.5.4 defect: with x32 in the filter, when the first
 *     syscall of an architecture's block is one that does not exist there
 *     (a pseudo-syscall such as ipc on x86_64), the block compares the
 *     architecture instead of the syscall number, so all its rules are
 *     skipped and the default decides. Where E's program has the defect
 *     and the base's has not on that architecture, P3, P4, P5 and P1's
 *     "same action" are not checked there (counted); P1's "never permits"
 *     still is.
 *  X6 libseccomp 2.5.4 refuses (EEXIST) some sets of rules on the socket and
 *     SysV IPC calls of x86, which it filters through socketcall and ipc:
 *     where the base lists x86 and runc's error is "File exists", E may
 *     fail to load where the base loads, or load where the base does not
 *     (counted, not failed).
 *  X7 learning: the calls that are never notified (write where it is not
 *     logged, the runtime floor: lib/vocabulary.h) are permitted
 *     unreported; the agent records them as implied.
 *  X8 learning with no base: only the native architecture (and a companion
 *     the stored profile has calls of) is in the filter; a call of another
 *     is killed (doc/learning.md, "Architectures"): P3 and P4 do not hold
 *     there, P1 does.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "learn_filter.h"
#include "vocabulary.h"
#include "oci_config.h"
#include "syscalls.h"
#include "testing.h"

#define CONTAINERS_COMMON_PROFILE "/usr/share/containers/seccomp.json"

/* ---- runc 1.1.5's compilation of linux.seccomp ---- */

typedef struct program {
        bool none;   /* no linux.seccomp: no filter */
        bool starts; /* runc loads it and the container starts */
        char why[256];
        struct sock_filter *insns;
        size_t len;
        /* The -ENOSYS stub runc prepends when the default action does not
         * permit: numbers above the largest one the config names, per
         * architecture listed, get ERRNO(ENOSYS). */
        uint32_t stub_arch[20];
        uint32_t stub_last[20];
        size_t n_stub;
        /* Architectures whose block compares before loading the number. */
        uint32_t no_load_arch[8];
        size_t n_no_load;
} program;

/* X5: "ld [4]; jeq ARCH" must lead to "ld [0]" before any comparison. */
static void find_missing_loads(program *p)
{
        for (size_t i = 0; i + 1 < p->len; i++) {
                const struct sock_filter *ld = &p->insns[i], *jeq = &p->insns[i + 1];
                if (ld->code != (BPF_LD | BPF_W | BPF_ABS) || ld->k != offsetof(struct seccomp_data, arch) ||
                    jeq->code != (BPF_JMP | BPF_JEQ | BPF_K))
                        continue;
                size_t t = i + 2 + jeq->jt;
                if (t < p->len && p->insns[t].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
                    p->n_no_load < ELEMENTSOF(p->no_load_arch))
                        p->no_load_arch[p->n_no_load++] = jeq->k;
        }
}

static bool missing_load(const program *p, uint32_t arch)
{
        for (size_t i = 0; i < p->n_no_load; i++)
                if (p->no_load_arch[i] == arch)
                        return true;
        return false;
}

static void program_clear(program *p)
{
        free(p->insns);
        *p = (program){};
}

/* configs.Action -> libseccomp-golang ScmpAction -> uint32 (getAction). */
static bool runc_action(const char *action, bool has_errno, uint32_t errno_ret, uint32_t *out)
{
        uint16_t data = has_errno ? (uint16_t) errno_ret : EPERM;
        if (strcmp(action, "SCMP_ACT_KILL") == 0 || strcmp(action, "SCMP_ACT_KILL_THREAD") == 0)
                *out = SCMP_ACT_KILL_THREAD;
        else if (strcmp(action, "SCMP_ACT_KILL_PROCESS") == 0)
                *out = SCMP_ACT_KILL_PROCESS;
        else if (strcmp(action, "SCMP_ACT_ERRNO") == 0)
                *out = SCMP_ACT_ERRNO(data);
        else if (strcmp(action, "SCMP_ACT_TRAP") == 0)
                *out = SCMP_ACT_TRAP;
        else if (strcmp(action, "SCMP_ACT_ALLOW") == 0)
                *out = SCMP_ACT_ALLOW;
        else if (strcmp(action, "SCMP_ACT_TRACE") == 0)
                *out = SCMP_ACT_TRACE(data);
        else if (strcmp(action, "SCMP_ACT_LOG") == 0)
                *out = SCMP_ACT_LOG;
        else if (strcmp(action, "SCMP_ACT_NOTIFY") == 0)
                *out = SCMP_ACT_NOTIFY;
        else
                return false;
        return true;
}

/* The architectures runc 1.1.5 knows (seccomp.ConvertStringToArch). */
static bool runc_arch(const char *oci, uint32_t *token)
{
        static const struct {
                const char *oci;
                uint32_t token;
        } archs[] = {
                { "SCMP_ARCH_X86", SCMP_ARCH_X86 },           { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
                { "SCMP_ARCH_X32", SCMP_ARCH_X32 },           { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
                { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },   { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
                { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },     { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
                { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },     { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
                { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 }, { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
                { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },       { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
                { "SCMP_ARCH_S390", SCMP_ARCH_S390 },         { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
        };
        for (size_t i = 0; i < ELEMENTSOF(archs); i++)
                if (strcmp(archs[i].oci, oci) == 0) {
                        *token = archs[i].token;
                        return true;
                }
        return false;
}

static bool runc_op(const char *op, enum scmp_compare *out)
{
        static const struct {
                const char *name;
                enum scmp_compare op;
        } ops[] = {
                { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
                { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
                { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
        };
        for (size_t i = 0; i < ELEMENTSOF(ops); i++)
                if (strcmp(ops[i].name, op) == 0) {
                        *out = ops[i].op;
                        return true;
                }
        return false;
}

static void refuse(program *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(program *p, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->why, sizeof(p->why), fmt, ap);
        va_end(ap);
        p->starts = false;
}

static void ctx_release(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

/* Adds one configs.Syscall (a name of a rule) as runc's matchCall does. */
static int add_call(scmp_filter_ctx ctx, const osl_seccomp_rule *rule, const char *name, uint32_t def)
{
        uint32_t act;
        struct scmp_arg_cmp conds[16];
        unsigned per_index[6] = {};
        bool split = false;

        if (!runc_action(rule->action, rule->has_errno_ret, rule->errno_ret, &act))
                return -EINVAL;
        if (act == def)
                return 0; /* "This rule is redundant, silently skip it" */
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return 0; /* "unknown seccomp syscall ignored" */
        if (rule->n_args == 0)
                return seccomp_rule_add_array(ctx, act, nr, 0, NULL);
        if (rule->n_args > ELEMENTSOF(conds))
                return -E2BIG;
        for (size_t i = 0; i < rule->n_args; i++) {
                enum scmp_compare op;
                if (!runc_op(rule->args[i].op, &op) || rule->args[i].index > 5)
                        return -EINVAL;
                conds[i] = (struct scmp_arg_cmp){ rule->args[i].index, op, rule->args[i].value, rule->args[i].value_two };
                if (++per_index[rule->args[i].index] > 1)
                        split = true;
        }
        if (!split)
                return seccomp_rule_add_array(ctx, act, nr, (unsigned) rule->n_args, conds);
        /* Two conditions on one argument: each becomes a rule of its own. */
        for (size_t i = 0; i < rule->n_args; i++) {
                int r = seccomp_rule_add_array(ctx, act, nr, 1, &conds[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void compile(const osl_seccomp *s, program *p)
{
        __attribute__((cleanup(ctx_release))) scmp_filter_ctx ctx = NULL;
        uint32_t def, tokens[20];
        size_t n_tokens = 0;
        bool notify = false;

        *p = (program){ .starts = true };
        if (!s) {
                p->none = true;
                return;
        }
        if (s->n_flags > 0)
                return refuse(p, "seccomp flags are not yet supported by runc");
        for (size_t i = 0; i < s->n_architectures; i++) {
                uint32_t t;
                if (!runc_arch(s->architectures[i], &t))
                        return refuse(p, "string %s is not a valid arch for seccomp", s->architectures[i]);
                bool seen = false;
                for (size_t j = 0; j < n_tokens; j++)
                        seen = seen || tokens[j] == t;
                if (!seen && n_tokens < ELEMENTSOF(tokens))
                        tokens[n_tokens++] = t;
        }
        if (!runc_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret, &def))
                return refuse(p, "invalid default action");
        for (size_t i = 0; i < s->n_rules; i++) {
                if (strcmp(s->rules[i].action, "SCMP_ACT_NOTIFY") != 0)
                        continue;
                notify = true;
                for (size_t j = 0; j < s->rules[i].n_names; j++)
                        if (strcmp(s->rules[i].names[j], "write") == 0)
                                return refuse(p, "SCMP_ACT_NOTIFY cannot be used for the write syscall");
        }
        if (def == SCMP_ACT_NOTIFY)
                return refuse(p, "SCMP_ACT_NOTIFY cannot be used as default action");
        ctx = seccomp_init(def);
        if (!ctx)
                return refuse(p, "seccomp_init failed");
        for (size_t i = 0; i < n_tokens; i++) {
                int r = seccomp_arch_add(ctx, tokens[i]);
                if (r < 0 && r != -EEXIST)
                        return refuse(p, "error adding architecture %s: %d", s->architectures[i], r);
        }
        if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0)
                return refuse(p, "cannot unset no_new_privs");
        for (size_t i = 0; i < s->n_rules; i++)
                for (size_t j = 0; j < s->rules[i].n_names; j++) {
                        int r = add_call(ctx, &s->rules[i], s->rules[i].names[j], def);
                        if (r < 0)
                                return refuse(p, "error adding seccomp rule for syscall %s: %s", s->rules[i].names[j],
                                              strerror(-r));
                }

        int fd = memfd_create("bpf", MFD_CLOEXEC);
        if (fd < 0)
                return refuse(p, "memfd_create: %m");
        int r = seccomp_export_bpf(ctx, fd);
        off_t size = lseek(fd, 0, SEEK_END);
        if (r < 0 || size <= 0 || size % sizeof(struct sock_filter) != 0 || !(p->insns = malloc((size_t) size)) ||
            pread(fd, p->insns, (size_t) size, 0) != size) {
                close(fd);
                return refuse(p, "seccomp_export_bpf: %d", r);
        }
        close(fd);
        p->len = (size_t) size / sizeof(struct sock_filter);
        find_missing_loads(p);

        /* runc loads the filter, then fails: nobody takes the notify fd. */
        if (notify && !s->listener_path)
                return refuse(p, "listenerPath is not set");

        /* patchbpf.generatePatch: no stub when the default permits. */
        if (def == SCMP_ACT_ALLOW || def == SCMP_ACT_LOG || (def & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRACE)
                return;
        for (size_t a = 0; a < n_tokens; a++) {
                int largest = 0;
                for (size_t i = 0; i < s->n_rules; i++)
                        for (size_t j = 0; j < s->rules[i].n_names; j++) {
                                int nr = seccomp_syscall_resolve_name_arch(tokens[a], s->rules[i].names[j]);
                                if (nr > largest)
                                        largest = nr;
                        }
                if (largest > 0 && p->n_stub < ELEMENTSOF(p->stub_arch)) {
                        p->stub_arch[p->n_stub] = tokens[a];
                        p->stub_last[p->n_stub++] = (uint32_t) largest;
                }
        }
}

/* ---- a classic-BPF interpreter, for what libseccomp emits ---- */

static bool bpf_run(const program *p, const struct seccomp_data *d, uint32_t *ret, char *why, size_t why_size)
{
        uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {};
        const unsigned char *data = (const unsigned char *) d;

        for (size_t pc = 0; pc < p->len; pc++) {
                const struct sock_filter *f = &p->insns[pc];
                uint32_t k = f->k, operand = BPF_SRC(f->code) == BPF_X ? X : k;
                size_t skip = 0;

                switch (BPF_CLASS(f->code)) {
                case BPF_LD:
                        if (f->code == (BPF_LD | BPF_W | BPF_ABS) && k % 4 == 0 && k + 4 <= sizeof(*d))
                                memcpy(&A, data + k, 4);
                        else if (f->code == (BPF_LD | BPF_MEM) && k < BPF_MEMWORDS)
                                A = M[k];
                        else if (f->code == (BPF_LD | BPF_IMM))
                                A = k;
                        else
                                goto bad;
                        break;
                case BPF_LDX:
                        if (f->code == (BPF_LDX | BPF_MEM) && k < BPF_MEMWORDS)
                                X = M[k];
                        else if (f->code == (BPF_LDX | BPF_IMM))
                                X = k;
                        else
                                goto bad;
                        break;
                case BPF_ST:
                case BPF_STX:
                        if (k >= BPF_MEMWORDS)
                                goto bad;
                        M[k] = BPF_CLASS(f->code) == BPF_ST ? A : X;
                        break;
                case BPF_ALU:
                        switch (BPF_OP(f->code)) {
                        case BPF_ADD: A += operand; break;
                        case BPF_SUB: A -= operand; break;
                        case BPF_AND: A &= operand; break;
                        case BPF_OR: A |= operand; break;
                        case BPF_XOR: A ^= operand; break;
                        case BPF_LSH: A = operand < 32 ? A << operand : 0; break;
                        case BPF_RSH: A = operand < 32 ? A >> operand : 0; break;
                        case BPF_NEG: A = -A; break;
                        default: goto bad;
                        }
                        break;
                case BPF_JMP:
                        switch (BPF_OP(f->code)) {
                        case BPF_JA: skip = k; break;
                        case BPF_JEQ: skip = A == operand ? f->jt : f->jf; break;
                        case BPF_JGT: skip = A > operand ? f->jt : f->jf; break;
                        case BPF_JGE: skip = A >= operand ? f->jt : f->jf; break;
                        case BPF_JSET: skip = (A & operand) ? f->jt : f->jf; break;
                        default: goto bad;
                        }
                        if (pc + skip + 1 >= p->len)
                                goto bad;
                        pc += skip;
                        break;
                case BPF_RET:
                        if (BPF_RVAL(f->code) == BPF_K)
                                *ret = k;
                        else if (BPF_RVAL(f->code) == BPF_A)
                                *ret = A;
                        else
                                goto bad;
                        return true;
                case BPF_MISC:
                        if (BPF_MISCOP(f->code) == BPF_TAX)
                                X = A;
                        else if (BPF_MISCOP(f->code) == BPF_TXA)
                                A = X;
                        else
                                goto bad;
                        break;
                default:
                        goto bad;
                }
                continue;
        bad:
                snprintf(why, why_size, "instruction %zu (code 0x%04x k 0x%x) is not handled or jumps out", pc,
                         f->code, f->k);
                return false;
        }
        snprintf(why, why_size, "the program ends without a return");
        return false;
}

/* What the kernel decides for a call under p. */
static uint32_t evaluate(const program *p, const struct seccomp_data *d)
{
        char why[160];
        uint32_t ret = 0;
        if (p->none)
                return SCMP_ACT_ALLOW;
        for (size_t i = 0; i < p->n_stub; i++)
                if (p->stub_arch[i] == d->arch && (uint32_t) d->nr > p->stub_last[i])
                        return SCMP_ACT_ERRNO(ENOSYS);
        if (!bpf_run(p, d, &ret, why, sizeof(why))) {
                TESTING_FAIL("bpf", "%s", why);
                return SCMP_ACT_KILL_PROCESS;
        }
        return ret;
}

static bool permits(uint32_t a)
{
        switch (a & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_ALLOW:
        case SECCOMP_RET_LOG:
        case SECCOMP_RET_TRACE:
        case SECCOMP_RET_USER_NOTIF:
                return true;
        default:
                return false;
        }
}

static bool reports(uint32_t a)
{
        return a == SCMP_ACT_NOTIFY || a == SCMP_ACT_LOG;
}

/* TRACE: the tracer decides (no tracer: ENOSYS); NOTIFY in the base: the
 * container's own agent decides. */
static bool decided_elsewhere(uint32_t a)
{
        uint32_t full = a & SECCOMP_RET_ACTION_FULL;
        return full == SECCOMP_RET_TRACE || full == SECCOMP_RET_USER_NOTIF;
}

static const char *action_text(uint32_t a, char *buf, size_t size)
{
        switch (a & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_KILL_PROCESS: return "KILL_PROCESS";
        case SECCOMP_RET_KILL_THREAD: return "KILL_THREAD";
        case SECCOMP_RET_TRAP: return "TRAP";
        case SECCOMP_RET_ERRNO: snprintf(buf, size, "ERRNO(%u)", a & SECCOMP_RET_DATA); return buf;
        case SECCOMP_RET_USER_NOTIF: return "NOTIFY";
        case SECCOMP_RET_TRACE: snprintf(buf, size, "TRACE(%u)", a & SECCOMP_RET_DATA); return buf;
        case SECCOMP_RET_LOG: return "LOG";
        case SECCOMP_RET_ALLOW: return "ALLOW";
        default: snprintf(buf, size, "0x%08x", a); return buf;
        }
}

/* ---- the cases ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}
static size_t rnd_below(size_t n)
{
        return (size_t) (rnd() % n);
}

/* The architectures calls are made on: the native one and x86 (32-bit). */
static const uint32_t test_arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86 };

static int largest_known_nr(uint32_t arch)
{
        int largest = 0;
        for (int nr = 0; nr < 1024; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(arch, nr);
                if (name)
                        largest = nr;
                free(name);
        }
        return largest;
}

static osl_learned *learned_new(char *const *names, size_t n)
{
        osl_learned *l = calloc(1, sizeof(*l));
        if (!l || !(l->syscalls = calloc(n + 1, sizeof(*l->syscalls))))
                abort();
        const char *native = osl_arch_to_oci(seccomp_arch_native());
        for (size_t i = 0; i < n; i++) {
                l->syscalls[i].arch = strdup(native);
                l->syscalls[i].name = strdup(names[i]);
                if (!l->syscalls[i].arch || !l->syscalls[i].name)
                        abort();
        }
        l->n_syscalls = n;
        l->version = 1;
        return l;
}

static bool learned_has(const osl_learned *l, const char *name)
{
        for (size_t i = 0; name && i < l->n_syscalls; i++)
                if (strcmp(l->syscalls[i].name, name) == 0)
                        return true;
        return false;
}

/* Inside the profile under the default policy (--generalize families),
 * spelled out from the documentation rather than taken from the code:
 * learned, one of the application's implied calls (write, exit,
 * exit_group), or in the family of a learned syscall. */
static bool inside_profile(const osl_learned *l, const char *name)
{
        if (!name)
                return false;
        if (learned_has(l, name) || strcmp(name, "write") == 0 || strcmp(name, "exit") == 0 ||
            strcmp(name, "exit_group") == 0)
                return true;
        const osl_family *f = osl_family_of(name);
        for (const char *const *m = f ? f->members : NULL; m && *m; m++)
                if (learned_has(l, *m))
                        return true;
        return false;
}

/* How the base names a syscall: in an unconditional rule, or only in
 * conditional ones. Rules that runc skips (their action is the default's)
 * name nothing. */
typedef enum { NAMED_NOT, NAMED_CONDITIONAL, NAMED_UNCONDITIONAL } naming;
static naming base_naming(const osl_seccomp *base, const char *name)
{
        naming n = NAMED_NOT;
        uint32_t def = 0, act = 0;
        if (!base || !runc_action(base->default_action, base->has_default_errno_ret, base->default_errno_ret, &def))
                return n;
        for (size_t i = 0; name && i < base->n_rules; i++)
                for (size_t j = 0; j < base->rules[i].n_names; j++)
                        if (runc_action(base->rules[i].action, base->rules[i].has_errno_ret, base->rules[i].errno_ret,
                                        &act) && act != def && strcmp(base->rules[i].names[j], name) == 0) {
                                if (base->rules[i].n_args == 0)
                                        return NAMED_UNCONDITIONAL;
                                n = NAMED_CONDITIONAL;
                        }
        return n;
}

/* Argument values on every boundary of the base's conditions on a syscall. */
#define MAX_VALUES 48
typedef struct arg_values {
        uint64_t v[6][MAX_VALUES];
        size_t n[6];
} arg_values;

static void value_add(arg_values *av, unsigned idx, uint64_t x)
{
        for (size_t i = 0; i < av->n[idx]; i++)
                if (av->v[idx][i] == x)
                        return;
        if (av->n[idx] < MAX_VALUES)
                av->v[idx][av->n[idx]++] = x;
}

static void boundary_values(const osl_seccomp *base, const char *name, arg_values *av, bool *conditional)
{
        *conditional = false;
        for (unsigned i = 0; i < 6; i++) {
                av->n[i] = 0;
                value_add(av, i, 0);
        }
        for (size_t r = 0; base && name && r < base->n_rules; r++) {
                const osl_seccomp_rule *rule = &base->rules[r];
                if (rule->n_args == 0 || !osl_strv_contains(rule->names, name))
                        continue;
                *conditional = true;
                for (size_t a = 0; a < rule->n_args; a++) {
                        const osl_seccomp_arg *c = &rule->args[a];
                        uint64_t v = c->value, w = c->value_two;
                        value_add(av, c->index, UINT64_MAX);
                        if (strcmp(c->op, "SCMP_CMP_MASKED_EQ") == 0) {
                                /* (arg & v) == w */
                                value_add(av, c->index, w);
                                value_add(av, c->index, w | ~v);
                                value_add(av, c->index, w & v);
                                value_add(av, c->index, v);
                                value_add(av, c->index, ~v);
                                if (v) {
                                        value_add(av, c->index, w ^ (v & -v));
                                        value_add(av, c->index, w ^ (1ull << (63 - __builtin_clzll(v))));
                                }
                        } else {
                                value_add(av, c->index, v);
                                value_add(av, c->index, v - 1);
                                value_add(av, c->index, v + 1);
                                value_add(av, c->index, v & 0xffffffffu);
                                value_add(av, c->index, v ^ (1ull << 32));
                        }
                }
        }
}

typedef struct totals {
        size_t bases, configs_refused, filters, evaluations;
        size_t violations[6];
        size_t excepted;
        size_t libseccomp_defect; /* X5 */
} totals;
static totals total;

static const char *const property_name[] = {
        "P0 E loads where the base loads",
        "P1 never more permissive than the base, same action where it denies",
        "P2 enforce permits only learned syscalls",
        "P3 complain permits what the base permits",
        "P4 complain reports what the profile lacks",
        "P5 enforce permits the learned calls the base permits",
};

typedef struct one_case {
        const char *label;
        const osl_seccomp *base;     /* what we read (input to the build) */
        const program *base_prog;    /* what runc runs without us */
        const osl_seccomp *base_runc; /* the base as runc reads it */
        const osl_learned *learned;
        const char *learned_label;
        const char *outside;
        bool enforce;
        bool learning;
        size_t shown[6];
} one_case;

static void violation(one_case *c, int prop, const struct seccomp_data *d, const char *name, uint32_t b,
                      uint32_t e)
{
        char t1[32], t2[32];
        total.violations[prop]++;
        if (c->shown[prop]++ >= 2)
                return;
        TESTING_FAIL(property_name[prop],
                     "%s, learned %s, outside %s: arch 0x%08x nr %d (%s) args 0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64
                     ": base %s, E %s",
                     c->label, c->learned_label, c->outside, d->arch, d->nr, name ? name : "no name",
                     (uint64_t) d->args[0], (uint64_t) d->args[1], (uint64_t) d->args[2], action_text(b, t1, sizeof(t1)), action_text(e, t2, sizeof(t2)));
}

static bool lists_x86(const osl_seccomp *s)
{
        return s && osl_strv_contains(s->architectures, "SCMP_ARCH_X86");
}

/* X6 */
static bool x86_multiplexer_eexist(const osl_seccomp *base, const program *refused)
{
        return lists_x86(base) && strstr(refused->why, "File exists");
}

static bool base_default_permits(const osl_seccomp *base)
{
        return !base || osl_seccomp_action_permits(base->default_action);
}

static void check_call(one_case *c, const program *e_prog, uint32_t arch, int nr, const char *name,
                       const uint64_t *args)
{
        struct seccomp_data d = { .nr = nr, .arch = arch };
        for (int i = 0; i < 6; i++)
                d.args[i] = arch == SCMP_ARCH_X86 ? (args[i] & 0xffffffffu) : args[i];
        uint32_t b = evaluate(c->base_prog, &d), e = evaluate(e_prog, &d);
        bool learned = inside_profile(c->learned, name);
        bool multiplexer = arch == SCMP_ARCH_X86 && name && (!strcmp(name, "socketcall") || !strcmp(name, "ipc"));
        bool default_permits = base_default_permits(c->base_runc);
        naming named = base_naming(c->base_runc, name);
        total.evaluations++;

        if (missing_load(e_prog, arch) && !missing_load(c->base_prog, arch)) {
                if (!permits(b) && permits(e))
                        violation(c, 1, &d, name, b, e);
                else if (e != b)
                        total.libseccomp_defect++;
                return;
        }

        /* P1 */
        if (!permits(b) && e != b) {
                bool x3 = c->enforce && default_permits && named == NAMED_CONDITIONAL && !learned && !permits(e);
                bool x4 = c->enforce && multiplexer && !permits(e);
                if (x3 || x4)
                        total.excepted++;
                else
                        violation(c, 1, &d, name, b, e);
        } else if (decided_elsewhere(b) && e != b && permits(e))
                violation(c, 1, &d, name, b, e);
        if (multiplexer)
                return;
        if (c->enforce) {
                /* P2 */
                if (permits(e) && !learned) {
                        bool x3 = default_permits && e == b && !name;
                        if (x3)
                                total.excepted++;
                        else
                                violation(c, 2, &d, name, b, e);
                }
                /* P5, on the architecture the profile was learned on */
                if (permits(b) && learned && arch == seccomp_arch_native() && !permits(e))
                        violation(c, 5, &d, name, b, e);
                return;
        }
        /* X8 */
        if (c->learning && !c->base && arch != seccomp_arch_native() && !permits(e)) {
                total.excepted++;
                return;
        }
        /* P3 */
        if (permits(b) && !permits(e))
                violation(c, 3, &d, name, b, e);
        /* P4 */
        if (permits(b) && !learned && !reports(e) && !(decided_elsewhere(b) && e == b)) {
                bool x1 = default_permits && named == NAMED_CONDITIONAL && e == b;
                bool x2 = default_permits && !name && e == b;
                bool x7 = c->learning && name && osl_syscall_never_notified(name) && permits(e);
                if (x1 || x2 || x7)
                        total.excepted++;
                else
                        violation(c, 4, &d, name, b, e);
        }
}

/* Every syscall number, every boundary of its conditions. */
static void check_filter(one_case *c, const program *e_prog)
{
        for (size_t a = 0; a < ELEMENTSOF(test_arches); a++) {
                uint32_t arch = test_arches[a];
                int last = largest_known_nr(arch) + 24;
                for (int nr = 0; nr <= last; nr++) {
                        char *name = seccomp_syscall_resolve_num_arch(arch, nr);
                        arg_values av;
                        bool conditional;
                        uint64_t args[6] = {};
                        boundary_values(c->base_runc, name, &av, &conditional);
                        if (arch == SCMP_ARCH_X86 && name &&
                            (!strcmp(name, "socketcall") || !strcmp(name, "ipc"))) {
                                conditional = true;
                                for (uint64_t v = 0; v < 26; v++)
                                        value_add(&av, 0, v);
                        }
                        if (!conditional) {
                                check_call(c, e_prog, arch, nr, name, args);
                                memset(args, 0xff, sizeof(args));
                                check_call(c, e_prog, arch, nr, name, args);
                                free(name);
                                continue;
                        }
                        /* Each index alone, then every pair of indices. */
                        for (unsigned i = 0; i < 6; i++)
                                for (size_t vi = 0; vi < av.n[i]; vi++) {
                                        memset(args, 0, sizeof(args));
                                        args[i] = av.v[i][vi];
                                        check_call(c, e_prog, arch, nr, name, args);
                                }
                        for (unsigned i = 0; i < 6; i++)
                                for (unsigned j = i + 1; j < 6; j++) {
                                        if (av.n[i] < 2 || av.n[j] < 2)
                                                continue;
                                        for (size_t vi = 0; vi < av.n[i]; vi++)
                                                for (size_t vj = 0; vj < av.n[j]; vj++) {
                                                        memset(args, 0, sizeof(args));
                                                        args[i] = av.v[i][vi];
                                                        args[j] = av.v[j][vj];
                                                        check_call(c, e_prog, arch, nr, name, args);
                                                }
                                }
                        /* Some of all six at once. */
                        for (int k = 0; k < 32; k++) {
                                for (unsigned i = 0; i < 6; i++)
                                        args[i] = av.v[i][rnd_below(av.n[i])];
                                check_call(c, e_prog, arch, nr, name, args);
                        }
                        free(name);
                }
        }
}

static const char *const outside_actions[] = { "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_NOTIFY",
                                                "SCMP_ACT_LOG" };

/* The filters E is built as: enforce (ERRNO, KILL_PROCESS), complain
 * through the agent or through LOG, and the two learning filters (notify
 * with write logged; LOG with exec notified), which must keep P1, P3 and
 * P4 as complain does, but for X7. */
typedef struct e_kind {
        const char *outside;
        bool enforce, learning, learning_log, log_write;
        const char *label; /* printed as "outside ..." */
} e_kind;

static const e_kind e_kinds[] = {
        { "SCMP_ACT_ERRNO", true, false, false, false, "SCMP_ACT_ERRNO" },
        { "SCMP_ACT_KILL_PROCESS", true, false, false, false, "SCMP_ACT_KILL_PROCESS" },
        { "SCMP_ACT_NOTIFY", false, false, false, false, "SCMP_ACT_NOTIFY" },
        { "SCMP_ACT_LOG", false, false, false, false, "SCMP_ACT_LOG" },
        { "SCMP_ACT_NOTIFY", false, true, false, true, "SCMP_ACT_NOTIFY (learning, write logged)" },
        { "SCMP_ACT_LOG", false, true, true, false, "SCMP_ACT_LOG (learning through LOG)" },
};

static void check_intersection(const char *label, const osl_seccomp *base, const osl_seccomp *base_runc,
                               const program *base_prog, const osl_learned *learned, const char *learned_label)
{
        for (size_t o = 0; o < ELEMENTSOF(e_kinds); o++) {
                _cleanup_seccomp_ osl_seccomp *e = NULL, *e_read = NULL;
                _cleanup_jv_ jv *e_json = NULL;
                osl_error err = {};
                const e_kind *k = &e_kinds[o];
                one_case c = {
                        .label = label, .base = base, .base_prog = base_prog, .base_runc = base_runc,
                        .learned = learned, .learned_label = learned_label, .outside = k->label,
                        .enforce = k->enforce, .learning = k->learning,
                };
                osl_profile_filter_input in = {
                        .base = base, .learned = learned, .outside_action = k->outside, .outside_errno = EPERM,
                        .listener_path = "/run/oci-seccomp-learn/agent.sock",
                        .listener_metadata = k->learning ? "v1;mode=learn" : "v1;mode=complain",
                        .learning = k->learning, .learning_log = k->learning_log, .log_write = k->log_write,
                };
                int r = osl_profile_filter_build(&in, &e, NULL, &err);
                /* inject.c complains through the kernel log then. */
                if (r == -EEXIST && (strcmp(in.outside_action, "SCMP_ACT_NOTIFY") == 0 || in.learning_log))
                        continue;
                if (r < 0) {
                        TESTING_FAIL("osl_profile_filter_build", "%s, learned %s, outside %s: %s", label, learned_label,
                                     in.outside_action, err.msg);
                        continue;
                }
                /* What runc reads is E as written into config.json. */
                if (osl_seccomp_to_jv(e, OSL_SECCOMP_OCI, &e_json, &err) < 0 ||
                    osl_seccomp_from_jv(e_json, &e_read, &err) < 0) {
                        TESTING_FAIL("E as linux.seccomp", "%s, learned %s, outside %s: %s", label, learned_label,
                                     in.outside_action, err.msg);
                        continue;
                }
                program e_prog;
                compile(e_read, &e_prog);
                total.filters++;
                if (!e_prog.starts) {
                        if (base_prog->starts && x86_multiplexer_eexist(base_runc, &e_prog))
                                total.excepted++;
                        else if (base_prog->starts) {
                                total.violations[0]++;
                                TESTING_FAIL(property_name[0], "%s, learned %s, outside %s: runc refuses E: %s", label,
                                             learned_label, in.outside_action, e_prog.why);
                        }
                        program_clear(&e_prog);
                        continue;
                }
                check_filter(&c, &e_prog);
                program_clear(&e_prog);
        }
}

/* The learned sets each base is checked with. */
static void check_base(const char *label, const osl_seccomp *base, const osl_seccomp *base_runc,
                       const char *const *learned_lists, size_t n_lists)
{
        program base_prog;
        compile(base_runc, &base_prog);
        total.bases++;
        if (!base_prog.starts) {
                /* Nothing to keep: runc does not start the container without
                 * us. E must not start it either. */
                for (size_t i = 0; i < n_lists; i++) {
                        _cleanup_strv_ char **names = NULL;
                        size_t n = 0;
                        char *save = NULL, *copy = strdup(learned_lists[i]);
                        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
                                osl_strv_push(&names, &n, t);
                        free(copy);
                        osl_learned *l = learned_new(names, n);
                        for (size_t o = 0; o < ELEMENTSOF(outside_actions); o++) {
                                _cleanup_seccomp_ osl_seccomp *e = NULL;
                                osl_error err = {};
                                osl_profile_filter_input in = {
                                        .base = base, .learned = l, .outside_action = outside_actions[o],
                                        .outside_errno = EPERM, .listener_path = "/run/oci-seccomp-learn/agent.sock",
                                };
                                if (osl_profile_filter_build(&in, &e, NULL, &err) < 0)
                                        continue;
                                program e_prog;
                                compile(e, &e_prog);
                                if (e_prog.starts && x86_multiplexer_eexist(base_runc, &base_prog))
                                        total.excepted++;
                                else
                                        CHECK_MSG(!e_prog.starts,
                                          "%s: runc refuses the base (%s) but would start E (learned %s, outside %s)",
                                          label, base_prog.why, learned_lists[i], outside_actions[o]);
                                program_clear(&e_prog);
                        }
                        osl_learned_free(l);
                }
                program_clear(&base_prog);
                return;
        }
        for (size_t i = 0; i < n_lists; i++) {
                _cleanup_strv_ char **names = NULL;
                size_t n = 0;
                if (strcmp(learned_lists[i], "*") == 0) {
                        _cleanup_strv_ char **arches = NULL;
                        size_t n_arches = 0;
                        osl_error err = {};
                        CHECK_OK(osl_arch_native_set(&arches, &n_arches, &err), err);
                        CHECK_OK(osl_syscall_all_names(arches, n_arches, &names, &n, &err), err);
                } else {
                        char *save = NULL, *copy = strdup(learned_lists[i]);
                        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
                                osl_strv_push(&names, &n, t);
                        free(copy);
                }
                osl_learned *l = learned_new(names, n);
                check_intersection(label, base, base_runc, &base_prog, l, learned_lists[i]);
                osl_learned_free(l);
        }
        program_clear(&base_prog);
}

static osl_seccomp *parse(const char *label, const char *text)
{
        _cleanup_jv_ jv *v = NULL;
        osl_seccomp *s = NULL;
        osl_error err = {};
        if (jv_parse(text, strlen(text), label, &v, &err) < 0 || osl_seccomp_from_jv(v, &s, &err) < 0)
                TESTING_FAIL("parse", "%s: %s", label, err.msg);
        return s;
}

#define ALLOW_SOME "\"read\",\"write\",\"openat\",\"close\",\"execve\",\"exit_group\",\"getpid\",\"mkdir\",\"futex\""
#define CLONE_MASKED \
        "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":2114060288," \
        "\"op\":\"SCMP_CMP_MASKED_EQ\"}]}"

typedef struct hand_case {
        const char *label;
        const char *base;      /* linux.seccomp as the config has it; NULL: none */
        const char *runc_view; /* the same as runc reads it, when it differs */
        const char *learned;   /* space-separated */
} hand_case;

static const hand_case hand_cases[] = {
        { "no base", NULL, NULL, "read write openat execve mkdir" },
        { "allow-list with Docker's clone rule",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
          "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"syscalls\":["
          "{\"names\":[" ALLOW_SOME ",\"socket\",\"capset\",\"setuid\"],\"action\":\"SCMP_ACT_ALLOW\"}," CLONE_MASKED ","
          "{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}",
          NULL, "read write openat clone execve socket" },
        { "deny-list: default ALLOW, conditional ERRNO rules",
          "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
          "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,\"args\":[{\"index\":1,\"value\":511,\"op\":\"SCMP_CMP_EQ\"}]},"
          "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":22,\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_NE\"}]},"
          "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_GE\"},{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_LE\"}]},"
          "{\"names\":[\"mount\",\"umount2\",\"unshare\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}",
          NULL, "read write openat mkdir personality" },
        { "deny-list, nothing conditional learned",
          "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
          "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,\"args\":[{\"index\":1,\"value\":511,\"op\":\"SCMP_CMP_EQ\"}]},"
          "{\"names\":[\"mount\",\"umount2\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}",
          NULL, "read write openat execve getpid" },
        { "KILL, KILL_PROCESS, TRAP, LOG and TRACE rules",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
          "{\"names\":[" ALLOW_SOME "],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_KILL\"},"
          "{\"names\":[\"kexec_load\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"},"
          "{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_TRAP\"},"
          "{\"names\":[\"getcwd\",\"chdir\"],\"action\":\"SCMP_ACT_LOG\"},"
          "{\"names\":[\"rmdir\",\"unlink\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":5}]}",
          NULL, "read write ptrace uname getcwd rmdir execve" },
        { "default LOG",
          "{\"defaultAction\":\"SCMP_ACT_LOG\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
          NULL, "read write openat mkdir" },
        { "default TRACE",
          "{\"defaultAction\":\"SCMP_ACT_TRACE\",\"syscalls\":[{\"names\":[" ALLOW_SOME "],\"action\":\"SCMP_ACT_ALLOW\"}]}",
          NULL, "read write execve uname" },
        { "default KILL_PROCESS",
          "{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"architectures\":[\"SCMP_ARCH_X86_64\"],\"syscalls\":["
          "{\"names\":[" ALLOW_SOME "],\"action\":\"SCMP_ACT_ALLOW\"}]}",
          NULL, "read write" },
        { "unconditional and conditional rules for one syscall (default ERRNO)",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
          "{\"names\":[\"mkdir\",\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,\"args\":[{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
          "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_KILL\"},"
          "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":1,\"value\":420,\"op\":\"SCMP_CMP_EQ\"}]}]}",
          NULL, "read" },
        { "a rule runc skips (its action is the default) beside a conditional deny",
          "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
          "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,\"args\":[{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
          NULL, "read write" },
        { "a deny rule runc skips beside a conditional allow",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
          "{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
          "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":1,\"value\":448,\"op\":\"SCMP_CMP_EQ\"}]}]}",
          NULL, "read write mkdir" },
        { "overlapping conditional allow and deny on different arguments",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
          "{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]},"
          "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":97,\"args\":[{\"index\":1,\"value\":3,\"op\":\"SCMP_CMP_EQ\"}]}]}",
          NULL, "read write" },
        { "two conditions on one argument (runc: separate rules)",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
          "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
          "{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]}]}",
          NULL, "read personality" },
        { "names libseccomp does not know",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
          "{\"names\":[\"read\",\"no_such_syscall_xyz\",\"openat\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"another_fake_call\"],\"action\":\"SCMP_ACT_KILL\"}]}",
          NULL, "read no_such_syscall_xyz another_fake_call" },
        { "the container's own agent (NOTIFY, listenerPath)",
          "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/their-agent.sock\",\"syscalls\":["
          "{\"names\":[\"mkdir\",\"mount\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
          NULL, "read write openat mkdir" },
        { "NOTIFY rules without a listenerPath",
          "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
          NULL, "read" },
        { "only x86 listed",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86\"],\"syscalls\":["
          "{\"names\":[" ALLOW_SOME ",\"socket\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
          NULL, "read write socket" },
        { "x86_64, x86 and x32, default ALLOW, conditional denies",
          "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
          "\"syscalls\":[{\"names\":[\"mount\",\"ioctl\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,"
          "\"args\":[{\"index\":1,\"value\":4294967296,\"op\":\"SCMP_CMP_EQ\"}]},"
          "{\"names\":[\"ipc\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
          NULL, "read write ipc mount" },
        { "socket rules on x86 (socketcall)",
          "{\"defaultAction\":\"SCMP_ACT_LOG\",\"architectures\":[\"SCMP_ARCH_X86\"],\"syscalls\":["
          "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":97},"
          "{\"names\":[\"connect\"],\"action\":\"SCMP_ACT_TRACE\"},"
          "{\"names\":[\"semop\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
          NULL, "read write bind" },
        /* Docker-form keys in linux.seccomp: runc ignores them. */
        { "archMap in linux.seccomp",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\","
          "\"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]}],\"syscalls\":[{\"names\":[" ALLOW_SOME "],"
          "\"action\":\"SCMP_ACT_ALLOW\"}]}",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[" ALLOW_SOME "],\"action\":\"SCMP_ACT_ALLOW\"}]}",
          "read write openat execve" },
        { "\"name\" in a rule of linux.seccomp",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"name\":\"mount\",\"action\":\"SCMP_ACT_ALLOW\"}]}",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
          "read write mount" },
        { "\"errno\" and \"defaultErrno\" in linux.seccomp",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrno\":\"ENOSYS\",\"syscalls\":["
          "{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"EACCES\"}]}",
          "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
          "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
          "read write" },
};

static void run_hand_cases(void)
{
        for (size_t i = 0; i < ELEMENTSOF(hand_cases); i++) {
                const hand_case *h = &hand_cases[i];
                _cleanup_seccomp_ osl_seccomp *base = NULL, *runc_view = NULL;
                const char *lists[] = { h->learned, "", "*" };
                if (h->base) {
                        /* A config whose linux.seccomp runc reads differently
                         * must be refused before any filter is built. */
                        _cleanup_free_ char *cfg_text = NULL;
                        _cleanup_jv_ jv *cfg = NULL;
                        osl_error err = {};
                        if (asprintf(&cfg_text, "{\"linux\":{\"seccomp\":%s}}", h->base) < 0)
                                abort();
                        CHECK_OK(osl_config_parse(cfg_text, strlen(cfg_text), h->label, &cfg, &err), err);
                        bool refused = cfg && osl_config_check_unambiguous(cfg, &err) < 0;
                        if (h->runc_view) {
                                CHECK_MSG(refused, "%s: the config is not refused, but runc reads its seccomp "
                                                   "profile differently", h->label);
                                total.configs_refused += refused;
                                if (refused)
                                        continue;
                        } else
                                CHECK_MSG(!refused, "%s: refused: %s", h->label, err.msg);
                        base = parse(h->label, h->base);
                        if (!base)
                                continue;
                        runc_view = h->runc_view ? parse(h->label, h->runc_view) : NULL;
                }
                check_base(h->label, base, runc_view ? runc_view : base, lists, ELEMENTSOF(lists));
        }
}

/* containers-common's default profile, for a container without CAP_SYS_ADMIN. */
static void run_containers_common(void)
{
        static char *caps[] = {
                "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
                "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
        };
        _cleanup_seccomp_ osl_seccomp *docker = NULL, *base = NULL;
        osl_error err = {};
        if (access(CONTAINERS_COMMON_PROFILE, R_OK) < 0) {
                printf("SKIP containers-common: %s is not installed\n", CONTAINERS_COMMON_PROFILE);
                return;
        }
        CHECK_OK(osl_seccomp_load_file(CONTAINERS_COMMON_PROFILE, &docker, &err), err);
        if (!docker)
                return;
        CHECK_OK(osl_seccomp_resolve(docker, caps, ELEMENTSOF(caps), &base, &err), err);
        if (!base)
                return;
        /* As podman writes it into config.json: the OCI form. */
        _cleanup_jv_ jv *oci = NULL;
        _cleanup_seccomp_ osl_seccomp *written = NULL;
        CHECK_OK(osl_seccomp_to_jv(base, OSL_SECCOMP_OCI, &oci, &err), err);
        CHECK_OK(osl_seccomp_from_jv(oci, &written, &err), err);
        if (!written)
                return;
        const char *lists[] = {
                "read write openat close execve exit_group clone mmap futex rt_sigreturn getpid socket personality",
                "",
                "*",
        };
        check_base("containers-common default profile, no CAP_SYS_ADMIN", written, written, lists, ELEMENTSOF(lists));
}

/* ---- pseudo-random bases from a fixed seed ---- */

static const char *const pool[] = {
        "read", "write", "openat", "close", "mkdir", "mkdirat", "clone", "clone3", "personality", "socket",
        "socketcall", "ioctl", "getpid", "chmod", "fchmodat", "kill", "unshare", "setns", "mount", "ptrace",
        "execve", "capset", "setuid", "futex", "rt_sigreturn", "uname", "getcwd", "kexec_load", "bpf",
        "no_such_call", "ipc", "msgget", "statx", "open", "exit_group", "mmap",
};
static const char *const rand_actions[] = {
        "SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
        "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY",
};
static const char *const rand_defaults[] = {
        "SCMP_ACT_ERRNO", "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW", "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_LOG", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE",
};
static const char *const rand_ops[] = {
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};
static const uint64_t rand_values[] = {
        0, 1, 2, 8, 0x7e020000, 0x80000000, 0xffffffff, 0x100000000ull, UINT64_MAX,
};
static const char *const rand_arches[] = {
        "", "\"SCMP_ARCH_X86_64\"", "\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"",
        "\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"", "\"SCMP_ARCH_X86\"",
};

static void append(char **buf, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char **buf, size_t *len, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        *buf = realloc(*buf, *len + (size_t) n + 1);
        if (!*buf)
                abort();
        va_start(ap, fmt);
        vsnprintf(*buf + *len, (size_t) n + 1, fmt, ap);
        va_end(ap);
        *len += (size_t) n;
}

static char *random_base(void)
{
        char *b = NULL;
        size_t len = 0;
        const char *def = rand_defaults[rnd_below(ELEMENTSOF(rand_defaults))];
        append(&b, &len, "{\"defaultAction\":\"%s\"", def);
        if (rnd_below(3) == 0)
                append(&b, &len, ",\"defaultErrnoRet\":%zu", 1 + rnd_below(40));
        append(&b, &len, ",\"architectures\":[%s]", rand_arches[rnd_below(ELEMENTSOF(rand_arches))]);
        if (rnd_below(8) == 0)
                append(&b, &len, ",\"listenerPath\":\"/run/their-agent.sock\"");
        append(&b, &len, ",\"syscalls\":[");
        size_t n_rules = rnd_below(9);
        for (size_t r = 0; r < n_rules; r++) {
                const char *action = rand_actions[rnd_below(ELEMENTSOF(rand_actions))];
                append(&b, &len, "%s{\"names\":[", r ? "," : "");
                size_t n_names = 1 + rnd_below(3);
                for (size_t i = 0; i < n_names; i++) {
                        const char *name = pool[rnd_below(ELEMENTSOF(pool))];
                        /* runc refuses NOTIFY on write. */
                        if (strcmp(action, "SCMP_ACT_NOTIFY") == 0 && strcmp(name, "write") == 0)
                                name = "read";
                        append(&b, &len, "%s\"%s\"", i ? "," : "", name);
                }
                append(&b, &len, "],\"action\":\"%s\"", action);
                if (rnd_below(2) == 0)
                        append(&b, &len, ",\"errnoRet\":%zu", 1 + rnd_below(40));
                size_t n_args = rnd_below(3) == 0 ? 0 : rnd_below(3);
                if (n_args > 0) {
                        append(&b, &len, ",\"args\":[");
                        for (size_t a = 0; a < n_args; a++)
                                append(&b, &len,
                                       "%s{\"index\":%zu,\"value\":%" PRIu64 ",\"valueTwo\":%" PRIu64 ",\"op\":\"%s\"}",
                                       a ? "," : "", rnd_below(3), rand_values[rnd_below(ELEMENTSOF(rand_values))],
                                       rand_values[rnd_below(ELEMENTSOF(rand_values))],
                                       rand_ops[rnd_below(ELEMENTSOF(rand_ops))]);
                        append(&b, &len, "]");
                }
                append(&b, &len, "}");
        }
        append(&b, &len, "]}");
        return b;
}

static char *random_learned(void)
{
        char *b = NULL;
        size_t len = 0;
        append(&b, &len, "%s", "");
        for (size_t i = 0; i < ELEMENTSOF(pool); i++)
                if (rnd_below(2) == 0)
                        append(&b, &len, "%s%s", len ? " " : "", pool[i]);
        return b;
}

#define RANDOM_BASES 120

static void run_random_cases(void)
{
        for (int i = 0; i < RANDOM_BASES; i++) {
                _cleanup_free_ char *text = random_base(), *l1 = random_learned(), *l2 = random_learned();
                _cleanup_seccomp_ osl_seccomp *base = NULL;
                char label[64];
                snprintf(label, sizeof(label), "random base %d", i);
                base = parse(label, text);
                if (!base)
                        continue;
                const char *lists[] = { l1, l2, "" };
                size_t before = testing_failures;
                check_base(label, base, base, lists, ELEMENTSOF(lists));
                if ((size_t) testing_failures != before)
                        fprintf(stderr, "%s was: %s\n", label, text);
        }
}

int main(void)
{
        run_hand_cases();
        run_containers_common();
        run_random_cases();
        printf("%zu bases (%zu configs refused), %zu filters E built and compiled, %zu (base, learned, outside, "
               "arch, syscall, args) cases evaluated, %zu under a stated exception, %zu differing only through "
               "libseccomp's missing load (X5)\n",
               total.bases, total.configs_refused, total.filters, total.evaluations, total.excepted,
               total.libseccomp_defect);
        for (size_t p = 0; p < ELEMENTSOF(property_name); p++)
                printf("%s: %zu violations\n", property_name[p], total.violations[p]);
        return testing_result();
}
