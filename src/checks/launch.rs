//! The trial launch: when no rootless daemon answers, RootlessKit's start path is tried for real
//! (`rootlesskit … true`, [`crate::facts::launch`]), and its error is named through the known-error table
//! ([`crate::parse::known_errors`]).

use super::{Check, Scope};
use crate::facts::Facts;
use crate::facts::launch::{Exit, NoPlan, Trial, TrialPlan, TrialRun};
use crate::model::{Remediation, Step, Verdict};
use crate::parse::known_errors;

pub(super) const CHECKS: &[Check] = &[Check {
    id: "launch.trial",
    area: "launch",
    scope: Scope::Probe,
    needs_runtime: true,
    title: "A trial launch of RootlessKit (`rootlesskit … true`, as the user) succeeds, or its error is explained",
    reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://github.com/rootless-containers/rootlesskit",
    explain: "\
What it checks: when no rootless daemon answers, the start path of dockerd-rootless.sh is tried for real: the rootlesskit it \
would run, with the network driver it would choose and the flags it passes, running `true` instead of dockerd \
(`rootlesskit --net=slirp4netns --mtu=65520 … --copy-up=/etc --copy-up=/run --propagation=rslave true`), as the user \
(root judging someone runs it as them, through setpriv, with a clean login-like environment), in its own process group, killed \
after 10 s, with RootlessKit's state dir in a scratch directory that is removed afterwards. `check` runs it; `preflight` only \
with `--probe`. Its error is looked up in a table of the errors RootlessKit, newuidmap and Go really print, which names the \
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
            return Verdict::pass(format!(
                "`{} true` succeeded as {who} in {} ms ({} driver)",
                plan.rootlesskit, run.elapsed_ms, plan.driver
            ))
            .evidence("trial", cmd)
            .evidence(
                "network driver",
                format!("{} ({})", plan.driver, plan.driver_source),
            )
            .with_evidence(leftover_evidence(run));
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

fn describe_exit(run: &TrialRun) -> String {
    let how = match run.exit {
        Exit::Code(c) => format!("status {c}"),
        Exit::Signal(s) => format!("signal {s}"),
        Exit::TimedOut => "killed at the deadline".to_owned(),
    };
    format!("{how} after {} ms", run.elapsed_ms)
}

fn leftover_evidence(run: &TrialRun) -> Vec<crate::model::Evidence> {
    let mut ev = Vec::new();
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
    let known = known_errors::explain(&text);
    let ids = known_errors::checks_for(&text);
    if ids.is_empty() {
        return Verdict::fail(format!(
            "the trial launch as {who} {how}, and no known error explains it (not understood): {line}"
        ))
        .fix(Remediation::text(
            "rootless-doctor does not know this error. Search it in RootlessKit's and Docker's issues, and report it to \
rootless-doctor with the raw error above, so that a check can learn it.",
        ));
    }
    let mut v = Verdict::fail(format!("the trial launch as {who} {how}: {line}"));
    for k in &known {
        v = v.evidence(
            "known error",
            format!("{} ({}; {})", k.meaning, k.checks.join(", "), k.source),
        );
    }
    let steps: Vec<Step> = ids
        .iter()
        .map(|id| Step::user(["rootless-doctor", "explain", id]))
        .collect();
    v.fix(
        Remediation::text(format!(
            "Fix what {} reports, then run the check again.",
            ids.join(" and ")
        ))
        .steps(steps),
    )
    .explained_by(ids)
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
        assert_eq!(&*v.explained_by, ["subid.entries"]);
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
