#!/bin/bash
# The two root file systems runc's tests unpack (tests/integration/get-images.sh
# downloads them from GitHub; this machine reaches only Debian's archive), made
# from this host instead and put where get-images.sh looks first:
#   busybox-ARCH.tar.xz  busybox-static and its applets, with the /etc files of
#                        Docker's busybox image (users root..nobody, groups)
#   debian-ARCH.tar.xz   the same plus the host's ldconfig, a /lib and
#                        /etc/ld.so.conf: hooks.bats, the only user, runs
#                        `ldconfig -p | grep` in it
# images.sh TESTDATA-DIR GOARCH
set -euo pipefail

testdata=$1 arch=$2
busybox_tar=$testdata/busybox-$arch.tar.xz
debian_tar=$testdata/debian-$arch.tar.xz
[ -e "$busybox_tar" ] && [ -e "$debian_tar" ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rootfs=$work/busybox
mkdir -p "$rootfs"/{bin,dev,etc,home,proc,root,sys,tmp,usr/sbin,var/spool/mail,var/www}
chmod 1777 "$rootfs/tmp"
chmod 700 "$rootfs/root"
cp /bin/busybox "$rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
        [ -e "$rootfs/bin/$a" ] || ln "$rootfs/bin/busybox" "$rootfs/bin/$a"
done
cat >"$rootfs/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
P
cat >"$rootfs/etc/group" <<'G'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
G
echo localhost >"$rootfs/etc/hostname"
tar -C "$rootfs" --numeric-owner -cJf "$busybox_tar.tmp" .
mv "$busybox_tar.tmp" "$busybox_tar"

# ldconfig is static in Debian (libc-bin), so it runs in the busybox rootfs.
mkdir -p "$rootfs/lib" "$rootfs/sbin"
cp "$(command -v ldconfig)" "$rootfs/sbin/ldconfig"
echo /lib >"$rootfs/etc/ld.so.conf"
tar -C "$rootfs" --numeric-owner -cJf "$debian_tar.tmp" .
mv "$debian_tar.tmp" "$debian_tar"
