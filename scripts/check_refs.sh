#!/bin/sh
# check_refs.sh [DIR]: the docs, sources, tests and scripts of the tree at DIR (default
# the current folder) speak to readers outside the project. They must not point to
# files outside the repository (a sibling "shared" folder, research notes, trial
# reports) nor to the numbers of the project's own tracker (the word issue or finding
# followed by a number).
# A public reference to another project's tracker, owner/repo#N, is fine. Prints each
# offending line as FILE:LINE: TEXT on stderr and exits 1; exits 0 when there is none.
set -eu
cd "${1:-.}"

# Files to leave out (none: CHECK_REFS_EXEMPT="./FILE ..." for a local experiment).
EXEMPT=${CHECK_REFS_EXEMPT-}

# The patterns are split so that this file does not match itself.
sib='\.\./'"shared|/work/"'shared'
notes='research''/|[a-z]+-trial\.md|(adversarial|newcomer) '"trial"
# issue or finding and a number, with or without '#'; issues only with '#', so that the
# verb ("the LoadGen issues 1.1 x ...") passes.
tracker='(^|[^a-z0-9_/])'"(issue #?[0-9]+|issues #[0-9]+|findings? #?[0-9]+)"

found=0
for f in $(find . \( -path ./build -o -path ./.git -o -path ./fuzz/corpus -o -path ./tests/data \
             -o -name node_modules \) -prune -o -type f \( -name '*.c' -o -name '*.h' \
             -o -name '*.md' -o -name '*.sh' -o -name '*.in' -o -name '*.map' \
             -o -name '*.js' -o -name '*.py' -o -name '*.cc' -o -name '*.mk' -o -name Makefile \) -print | sort); do
    case " $EXEMPT " in *" $f "*) continue ;; esac
    if grep -niE "$sib|$notes|$tracker" "$f" >/dev/null 2>&1; then
        grep -niE "$sib|$notes|$tracker" "$f" | sed "s|^|${f#./}:|" >&2
        found=1
    fi
done
if [ "$found" -ne 0 ]; then
    echo "check_refs: the lines above refer to files outside the repository or to tracker" \
         "numbers: say what is meant instead" >&2
    exit 1
fi
echo "check_refs: no references outside the repository"
