#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The profile store (doc/store.md) as it grows: the time of `profile merge`
# of an observation that makes a new version, and of one that adds nothing
# (what a converged container's poststop does), into an image that has 1,
# 10, 100 and 1,000 versions; the bytes the image takes on disk; and the
# time of `profile list` over 1,000 images. Prints a markdown table.
#
# The first version holds 60 syscalls and every later one adds one, so the
# profile grows with the versions (1,059 syscalls at 1,000); the row "1
# version, as many syscalls" holds the largest store's syscalls in one
# version, to tell the cost of the profile's size from that of its history.
# Times are of the whole command (process start included), on the disk that
# holds /var/tmp (every write is fsynced). Each round measures every store
# once, in turn, on a fresh copy of it, so that they are compared under the
# same conditions (paired): the table shows the median of the rounds, the
# fastest and slowest, and the median of each round's ratio to the 1-version
# merge. The CPU time (user and system, of the command) is shown beside: on
# a busy machine it is the steadier figure.
#
# With $OSL_BIN_BEFORE (e.g. a build of an older commit) every store is also
# made and measured with that binary, in the same rounds (paired), and a
# second table shows it: the store format before and after, side by side.
BENCH_NAME=store
BENCH_DESCRIPTION="Merge time and bytes on disk of a profile at 1 to 1,000 versions, and profile list over 1,000 images."
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_parse_args "$@"
bench_require OSL_BIN jq
bench_init
# On disk, not a tmpfs: fsync costs what it costs.
WORK=$(mktemp -d /var/tmp/osl-bench-store.XXXXXX)
trap 'rm -rf "$WORK"; bench_cleanup' EXIT

if [ "$BENCH_SMOKE" = 1 ]; then
        sizes=(1 10) rounds=3 images=20 list_rounds=3
else
        sizes=(1 10 100 1000) rounds=${STORE_BENCH_ROUNDS:-21} images=1000 list_rounds=${STORE_BENCH_ROUNDS:-21}
fi
key=localhost/bench-store

# A fixed set of 60 syscalls of x86_64 for the first version.
base=(read write openat close fstat lseek mmap mprotect munmap brk rt_sigaction rt_sigprocmask ioctl pread64
      pwrite64 readv writev access pipe select sched_yield mremap msync madvise dup dup2 nanosleep getpid socket
      connect accept sendto recvfrom bind listen getsockname setsockopt getsockopt clone execve exit wait4 kill
      uname fcntl flock fsync getcwd chdir rename mkdir rmdir unlink readlink chmod getuid getgid epoll_wait
      epoll_ctl exit_group)

# obs FILE ID NAME...: an observation (schema/observation.schema.json) of
# NAMEs, which are plain [a-z0-9_].
obs() {
        local file=$1 id=$2 calls
        shift 2
        calls=$(printf '"%s":1,' "$@")
        printf '{"schemaVersion":1,"containerId":"%s","image":{"key":"%s"},"startTime":"2026-11-28T10:00:00.000Z",%s}\n' \
                "$id" "$key" "\"method\":\"manual\",\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{${calls%,}}}}" >"$file"
}
# timed WALL-VAR CPU-VAR COMMAND... (not named _*): milliseconds the command took, and its
# CPU time (user + system); it must succeed.
timed() {
        local _wall_var=$1 _cpu_var=$2 _times _real _user _sys
        shift 2
        _times=$( { TIMEFORMAT='%3R %3U %3S'; time "$@" >/dev/null 2>"$WORK/timed.err"; } 2>&1 ) ||
                bench_die "$* failed: $(cat "$WORK/timed.err")"
        read -r _real _user _sys <<<"$_times"
        printf -v "$_wall_var" '%s' "$(awk -v r="$_real" 'BEGIN { printf "%.0f", r * 1000 }')"
        printf -v "$_cpu_var" '%s' "$(awk -v u="$_user" -v s="$_sys" 'BEGIN { printf "%.0f", (u + s) * 1000 }')"
}

# The binaries: "a" is $OSL_BIN, "b" $OSL_BIN_BEFORE.
bins=(a)
declare -A bin=([a]=$OSL_BIN)
if [ -n "${OSL_BIN_BEFORE:-}" ]; then
        [ -x "$OSL_BIN_BEFORE" ] || bench_die "\$OSL_BIN_BEFORE: $OSL_BIN_BEFORE is not an executable"
        bins+=(b)
        bin[b]=$OSL_BIN_BEFORE
fi

# A store per size: version 1 from the base, then one new (unknown to
# libseccomp, which the store keeps) name per version.
bench_log "making stores of ${sizes[*]} versions"
obs "$WORK/v1.json" v1 "${base[@]}"
obs "$WORK/same.json" same read write
mkdir -p "$WORK/obs"
max=${sizes[-1]}
for v in $(seq 2 "$max"); do
        obs "$WORK/obs/$v.json" "v$v" "bench_call_$v"
done
extra=()
for v in $(seq 2 "$max"); do extra+=("bench_call_$v"); done
obs "$WORK/all.json" all "${base[@]}" "${extra[@]}"
stores=("${sizes[@]}" all)
for b in "${bins[@]}"; do
        for n in "${sizes[@]}"; do
                files=("$WORK/v1.json")
                for v in $(seq 2 "$n"); do files+=("$WORK/obs/$v.json"); done
                "${bin[$b]}" --store "$WORK/$b/s$n" profile merge "$key" "${files[@]}" >/dev/null 2>&1 ||
                        bench_die "making the store of $n versions failed"
        done
        "${bin[$b]}" --store "$WORK/$b/sall" profile merge "$key" "$WORK/all.json" >/dev/null 2>&1 ||
                bench_die "making the store of one large version failed"
done
obs "$WORK/next.json" next bench_call_next

declare -A new same new_cpu same_cpu
for r in $(seq 1 "$rounds"); do
        for n in "${stores[@]}"; do
                for b in "${bins[@]}"; do
                        rm -rf "$WORK/run" && cp -a "$WORK/$b/s$n" "$WORK/run" && sync
                        timed t c "${bin[$b]}" --store "$WORK/run" profile merge "$key" "$WORK/next.json"
                        new[$b$n]+="$t " new_cpu[$b$n]+="$c "
                        timed t c "${bin[$b]}" --store "$WORK/run" profile merge "$key" "$WORK/same.json"
                        same[$b$n]+="$t " same_cpu[$b$n]+="$c "
                done
        done
done

nums() { tr ' ' '\n' <<<"$1" | grep .; }
stat_of() { # "median | fastest | slowest" of the numbers
        printf '%s | %s | %s' "$(nums "$1" | median)" "$(nums "$1" | sort -g | head -n 1)" "$(nums "$1" | sort -g | tail -n 1)"
}
paired_ratio() { # median of per-round ratios of $1 to $2 (lists in the same round order)
        paste -d' ' <(nums "$1") <(nums "$2") | awk '{ if ($2 > 0) printf "%.2f\n", $1 / $2 }' | median
}

for b in "${bins[@]}"; do
        if [ "$b" = b ]; then
                echo
                echo "Before: $OSL_BIN_BEFORE, in the same rounds."
                echo
        fi
        echo "| store | merge, new version: ms median | fastest | slowest | ratio to 1 version | CPU ms | merge, nothing new: ms median | fastest | slowest | ratio to 1 version | CPU ms | bytes on disk | bytes per version |"
        echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        for n in "${stores[@]}"; do
                bytes=$(du -sb "$WORK/$b/s$n" | cut -f1)
                if [ "$n" = all ]; then
                        label="1 version, as many syscalls" versions=1
                else
                        label="$n version$([ "$n" = 1 ] || echo s)" versions=$n
                fi
                echo "| $label | $(stat_of "${new[$b$n]}") | $(paired_ratio "${new[$b$n]}" "${new[${b}1]}") | $(nums "${new_cpu[$b$n]}" | median) | $(stat_of "${same[$b$n]}") | $(paired_ratio "${same[$b$n]}" "${same[${b}1]}") | $(nums "${same_cpu[$b$n]}" | median) | $bytes | $((bytes / versions)) |"
        done
done

# profile list over many images of one version each.
bench_log "making stores of $images images"
for b in "${bins[@]}"; do
        for i in $(seq 1 "$images"); do
                sed "s,\"$key\",\"$key-$i\"," "$WORK/v1.json" >"$WORK/img.json"
                "${bin[$b]}" --store "$WORK/$b/list" profile merge "$key-$i" "$WORK/img.json" >/dev/null 2>&1 ||
                        bench_die "merging image $i failed"
        done
        [ "$("${bin[$b]}" --store "$WORK/$b/list" profile list | tail -n +2 | wc -l)" = "$images" ] ||
                bench_die "profile list does not list $images images"
done
declare -A list list_cpu
for r in $(seq 1 "$list_rounds"); do
        for b in "${bins[@]}"; do
                timed t c "${bin[$b]}" --store "$WORK/$b/list" profile list
                list[$b]+="$t " list_cpu[$b]+="$c "
        done
done
echo
echo "| profile list | ms median | fastest | slowest | CPU ms |"
echo "|---|---|---|---|---|"
for b in "${bins[@]}"; do
        echo "| $images images$([ "$b" != b ] || echo ", before") | $(stat_of "${list[$b]}") | $(nums "${list_cpu[$b]}" | median) |"
done
