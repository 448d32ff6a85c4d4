#!/usr/bin/env bash
# The `format` test: scripts/format.sh --check from the source folder. Exit 77 (ctest: skipped)
# where clang-format 14, which laid out the tree (.clang-format), is not installed; another
# major version would lay out some files differently.
cd "$(dirname "$0")/.." || exit 1
cf=${CLANG_FORMAT:-clang-format}
if ! command -v "$cf" >/dev/null 2>&1; then
  echo "format: skipped, $cf is not installed (apt-get install clang-format)"
  exit 77
fi
version=$("$cf" --version | sed -n 's/.*clang-format version \([0-9]*\).*/\1/p')
if [ "$version" != 14 ]; then
  echo "format: skipped, $cf is version ${version:-unknown}; the tree is laid out by clang-format 14"
  exit 77
fi
exec scripts/format.sh --check
