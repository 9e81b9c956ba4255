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
# merge.
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
        sizes=(1 10 100 1000) rounds=${STORE_BENCH_ROUNDS:-21} images=1000 list_rounds=21
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
now_ns() { date +%s%N; }
# timed OUT-VAR COMMAND...: milliseconds the command took (it must succeed).
timed() {
        local var=$1 t0 t1
        shift
        t0=$(now_ns)
        "$@" >/dev/null 2>"$WORK/timed.err" || bench_die "$* failed: $(cat "$WORK/timed.err")"
        t1=$(now_ns)
        printf -v "$var" '%s' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')"
}

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
for n in "${sizes[@]}"; do
        files=("$WORK/v1.json")
        for v in $(seq 2 "$n"); do files+=("$WORK/obs/$v.json"); done
        "$OSL_BIN" --store "$WORK/s$n" profile merge "$key" "${files[@]}" >/dev/null 2>&1 ||
                bench_die "making the store of $n versions failed"
done
extra=()
for v in $(seq 2 "$max"); do extra+=("bench_call_$v"); done
obs "$WORK/all.json" all "${base[@]}" "${extra[@]}"
"$OSL_BIN" --store "$WORK/sall" profile merge "$key" "$WORK/all.json" >/dev/null 2>&1 ||
        bench_die "making the store of one large version failed"
stores=("${sizes[@]}" all)
obs "$WORK/next.json" next bench_call_next

declare -A new same
for r in $(seq 1 "$rounds"); do
        for n in "${stores[@]}"; do
                rm -rf "$WORK/run" && cp -a "$WORK/s$n" "$WORK/run" && sync
                timed t "$OSL_BIN" --store "$WORK/run" profile merge "$key" "$WORK/next.json"
                new[$n]+="$t "
                timed t "$OSL_BIN" --store "$WORK/run" profile merge "$key" "$WORK/same.json"
                same[$n]+="$t "
        done
done

stat_of() { # "median | min | max" of the numbers
        local m lo hi
        m=$(tr ' ' '\n' <<<"$1" | grep . | median)
        lo=$(tr ' ' '\n' <<<"$1" | grep . | sort -g | head -n 1)
        hi=$(tr ' ' '\n' <<<"$1" | grep . | sort -g | tail -n 1)
        printf '%s | %s | %s' "$m" "$lo" "$hi"
}
paired_ratio() { # median of per-round ratios of $1 to $2 (lists in the same round order)
        paste -d' ' <(tr ' ' '\n' <<<"$1" | grep .) <(tr ' ' '\n' <<<"$2" | grep .) |
                awk '{ if ($2 > 0) printf "%.2f\n", $1 / $2 }' | median
}

echo "| store | merge, new version: ms median | fastest | slowest | ratio to 1 version | merge, nothing new: ms median | fastest | slowest | ratio to 1 version | bytes on disk | bytes per version |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in "${stores[@]}"; do
        bytes=$(du -sb "$WORK/s$n" | cut -f1)
        if [ "$n" = all ]; then
                label="1 version, as many syscalls" versions=1
        else
                label="$n version$([ "$n" = 1 ] || echo s)" versions=$n
        fi
        echo "| $label | $(stat_of "${new[$n]}") | $(paired_ratio "${new[$n]}" "${new[1]}") | $(stat_of "${same[$n]}") | $(paired_ratio "${same[$n]}" "${same[1]}") | $bytes | $((bytes / versions)) |"
done

# profile list over many images of one version each.
bench_log "making a store of $images images"
for i in $(seq 1 "$images"); do
        sed "s,\"$key\",\"$key-$i\"," "$WORK/v1.json" >"$WORK/img.json"
        "$OSL_BIN" --store "$WORK/list" profile merge "$key-$i" "$WORK/img.json" >/dev/null 2>&1 ||
                bench_die "merging image $i failed"
done
list=""
for r in $(seq 1 "$list_rounds"); do
        timed t "$OSL_BIN" --store "$WORK/list" profile list
        list+="$t "
done
[ "$("$OSL_BIN" --store "$WORK/list" profile list | tail -n +2 | wc -l)" = "$images" ] || bench_die "profile list does not list $images images"
echo
echo "| profile list | ms median | fastest | slowest |"
echo "|---|---|---|---|"
echo "| $images images | $(stat_of "$list") |"
