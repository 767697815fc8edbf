#!/bin/bash
# Copies one Vagrant machine's matrix results (/root/matrix/out, with run.log) to target/matrix/MACHINE/, where
# `cargo xtask matrix target/matrix` checks them against tests/matrix/expected.toml. The Vagrantfile's trigger runs
# it after `vagrant up` and `vagrant provision`; by hand it works from any directory.
#
# usage: tests/matrix/collect.sh MACHINE
set -euo pipefail
machine=${1:?usage: tests/matrix/collect.sh MACHINE}
# From the project's top, wherever vagrant (whose trigger runs this after `up` and `provision`) was started.
cd "$(dirname "$0")/../.."
dest=target/matrix/$machine
rm -rf "$dest"
mkdir -p "$dest"
vagrant ssh "$machine" --no-tty -c 'sudo tar -C /root/matrix -cf - out run.log machine' | tar -C "$dest" -xf -
echo "collect: $dest/out ($(find "$dest/out" -maxdepth 1 -type f | wc -l) files)"
