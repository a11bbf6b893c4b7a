#!/usr/bin/env bash
# Remakes every picture in docs/ from the current build: the studio before and after a run and
# the demo's output, in English and Chinese (host-sim/tests/pictures.rs). Each picture records
# the hash of the manifest it shows; `cargo test -p host-sim --test pictures` fails when one
# does not show the current manifest. Needs Debian's chromium, chromium-driver and a Chinese
# font: apt-get install chromium chromium-driver fonts-wqy-microhei
set -euo pipefail
cd "$(dirname "$0")/.."
for program in chromium chromedriver fc-list; do
    command -v "$program" >/dev/null || { echo "pictures: $program is missing: apt-get install chromium chromium-driver fonts-wqy-microhei" >&2; exit 1; }
done
if [ -z "$(fc-list :lang=zh)" ]; then
    echo "pictures: no Chinese font, the Chinese pictures would show boxes: apt-get install fonts-wqy-microhei" >&2
    exit 1
fi
cargo build -p dingtalk-robot -p host-sim
HOST_SIM_REQUIRE_PLUGIN=1 cargo test -p host-sim --test pictures -- --ignored remake_the_pictures --nocapture
cargo test -p host-sim --test pictures
