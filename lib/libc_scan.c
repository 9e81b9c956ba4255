/* SPDX-License-Identifier: Apache-2.0 */
/* The syscalls behind a C library's exported functions (libc_scan.h).
 *
 * 1. A linear sweep over the executable sections keeps, per instruction,
 *    only what the analysis needs: its kind (syscall, direct call or jump,
 *    other branch), its direct target, and its effect on rax and the six
 *    argument registers (set to a constant, copied from another tracked
 *    register, or clobbered).
 * 2. Functions are the regions between known starts: exported and local
 *    symbols and every direct call target.
 * 3. For every syscall instruction, the value of rax is traced back through
 *    its basic block and the blocks before it: a constant is a syscall
 *    number; an argument register at the function's entry makes it a
 *    "syscall number in argument R" function (glibc's syscall(), musl's
 *    __syscall_cp). Calls to those are traced the same way at each call
 *    site, to a fixpoint.
 * 4. Each exported function gets the syscalls of the functions it reaches
 *    by direct calls and jumps, up to OSL_LIBC_CALL_DEPTH. */
#include "libc_scan.h"

#include <capstone/capstone.h>
#include <gelf.h>
#include <libelf.h>
#include <seccomp.h>
#include <string.h>

#include "syscalls.h"

/* rax, the six argument registers, then the rest of the general ones. */
enum { REG_AX, REG_DI, REG_SI, REG_DX, REG_CX, REG_R8, REG_R9, N_ARG_REGS, REG_R10 = N_ARG_REGS, REG_R11, REG_BX,
       REG_BP, REG_R12, REG_R13, REG_R14, REG_R15, N_REGS, REG_NONE = 0xff };
#define CALLER_SAVED ((uint16_t) ((1u << REG_AX) | 0x7e | (1u << REG_R10) | (1u << REG_R11)))

enum insn_kind {
        K_OTHER,
        K_SYSCALL,
        K_CALL,   /* direct call: target set */
        K_JMP,    /* direct unconditional jump: target set */
        K_JCC,    /* direct conditional jump: target set */
        K_END,    /* anything else that ends a block: ret, indirect branch, hlt, ud2 */
};

enum src_kind { SRC_NONE, SRC_IMM, SRC_REG };

typedef struct insn {
        uint64_t addr, target;
        int64_t imm;
        uint8_t kind;
        uint16_t writes; /* bit mask of tracked registers written */
        uint8_t dst;     /* for a recognised mov/xor: the register set */
        uint8_t src;     /* enum src_kind */
        uint8_t src_reg; /* SRC_REG: the register copied */
        bool pad;        /* nop or int3: alignment between functions */
} insn;

typedef struct func {
        uint64_t start;
        uint64_t *nrs;           /* syscall numbers it makes itself */
        size_t n_nrs;
        uint8_t nr_args;         /* bit mask: the syscall number comes in argument register R */
        size_t *callees;         /* function indices reached by direct call/jump */
        size_t n_callees;
        size_t *sites;           /* the insn index of each call/jump, parallel to callees */
} func;

typedef struct scan {
        insn *insns;
        size_t n_insns, cap_insns;
        uint64_t *starts; /* function starts, sorted, unique */
        size_t n_starts;
        uint64_t *targets; /* direct branch targets, sorted, unique: block starts */
        size_t n_targets;
        struct pred {
                uint64_t target;
                size_t site; /* index of the jump */
        } *preds; /* direct jumps (not calls), sorted by target */
        size_t n_preds;
        func *funcs; /* one per start */
        struct export {
                char *name;
                uint64_t addr;
        } *exports;
        size_t n_exports;
} scan;

static void scan_clear(scan *s)
{
        free(s->insns);
        free(s->starts);
        free(s->targets);
        free(s->preds);
        for (size_t i = 0; s->funcs && i < s->n_starts; i++) {
                free(s->funcs[i].nrs);
                free(s->funcs[i].callees);
                free(s->funcs[i].sites);
        }
        free(s->funcs);
        for (size_t i = 0; i < s->n_exports; i++)
                free(s->exports[i].name);
        free(s->exports);
}

void osl_libc_map_free(osl_libc_map *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->n_functions; i++) {
                free(m->functions[i].name);
                strvfreep(&m->functions[i].syscalls);
        }
        free(m->functions);
        free(m);
}

static int fn_cmp(const void *a, const void *b)
{
        return strcmp(((const osl_libc_function *) a)->name, ((const osl_libc_function *) b)->name);
}

const osl_libc_function *osl_libc_map_find(const osl_libc_map *m, const char *name)
{
        osl_libc_function key = { .name = (char *) name };
        return m && m->n_functions ? bsearch(&key, m->functions, m->n_functions, sizeof(key), fn_cmp) : NULL;
}

static int u64_cmp(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static size_t sort_unique(uint64_t *v, size_t n)
{
        size_t out = 0;
        if (n == 0)
                return 0;
        qsort(v, n, sizeof(*v), u64_cmp);
        for (size_t i = 0; i < n; i++)
                if (out == 0 || v[out - 1] != v[i])
                        v[out++] = v[i];
        return out;
}

static int push_u64(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
        if (*n == *cap) {
                size_t c = *cap ? *cap * 2 : 256;
                uint64_t *g = realloc(*v, c * sizeof(**v));
                if (!g)
                        return -ENOMEM;
                *v = g;
                *cap = c;
        }
        (*v)[(*n)++] = x;
        return 0;
}

static uint8_t tracked(unsigned reg)
{
        switch (reg) {
        case X86_REG_RAX: case X86_REG_EAX: case X86_REG_AX: case X86_REG_AH: case X86_REG_AL:
                return REG_AX;
        case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
                return REG_DI;
        case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
                return REG_SI;
        case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DH: case X86_REG_DL:
                return REG_DX;
        case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CH: case X86_REG_CL:
                return REG_CX;
        case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B:
                return REG_R8;
        case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B:
                return REG_R9;
        case X86_REG_R10: case X86_REG_R10D: case X86_REG_R10W: case X86_REG_R10B:
                return REG_R10;
        case X86_REG_R11: case X86_REG_R11D: case X86_REG_R11W: case X86_REG_R11B:
                return REG_R11;
        case X86_REG_RBX: case X86_REG_EBX: case X86_REG_BX: case X86_REG_BH: case X86_REG_BL:
                return REG_BX;
        case X86_REG_RBP: case X86_REG_EBP: case X86_REG_BP: case X86_REG_BPL:
                return REG_BP;
        case X86_REG_R12: case X86_REG_R12D: case X86_REG_R12W: case X86_REG_R12B:
                return REG_R12;
        case X86_REG_R13: case X86_REG_R13D: case X86_REG_R13W: case X86_REG_R13B:
                return REG_R13;
        case X86_REG_R14: case X86_REG_R14D: case X86_REG_R14W: case X86_REG_R14B:
                return REG_R14;
        case X86_REG_R15: case X86_REG_R15D: case X86_REG_R15W: case X86_REG_R15B:
                return REG_R15;
        default:
                return REG_NONE;
        }
}

/* Whole 32- or 64-bit registers only: a byte or word move leaves the rest. */
static bool full_width(unsigned reg)
{
        switch (reg) {
        case X86_REG_RAX: case X86_REG_EAX: case X86_REG_RDI: case X86_REG_EDI: case X86_REG_RSI:
        case X86_REG_ESI: case X86_REG_RDX: case X86_REG_EDX: case X86_REG_RCX: case X86_REG_ECX:
        case X86_REG_R8: case X86_REG_R8D: case X86_REG_R9: case X86_REG_R9D: case X86_REG_R10:
        case X86_REG_R10D: case X86_REG_R11: case X86_REG_R11D: case X86_REG_RBX: case X86_REG_EBX:
        case X86_REG_RBP: case X86_REG_EBP: case X86_REG_R12: case X86_REG_R12D: case X86_REG_R13:
        case X86_REG_R13D: case X86_REG_R14: case X86_REG_R14D: case X86_REG_R15: case X86_REG_R15D:
                return true;
        default:
                return false;
        }
}

static void decode(csh h, const cs_insn *ci, insn *out)
{
        const cs_x86 *x = &ci->detail->x86;
        cs_regs rd, wr;
        uint8_t n_rd = 0, n_wr = 0;

        *out = (insn) { .addr = ci->address, .dst = REG_NONE, .src_reg = REG_NONE,
                        .pad = ci->id == X86_INS_NOP || ci->id == X86_INS_INT3 };
        if (cs_regs_access(h, ci, rd, &n_rd, wr, &n_wr) == CS_ERR_OK)
                for (uint8_t i = 0; i < n_wr; i++) {
                        uint8_t t = tracked(wr[i]);
                        if (t != REG_NONE)
                                out->writes |= (uint16_t) (1u << t);
                }
        if (ci->id == X86_INS_SYSCALL) {
                out->kind = K_SYSCALL;
                out->writes |= 1u << REG_AX | 1u << REG_CX | 1u << REG_R11;
                return;
        }
        bool call = cs_insn_group(h, ci, X86_GRP_CALL), jump = cs_insn_group(h, ci, X86_GRP_JUMP);
        if (call || jump) {
                if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
                        out->target = (uint64_t) x->operands[0].imm;
                        out->kind = call ? K_CALL : ci->id == X86_INS_JMP ? K_JMP : K_JCC;
                } else
                        out->kind = call ? K_CALL : K_END; /* an indirect call returns; target 0 */
                if (call)
                        out->writes = CALLER_SAVED; /* the callee may change those */
                return;
        }
        if (cs_insn_group(h, ci, X86_GRP_RET) || cs_insn_group(h, ci, X86_GRP_INT) || ci->id == X86_INS_HLT ||
            ci->id == X86_INS_UD2) {
                out->kind = K_END;
                return;
        }
        if (x->op_count != 2 || x->operands[0].type != X86_OP_REG)
                return;
        unsigned dreg = x->operands[0].reg;
        uint8_t d = tracked(dreg);
        if (d == REG_NONE || !full_width(dreg))
                return;
        const cs_x86_op *s = &x->operands[1];
        if (ci->id == X86_INS_MOV && s->type == X86_OP_IMM) {
                out->dst = d;
                out->src = SRC_IMM;
                out->imm = s->imm;
        } else if (ci->id == X86_INS_XOR && s->type == X86_OP_REG && s->reg == dreg) {
                out->dst = d;
                out->src = SRC_IMM;
                out->imm = 0;
        } else if ((ci->id == X86_INS_MOV || ci->id == X86_INS_MOVSXD) && s->type == X86_OP_REG &&
                   tracked(s->reg) != REG_NONE && full_width(s->reg)) {
                out->dst = d;
                out->src = SRC_REG;
                out->src_reg = tracked(s->reg);
        }
}

static size_t insn_index(const scan *s, uint64_t addr);

static bool is_target(const scan *s, uint64_t addr)
{
        return s->n_targets && bsearch(&addr, s->targets, s->n_targets, sizeof(addr), u64_cmp);
}

static bool is_start(const scan *s, uint64_t addr)
{
        return s->n_starts && bsearch(&addr, s->starts, s->n_starts, sizeof(addr), u64_cmp);
}

static size_t insn_index(const scan *s, uint64_t addr)
{
        size_t lo = 0, hi = s->n_insns;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (s->insns[mid].addr < addr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < s->n_insns && s->insns[lo].addr == addr ? lo : SIZE_MAX;
}

static size_t func_of(const scan *s, uint64_t addr);

static bool block_starts_at(const scan *s, size_t i)
{
        const insn *cur = &s->insns[i], *prev = &s->insns[i - 1];
        /* A block starts at a branch target, after a branch, and where the
         * sweep left a gap (data in the code, another section). */
        return is_target(s, cur->addr) || is_start(s, cur->addr) || prev->kind != K_OTHER || prev->addr >= cur->addr ||
               cur->addr - prev->addr > 15;
}

/* The values a register may hold: constants, or what argument registers
 * held when the function was entered. */
typedef struct vals {
        int64_t imm[16];
        size_t n_imm;
        uint8_t args; /* bit mask of argument registers */
} vals;

static void vals_add(vals *v, int64_t x)
{
        for (size_t i = 0; i < v->n_imm; i++)
                if (v->imm[i] == x)
                        return;
        if (v->n_imm < ELEMENTSOF(v->imm))
                v->imm[v->n_imm++] = x;
}

/* Where the direct branches to an address come from. */
static void preds_of(const scan *s, uint64_t addr, size_t *first, size_t *end)
{
        size_t lo = 0, hi = s->n_preds;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (s->preds[mid].target < addr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *first = lo;
        while (lo < s->n_preds && s->preds[lo].target == addr)
                lo++;
        *end = lo;
}

/* Adds to out what register reg may hold just before insns[i], following
 * moves back through the basic block and then into every predecessor
 * block (the fall-through and each direct branch), at most *budget blocks.
 * at_edge: insns[i - 1] is reached from a predecessor, do not stop at i. */
static void trace(const scan *s, size_t i, uint8_t reg, int *budget, vals *out, bool at_edge)
{
        if (--*budget < 0)
                return;
        for (;;) {
                if (i == 0)
                        return;
                if (!at_edge && block_starts_at(s, i))
                        break;
                at_edge = false;
                const insn *prev = &s->insns[--i];
                if (!(prev->writes & (1u << reg)))
                        continue;
                if (prev->dst != reg)
                        return; /* computed: unknown */
                if (prev->src == SRC_IMM) {
                        vals_add(out, prev->imm);
                        return;
                }
                if (prev->src != SRC_REG)
                        return;
                reg = prev->src_reg;
        }
        size_t entry = insn_index(s, s->starts[func_of(s, s->insns[i].addr)]);
        if (i == entry) {
                if (reg >= REG_DI && reg < N_ARG_REGS)
                        out->args |= (uint8_t) (1u << reg);
                return;
        }
        /* The fall-through, unless what comes before (padding aside) ends
         * the flow or lies elsewhere. */
        size_t q = i - 1;
        while (q > 0 && s->insns[q].pad && s->insns[q].addr > s->insns[q - 1].addr &&
               s->insns[q].addr - s->insns[q - 1].addr <= 15)
                q--;
        const insn *p = &s->insns[i - 1];
        if (s->insns[q].kind != K_JMP && s->insns[q].kind != K_END && !(s->insns[q].pad && q == 0) &&
            p->addr < s->insns[i].addr && s->insns[i].addr - p->addr <= 15)
                trace(s, i, reg, budget, out, true);
        size_t first, end;
        preds_of(s, s->insns[i].addr, &first, &end);
        for (size_t k = first; k < end && *budget > 0; k++)
                trace(s, s->preds[k].site, reg, budget, out, false);
}

static size_t func_of(const scan *s, uint64_t addr)
{
        size_t lo = 0, hi = s->n_starts;
        while (hi - lo > 1) {
                size_t mid = (lo + hi) / 2;
                if (s->starts[mid] <= addr)
                        lo = mid;
                else
                        hi = mid;
        }
        return lo;
}

static bool has_nr(const func *f, uint64_t nr)
{
        for (size_t i = 0; i < f->n_nrs; i++)
                if (f->nrs[i] == nr)
                        return true;
        return false;
}

/* Adds a syscall number the function makes; true when it is new. */
static int add_nr(func *f, int64_t nr, bool *changed)
{
        if (nr < 0 || nr > 4096 || has_nr(f, (uint64_t) nr))
                return 0;
        uint64_t *g = realloc(f->nrs, (f->n_nrs + 1) * sizeof(*g));
        if (!g)
                return -ENOMEM;
        f->nrs = g;
        f->nrs[f->n_nrs++] = (uint64_t) nr;
        *changed = true;
        return 0;
}

/* A syscall number found at insns[i] for register reg of function f. */
static int resolve_at(scan *s, func *f, size_t i, uint8_t reg, bool *changed)
{
        vals v = {};
        int budget = 64;
        trace(s, i, reg, &budget, &v, false);
        for (size_t k = 0; k < v.n_imm; k++)
                if (add_nr(f, v.imm[k], changed) < 0)
                        return -ENOMEM;
        if ((f->nr_args | v.args) != f->nr_args) {
                f->nr_args |= v.args;
                *changed = true;
        }
        return 0;
}

static int pred_cmp(const void *a, const void *b)
{
        const struct pred *x = a, *y = b;
        return x->target < y->target ? -1 : x->target > y->target ? 1 : (x->site > y->site) - (x->site < y->site);
}

static int build_preds(scan *s, osl_error *err)
{
        size_t n = 0;
        for (size_t i = 0; i < s->n_insns; i++)
                n += s->insns[i].target && (s->insns[i].kind == K_JMP || s->insns[i].kind == K_JCC);
        if (!(s->preds = calloc(n ? n : 1, sizeof(*s->preds))))
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < s->n_insns; i++)
                if (s->insns[i].target && (s->insns[i].kind == K_JMP || s->insns[i].kind == K_JCC))
                        s->preds[s->n_preds++] = (struct pred) { s->insns[i].target, i };
        qsort(s->preds, s->n_preds, sizeof(*s->preds), pred_cmp);
        return 0;
}

static int sweep(scan *s, Elf *elf, csh h, osl_error *err, const char *what)
{
        Elf_Scn *scn = NULL;
        size_t n_targets = 0, cap_targets = 0, n_starts = 0, cap_starts = 0;
        cs_insn *ci = cs_malloc(h);

        if (!ci)
                return osl_err(err, -ENOMEM, "out of memory");
        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR))
                        continue;
                Elf_Data *data = elf_getdata(scn, NULL);
                if (!data || !data->d_buf)
                        continue;
                const uint8_t *code = data->d_buf;
                size_t size = data->d_size;
                uint64_t addr = sh.sh_addr;
                while (size > 0) {
                        if (!cs_disasm_iter(h, &code, &size, &addr, ci)) {
                                /* Not an instruction: skip a byte. */
                                code++;
                                size--;
                                addr++;
                                continue;
                        }
                        if (s->n_insns == s->cap_insns) {
                                size_t c = s->cap_insns ? s->cap_insns * 2 : 65536;
                                insn *g = realloc(s->insns, c * sizeof(*g));
                                if (!g) {
                                        cs_free(ci, 1);
                                        return osl_err(err, -ENOMEM, "out of memory");
                                }
                                s->insns = g;
                                s->cap_insns = c;
                        }
                        insn *in = &s->insns[s->n_insns++];
                        decode(h, ci, in);
                        int r = 0;
                        if (in->kind == K_CALL && in->target)
                                r = push_u64(&s->starts, &n_starts, &cap_starts, in->target);
                        if (r == 0 && in->target)
                                r = push_u64(&s->targets, &n_targets, &cap_targets, in->target);
                        if (r < 0) {
                                cs_free(ci, 1);
                                return osl_err(err, -ENOMEM, "out of memory");
                        }
                }
        }
        cs_free(ci, 1);
        if (s->n_insns == 0)
                return osl_err(err, -ENOTSUP, "%s has no code", what);
        for (size_t i = 0; i < s->n_exports; i++)
                if (push_u64(&s->starts, &n_starts, &cap_starts, s->exports[i].addr) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        if (push_u64(&s->starts, &n_starts, &cap_starts, s->insns[0].addr) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        s->n_targets = sort_unique(s->targets, n_targets);
        /* Local functions reached only by jumps (tail calls, thunks): an
         * aligned target after padding or after a block's end. */
        for (size_t t = 0; t < s->n_targets; t++) {
                size_t k = s->targets[t] % 16 == 0 ? insn_index(s, s->targets[t]) : SIZE_MAX;
                if (k == SIZE_MAX || k == 0 || !(s->insns[k - 1].pad || s->insns[k - 1].kind == K_END ||
                                                 s->insns[k - 1].kind == K_JMP))
                        continue;
                if (push_u64(&s->starts, &n_starts, &cap_starts, s->targets[t]) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        s->n_starts = sort_unique(s->starts, n_starts);
        return build_preds(s, err);
}

static int read_symbols(scan *s, Elf *elf, uint64_t entry, osl_error *err)
{
        Elf_Scn *scn = NULL;
        size_t cap = 1024;

        if (!(s->exports = calloc(cap, sizeof(*s->exports))))
                return osl_err(err, -ENOMEM, "out of memory");
        if (entry) {
                if (!(s->exports[0].name = osl_strdup(OSL_LIBC_ENTRY)))
                        return osl_err(err, -ENOMEM, "out of memory");
                s->exports[s->n_exports++].addr = entry;
        }

        while ((scn = elf_nextscn(elf, scn))) {
                GElf_Shdr sh;
                if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) ||
                    sh.sh_entsize == 0)
                        continue;
                Elf_Data *data = elf_getdata(scn, NULL);
                size_t n = data ? sh.sh_size / sh.sh_entsize : 0;
                for (size_t i = 0; i < n; i++) {
                        GElf_Sym sym;
                        if (!gelf_getsym(data, (int) i, &sym) || sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
                                continue;
                        int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
                        if (type != STT_FUNC && type != STT_GNU_IFUNC)
                                continue;
                        const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
                        bool exported = sh.sh_type == SHT_DYNSYM && (bind == STB_GLOBAL || bind == STB_WEAK) &&
                                        name && *name;
                        if (s->n_exports == cap) {
                                cap *= 2;
                                struct export *g = realloc(s->exports, cap * sizeof(*g));
                                if (!g)
                                        return osl_err(err, -ENOMEM, "out of memory");
                                s->exports = g;
                        }
                        /* Local symbols only mark where a function starts. */
                        char *copy = osl_strdup(exported ? name : "");
                        if (!copy)
                                return osl_err(err, -ENOMEM, "out of memory");
                        s->exports[s->n_exports++] = (struct export) { copy, sym.st_value };
                }
        }
        return 0;
}

static int build_functions(scan *s, osl_error *err)
{
        if (!(s->funcs = calloc(s->n_starts, sizeof(*s->funcs))))
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < s->n_starts; i++)
                s->funcs[i].start = s->starts[i];
        for (size_t i = 0; i < s->n_insns; i++) {
                const insn *in = &s->insns[i];
                if (!in->target || (in->kind != K_CALL && in->kind != K_JMP && in->kind != K_JCC))
                        continue;
                size_t from = func_of(s, in->addr), to = func_of(s, in->target);
                if (from == to && in->target != s->starts[to])
                        continue; /* inside the function */
                func *f = &s->funcs[from];
                size_t *c = realloc(f->callees, (f->n_callees + 1) * sizeof(*c));
                if (!c)
                        return osl_err(err, -ENOMEM, "out of memory");
                f->callees = c;
                size_t *st = realloc(f->sites, (f->n_callees + 1) * sizeof(*st));
                if (!st)
                        return osl_err(err, -ENOMEM, "out of memory");
                f->sites = st;
                f->callees[f->n_callees] = to;
                f->sites[f->n_callees++] = i;
        }
        return 0;
}

static int find_syscalls(scan *s, osl_libc_map *m, osl_error *err)
{
        bool changed = false;

        for (size_t i = 0; i < s->n_insns; i++) {
                if (s->insns[i].kind != K_SYSCALL)
                        continue;
                func *f = &s->funcs[func_of(s, s->insns[i].addr)];
                vals v = {};
                int budget = 64;
                trace(s, i, REG_AX, &budget, &v, false);
                m->syscall_sites++;
                if (v.n_imm > 0 || v.args)
                        m->resolved_sites++;
                if (resolve_at(s, f, i, REG_AX, &changed) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        /* Numbers passed in argument registers, through any chain of callers. */
        for (int round = 0; round < 16; round++) {
                changed = false;
                for (size_t fi = 0; fi < s->n_starts; fi++) {
                        func *f = &s->funcs[fi];
                        for (size_t c = 0; c < f->n_callees; c++) {
                                uint8_t args = s->funcs[f->callees[c]].nr_args;
                                for (uint8_t reg = REG_DI; reg < N_ARG_REGS; reg++)
                                        if ((args & (1u << reg)) && resolve_at(s, f, f->sites[c], reg, &changed) < 0)
                                                return osl_err(err, -ENOMEM, "out of memory");
                        }
                }
                if (!changed)
                        break;
        }
        return 0;
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The syscall names reachable from function root (breadth first, bounded). */
static int reach(const scan *s, size_t root, size_t *queue, uint32_t *seen, uint32_t stamp, char ***names,
                 osl_error *err)
{
        size_t head = 0, tail = 0, n_names = 0;
        _cleanup_free_ uint64_t *nrs = NULL;
        size_t n_nrs = 0, cap_nrs = 0;

        queue[tail++] = root;
        seen[root] = stamp;
        size_t level_end = tail;
        int level = 0;
        while (head < tail) {
                const func *f = &s->funcs[queue[head++]];
                for (size_t i = 0; i < f->n_nrs; i++)
                        if (push_u64(&nrs, &n_nrs, &cap_nrs, f->nrs[i]) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                if (level < OSL_LIBC_CALL_DEPTH)
                        for (size_t c = 0; c < f->n_callees; c++)
                                if (seen[f->callees[c]] != stamp) {
                                        seen[f->callees[c]] = stamp;
                                        queue[tail++] = f->callees[c];
                                }
                if (head == level_end) {
                        level++;
                        level_end = tail;
                }
        }
        n_nrs = sort_unique(nrs, n_nrs);
        _cleanup_strv_ char **out = calloc(n_nrs + 1, sizeof(char *));
        if (!out)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n_nrs; i++) {
                char *name = NULL;
                osl_error ignored = {};
                if (osl_syscall_name(SCMP_ARCH_X86_64, (int) nrs[i], &name, &ignored) < 0)
                        continue; /* not a number libseccomp knows: not a syscall we can name */
                out[n_names++] = name;
        }
        qsort(out, n_names, sizeof(char *), str_cmp);
        *names = TAKE_PTR(out);
        return 0;
}

static int build_map(const scan *s, osl_libc_map *m, osl_error *err)
{
        _cleanup_free_ size_t *queue = calloc(s->n_starts, sizeof(size_t));
        _cleanup_free_ uint32_t *seen = calloc(s->n_starts, sizeof(uint32_t));
        uint32_t stamp = 0;

        if (!queue || !seen || !(m->functions = calloc(s->n_exports ? s->n_exports : 1, sizeof(*m->functions))))
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < s->n_exports; i++) {
                const char *name = s->exports[i].name;
                if (!*name || osl_libc_map_find(m, name))
                        continue;
                size_t fi = func_of(s, s->exports[i].addr);
                if (s->starts[fi] != s->exports[i].addr)
                        continue; /* outside the code we read */
                osl_libc_function *e = &m->functions[m->n_functions];
                int r = reach(s, fi, queue, seen, ++stamp, &e->syscalls, err);
                if (r < 0)
                        return r;
                if (!(e->name = osl_strdup(name))) {
                        strvfreep(&e->syscalls);
                        return osl_err(err, -ENOMEM, "out of memory");
                }
                m->n_functions++;
                /* Kept sorted as we go, so that find() works for duplicates. */
                for (size_t j = m->n_functions - 1; j > 0 && fn_cmp(&m->functions[j - 1], &m->functions[j]) > 0; j--) {
                        osl_libc_function t = m->functions[j];
                        m->functions[j] = m->functions[j - 1];
                        m->functions[j - 1] = t;
                }
        }
        return 0;
}

int osl_libc_analyse(int fd, const char *what, osl_libc_map **out, osl_error *err)
{
        _cleanup_(scan_clear) scan s = {};
        _cleanup_libc_map_ osl_libc_map *m = calloc(1, sizeof(*m));
        Elf *elf = NULL;
        csh h = 0;
        GElf_Ehdr eh;
        int r;

        if (!m)
                return osl_err(err, -ENOMEM, "out of memory");
        if (elf_version(EV_CURRENT) == EV_NONE)
                return osl_err(err, -ENOTSUP, "libelf: %s", elf_errmsg(-1));
        if (!(elf = elf_begin(fd, ELF_C_READ_MMAP, NULL)) || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
                r = osl_err(err, -ENOTSUP, "%s is not an ELF object", what);
                goto out;
        }
        if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
                r = osl_err(err, -ENOTSUP, "%s: only x86_64 C libraries are analysed (e_machine %u)", what,
                            eh.e_machine);
                goto out;
        }
        if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK || cs_option(h, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
                r = osl_err(err, -ENOTSUP, "capstone cannot disassemble x86_64");
                goto out;
        }
        if ((r = read_symbols(&s, elf, eh.e_entry, err)) < 0 || (r = sweep(&s, elf, h, err, what)) < 0 ||
            (r = build_functions(&s, err)) < 0 || (r = find_syscalls(&s, m, err)) < 0 ||
            (r = build_map(&s, m, err)) < 0)
                goto out;
        *out = TAKE_PTR(m);
        r = 0;
out:
        if (h)
                cs_close(&h);
        if (elf)
                elf_end(elf);
        return r;
}
