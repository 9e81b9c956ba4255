#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Profile quality (issue 9; doc/quality.md shows a run and what it means).
# For each program (sqlite3, nginx, a Python service; bench/quality/*.sh):
# learn a profile from a training workload, a developer's test run, then run
# held-out operations the training never did, each in a fresh runc container
# (the host's /usr), under each policy:
#   none      no seccomp filter (the baseline: every operation must work)
#   default   the podman/CRI-O default profile (containers-common)
#   observed  enforce, --generalize none: only what was seen (and the implied
#             write, exit, exit_group)
#   families  enforce, --generalize families (the default)
#   predicted enforce, families and --include predicted (profile predict of
#             the program, the host's /usr being the container's)
# strace -f, attached from the host before the container starts, records
# every failed call of the container's processes. An operation is broken
# when its check fails; it is silently damaged when it worked but the
# container saw EPERM from a syscall that never got EPERM without a filter.
#
# Prints markdown: per program a table of operations x policies, then the
# summary (syscalls allowed, against the default, broken, silent damage).
# shellcheck disable=SC2016 # jq programs: their $names are jq's
BENCH_NAME=quality
BENCH_DESCRIPTION="Profile quality: held-out operations broken or silently damaged under learned profiles, per program and policy."
QUALITY_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$QUALITY_DIR/../lib.sh"

bench_parse_args "$@"
bench_require OSL_BIN PROFILE_TOOL runc jq strace curl sqlite3 nginx python3 cmp
bench_init

UNISTD=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
[ -r "$UNISTD" ] || bench_die "$UNISTD is missing: apt-get install linux-libc-dev"
[ "$(uname -m)" = x86_64 ] || bench_die "the counts are for x86_64"
sed -nE 's/^#define __NR_([a-z0-9_]+) [0-9]+$/\1/p' "$UNISTD" | sort -u >"$BENCH_DIR/x86_64.names"

POLICIES=(none default observed families predicted)
declare -A POLICY_LABEL=([none]="no filter" [default]="podman/CRI-O default"
        [observed]="observed only (--generalize none)" [families]="+ families (--generalize families)"
        [predicted]="+ predicted (--include predicted)")

# The container being run: q_start sets them, q_end reads them.
Q_PROG='' Q_POLICY='' Q_OP='' Q_TRACE=0 Q_DIR='' Q_ID='' Q_PID='' Q_STRACE='' Q_LOG='' Q_STATUS=''

# q_policy DIR POLICY STORE: a fresh config for POLICY (or learn).
q_policy() {
        local dir=$1 store=$3
        Q_POLICY=$2 Q_TRACE=1
        case $Q_POLICY in
        learn) bench_set_filter "$dir" learn "$store"; Q_TRACE=0 ;;
        none | default) bench_set_filter "$dir" "$Q_POLICY" "$store" ;;
        observed) bench_set_filter "$dir" enforce "$store" none ;;
        families) bench_set_filter "$dir" enforce "$store" families ;;
        predicted) bench_set_filter "$dir" enforce "$store" families predicted ;;
        *) bench_die "unknown policy $Q_POLICY" ;;
        esac
        cp "$dir/config.json" "$dir/config.policy"
}

# Syscalls the filter in DIR/config.json allows on x86_64 (names of ALLOW
# rules that x86_64 has; a rule with argument conditions counts).
q_allowed() {
        jq -r '.linux.seccomp.syscalls[]? | select(.action == "SCMP_ACT_ALLOW") | .names[]' "$1/config.policy" |
                sort -u | comm -12 - "$BENCH_DIR/x86_64.names" | wc -l
}

# q_start DIR ARGS-JSON: `runc create` with the policy's config and ARGS,
# strace -f attached to the container's process (unless learning), then
# `runc start`. The container's stdout and stderr: $Q_DIR/$Q_ID.out, .err.
q_start() {
        local i
        Q_DIR=$1 Q_ID=$Q_PROG-$Q_POLICY-$Q_OP-$RANDOM Q_STRACE='' Q_STATUS=''
        Q_LOG=$BENCH_DIR/$Q_PROG/$Q_POLICY.$Q_OP.strace
        jq --argjson a "$2" '.process.args = $a' "$Q_DIR/config.policy" >"$Q_DIR/config.json"
        BENCH_CONTAINERS+=("$Q_ID")
        timeout -k 5 30 runc --root "$BENCH_DIR/runc" create --bundle "$Q_DIR" "$Q_ID" \
                </dev/null >"$Q_DIR/$Q_ID.out" 2>"$Q_DIR/$Q_ID.err" ||
                { cat "$Q_DIR/$Q_ID.err" >&2; bench_die "runc create $Q_ID failed"; }
        Q_PID=$(runc --root "$BENCH_DIR/runc" state "$Q_ID" | jq -r .pid)
        if [ "$Q_TRACE" = 1 ]; then
                strace -f -q -e signal=none -Z -o "$Q_LOG" -p "$Q_PID" 2>"$Q_LOG.err" &
                Q_STRACE=$!
                BENCH_PIDS+=("$Q_STRACE")
                for i in $(seq 1 100); do
                        grep -q "^TracerPid:[[:space:]]*$Q_STRACE\$" "/proc/$Q_PID/status" 2>/dev/null && break
                        [ "$i" -lt 100 ] || { cat "$Q_LOG.err" >&2; bench_die "strace did not attach to $Q_ID"; }
                        sleep 0.05
                done
        fi
        timeout 30 runc --root "$BENCH_DIR/runc" start "$Q_ID" || bench_die "runc start $Q_ID failed"
}

# q_end [SIGNAL]: sends SIGNAL, waits up to 20 s for the container to stop
# (then kills it) and deletes it. Q_STATUS: "exit N", "signal SIGX" (from
# strace), "hung" or, when learning, "unknown".
q_end() {
        local status='' i
        [ -z "${1:-}" ] || timeout 20 runc --root "$BENCH_DIR/runc" kill "$Q_ID" "$1" >/dev/null 2>&1 || true
        for i in $(seq 1 200); do
                status=$(timeout 20 runc --root "$BENCH_DIR/runc" state "$Q_ID" 2>/dev/null | jq -r .status) || break
                [ "$status" != stopped ] || break
                sleep 0.1
        done
        Q_STATUS=unknown
        if [ "$status" != stopped ] && [ -n "$status" ]; then
                Q_STATUS=hung
                timeout 20 runc --root "$BENCH_DIR/runc" kill "$Q_ID" KILL >/dev/null 2>&1 || true
        fi
        if [ -n "$Q_STRACE" ]; then
                timeout 10 tail --pid="$Q_STRACE" -f /dev/null 2>/dev/null || kill -KILL "$Q_STRACE" 2>/dev/null || true
                wait "$Q_STRACE" 2>/dev/null || true
                bench_forget_pid "$Q_STRACE"
                if [ "$Q_STATUS" != hung ]; then
                        Q_STATUS=$(sed -nE "s/^$Q_PID +\\+\\+\\+ (exited with ([0-9]+)|killed by (SIG[A-Z0-9]+)).*/\\2\\3/p" "$Q_LOG" | tail -n 1)
                        case $Q_STATUS in
                        '') Q_STATUS=unknown ;;
                        SIG*) Q_STATUS="signal $Q_STATUS" ;;
                        *) Q_STATUS="exit $Q_STATUS" ;;
                        esac
                fi
        fi
        timeout 60 runc --root "$BENCH_DIR/runc" delete -f "$Q_ID" >/dev/null 2>&1 || true
}

# Names of the syscalls that got EPERM in an strace log. rt_sigreturn is
# left out: what strace shows as its result is the restored register of the
# interrupted code (a signal that came right after runc's refused epoll_ctl
# shows as "rt_sigreturn(...) = -1 EPERM", with no filter too).
q_eperm() {
        [ -f "$1" ] || return 0
        sed -nE 's/^[0-9]+ +(<\.\.\. )?([a-z0-9_]+)[( ].* = -1 EPERM .*/\2/p' "$1" | grep -vx rt_sigreturn | sort -u || true
}

# Each program file defines, for its name P: P_setup (makes $BENCH_DIR/P,
# a bundle), P_train (the training workload, in learn mode; dies when it
# does not work), P_OPS (operation names, in order; P_SMOKE_OPS for
# --smoke), P_DESC (name -> what it does) and P_op NAME (runs one operation
# in its own container, q_start .. q_end; returns 0 when it worked).
read -ra PROGRAMS <<<"${QUALITY_PROGRAMS:-sqlite3 nginx python}"
for p in "${PROGRAMS[@]}"; do
        # shellcheck source=/dev/null
        . "$QUALITY_DIR/$p.sh"
done

bench_start_agent

for p in "${PROGRAMS[@]}"; do
        Q_PROG=$p
        mkdir -p "$BENCH_DIR/$p"
        store=$BENCH_DIR/store.$p
        "${p}_setup"
        q_policy "$BENCH_DIR/$p/bundle" learn "$store"
        Q_OP=train
        bench_log "$p: training"
        "${p}_train"
        [ "$(osl "$store" profile show "localhost/quality-$p" --json | jq '.syscalls | length')" -gt 0 ] ||
                bench_die "the training of $p stored no profile"
        # The container's rootfs is the host's /usr, bound read-only.
        declare -n programs="${p}_PROGRAMS"
        osl "$store" profile predict "localhost/quality-$p" --rootfs / "${programs[@]}" >"$BENCH_DIR/$p/predict.log" 2>&1 ||
                { cat "$BENCH_DIR/$p/predict.log" >&2; bench_die "profile predict for $p failed"; }
        if [ "$BENCH_SMOKE" = 1 ]; then
                declare -n ops="${p}_SMOKE_OPS"
        else
                declare -n ops="${p}_OPS"
        fi
        for policy in "${POLICIES[@]}"; do
                q_policy "$BENCH_DIR/$p/bundle" "$policy" "$store"
                if [ "$policy" = none ]; then echo "-" ; else q_allowed "$BENCH_DIR/$p/bundle"; fi >"$BENCH_DIR/$p/$policy.allowed"
                for op in "${ops[@]}"; do
                        Q_OP=$op
                        if "${p}_op" "$op" >"$BENCH_DIR/$p/$policy.$op.detail" 2>&1; then
                                echo ok >"$BENCH_DIR/$p/$policy.$op.result"
                        else
                                echo broken >"$BENCH_DIR/$p/$policy.$op.result"
                        fi
                        q_eperm "$BENCH_DIR/$p/$policy.$op.strace" >"$BENCH_DIR/$p/$policy.$op.eperm"
                        bench_log "$p, $policy, $op: $(cat "$BENCH_DIR/$p/$policy.$op.result") $(paste -sd, "$BENCH_DIR/$p/$policy.$op.eperm")"
                done
        done
        unset -n ops
done

bench_stop_agent

# cell P POLICY OP: "ok", "**broken**" and the EPERM that no-filter did not see.
cell() {
        local dir=$BENCH_DIR/$1 new
        new=$(comm -23 "$dir/$2.$3.eperm" "$dir/none.$3.eperm" | paste -sd, | sed 's/,/, /g')
        if [ "$(cat "$dir/$2.$3.result")" = broken ]; then
                printf '**broken**%s' "${new:+ (EPERM: $new)}"
        else
                printf 'ok%s' "${new:+, EPERM: $new}"
        fi
}

default_allowed=
for p in "${PROGRAMS[@]}"; do
        declare -n ops="${p}_OPS"
        declare -n desc="${p}_DESC"
        [ "$BENCH_SMOKE" = 0 ] || declare -n ops="${p}_SMOKE_OPS"
        echo "## $p"
        echo
        printf '| operation |'
        for policy in "${POLICIES[@]}"; do printf ' %s |' "${POLICY_LABEL[$policy]}"; done
        printf '\n| --- |'
        for policy in "${POLICIES[@]}"; do printf ' --- |'; done
        echo
        for op in "${ops[@]}"; do
                printf '| %s: %s |' "$op" "${desc[$op]}"
                for policy in "${POLICIES[@]}"; do printf ' %s |' "$(cell "$p" "$policy" "$op")"; done
                echo
        done
        echo
        unset -n ops desc
done

echo "## Summary"
echo
echo "| program | policy | syscalls allowed | of the default's | held-out operations | broken | silently damaged |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for p in "${PROGRAMS[@]}"; do
        dir=$BENCH_DIR/$p
        default_allowed=$(cat "$dir/default.allowed")
        for policy in "${POLICIES[@]}"; do
                [ "$policy" != none ] || continue
                n=0 broken=0 damaged=0
                for r in "$dir/$policy".*.result; do
                        op=${r#"$dir/$policy."}
                        op=${op%.result}
                        n=$((n + 1))
                        if [ "$(cat "$r")" = broken ]; then
                                broken=$((broken + 1))
                        elif [ -n "$(comm -23 "$dir/$policy.$op.eperm" "$dir/none.$op.eperm")" ]; then
                                damaged=$((damaged + 1))
                        fi
                done
                allowed=$(cat "$dir/$policy.allowed")
                echo "| $p | ${POLICY_LABEL[$policy]} | $allowed | $(ratio "$allowed" "$default_allowed") | $n | $broken | $damaged |"
        done
done
echo
echo "Syscalls allowed: names of ALLOW rules in the container's filter that exist on x86_64 (the"
echo "default resolved for runc spec's capabilities, without CAP_SYS_ADMIN). Broken: the operation's"
echo "check failed. Silently damaged: it worked, but strace saw EPERM from a syscall that did not get"
echo "EPERM without a filter. The \"+ predicted\" policy (static prediction) is not measured here."
