#!/bin/bash
# Adds deb-src entries for the archives this machine's deb entries name,
# with the same Signed-By keyring, so that `apt-get source` works (runc's
# integration tests come from Debian's runc source package, test/runc-suite).
# Idempotent: writes /etc/apt/sources.list.d/osl-deb-src.sources only when it
# is missing. Exit 0 when the file is there; prints "added" when it wrote it.
set -euo pipefail

out=/etc/apt/sources.list.d/osl-deb-src.sources
src=/etc/apt/sources.list.d/debian.sources

[ -e "$out" ] && exit 0
if [ ! -r "$src" ]; then
        echo "deb-src: $src not found; add a deb-src entry for your archive by hand" >&2
        exit 1
fi
if grep -q '^Types:.*deb-src' "$src"; then
        exit 0 # the machine has them already
fi
# The deb822 stanzas of debian.sources, each turned into a deb-src stanza;
# comments are left out.
awk '
        /^Types:/ { print "Types: deb-src"; next }
        /^#/ { next }
        { print }
' "$src" >"$out.tmp"
mv "$out.tmp" "$out"
echo added
