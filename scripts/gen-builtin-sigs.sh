#!/bin/sh
# gen-builtin-sigs.sh SIGFILE > wr_builtin_sigs.c
# Compiles the readable signature file into the binaries, so the module and
# the CLI always carry the same built-in set and need no path to find it.
set -eu
in=$1
echo '/* generated from conf/signatures.conf by scripts/gen-builtin-sigs.sh */'
echo '#include <string.h>'
echo '#include "wr_match.h"'
echo 'static const char builtin[] ='
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' "$in"
echo '    ;'
echo 'apr_status_t wr_sigset_load_builtin(wr_sigset_t *set, const char **err)'
echo '{'
echo '    return wr_sigset_load_buffer(set, builtin, sizeof(builtin) - 1,'
echo '                                 "signatures.conf", err);'
echo '}'
