#!/bin/bash
# Symlinks planted under the store are refused with a clear error, never
# followed: nothing is read from or written to their targets.
. "$(dirname "$0")/lib.sh"

IMG=docker.io/library/busybox
obs "$WORK/a.json" a sys:SCMP_ARCH_X86_64:application:read:1
obs "$WORK/b.json" b sys:SCMP_ARCH_X86_64:application:write:1
run osl profile merge $IMG "$WORK/a.json"
expect_rc 0 "first merge"
DIR=$(image_dir $IMG)
TARGET=$WORK/target
mkdir "$TARGET"
cp -a "$DIR/." "$TARGET/" # a plausible-looking copy behind the link

for victim in "$STORE/images" "$DIR" "$DIR/versions" "$DIR/profile.json" "$DIR/lock"; do
        mv "$victim" "$WORK/moved"
        ln -s "$TARGET" "$victim"
        before=$(cd "$TARGET" && find . -type f -exec sha256sum {} + | sort)

        run osl profile merge $IMG "$WORK/b.json"
        expect_one_line_error "merge with $victim a symlink" "is a symbolic link; refusing to follow it"
        case $victim in
        */versions | */lock) ;;
        *)
                run osl profile show $IMG
                expect_one_line_error "show with $victim a symlink" "$victim is a symbolic link; refusing to follow it"
                ;;
        esac
        after=$(cd "$TARGET" && find . -type f -exec sha256sum {} + | sort)
        [ "$before" = "$after" ] || fail "$victim: the link's target changed"

        rm "$victim"
        mv "$WORK/moved" "$victim"
done

run osl profile merge $IMG "$WORK/b.json"
expect_rc 0 "merge after the links are gone"
printf '%s\n' "$out" | grep -q "new version 2" || fail "merge after the links are gone: $out"
finish
