/* SPDX-License-Identifier: Apache-2.0 */
#include "learn_filter.h"

#include <seccomp.h>
#include <string.h>

#include "caps.h"
#include "syscalls.h"

#define ACT_ALLOW "SCMP_ACT_ALLOW"
#define ACT_NOTIFY "SCMP_ACT_NOTIFY"
#define ACT_LOG "SCMP_ACT_LOG"

bool osl_syscall_is_exec(const char *name)
{
        return strcmp(name, "execve") == 0 || strcmp(name, "execveat") == 0;
}

static bool can_notify(const char *name)
{
        return !osl_syscall_never_notified(name);
}

bool osl_seccomp_action_permits(const char *action)
{
        static const char *const permitting[] = { ACT_ALLOW, ACT_NOTIFY, "SCMP_ACT_LOG", "SCMP_ACT_TRACE" };
        for (size_t i = 0; action && i < ELEMENTSOF(permitting); i++)
                if (strcmp(action, permitting[i]) == 0)
                        return true;
        return false;
}

bool osl_seccomp_uses_notify(const osl_seccomp *s)
{
        for (size_t i = 0; i < s->n_rules; i++)
                if (strcmp(s->rules[i].action, ACT_NOTIFY) == 0)
                        return true;
        return false;
}

/* A syscall that the base names in exactly one rule, a denial with exactly
 * one argument condition (a deny list's "no CLONE_NEWUSER"): that rule, else
 * NULL. */
static const osl_seccomp_rule *sole_conditional_denial(const osl_seccomp *base, const char *name)
{
        const osl_seccomp_rule *found = NULL;
        for (size_t i = 0; i < base->n_rules; i++) {
                if (!osl_strv_contains(base->rules[i].names, name))
                        continue;
                if (found)
                        return NULL;
                found = &base->rules[i];
        }
        if (!found || found->n_args != 1 || osl_seccomp_action_permits(found->action))
                return NULL;
        return found;
}

static int add_condition_rule(osl_seccomp *f, const char *name, const char *action, uint32_t index, const char *op,
                              uint64_t value, uint64_t value_two, osl_error *err)
{
        char *names[] = { (char *) name, NULL };
        int r = osl_seccomp_add_rule(f, names, 1, action, err);
        if (r < 0)
                return r;
        osl_seccomp_rule *rule = &f->rules[f->n_rules - 1];
        if (!(rule->args = calloc(1, sizeof(*rule->args))) || !(rule->args[0].op = strdup(op)))
                return osl_err(err, -ENOMEM, "out of memory");
        rule->n_args = 1;
        rule->args[0].index = index;
        rule->args[0].value = value;
        rule->args[0].value_two = value_two;
        return 0;
}

/* Where the base's default permits, the calls of name that fall through its
 * one conditional denial, as rules with action: the denial's condition
 * negated. An unconditional rule would override the denial in libseccomp.
 * 1 when the condition has no exact negation here. */
static int add_fall_through(osl_seccomp *f, const char *name, const osl_seccomp_rule *denial, const char *action,
                            osl_error *err)
{
        static const struct {
                const char *op, *negated;
        } negations[] = {
                { "SCMP_CMP_EQ", "SCMP_CMP_NE" }, { "SCMP_CMP_NE", "SCMP_CMP_EQ" },
                { "SCMP_CMP_LT", "SCMP_CMP_GE" }, { "SCMP_CMP_GE", "SCMP_CMP_LT" },
                { "SCMP_CMP_LE", "SCMP_CMP_GT" }, { "SCMP_CMP_GT", "SCMP_CMP_LE" },
        };
        const osl_seccomp_arg *c = &denial->args[0];
        if (strcmp(c->op, "SCMP_CMP_MASKED_EQ") == 0) {
                /* (arg & mask) != datum: some bit of mask differs from datum. */
                uint64_t mask = c->value, datum = c->value_two;
                if (mask == 0 || (datum & ~mask) != 0)
                        return 1;
                for (unsigned b = 0; b < 64; b++) {
                        uint64_t bit = UINT64_C(1) << b;
                        int r;
                        if ((mask & bit) &&
                            (r = add_condition_rule(f, name, action, c->index, "SCMP_CMP_MASKED_EQ", bit, ~datum & bit, err)) < 0)
                                return r;
                }
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(negations); i++)
                if (strcmp(c->op, negations[i].op) == 0)
                        return add_condition_rule(f, name, action, c->index, negations[i].negated, c->value, c->value_two,
                                                  err);
        return 1;
}

int osl_learn_filter_build(const osl_learn_filter_input *in, osl_seccomp **out, size_t *n_notified,
                           osl_error *err)
{
        const osl_seccomp *base = in->base;
        const osl_learned nothing = {};

        if (base && (base->listener_path || base->listener_metadata))
                return osl_err(err, -EEXIST, "the container's seccomp profile already hands notifications to %s",
                               base->listener_path ? base->listener_path : "another agent");
        if (base && osl_seccomp_uses_notify(base))
                return osl_err(err, -EEXIST, "the container's seccomp profile already uses SCMP_ACT_NOTIFY");
        /* Learning is complain mode against what is stored so far: the base's
         * denials stay, what it allows and the profile lacks is notified. */
        osl_profile_filter_input p = {
                .base = base,
                .learned = in->learned ? in->learned : &nothing,
                .outside_action = in->log ? ACT_LOG : ACT_NOTIFY,
                .listener_path = in->listener_path,
                .listener_metadata = in->listener_metadata,
                .learning = true,
                .learning_log = in->log,
                .log_write = in->log_write && !in->log,
        };
        return osl_profile_filter_build(&p, out, n_notified, err);
}

/* ---- complain and enforce: the base ∩ the learned profile ---- */

static bool learned_name(const osl_learned *l, const char *name)
{
        for (size_t i = 0; i < l->n_syscalls; i++)
                if (strcmp(l->syscalls[i].name, name) == 0)
                        return true;
        return false;
}

/* Inside the profile: learned; in complain and enforce also implied for
 * every application, predicted (--include predicted), or in the family of a
 * learned syscall. */
static bool inside_profile(const osl_profile_filter_input *in, const char *name)
{
        if (learned_name(in->learned, name))
                return true;
        if (in->learning)
                return false;
        if (osl_syscall_implied_for_application(name) || osl_strv_contains(in->predicted, name))
                return true;
        const osl_family *family = in->generalize == OSL_GENERALIZE_FAMILIES ? osl_family_of(name) : NULL;
        for (const char *const *m = family ? family->members : NULL; m && *m; m++)
                if (learned_name(in->learned, *m))
                        return true;
        return false;
}

/* enforce with no base: the learned syscalls (osl_learned_to_seccomp) and
 * the rest of what is inside the profile, nothing else. */
static int enforce_alone(const osl_profile_filter_input *in, osl_seccomp **out, osl_error *err)
{
        _cleanup_seccomp_ osl_seccomp *f = NULL;
        _cleanup_strv_ char **all = NULL, **more = NULL, **arches = NULL;
        size_t n_all = 0, n_more = 0, n_arches = 0;
        int r = osl_learned_to_seccomp(in->learned, in->outside_action, in->outside_errno, &f, err);
        if (r < 0)
                return r;
        if (f->n_architectures == 0 && (r = osl_arch_native_set(&arches, &n_arches, err)) < 0)
                return r;
        r = f->n_architectures > 0 ? osl_syscall_all_names(f->architectures, f->n_architectures, &all, &n_all, err)
                                   : osl_syscall_all_names(arches, n_arches, &all, &n_all, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_all; i++)
                if (!learned_name(in->learned, all[i]) && inside_profile(in, all[i]) &&
                    osl_strv_push(&more, &n_more, all[i]) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        if (n_more > 0 && (r = osl_seccomp_add_rule(f, more, n_more, ACT_ALLOW, err)) < 0)
                return r;
        if (!inside_profile(in, "clone3")) {
                char *clone3[] = { (char *) "clone3", NULL };
                if ((r = osl_seccomp_add_rule(f, clone3, 1, "SCMP_ACT_ERRNO", err)) < 0)
                        return r;
                f->rules[f->n_rules - 1].has_errno_ret = true;
                f->rules[f->n_rules - 1].errno_ret = ENOSYS;
        }
        *out = TAKE_PTR(f);
        return 0;
}

typedef struct intersection {
        const osl_profile_filter_input *in;
        const osl_seccomp *base; /* in->base, or "no filter" */
        osl_seccomp *f;
        bool notify;          /* complain through the agent */
        bool exec_notify;     /* learning through LOG: exec is still notified */
        bool enforce;         /* the outside action denies */
        /* Names in the base's rules that take effect: in an unconditional
         * rule (settled), or only in conditional ones. */
        char **settled, **conditional;
        size_t outside; /* names given the outside action */
} intersection;

/* The action a runtime installs: runc and crun read SCMP_ACT_KILL as
 * KILL_THREAD and a missing errnoRet as EPERM. */
static uint32_t runtime_action(const char *action, bool has_errno, uint32_t errno_ret)
{
        uint16_t data = has_errno ? (uint16_t) errno_ret : EPERM;
        if (strcmp(action, "SCMP_ACT_KILL") == 0 || strcmp(action, "SCMP_ACT_KILL_THREAD") == 0)
                return SCMP_ACT_KILL_THREAD;
        if (strcmp(action, "SCMP_ACT_KILL_PROCESS") == 0)
                return SCMP_ACT_KILL_PROCESS;
        if (strcmp(action, "SCMP_ACT_ERRNO") == 0)
                return SCMP_ACT_ERRNO(data);
        if (strcmp(action, "SCMP_ACT_TRAP") == 0)
                return SCMP_ACT_TRAP;
        if (strcmp(action, "SCMP_ACT_TRACE") == 0)
                return SCMP_ACT_TRACE(data);
        if (strcmp(action, "SCMP_ACT_LOG") == 0)
                return SCMP_ACT_LOG;
        if (strcmp(action, ACT_NOTIFY) == 0)
                return SCMP_ACT_NOTIFY;
        return SCMP_ACT_ALLOW;
}

/* runc and crun skip a rule whose action is the default action (libseccomp
 * refuses it): it does nothing, and it settles nothing. */
static bool rule_is_noop(const osl_seccomp *base, const osl_seccomp_rule *rule)
{
        return runtime_action(rule->action, rule->has_errno_ret, rule->errno_ret) ==
               runtime_action(base->default_action, base->has_default_errno_ret, base->default_errno_ret);
}

/* TRACE: the tracer decides (with none, the call fails with ENOSYS); NOTIFY
 * in the base: the container's own agent decides. complain keeps such rules
 * as they are; enforce still denies what the profile lacks. */
static bool decided_elsewhere(const char *action)
{
        return strcmp(action, "SCMP_ACT_TRACE") == 0 || strcmp(action, ACT_NOTIFY) == 0;
}

static int base_names(intersection *x, osl_error *err)
{
        size_t n_settled = 0, n_conditional = 0;
        for (size_t i = 0; i < x->base->n_rules; i++) {
                const osl_seccomp_rule *rule = &x->base->rules[i];
                if (rule_is_noop(x->base, rule))
                        continue;
                for (size_t j = 0; j < rule->n_names; j++) {
                        char ***list = rule->n_args == 0 ? &x->settled : &x->conditional;
                        size_t *n = rule->n_args == 0 ? &n_settled : &n_conditional;
                        if (!osl_strv_contains(*list, rule->names[j]) && osl_strv_push(list, n, rule->names[j]) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                }
        }
        return 0;
}

static void intersection_clear(intersection *x)
{
        strvfreep(&x->settled);
        strvfreep(&x->conditional);
}

/* The action for a call outside the profile. NOTIFY is not possible on
 * every syscall (learn_filter.h): those are logged instead. */
static const char *outside_action(const intersection *x, const char *name)
{
        if (x->exec_notify && osl_syscall_is_exec(name))
                return ACT_NOTIFY;
        if (x->notify && x->in->log_write && strcmp(name, "write") == 0)
                return ACT_LOG;
        if (x->notify && !can_notify(name))
                return x->in->learning ? ACT_ALLOW : ACT_LOG;
        return x->in->outside_action;
}

/* A learned syscall the base allows: as the base allows it, except that
 * complain still notifies exec and capability-relevant calls, so that a new
 * capability use is seen (as the learning filter does). */
static const char *inside_action(const intersection *x, const char *name, const char *base_action)
{
        if (x->exec_notify && strcmp(base_action, ACT_ALLOW) == 0 && osl_syscall_is_exec(name))
                return ACT_NOTIFY;
        if (x->notify && strcmp(base_action, ACT_ALLOW) == 0 && can_notify(name) &&
            (osl_syscall_is_exec(name) || osl_caps_syscall_relevant(name)))
                return ACT_NOTIFY;
        return base_action;
}

/* What *n_outside counts: the names outside the profile that are not
 * simply allowed, and for the learning filter every name it notifies. */
static bool counted(const intersection *x, bool inside, const char *action)
{
        if (inside)
                return x->in->learning && strcmp(action, ACT_NOTIFY) == 0;
        return strcmp(action, ACT_ALLOW) != 0;
}

/* Adds names with action and like's conditions; rules with the outside
 * action get its errno. In enforce, clone3 outside the profile is answered
 * ENOSYS whatever the outside action, as containers-common's default does:
 * glibc (2.34 and later) tries clone3 first and falls back to clone only on
 * ENOSYS, so a learned clone keeps working (doc/quality.md), and clone's own
 * rules, with the base's argument conditions, still decide. */
static int add_group(intersection *x, char **names, size_t n, const char *action, const osl_seccomp_rule *like,
                     osl_error *err)
{
        bool outside = strcmp(action, x->in->outside_action) == 0 && (!like || strcmp(like->action, action) != 0);
        if (n == 0)
                return 0;
        /* enforce answers clone3 with ENOSYS: its own rule. */
        if (outside && x->enforce && n > 1 && osl_strv_contains(names, "clone3")) {
                _cleanup_strv_ char **others = NULL;
                size_t n_others = 0;
                for (size_t i = 0; i < n; i++)
                        if (strcmp(names[i], "clone3") != 0 && osl_strv_push(&others, &n_others, names[i]) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                char *clone3[] = { (char *) "clone3", NULL };
                int r = add_group(x, others, n_others, action, like, err);
                return r < 0 ? r : add_group(x, clone3, 1, action, like, err);
        }
        bool enosys = outside && x->enforce && n == 1 && strcmp(names[0], "clone3") == 0;
        int r = osl_seccomp_add_rule_like(x->f, names, n, enosys ? "SCMP_ACT_ERRNO" : action, like, err);
        if (r < 0)
                return r;
        osl_seccomp_rule *added = &x->f->rules[x->f->n_rules - 1];
        if (enosys) {
                added->has_errno_ret = true;
                added->errno_ret = ENOSYS;
        } else if (outside) {
                added->has_errno_ret = strcmp(action, "SCMP_ACT_ERRNO") == 0;
                added->errno_ret = added->has_errno_ret ? x->in->outside_errno : 0;
        }
        return 0;
}

/* Names of one rule that share an action. */
typedef struct name_group {
        const char *action;
        char **names;
        size_t n;
} name_group;

/* At most four per rule: as the base, notified, outside, logged outside. */
#define MAX_GROUPS 4
static void name_groups_free(name_group (*groups)[MAX_GROUPS])
{
        for (size_t i = 0; i < MAX_GROUPS; i++)
                strvfreep(&(*groups)[i].names);
}

/* One rule of the base. Rules that deny are copied; the names of a rule that
 * permits are split by action, each group keeping the rule's conditions. */
static int intersect_rule(intersection *x, const osl_seccomp_rule *src, osl_error *err)
{
        _cleanup_(name_groups_free) name_group groups[MAX_GROUPS] = {};

        /* Kept as it is: runc skips it again, and its names still count for
         * runc's -ENOSYS stub. */
        if (rule_is_noop(x->base, src))
                return add_group(x, src->names, src->n_names, src->action, src, err);
        if (!osl_seccomp_action_permits(src->action) || (!x->enforce && decided_elsewhere(src->action)))
                return add_group(x, src->names, src->n_names, src->action, src, err);
        for (size_t i = 0; i < src->n_names; i++) {
                const char *name = src->names[i];
                bool inside = inside_profile(x->in, name);
                const char *action = inside ? inside_action(x, name, src->action) : outside_action(x, name);
                /* What learning lets through unreported stays as the base
                 * has it (a LOG rule logs): an ALLOW rule, equal to an
                 * ALLOW default, is dropped by libseccomp, and a later rule
                 * on the name would decide instead. */
                if (!inside && x->in->learning && strcmp(action, ACT_ALLOW) == 0)
                        action = src->action;
                size_t g = 0;
                while (groups[g].action && strcmp(groups[g].action, action) != 0)
                        g++;
                groups[g].action = action;
                if (osl_strv_push(&groups[g].names, &groups[g].n, name) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if (counted(x, inside, action))
                        x->outside++;
        }
        for (size_t g = 0; g < MAX_GROUPS && groups[g].action; g++) {
                int r = add_group(x, groups[g].names, groups[g].n, groups[g].action, src, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* libseccomp filters the socket and SysV IPC calls of x86 (and s390, ...)
 * as conditional rules on these multiplexers: an unconditional rule on one
 * would override whatever the base says about the calls it carries. */
static bool multiplexes(const char *name)
{
        return strcmp(name, "socketcall") == 0 || strcmp(name, "ipc") == 0;
}

/* Where the base's default action permits, the names its rules do not
 * settle: every syscall outside the profile gets the outside action. A
 * syscall the base names only in conditional rules falls through to the
 * default; an unconditional outside rule would override those conditions in
 * libseccomp, so it is added only when the outside action denies (then
 * every call of it is denied, which is what the base ∩ the profile asks).
 * In complain, what falls through its one conditional denial is reported
 * through the negated condition (add_fall_through). */
static int intersect_default(intersection *x, char *const *arches, size_t n_arches, osl_error *err)
{
        const osl_seccomp *base = x->base;
        _cleanup_strv_ char **all = NULL;
        size_t n_all = 0;
        int r = osl_syscall_all_names(arches, n_arches, &all, &n_all, err);
        if (r < 0)
                return r;
        for (size_t i = 0; x->conditional && x->conditional[i]; i++) {
                char **name = &x->conditional[i];
                const osl_seccomp_rule *denial;
                if (osl_strv_contains(x->settled, *name) || inside_profile(x->in, *name))
                        continue;
                if (x->enforce)
                        r = add_group(x, name, 1, outside_action(x, *name), NULL, err);
                else if ((denial = sole_conditional_denial(base, *name)))
                        r = add_fall_through(x->f, *name, denial, outside_action(x, *name), err);
                else
                        r = 1;
                if (r < 0)
                        return r;
                x->outside += r == 0;
        }
        for (size_t i = 0; i < n_all; i++) {
                const char *name = all[i], *action;
                if (osl_strv_contains(x->settled, name) || osl_strv_contains(x->conditional, name))
                        continue;
                if (inside_profile(x->in, name)) {
                        action = inside_action(x, name, base->default_action);
                        if (strcmp(action, base->default_action) == 0)
                                continue; /* the default allows it */
                        x->outside += counted(x, true, action);
                        if ((r = add_group(x, &all[i], 1, action, NULL, err)) < 0)
                                return r;
                        continue;
                }
                action = outside_action(x, name);
                if (x->in->learning && strcmp(action, ACT_ALLOW) == 0)
                        action = base->default_action;
                if (strcmp(action, base->default_action) == 0)
                        continue; /* learning lets what it cannot notify fall to the default */
                x->outside++;
                if (!x->enforce && multiplexes(name))
                        continue;
                if ((r = add_group(x, &all[i], 1, action, NULL, err)) < 0)
                        return r;
        }
        return 0;
}

/* The learning filter with no base learns on the native architecture, and
 * on a companion (x86 and x32 next to x86_64) only once the stored profile
 * holds a call of it: runc compiles every name on every architecture listed
 * in runc init, on every start (doc/learning.md, "Architectures"). Drops the
 * other companions from arches (osl_arch_native_set: native first). */
static void learning_companions(const osl_learned *learned, char **arches, size_t *n_arches)
{
        size_t kept = 1;
        for (size_t i = 1; i < *n_arches; i++) {
                bool needed = false;
                for (size_t j = 0; j < learned->n_syscalls && !needed; j++)
                        needed = strcmp(learned->syscalls[j].arch, arches[i]) == 0;
                if (needed)
                        arches[kept++] = arches[i];
                else
                        free(arches[i]);
        }
        arches[kept] = NULL;
        *n_arches = kept;
}

int osl_profile_filter_build(const osl_profile_filter_input *in, osl_seccomp **out, size_t *n_outside,
                             osl_error *err)
{
        _cleanup_seccomp_ osl_seccomp *f = NULL, *allow_all = NULL;
        _cleanup_strv_ char **arches = NULL;
        size_t n_arches = 0;
        const osl_seccomp *base = in->base;
        bool notify = strcmp(in->outside_action, ACT_NOTIFY) == 0;
        bool enforce = !osl_seccomp_action_permits(in->outside_action);
        bool exec_notify = in->learning && in->learning_log;
        int r;

        if (!osl_seccomp_action_valid(in->outside_action) || strcmp(in->outside_action, ACT_ALLOW) == 0)
                return osl_err(err, -EINVAL, "\"%s\" cannot be the action outside the profile", in->outside_action);
        /* One listener per filter: ours would answer the base's own
         * notifications. */
        if ((notify || exec_notify) && base && base->listener_path)
                return osl_err(err, -EEXIST, "the container's seccomp profile already hands notifications to %s",
                               base->listener_path);
        /* runc would not start it; with our listener it would. */
        if (base && !base->listener_path && osl_seccomp_uses_notify(base))
                return osl_err(err, -EINVAL,
                               "the container's seccomp profile uses SCMP_ACT_NOTIFY but has no listenerPath");
        if (!base) {
                /* No base: what the container had is no filter at all. */
                if (enforce) {
                        if (n_outside)
                                *n_outside = 0;
                        return enforce_alone(in, out, err);
                }
                if (!(allow_all = osl_seccomp_new()) || !(allow_all->default_action = strdup(ACT_ALLOW)))
                        return osl_err(err, -ENOMEM, "out of memory");
                base = allow_all;
        }

        f = osl_seccomp_dup(base);
        if (!f)
                return osl_err(err, -ENOMEM, "out of memory");
        _cleanup_seccomp_ osl_seccomp *old_rules = osl_seccomp_new();
        if (!old_rules)
                return osl_err(err, -ENOMEM, "out of memory");
        /* The rules are rebuilt below from the base's. */
        old_rules->rules = TAKE_PTR(f->rules);
        old_rules->n_rules = f->n_rules;
        f->n_rules = 0;
        if (notify || exec_notify) {
                free(f->listener_path);
                free(f->listener_metadata);
                f->listener_path = osl_strdup(in->listener_path);
                f->listener_metadata = osl_strdup(in->listener_metadata);
                if (!f->listener_path || (in->listener_metadata && !f->listener_metadata))
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        /* The runtime's filter always holds the native architecture. */
        if ((r = osl_arch_native_set(&arches, &n_arches, err)) < 0)
                return r;
        if (in->learning && base == allow_all)
                learning_companions(in->learned, arches, &n_arches);
        if (base->n_architectures > 0) {
                strvfreep(&arches);
                n_arches = 0;
                if (osl_strv_push(&arches, &n_arches, osl_arch_native()) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                for (size_t i = 0; i < base->n_architectures; i++)
                        if (osl_strv_push(&arches, &n_arches, base->architectures[i]) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
        }

        /* The synthetic base of "no filter" covers every architecture the
         * kernel runs here, as no filter did. */
        for (size_t i = 0; base == allow_all && i < n_arches; i++)
                if (osl_strv_push(&f->architectures, &f->n_architectures, arches[i]) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");

        _cleanup_(intersection_clear) intersection x = { .in = in, .base = base, .f = f, .notify = notify,
                                                          .exec_notify = exec_notify, .enforce = enforce };
        if ((r = base_names(&x, err)) < 0)
                return r;
        bool default_permits = osl_seccomp_action_permits(base->default_action);
        for (size_t i = 0; i < base->n_rules; i++)
                if ((r = intersect_rule(&x, &base->rules[i], err)) < 0)
                        return r;
        /* complain leaves a tracer's default to the tracer. */
        if (default_permits && (enforce || !decided_elsewhere(base->default_action)) &&
            (r = intersect_default(&x, arches, n_arches, err)) < 0)
                return r;
        if (n_outside)
                *n_outside = x.outside;
        *out = TAKE_PTR(f);
        return 0;
}
