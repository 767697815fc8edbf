//! `rootless-doctor capture` round trips: replay a capture and compare its findings with the ones its run found.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// `BIN --host-file DIR/host.toml [--user USER] check --format json`, with an empty environment: the report, or why
/// there is none.
pub fn replay(bin: &Path, dir: &Path, user: Option<&str>) -> Result<Value, String> {
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .arg("--host-file")
        .arg(dir.join("host.toml"));
    if let Some(u) = user {
        cmd.args(["--user", u]);
    }
    let out = cmd
        .args(["check", "--format", "json"])
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if !out.stderr.is_empty() {
        return Err(format!(
            "the replay wrote to stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "the replay printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The capture's own record of its run: DIR/findings.json.
pub fn captured(dir: &Path) -> Result<Value, String> {
    let path = dir.join("findings.json");
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// A report's findings with its tree's own path (`host.root`, when not `/`) taken out of every string, so a live
/// run and its replay below another directory compare equal.
pub fn findings_without_root(doc: &Value) -> Vec<Value> {
    let root = doc["host"]["root"].as_str().unwrap_or("/");
    let text = doc["findings"].to_string();
    let text = if root == "/" {
        text
    } else {
        text.replace(root, "")
    };
    serde_json::from_str(&text).unwrap_or_default()
}

/// Every way the replay's findings differ from the run's, one text each (empty when they are the same, finding for
/// finding: id, status, summary, evidence, fix).
pub fn differences(run: &Value, replay: &Value) -> Vec<String> {
    let (a, b) = (findings_without_root(run), findings_without_root(replay));
    let mut out = Vec::new();
    if a.len() != b.len() {
        out.push(format!(
            "{} findings in the run, {} in the replay",
            a.len(),
            b.len()
        ));
    }
    out.extend(
        a.iter()
            .zip(&b)
            .filter(|(x, y)| x != y)
            .map(|(x, y)| format!("run:    {x}\nreplay: {y}")),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_taken_out_and_differences_are_named() {
        let run: Value = serde_json::from_str(
            r#"{"host":{"root":"/tmp/a/root"},"findings":[{"id":"x","summary":"/tmp/a/root has no /proc/sys"},{"id":"y","status":"pass"}]}"#,
        )
        .unwrap();
        let same: Value = serde_json::from_str(
            r#"{"host":{"root":"/tmp/b/root"},"findings":[{"id":"x","summary":"/tmp/b/root has no /proc/sys"},{"id":"y","status":"pass"}]}"#,
        )
        .unwrap();
        assert!(differences(&run, &same).is_empty());
        let other: Value = serde_json::from_str(
            r#"{"host":{"root":"/"},"findings":[{"id":"x","summary":" has no /proc/sys"},{"id":"y","status":"fail"}]}"#,
        )
        .unwrap();
        let d = differences(&run, &other);
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("\"fail\""), "{d:?}");
    }
}
