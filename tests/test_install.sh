#!/usr/bin/env bash
# Installs zown into a temporary prefix, then builds and runs a consumer
# with find_package(zown) and with pkg-config, as another project would,
# and runs the installed zown command.
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

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/tests/consumer" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_C_COMPILER="$compiler" -DCMAKE_C_FLAGS="$flags" >/dev/null
cmake --build "$work/cmake" >/dev/null
LD_LIBRARY_PATH=$work/prefix/lib:$work/prefix/lib64:${LD_LIBRARY_PATH:-} "$work/cmake/consumer_cmake"

pc_dir=$(dirname "$(find "$work/prefix" -name zown.pc | head -1)")
export PKG_CONFIG_PATH=$pc_dir
# shellcheck disable=SC2086 # the flags are words
"$compiler" -std=c11 $flags "$source_dir/tests/consumer/consumer.c" -o "$work/consumer_pc" \
    $(pkg-config --cflags --libs zown)
LD_LIBRARY_PATH=$work/prefix/lib:$work/prefix/lib64:${LD_LIBRARY_PATH:-} "$work/consumer_pc"
# The zown command is installed too, and runs from the prefix as it is.
"$work/prefix/bin/zown" --help >/dev/null
echo "install: find_package and pkg-config consumers both ran; bin/zown runs"
