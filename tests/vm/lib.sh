# Sourced by every VM scenario (run-scenario.sh puts it on the payload disk beside run.sh): installs the doctor,
# and the helpers that record each step. Every command a scenario runs is a fixed string.
#
# Layout of out/: STEP.stdout, STEP.stderr and STEP.rc for every recorded step.
out=$PWD/out
install -m 755 rootless-doctor /usr/local/bin/rootless-doctor

# Runs "$@" (argv), recording its stdout, stderr and exit code as out/NAME.*; never fails the script.
record() {
    local name=$1
    shift
    local rc=0
    timeout --kill-after=5 300 "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" || rc=$?
    echo "$rc" >"$out/$name.rc"
    echo "== $name: rc $rc"
}
# A command line for tester: waits up to 120 s for the rootless daemon to answer on its socket.
# shellcheck disable=SC2016 # expanded in tester's login shell, not here
daemon_wait='for i in $(seq 120); do docker -H unix://$XDG_RUNTIME_DIR/docker.sock version >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1'
# As tester, logged in through sshd, PAM and pam_systemd (a real logind session), running one fixed command line.
as_tester() {
    local name=$1 line=$2
    record "$name" ssh -n -o BatchMode=yes tester@localhost "$line"
}
# Waits until tester's user manager (started at boot by linger) and sshd are up, before the first login. sshd's
# unit is ssh.service on Debian and Ubuntu, sshd.service elsewhere (the Vagrant matrix runs this too).
wait_for_login() {
    local manager sshd=ssh.service
    manager=user@$(id -u tester).service
    systemctl cat ssh.service >/dev/null 2>&1 || sshd=sshd.service
    for _ in $(seq 120); do
        if systemctl is-active -q "$manager" && systemctl is-active -q "$sshd"; then break; fi
        sleep 1
    done
    systemctl is-active "$manager" "$sshd"
}

# The distro matrix's scenario (tests/matrix/, the Vagrantfile), the same steps on every machine; the VM tier's net
# scenario runs it on Debian 12 and 13, and tests/matrix/expected.toml says what each step must find.
# matrix_fresh: the doctor on the host as installed, before anything is set up.
matrix_fresh() {
    as_tester matrix-preflight 'rootless-doctor preflight --format json'
}
# matrix_install: `rootless-doctor setup` as root for tester (linger, delegation, the user unit, started), the
# daemon answering, then `check` and a capture from tester's login.
matrix_install() {
    record matrix-setup rootless-doctor setup --user tester
    as_tester matrix-wait "$daemon_wait"
    as_tester matrix-check 'rootless-doctor check --format json'
    as_tester matrix-capture 'rm -rf ~/matrix-capture && rootless-doctor capture --out ~/matrix-capture'
    cp -a "$(getent passwd tester | cut -d: -f6)/matrix-capture" "$out/matrix-capture"
}
