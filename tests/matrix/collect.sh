#!/bin/bash
# Copies one Vagrant machine's matrix results (/root/matrix/out, with run.log) to target/matrix/MACHINE/, where
# `cargo xtask matrix target/matrix` checks them against tests/matrix/expected.toml. Run from the project's top.
#
# usage: tests/matrix/collect.sh MACHINE
set -euo pipefail
machine=${1:?usage: tests/matrix/collect.sh MACHINE}
dest=target/matrix/$machine
rm -rf "$dest"
mkdir -p "$dest"
vagrant ssh "$machine" --no-tty -c 'sudo tar -C /root/matrix -cf - out run.log machine' | tar -C "$dest" -xf -
echo "collect: $dest/out ($(find "$dest/out" -maxdepth 1 -type f | wc -l) files)"
