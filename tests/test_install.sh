#!/usr/bin/env bash
# Installs zown as a user would and uses it as another project would:
# - into a temporary prefix: programs built against it with find_package
#   and with pkg-config (also linking libzown statically), run without
#   LD_LIBRARY_PATH; the installed zown runs from the prefix, and from a
#   copy of it elsewhere (its rpath is relative); the man pages are there;
# - from a second build of the sources with no cmocka (configured as a
#   user without it would), built and installed.
# Usage: test_install.sh SOURCE_DIR BUILD_DIR [CC [CFLAGS]]
# CC is the compiler zown was built with, CFLAGS flags the consumers need
# to link it: a sanitizer build's library needs its sanitizer's runtime in
# the program, which only that compiler with -fsanitize links.
set -euo pipefail
source_dir=$1
build_dir=$2
compiler=${3:-cc}
flags=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ZOWN_RUNDIR=$work/run
mkdir -m 700 "$ZOWN_RUNDIR"
# Nothing below may need it.
unset LD_LIBRARY_PATH

fail () {
    echo "install: $*" >&2
    exit 1
}
trap 'echo "install: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

prefix=$work/prefix
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
for page in man1/zown.1 man3/zown.3; do
    [ -s "$prefix/share/man/$page" ] || fail "no $page in $prefix/share/man"
done

cmake -S "$source_dir/tests/consumer" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$compiler" -DCMAKE_C_FLAGS="$flags" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer_cmake"

pc_dir=$(dirname "$(find "$prefix" -name zown.pc | head -1)")
export PKG_CONFIG_PATH=$pc_dir
libdir=$(pkg-config --variable=libdir zown)
# CZMQ and libzmq are private requirements: a program linked with
# libzown.so links neither.
read -r -a libs <<<"$(pkg-config --libs zown)"
if [ "${#libs[@]}" != 2 ] || [ "${libs[1]}" != -lzown ] \
    || [ "$(realpath "${libs[0]#-L}")" != "$(realpath "$libdir")" ]; then
    fail "pkg-config --libs zown: ${libs[*]}"
fi
# A prefix the dynamic linker does not search: the program says where.
# shellcheck disable=SC2046,SC2086 # the flags are words
"$compiler" -std=c11 $flags "$source_dir/tests/consumer/consumer.c" -o "$work/consumer_pc" \
    $(pkg-config --cflags --libs zown) -Wl,-rpath,"$libdir"
"$work/consumer_pc"

# Statically linked libzown, from what pkg-config --static lists.
static_libs=$(pkg-config --static --libs zown) || fail "pkg-config --static --libs zown failed"
case " $static_libs " in
    *" -lczmq "*" -lzmq "* | *" -lzmq "*" -lczmq "*) ;;
    *) fail "pkg-config --static --libs zown lacks CZMQ or libzmq: $static_libs" ;;
esac
# libzown.a, then the rest of the list as shared libraries. Debian 12's
# norm.pc (a requirement of libzmq's) names a file that is not there,
# libprotokit.a: words that are neither options nor files are left out.
link=()
for word in $static_libs; do
    # shellcheck disable=SC2054 # linker options, with their commas
    case $word in
        -lzown) link+=(-Wl,-Bstatic -lzown -Wl,-Bdynamic) ;;
        -*) link+=("$word") ;;
        *) [ ! -e "$word" ] || link+=("$word") ;;
    esac
done
# shellcheck disable=SC2046,SC2086
"$compiler" -std=c11 $flags "$source_dir/tests/consumer/consumer.c" -o "$work/consumer_static" \
    $(pkg-config --cflags zown) "${link[@]}"
[[ $(ldd "$work/consumer_static") != *libzown* ]] || fail "consumer_static loads libzown.so"
"$work/consumer_static"

# The installed command finds its library by its rpath, also once the
# prefix is moved. (ldd's output is matched whole: `ldd | grep -q` can
# fail under pipefail, when grep stops reading before ldd has written.)
"$prefix/bin/zown" --help >/dev/null
[[ $(ldd "$prefix/bin/zown") == *"$prefix/"*libzown* ]] || fail "bin/zown does not load the prefix's libzown"
cp -a "$prefix" "$work/moved"
"$work/moved/bin/zown" --help >/dev/null
[[ $(ldd "$work/moved/bin/zown") == *"$work/moved/"*libzown* ]] || fail "a moved bin/zown loads another libzown"

# A user without cmocka (hidden from CMake) configures with the defaults:
# a warning, and no tests. Then, with BUILD_TESTING=OFF as README says,
# the library and the command build and install.
user=$work/user
cmake -S "$source_dir" -B "$user" -DCMAKE_C_COMPILER="$compiler" \
    -DCMAKE_DISABLE_FIND_PACKAGE_cmocka=ON >"$work/configure.log" 2>&1 \
    || { cat "$work/configure.log" >&2; fail "configure without cmocka failed"; }
grep -q 'cmocka not found' "$work/configure.log" || fail "no warning that cmocka is missing"
! grep -q 'add_test\|test_pool' "$user/CTestTestfile.cmake" 2>/dev/null || fail "tests registered without cmocka"
cmake -S "$source_dir" -B "$user" -DBUILD_TESTING=OFF >"$work/configure.log" 2>&1 \
    || { cat "$work/configure.log" >&2; fail "configure with BUILD_TESTING=OFF failed"; }
! grep -qi 'warning' "$work/configure.log" || { cat "$work/configure.log" >&2; fail "configure warned"; }
cmake --build "$user" -j "$(nproc)" --target zown zown_static zown_cli >/dev/null
cmake --install "$user" --prefix "$work/user-prefix" >/dev/null
"$work/user-prefix/bin/zown" --help >/dev/null
echo "install: find_package, pkg-config and static consumers ran; bin/zown runs, moved too;" \
    "man pages installed; built and installed without cmocka"
