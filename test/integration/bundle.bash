# Shared by the integration tests and the benchmarks (bench/lib.sh): a
# runc bundle from `runc spec`, no image pulled.
#
# make_bundle DIR busybox|hostusr JSON-ARGS [IMAGE]
# A busybox-static rootfs, or a rootfs that bind-mounts the host's /usr and
# /etc read-only so that host programs (redis-server, strace) run.
make_bundle() {
        local dir=$1 kind=$2 args=$3 image=${4:-}
        mkdir -p "$dir/rootfs"
        case $kind in
        busybox)
                mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/dev" "$dir/rootfs/sys" "$dir/rootfs/tmp"
                cp /bin/busybox "$dir/rootfs/bin/busybox"
                local a
                for a in $(/bin/busybox --list); do
                        [ -e "$dir/rootfs/bin/$a" ] || ln -s busybox "$dir/rootfs/bin/$a"
                done
                ;;
        hostusr)
                mkdir -p "$dir/rootfs"/{usr,etc,proc,dev,sys,tmp,run,var/lib,root}
                ln -s usr/bin "$dir/rootfs/bin"
                ln -s usr/sbin "$dir/rootfs/sbin"
                ln -s usr/lib "$dir/rootfs/lib"
                ln -s usr/lib64 "$dir/rootfs/lib64"
                ;;
        *)
                echo "make_bundle: unknown rootfs kind $kind" >&2
                return 1
                ;;
        esac
        (cd "$dir" && runc spec)
        local mounts='[]'
        if [ "$kind" = hostusr ]; then
                mounts='[{"destination":"/usr","type":"bind","source":"/usr","options":["rbind","ro","nosuid","nodev"]},
                         {"destination":"/etc","type":"bind","source":"/etc","options":["rbind","ro","nosuid","nodev"]},
                         {"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","mode=1777"]},
                         {"destination":"/run","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","mode=755"]}]'
        fi
        jq --argjson args "$args" --arg image "$image" --argjson mounts "$mounts" '
                .process.terminal = false
                | .process.args = $args
                | .mounts += $mounts
                | .linux.namespaces |= map(select(.type != "network"))
                | if $image != "" then .annotations["io.seccomp-learn.image"] = $image else . end
        ' "$dir/config.json" >"$dir/config.json.new"
        mv "$dir/config.json.new" "$dir/config.json"
}
