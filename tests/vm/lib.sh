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
# As tester, logged in through sshd, PAM and pam_systemd (a real logind session), running one fixed command line.
as_tester() {
    local name=$1 line=$2
    record "$name" ssh -n -o BatchMode=yes tester@localhost "$line"
}
# Waits until tester's user manager (started at boot by linger) and sshd are up, before the first login.
wait_for_login() {
    for _ in $(seq 120); do
        if systemctl is-active -q user@1000.service && systemctl is-active -q ssh.service; then break; fi
        sleep 1
    done
    systemctl is-active user@1000.service ssh.service
}
