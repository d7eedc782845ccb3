#!/usr/bin/env bash
# Writes Microsoft.ML.Pcr.Tests/TestData/jpeg/clothing-small-jpegtran.sha256: for every photo of
# ../shared/datasets/clothing-small, the SHA-256 of `jpegtran -copy none -optimize -progressive`
# output and the photo's path relative to the dataset. Lets tests check byte-identity on 3,781
# real photos without jpegtran installed. Needs libjpeg-turbo-progs 2.1.5 (Debian 12).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
data="$root/../shared/datasets/clothing-small"
out="$root/Microsoft.ML.Pcr.Tests/TestData/jpeg/clothing-small-jpegtran.sha256"
cd "$data"
find . -type f -name '*.jpg' | LC_ALL=C sort | sed 's|^\./||' | while read -r f; do
  printf '%s  %s\n' "$(jpegtran -copy none -optimize -progressive "$f" | sha256sum | cut -d' ' -f1)" "$f"
done > "$out"
wc -l "$out"
