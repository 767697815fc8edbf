//! The trial launch: when no rootless daemon answers, RootlessKit's start path is tried for real
//! (`rootlesskit … true`, [`crate::facts::launch`]), and its error is named through the known-error table
//! ([`crate::parse::known_errors`]).

use super::{Check, Judges, Scope};
use crate::facts::Facts;
use crate::facts::launch::{Exit, NoPlan, Trial, TrialPlan, TrialRun};
use crate::model::{Remediation, Step, Verdict};
use crate::parse::known_errors;

pub(super) const CHECKS: &[Check] = &[Check {
    id: "launch.trial",
    area: "launch",
    scope: Scope::Probe,
    needs_runtime: true,
    per_user: true,
    judges: Judges::Rootless,
    title: "Trial launches as the user (`rootlesskit … true`, then dockerd-rootless.sh until dockerd answers) succeed, or their error is explained",
    reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://github.com/rootless-containers/rootlesskit",
    explain: "\
What it checks: when no rootless daemon answers, the start path of dockerd-rootless.sh is tried for real: the rootlesskit it \
would run, with the network driver it would choose and the flags it passes, running `true` instead of dockerd \
(`rootlesskit --net=slirp4netns --mtu=65520 … --copy-up=/etc --copy-up=/run --propagation=rslave true`), as the user \
(root judging someone runs it as them, through setpriv, with a clean login-like environment), in its own process group, killed \
after 10 s, with RootlessKit's state dir in a scratch directory that is removed afterwards. When RootlessKit starts, the \
whole start path is tried next: the real dockerd-rootless.sh, with the PATH and DOCKERD_ROOTLESS_* variables the daemon \
will have, and XDG_RUNTIME_DIR, XDG_DATA_HOME and XDG_CONFIG_HOME in the scratch directory (your data-root is never \
touched; the scratch daemon.json is a copy of yours without data-root, graph, exec-root, pidfile and hosts, which would \
point at your real directories and sockets), until its dockerd answers GET /_ping; then everything is stopped and \
removed (45 s at most). `check` runs them; `preflight` only with `--probe`. Its error is looked up in a table of the errors RootlessKit, newuidmap and Go really print, which names the \
check that explains it, and says whether that check fails in the same run.

Why it matters: every other check predicts; this one proves. An error the table knows points at its check and fix; one that the \
table knows but whose check passed means the doctor missed something (worth a bug report); one it does not know is shown raw, \
never hidden behind `all passed`.

What you see when it's wrong: whatever RootlessKit prints, e.g. `[rootlesskit:parent] error: failed to setup UID/GID map: \
failed to compute uid/gid map: No subuid ranges found for user 1002 (\"alice\")`, or `failed to start the child: fork/exec \
/proc/self/exe: operation not permitted`.

How to fix: follow the check the finding names (`rootless-doctor explain ID`); for an error it does not understand, search the \
error text in RootlessKit's and Docker's issues, and report it to rootless-doctor with the raw error.",
    packages: &[],
    removes: &[],
    run: trial,
}];

/// The line that says what went wrong ([`known_errors::error_line`]).
fn error_line(run: &TrialRun) -> String {
    known_errors::error_line(&run.stderr, &run.stdout)
}

fn command_line(plan: &TrialPlan) -> String {
    Step::user(plan.argv.iter().map(String::as_str)).render()
}

fn trial(f: &Facts) -> Verdict {
    let socket = f.rootless_socket();
    if let Ok(r) = f.http_get(&socket, "/_ping")
        && r.status == 200
    {
        return Verdict::skip(format!(
            "a rootless daemon answers at unix://{socket} (see daemon.running): its start path works, nothing to try"
        ));
    }
    let plan = match f.launch_plan() {
        Ok(p) => p,
        Err(NoPlan::NoRootlesskit) => {
            return Verdict::skip(
                "rootlesskit is not installed, so there is nothing to try (see network.binaries)",
            );
        }
        Err(NoPlan::NoDriver) => {
            return Verdict::skip(
                "no network driver dockerd-rootless.sh would take (see network.driver), so there is nothing to try",
            );
        }
    };
    let who = plan.as_user.clone().unwrap_or_else(|| f.user.name.clone());
    let cmd = command_line(plan);
    let run = match f.launch_trial() {
        Some(Trial::Ran(run)) => run,
        Some(Trial::Unsupported(why)) => {
            return Verdict::skip(format!("no trial launch on this host: {why}"))
                .evidence("trial", cmd);
        }
        Some(Trial::CouldNotRun(e)) => {
            return Verdict::error(format!("could not run the trial launch as {who}: {e}"))
                .evidence("trial", cmd);
        }
        None => return Verdict::skip("nothing to try"),
    };
    let mut v = match run.exit {
        Exit::Code(0) => {
            let v = Verdict::pass(format!(
                "`{} true` succeeded as {who} in {} ms ({} driver)",
                plan.rootlesskit, run.elapsed_ms, plan.driver
            ))
            .evidence("trial", cmd)
            .evidence(
                "network driver",
                format!("{} ({})", plan.driver, plan.driver_source),
            )
            .with_evidence(leftover_evidence(run));
            return start_trial(f, v, &who);
        }
        Exit::Code(code) => outcome(run, &who, &format!("exited with status {code}")),
        Exit::Signal(sig) => outcome(run, &who, &format!("was killed by signal {sig}")),
        Exit::TimedOut => outcome(
            run,
            &who,
            &format!(
                "did not finish within {} s and was killed with its process group",
                plan.timeout.as_secs()
            ),
        ),
        // The first trial asks no socket; a runner that says so anyway is reported as what it is.
        Exit::Ready => outcome(run, &who, "was stopped once a socket answered"),
    };
    v = v
        .evidence("trial", cmd)
        .evidence(
            "network driver",
            format!("{} ({})", plan.driver, plan.driver_source),
        )
        .evidence("exit", describe_exit(run));
    for line in run
        .stderr
        .lines()
        .chain(run.stdout.lines())
        .filter(|l| !l.trim().is_empty())
        .take(20)
    {
        v = v.evidence("output", line.to_owned());
    }
    v.with_evidence(leftover_evidence(run))
}

/// RootlessKit started: now the whole start path, the real dockerd-rootless.sh to a dockerd that answers, with its
/// runtime, data and configuration directories in a scratch directory. `first` is the first trial's pass.
fn start_trial(f: &Facts, first: Verdict, who: &str) -> Verdict {
    let Some(plan) = f.start_plan() else {
        return first.evidence(
            "start trial",
            "not tried: no dockerd-rootless.sh is installed (see network.binaries)",
        );
    };
    let cmd = Step::user(plan.argv.iter().map(String::as_str)).render();
    let config = match &plan.config {
        Some(c) if c.dropped.is_empty() => format!("a copy of {}", c.from),
        Some(c) => format!("a copy of {} without {}", c.from, c.dropped.join(", ")),
        None => "no daemon.json, as you have none".to_owned(),
    };
    let setting = format!(
        "{cmd} with XDG_RUNTIME_DIR, XDG_DATA_HOME and XDG_CONFIG_HOME in a scratch directory ({config}), until GET \
/_ping answers at $XDG_RUNTIME_DIR/docker.sock"
    );
    let run = match f.start_trial() {
        Some(Trial::Ran(run)) => run,
        Some(Trial::Unsupported(why)) => {
            return first.evidence("start trial", format!("not tried on this host: {why}"));
        }
        Some(Trial::CouldNotRun(e)) => {
            return Verdict::error(format!(
                "RootlessKit starts as {who}, but the trial start of dockerd-rootless.sh could not be run: {e}"
            ))
            .with_evidence(first.evidence)
            .evidence("start trial", setting);
        }
        None => return first,
    };
    let how = match run.exit {
        Exit::Ready => {
            return Verdict::pass(format!(
                "the start path works: {} as {who} brought up a dockerd that answered in {} ms (a trial in a \
scratch directory, stopped and removed)",
                plan.script, run.elapsed_ms
            ))
            .with_evidence(first.evidence)
            .evidence("start trial", setting)
            .with_evidence(leftover_evidence(run));
        }
        Exit::Code(c) => format!("exited with status {c}"),
        Exit::Signal(sig) => format!("was killed by signal {sig}"),
        Exit::TimedOut => format!(
            "had no dockerd answering within {} s and was killed with its process group",
            plan.timeout.as_secs()
        ),
    };
    let line = error_line(run);
    // The output holds the script's `set -x` trace and dockerd's log: only the error line is matched.
    let known = known_errors::explain_failure(&line);
    // Root judging someone who starts the daemon by hand tries it with the login PATH, a stand-in for their
    // shell's: what fails there may not fail for them.
    let estimated = f.daemon_path().is_some_and(|p| !p.known);
    let mut v = if known.is_empty() {
        Verdict::fail(format!(
            "RootlessKit starts, but the trial start of {} as {who} {how}, and no known error explains it \
(not understood): {line}",
            plan.script
        ))
        .fix(Remediation::text(
            "rootless-doctor does not know this error. Search it in Docker's and RootlessKit's issues, and report it \
to rootless-doctor with the raw error above, so that a check can learn it.",
        ))
    } else {
        let v = if estimated {
            Verdict::warn(format!(
                "RootlessKit starts, but the trial start of {} as {who}, with the login PATH that stands in for their \
shell's, {how}: {line}",
                plan.script
            ))
        } else {
            Verdict::fail(format!(
                "RootlessKit starts, but the trial start of {} as {who} {how}: {line}",
                plan.script
            ))
        };
        named(v, &known)
    };
    v = v
        .with_evidence(first.evidence)
        .evidence("start trial", setting)
        .evidence("exit", describe_exit(run));
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .chain(run.stdout.lines())
        .filter(|l| !l.trim().is_empty() && !l.starts_with("+ "))
        .collect();
    for l in &lines[lines.len().saturating_sub(20)..] {
        v = v.evidence("output", (*l).to_owned());
    }
    v.with_evidence(leftover_evidence(run))
}

fn describe_exit(run: &TrialRun) -> String {
    let how = match run.exit {
        Exit::Code(c) => format!("status {c}"),
        Exit::Signal(s) => format!("signal {s}"),
        Exit::TimedOut => "killed at the deadline".to_owned(),
        Exit::Ready => "answered, then killed".to_owned(),
    };
    format!("{how} after {} ms", run.elapsed_ms)
}

fn leftover_evidence(run: &TrialRun) -> Vec<crate::model::Evidence> {
    let mut ev = Vec::new();
    if let Some(first) = &run.first_attempt {
        ev.push(crate::model::Evidence {
            source: "first attempt".into(),
            detail: format!(
                "{first} (`true` ended while RootlessKit 1.1.0 still set up its port driver: a race of the trial, \
tried again, up to twice)"
            ),
        });
    }
    if !run.leftovers.is_empty() {
        ev.push(crate::model::Evidence {
            source: "scratch TMPDIR".into(),
            detail: format!("left behind and removed: {}", run.leftovers.join(", ")),
        });
    }
    if let Some(e) = &run.cleanup_error {
        ev.push(crate::model::Evidence {
            source: "scratch TMPDIR".into(),
            detail: format!("could not be removed: {e}"),
        });
    }
    ev
}

/// A failed trial: named through the known-error table, or plainly not understood.
fn outcome(run: &TrialRun, who: &str, how: &str) -> Verdict {
    let line = error_line(run);
    let text = format!("{}\n{}", run.stderr, run.stdout);
    let known = known_errors::explain_failure(&text);
    if known.is_empty() {
        return Verdict::fail(format!(
            "the trial launch as {who} {how}, and no known error explains it (not understood): {line}"
        ))
        .fix(Remediation::text(
            "rootless-doctor does not know this error. Search it in RootlessKit's and Docker's issues, and report it to \
rootless-doctor with the raw error above, so that a check can learn it.",
        ));
    }
    named(
        Verdict::fail(format!("the trial launch as {who} {how}: {line}")),
        &known,
    )
}

/// `v` with what the known-error table says of a text (`known`, its [`known_errors::explain`]): each entry as
/// evidence, the checks that explain it as the fix (`rootless-doctor explain ID`) and as [`Verdict::explained_by`].
/// For a text the table knows.
fn named(mut v: Verdict, known: &[&'static known_errors::KnownError]) -> Verdict {
    for k in known {
        v = v.evidence(
            "known error",
            format!("{} ({}; {})", k.meaning, k.checks.join(", "), k.source),
        );
    }
    // The fix ("Fix what ID reports", with `rootless-doctor explain ID` steps) is written by the runner, which knows
    // which of these checks reported the cause in this run (`checks::explain_with`).
    v.explained_by(known_errors::checks_of(known))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(code: i32, stderr: &str) -> TrialRun {
        TrialRun {
            exit: Exit::Code(code),
            stdout: String::new(),
            stderr: stderr.to_owned(),
            elapsed_ms: 27,
            leftovers: vec![],
            cleanup_error: None,
            first_attempt: None,
        }
    }

    #[test]
    fn the_error_line_skips_rootlesskits_warnings() {
        let r = ran(
            1,
            "time=\"…\" level=warning msg=\"The host root filesystem is mounted as \\\"\\\". Setting child propagation to \\\"rslave\\\" is not supported.\"\n\
             [rootlesskit:parent] error: failed to setup UID/GID map: failed to compute uid/gid map: No subuid ranges found for user 1002 (\"rdtest-nosub\")\n",
        );
        assert!(
            error_line(&r).starts_with("[rootlesskit:parent] error: failed to setup UID/GID map")
        );
        let v = outcome(&r, "rdtest-nosub", "exited with status 1");
        assert_eq!(&*v.explained_by, ["subid.entries", "subid.nss"]);
        assert_eq!(v.status, crate::model::Status::Fail);
    }

    #[test]
    fn an_unknown_error_is_not_understood() {
        let v = outcome(&ran(1, "something new\n"), "alice", "exited with status 1");
        assert!(
            v.summary.contains("(not understood): something new"),
            "{}",
            v.summary
        );
        assert!(v.explained_by.is_empty());
        assert_eq!(error_line(&ran(1, "")), "no output");
    }
}
