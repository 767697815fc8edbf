//! `cargo xtask bench`: whole-process wall time of `preflight` against `dockerd-rootless-setuptool.sh check`.
//!
//! Both run as the test user with the same clean environment, under hyperfine with no shell in between (`-N`).
//! PATH includes /usr/share/docker.io/contrib so that setuptool runs its whole check rather than stopping at
//! "dockerd-rootless.sh needs to be present under $PATH".
//! `/bin/true` runs in the same hyperfine call, so the report shows preflight's own time above a bare process
//! start; GNU time's `%M` gives one run's peak resident memory.
//! The tier fails when preflight's median exceeds the project's 5 ms target in two measurements in a row (a shared
//! machine has noisy minutes); the numbers are printed either way and
//! written to `target/bench/preflight.md`.
//!
//! Then the fleet's scale: a host tree of 10,000 accounts with a subordinate uid and gid range each (generated from
//! the `debian-12` fixture's tree, [`fleet_tree`]) against the same tree as it is, `preflight --root TREE --user
//! alice` as root on each, in one hyperfine run. Both must find the same for alice; the difference of the medians is
//! reported beside the goal (≤ 2 ms), not enforced. And `preflight --root TREE --all-users` on the big tree, every
//! account judged (fewer runs: it takes seconds), its median beside the goal (≤ 50 ms), not enforced either; the run
//! must judge all 10,002 accounts. Then the same with a home directory for each account ([`fleet_homes`]), as on a real
//! host, where each account's own files are looked up in its home: its median and its user and kernel time.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail, format_err};
use serde::Deserialize;
use xshell::{Shell, cmd};

use crate::live_env::{self, DirGuard, OK_USER};

pub const SETUPTOOL: &str = "/usr/share/docker.io/contrib/dockerd-rootless-setuptool.sh";
/// The project's target for `preflight` (median, whole process).
pub const TARGET_MEDIAN_SECS: f64 = 0.005;
/// How much faster than setuptool preflight aims to be (medians of the same hyperfine run); reported, not enforced.
pub const GOAL_RATIO: f64 = 10.0;
/// A bare process start, measured beside the two.
const BARE: &str = "/bin/true";
/// GNU time, for one run's peak resident memory.
const GNU_TIME: &str = "/usr/bin/time";
const WARMUP: &str = "10";
const RUNS: &str = "200";
/// The fleet's size, and how much one user's preflight may cost more on it than on a stock tree (reported).
pub const FLEET_ACCOUNTS: usize = 10_000;
pub const FLEET_GOAL_SECS: f64 = 0.002;
/// How long `preflight --all-users` may take on the fleet's tree (median, whole process; reported).
pub const ALL_USERS_GOAL_SECS: f64 = 0.050;
/// The fixture whose tree the fleet grows from, and the user judged on both.
const FLEET_BASE: &str = "tests/fixtures/debian-12/root";
const FLEET_USER: &str = "alice";

/// One command's result in hyperfine's `--export-json` (times in seconds).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BenchResult {
    /// The `-n` name given to hyperfine.
    #[serde(rename = "command")]
    pub name: String,
    pub mean: f64,
    pub stddev: Option<f64>,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// One per run; `null` for a run killed by a signal.
    #[serde(default, deserialize_with = "exit_codes")]
    pub exit_codes: Vec<i64>,
    /// The mean user and system (kernel) CPU time of a run.
    #[serde(default)]
    pub user: f64,
    #[serde(default)]
    pub system: f64,
}

fn exit_codes<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<i64>, D::Error> {
    let codes: Vec<Option<i64>> = Deserialize::deserialize(deserializer)?;
    Ok(codes.into_iter().flatten().collect())
}

#[derive(Deserialize)]
struct Export {
    results: Vec<BenchResult>,
}

pub fn run(sh: &Shell) -> Result<()> {
    cmd!(sh, "cargo build --release").run()?;
    let built = crate::target_dir(sh).join("release/rootless-doctor");
    let user = live_env::lookup(OK_USER)?;

    let work = DirGuard::create(
        format!("/tmp/rootless-doctor-bench-{}", std::process::id()),
        0o755,
        None,
    )?;
    let bin = work.path().join("rootless-doctor");
    live_env::install_binary(&built, &bin)?;
    // hyperfine runs as the user, so the export goes to a directory the user owns.
    let out = DirGuard::create(work.path().join("out"), 0o755, Some(&user))?;
    let export = out.path().join("hyperfine.json");
    let xdg = live_env::xdg_runtime_dir(&user)?;

    // hyperfine -N splits each command with shell-word rules; these paths are ours and have no blanks or quotes.
    let preflight = format!("{} preflight --format json", bin.display());
    let setuptool = format!("{SETUPTOOL} check");
    println!(
        "bench: as {OK_USER}: `{preflight}` vs `{setuptool}`, {WARMUP} warmup + {RUNS} runs each"
    );
    // `-i`: setuptool check exits 1 on this host (it demands `modprobe ip_tables`, which is built in here).
    // hyperfine applies it to both commands, so preflight's exit codes are checked from the export below.
    let xdg_path = xdg.path().display().to_string();
    let env = [
        ("HOME", user.home.to_str().context("home is not UTF-8")?),
        ("USER", &user.name),
        ("LOGNAME", &user.name),
        ("PATH", testkit::USER_PATH),
        ("XDG_RUNTIME_DIR", &xdg_path),
    ];
    let export_arg = export.display().to_string();
    let measure = || -> Result<Vec<BenchResult>> {
        let mut hyperfine = testkit::as_user(
            &user.name,
            env,
            &[
                "hyperfine",
                "-N",
                "-i",
                "--style",
                "basic",
                "--warmup",
                WARMUP,
                "--runs",
                RUNS,
                "--export-json",
                &export_arg,
                "-n",
                "preflight",
                &preflight,
                "-n",
                "setuptool",
                &setuptool,
                "-n",
                "true",
                BARE,
            ],
        );
        println!("$ {hyperfine:?}");
        let status = hyperfine.status().context("runuser")?;
        if !status.success() {
            bail!("hyperfine as {OK_USER}: {status}");
        }
        parse_hyperfine(&sh.read_file(&export)?)
    };
    let mut results = measure()?;
    // A shared machine has noisy minutes (syscalls here have been seen to cost twice as much for a while):
    // over the target, measure once more and judge the second run, printing both.
    let first = find(&results, "preflight")?.median;
    if first > TARGET_MEDIAN_SECS {
        println!(
            "bench: preflight median {:.2} ms is over the {:.0} ms target; measuring once more",
            first * 1e3,
            TARGET_MEDIAN_SECS * 1e3
        );
        results = measure()?;
    }
    let hyperfine_version = cmd!(sh, "hyperfine --version")
        .quiet()
        .read()
        .unwrap_or_default();
    let kernel = sh
        .read_file("/proc/sys/kernel/osrelease")
        .unwrap_or_default();
    // build.rs links libgcc's unwinder statically: the binary must load nothing but glibc.
    let dynamic = cmd!(sh, "readelf --dynamic {bin}").quiet().read()?;
    let needed = parse_needed(&dynamic);
    if needed.iter().any(|lib| lib.starts_with("libgcc_s")) {
        bail!(
            "{} still needs libgcc_s ({needed:?}): build.rs's static unwinder was not linked",
            bin.display()
        );
    }
    let context = format!(
        "{} as `{OK_USER}` with a clean environment (PATH={}), `hyperfine -N` (no shell), {WARMUP} warmup runs, {RUNS} runs; kernel {}; the binary loads {}.",
        hyperfine_version.trim(),
        testkit::USER_PATH,
        kernel.trim(),
        needed.join(", ")
    );
    // The largest of a few runs: the peak differs by a page or two from run to run.
    let mut peak_kib = 0;
    for _ in 0..5 {
        let out = testkit::as_user(
            &user.name,
            env,
            &[
                GNU_TIME,
                "-f",
                "%M",
                &bin.display().to_string(),
                "preflight",
                "--format",
                "json",
            ],
        )
        .output()
        .context("runuser")?;
        peak_kib = peak_kib.max(parse_time_kib(&String::from_utf8_lossy(&out.stderr))?);
    }
    let mut report = render_markdown(&results, &context, peak_kib)?;
    report.push_str(&fleet(sh, &bin, work.path())?);
    println!("\n{report}");
    let dir = crate::target_dir(sh).join("bench");
    sh.create_dir(&dir)?;
    let path = dir.join("preflight.md");
    sh.write_file(&path, &report)?;
    println!("bench: wrote {}", path.display());

    let preflight = find(&results, "preflight")?;
    if preflight.exit_codes.iter().any(|&code| code != 0) {
        bail!(
            "preflight exited non-zero as {OK_USER} (exit codes {:?}); expected 0",
            distinct(&preflight.exit_codes)
        );
    }
    if preflight.median > TARGET_MEDIAN_SECS {
        bail!(
            "preflight median {:.2} ms exceeds the {:.0} ms target",
            preflight.median * 1e3,
            TARGET_MEDIAN_SECS * 1e3
        );
    }
    Ok(())
}

/// Adds `accounts` users to the tree at `root` (a copy of a fixture's): for each a passwd line with a login shell, a
/// group of its own, and one 65,536-id range in /etc/subuid and /etc/subgid, above every range the fixture has.
pub fn fleet_tree(root: &std::path::Path, accounts: usize) -> Result<()> {
    use std::io::Write as _;
    let mut passwd = String::new();
    let mut group = String::new();
    let mut subid = String::new();
    for i in 0..accounts {
        let name = format!("u{i:05}");
        let id = 2000 + i;
        let start = 1_000_000 + 65_536 * i;
        let _ = writeln!(passwd, "{name}:x:{id}:{id}:{name}:/home/{name}:/bin/bash");
        let _ = writeln!(group, "{name}:x:{id}:");
        let _ = writeln!(subid, "{name}:{start}:65536");
    }
    for (file, text) in [
        ("passwd", &passwd),
        ("group", &group),
        ("subuid", &subid),
        ("subgid", &subid),
    ] {
        let path = root.join("etc").join(file);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .with_context(|| format!("appending to {}", path.display()))?;
    }
    Ok(())
}

/// The fleet's measurement (see the module's documentation): its part of the report.
fn fleet(sh: &Shell, bin: &std::path::Path, work: &std::path::Path) -> Result<String> {
    let base = crate::project_root().join(FLEET_BASE);
    let stock = work.join("stock");
    let big = work.join(format!("fleet-{FLEET_ACCOUNTS}"));
    for tree in [&stock, &big] {
        cmd!(sh, "cp -a {base} {tree}").quiet().run()?;
    }
    fleet_tree(&big, FLEET_ACCOUNTS)?;
    let run_on = |tree: &std::path::Path| {
        format!(
            "{} preflight --root {} --user {FLEET_USER} --format json",
            bin.display(),
            tree.display()
        )
    };
    // The same findings for alice on both trees, or the comparison means nothing.
    let statuses = |tree: &std::path::Path| -> Result<Vec<(String, String)>> {
        let out = std::process::Command::new(bin)
            .args(["preflight", "--root"])
            .arg(tree)
            .args(["--user", FLEET_USER, "--format", "json"])
            .output()
            .context("preflight on the fleet's trees")?;
        let doc: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("preflight's JSON")?;
        Ok(doc["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| (f["id"].to_string(), f["status"].to_string()))
            .collect())
    };
    let (on_stock, on_big) = (statuses(&stock)?, statuses(&big)?);
    if on_stock.is_empty() || on_stock != on_big {
        bail!(
            "preflight for {FLEET_USER} finds differently with {FLEET_ACCOUNTS} accounts added:\nstock: {on_stock:?}\nfleet: {on_big:?}"
        );
    }
    let export = work.join("fleet.json");
    let (stock_cmd, big_cmd) = (run_on(&stock), run_on(&big));
    println!("bench: the fleet's scale, as root: `{stock_cmd}` vs `{big_cmd}`");
    cmd!(
        sh,
        "hyperfine -N -i --style basic --warmup {WARMUP} --runs 100 --export-json {export} -n stock {stock_cmd} -n fleet {big_cmd}"
    )
    .run()?;
    let results = parse_hyperfine(&sh.read_file(&export)?)?;
    let mut report = render_fleet(&results)?;
    // Every account, judged: the run must list each of them (the stock tree's alice and bob too).
    let out = std::process::Command::new(bin)
        .args(["preflight", "--root"])
        .arg(&big)
        .args(["--all-users", "--format", "json"])
        .output()
        .context("preflight --all-users on the fleet's tree")?;
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("preflight --all-users's JSON")?;
    let judged = doc["accounts"].as_array().map_or(0, Vec::len);
    if judged != FLEET_ACCOUNTS + 2 {
        bail!(
            "preflight --all-users judged {judged} accounts of the fleet's tree, not {}",
            FLEET_ACCOUNTS + 2
        );
    }
    let results = all_users(sh, bin, &big, work, "all-users")?;
    report.push_str(&render_all_users(&results)?);
    // The same accounts with a home each, as on a real host: every account's own files are then looked up in it,
    // where a missing home answers them all with one lookup.
    let homes = work.join(format!("fleet-{FLEET_ACCOUNTS}-homes"));
    cmd!(sh, "cp -a {big} {homes}").quiet().run()?;
    fleet_homes(&homes, FLEET_ACCOUNTS)?;
    let results = all_users(sh, bin, &homes, work, "all-users-homes")?;
    report.push_str(&render_all_users_homes(&results)?);
    Ok(report)
}

/// `preflight --root TREE --all-users` under hyperfine (five runs: it takes seconds), named `name`.
fn all_users(
    sh: &Shell,
    bin: &std::path::Path,
    tree: &std::path::Path,
    work: &std::path::Path,
    name: &str,
) -> Result<Vec<BenchResult>> {
    let command = format!(
        "{} preflight --root {} --all-users",
        bin.display(),
        tree.display()
    );
    let export = work.join(format!("{name}.json"));
    println!("bench: every account of the fleet's tree: `{command}`");
    cmd!(
        sh,
        "hyperfine -N -i --style basic --warmup 1 --runs 5 --export-json {export} -n {name} {command}"
    )
    .run()?;
    parse_hyperfine(&sh.read_file(&export)?)
}

/// Gives each of [`fleet_tree`]'s accounts its home directory, empty, owned by the account and mode 0700, as useradd
/// makes it (without the skeleton's files).
pub fn fleet_homes(root: &std::path::Path, accounts: usize) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt as _, chown};
    let home = root.join("home");
    for i in 0..accounts {
        let dir = home.join(format!("u{i:05}"));
        let id = u32::try_from(2000 + i)?;
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .and_then(|()| chown(&dir, Some(id), Some(id)))
            .with_context(|| format!("making {}", dir.display()))?;
    }
    Ok(())
}

/// The part of the report for the tree whose accounts have homes: the median, and the mean user and kernel time.
pub fn render_all_users_homes(results: &[BenchResult]) -> Result<String> {
    let all = find(results, "all-users-homes")?;
    Ok(format!(
        "\nThe same, each account with an empty home directory of its own (its files are looked up there, about 15 \
lookups each): median {:.1} ms; CPU time per run (means) {:.1} ms user, {:.1} ms kernel\n",
        all.median * 1e3,
        all.user * 1e3,
        all.system * 1e3,
    ))
}

/// The `--all-users` part of the report: its median against [`ALL_USERS_GOAL_SECS`].
pub fn render_all_users(results: &[BenchResult]) -> Result<String> {
    let all = find(results, "all-users")?;
    Ok(format!(
        "\n`preflight --root TREE --all-users` on the same {FLEET_ACCOUNTS}-account tree ({} accounts judged): \
median {:.1} ms, mean {:.1} ± {:.1} ms (goal ≤ {:.0} ms: {})\n",
        FLEET_ACCOUNTS + 2,
        all.median * 1e3,
        all.mean * 1e3,
        all.stddev.unwrap_or(0.0) * 1e3,
        ALL_USERS_GOAL_SECS * 1e3,
        if all.median <= ALL_USERS_GOAL_SECS {
            "met"
        } else {
            "not yet"
        }
    ))
}

/// The fleet's part of the report: both medians and their difference against [`FLEET_GOAL_SECS`].
pub fn render_fleet(results: &[BenchResult]) -> Result<String> {
    let stock = find(results, "stock")?;
    let big = find(results, "fleet")?;
    let ms = |secs: f64| format!("{:.2}", secs * 1e3);
    let more = big.median - stock.median;
    Ok(format!(
        "\n\n## One user's preflight on a fleet's host\n\n\
`preflight --root TREE --user {FLEET_USER}` as root, the `debian-12` fixture's tree as it is and with {FLEET_ACCOUNTS} \
accounts added (passwd, group, one subuid and one subgid range each); same findings on both.\n\n\
| tree | median (ms) | mean ± σ (ms) |\n| --- | ---: | ---: |\n\
| stock | {} | {} ± {} |\n| {FLEET_ACCOUNTS} accounts | {} | {} ± {} |\n\n\
cost of the accounts (medians): {} ms (goal ≤ {:.0} ms: {})\n",
        ms(stock.median),
        ms(stock.mean),
        ms(stock.stddev.unwrap_or(0.0)),
        ms(big.median),
        ms(big.mean),
        ms(big.stddev.unwrap_or(0.0)),
        ms(more),
        FLEET_GOAL_SECS * 1e3,
        if more <= FLEET_GOAL_SECS {
            "met"
        } else {
            "not yet"
        }
    ))
}

fn find<'a>(results: &'a [BenchResult], name: &str) -> Result<&'a BenchResult> {
    results
        .iter()
        .find(|result| result.name == name)
        .ok_or_else(|| format_err!("no `{name}` result in hyperfine's export"))
}

/// Reads hyperfine's `--export-json` (times in seconds).
pub fn parse_hyperfine(text: &str) -> Result<Vec<BenchResult>> {
    let export: Export = serde_json::from_str(text).context("hyperfine export")?;
    Ok(export.results)
}

fn distinct(codes: &[i64]) -> Vec<i64> {
    let mut codes = codes.to_vec();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// The libraries `readelf --dynamic` lists as NEEDED, in order.
pub fn parse_needed(dynamic: &str) -> Vec<String> {
    dynamic
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| Some(l.split_once("[")?.1.split_once(']')?.0.to_owned()))
        .collect()
}

/// GNU time's `-f %M` line (peak resident set, KiB): the last line of stderr.
pub fn parse_time_kib(stderr: &str) -> Result<u64> {
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| format_err!("GNU time printed nothing"))?;
    last.trim()
        .parse()
        .with_context(|| format!("GNU time's %M: {last:?}"))
}

/// The report: one row per command, the setuptool/preflight ratio of medians, preflight's time above a bare process
/// start, and its peak memory.
pub fn render_markdown(results: &[BenchResult], context: &str, peak_kib: u64) -> Result<String> {
    let label = |name: &str| match name {
        "preflight" => "`rootless-doctor preflight --format json`".to_string(),
        "setuptool" => "`dockerd-rootless-setuptool.sh check`".to_string(),
        "true" => format!("`{BARE}` (a bare process start)"),
        other => format!("`{other}`"),
    };
    let ms = |secs: f64| format!("{:.2}", secs * 1e3);
    let mut out = String::from("# preflight benchmark\n\n");
    let _ = writeln!(out, "{context}\n");
    out.push_str("| command | median (ms) | mean ± σ (ms) | min (ms) | max (ms) | exit codes |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: | --- |\n");
    for result in results {
        let spread = match result.stddev {
            Some(stddev) => format!("{} ± {}", ms(result.mean), ms(stddev)),
            None => ms(result.mean),
        };
        let codes: Vec<String> = distinct(&result.exit_codes)
            .iter()
            .map(i64::to_string)
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {spread} | {} | {} | {} |",
            label(&result.name),
            ms(result.median),
            ms(result.min),
            ms(result.max),
            codes.join(", ")
        );
    }
    let preflight = find(results, "preflight")?;
    let setuptool = find(results, "setuptool")?;
    let bare = find(results, "true")?;
    let ratio = setuptool.median / preflight.median;
    let _ = writeln!(
        out,
        "\nsetuptool / preflight (medians): {ratio:.1}× (goal ≥ {GOAL_RATIO:.0}×: {})\n\n\
preflight above a bare process start (medians): {} ms\n\n\
peak memory of one preflight run (GNU time %M): {peak_kib} KiB\n\n\
target: preflight median ≤ {:.0} ms: {}",
        if ratio >= GOAL_RATIO {
            "met"
        } else {
            "not yet"
        },
        ms(preflight.median - bare.median),
        TARGET_MEDIAN_SECS * 1e3,
        if preflight.median <= TARGET_MEDIAN_SECS {
            "met"
        } else {
            "NOT MET"
        }
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from a real `hyperfine 1.15 --export-json` file.
    const EXPORT: &str = r#"{
  "results": [
    {
      "command": "preflight",
      "mean": 0.0012,
      "stddev": 0.0001,
      "median": 0.00115,
      "user": 0.0005,
      "system": 0.0006,
      "min": 0.0010,
      "max": 0.0020,
      "times": [0.0010, 0.00115, 0.0020],
      "exit_codes": [0, 0, 0]
    },
    {
      "command": "setuptool",
      "mean": 0.052,
      "stddev": null,
      "median": 0.0506,
      "user": 0.02,
      "system": 0.03,
      "min": 0.048,
      "max": 0.061,
      "times": [0.048, 0.0506, 0.061],
      "exit_codes": [1, 1, 1]
    },
    {
      "command": "true",
      "mean": 0.0006,
      "stddev": 0.0001,
      "median": 0.0005,
      "user": 0.0003,
      "system": 0.0002,
      "min": 0.0004,
      "max": 0.0009,
      "times": [0.0004, 0.0005, 0.0009],
      "exit_codes": [0, 0, 0]
    }
  ]
}"#;

    #[test]
    fn needed_libraries_are_read_from_readelf() {
        let dynamic = "Dynamic section at offset 0x4aa9c8 contains 30 entries:
  Tag        Type                         Name/Value
 0x0000000000000001 (NEEDED)             Shared library: [libgcc_s.so.1]
 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]
 0x000000000000001e (FLAGS)              BIND_NOW
";
        assert_eq!(parse_needed(dynamic), ["libgcc_s.so.1", "libc.so.6"]);
        assert!(parse_needed("").is_empty());
    }

    #[test]
    fn parses_export() {
        let results = parse_hyperfine(EXPORT).unwrap();
        assert_eq!(results.len(), 3);
        assert_eq!(results[0].name, "preflight");
        assert_eq!(results[0].median, 0.00115);
        assert_eq!(results[0].stddev, Some(0.0001));
        assert_eq!(results[1].stddev, None);
        assert_eq!(results[1].exit_codes, vec![1, 1, 1]);
    }

    #[test]
    fn gnu_time_peak_is_its_last_line() {
        assert_eq!(parse_time_kib("6188\n").unwrap(), 6188);
        assert_eq!(parse_time_kib("warning: x\n  6200 \n\n").unwrap(), 6200);
        assert!(parse_time_kib("").is_err());
        assert!(parse_time_kib("Command exited with non-zero status 1\n").is_err());
    }

    #[test]
    fn export_without_results_is_an_error() {
        assert!(parse_hyperfine("{}").is_err());
        assert!(parse_hyperfine(r#"{"results": [{"command": "x"}]}"#).is_err());
    }

    #[test]
    fn markdown_report() {
        let results = parse_hyperfine(EXPORT).unwrap();
        assert_eq!(
            render_markdown(&results, "hyperfine 1.15.0 as `rdtest-ok`.", 6188).unwrap(),
            "\
# preflight benchmark

hyperfine 1.15.0 as `rdtest-ok`.

| command | median (ms) | mean ± σ (ms) | min (ms) | max (ms) | exit codes |
| --- | ---: | ---: | ---: | ---: | --- |
| `rootless-doctor preflight --format json` | 1.15 | 1.20 ± 0.10 | 1.00 | 2.00 | 0 |
| `dockerd-rootless-setuptool.sh check` | 50.60 | 52.00 | 48.00 | 61.00 | 1 |
| `/bin/true` (a bare process start) | 0.50 | 0.60 ± 0.10 | 0.40 | 0.90 | 0 |

setuptool / preflight (medians): 44.0× (goal ≥ 10×: met)

preflight above a bare process start (medians): 0.65 ms

peak memory of one preflight run (GNU time %M): 6188 KiB

target: preflight median ≤ 5 ms: met
"
        );
    }

    #[test]
    fn fleet_tree_adds_accounts_with_disjoint_ranges() {
        let dir = std::env::temp_dir().join(format!("rd-fleet-tree-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        for file in ["passwd", "group", "subuid", "subgid"] {
            std::fs::write(dir.join("etc").join(file), "alice:100000:65536\n").unwrap();
        }
        fleet_tree(&dir, 3).unwrap();
        let read = |f: &str| std::fs::read_to_string(dir.join("etc").join(f)).unwrap();
        assert_eq!(
            read("passwd").lines().nth(3),
            Some("u00002:x:2002:2002:u00002:/home/u00002:/bin/bash")
        );
        assert_eq!(read("group").lines().nth(1), Some("u00000:x:2000:"));
        let ranges: Vec<(u64, u64)> = read("subuid")
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f[1].parse().unwrap(), f[2].parse().unwrap())
            })
            .collect();
        assert_eq!(ranges.len(), 4);
        // Each range ends before the next starts: the fleet's ranges overlap neither each other nor alice's.
        assert!(
            ranges.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0),
            "{ranges:?}"
        );
        assert_eq!(read("subgid"), read("subuid"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fleet_report() {
        let result = |name: &str, median: f64| BenchResult {
            name: name.into(),
            mean: median,
            stddev: Some(0.0001),
            median,
            min: median,
            max: median,
            exit_codes: vec![0],
            user: 0.0,
            system: 0.0,
        };
        let met = render_fleet(&[result("stock", 0.003), result("fleet", 0.0045)]).unwrap();
        assert!(
            met.contains("| 10000 accounts | 4.50 | 4.50 ± 0.10 |"),
            "{met}"
        );
        assert!(
            met.contains("cost of the accounts (medians): 1.50 ms (goal ≤ 2 ms: met)"),
            "{met}"
        );
        let not = render_fleet(&[result("stock", 0.003), result("fleet", 0.015)]).unwrap();
        assert!(not.contains("12.00 ms (goal ≤ 2 ms: not yet)"), "{not}");
        assert!(render_fleet(&[result("stock", 0.003)]).is_err());
        let all = render_all_users(&[result("all-users", 2.2)]).unwrap();
        assert!(
            all.contains("median 2200.0 ms, mean 2200.0 ± 0.1 ms (goal ≤ 50 ms: not yet)"),
            "{all}"
        );
        assert!(render_all_users(&[result("stock", 0.003)]).is_err());
        let mut homes = result("all-users-homes", 0.6731);
        homes.user = 0.5792;
        homes.system = 0.0928;
        let homes = render_all_users_homes(&[homes]).unwrap();
        assert!(
            homes.contains(
                "median 673.1 ms; CPU time per run (means) 579.2 ms user, 92.8 ms kernel"
            ),
            "{homes}"
        );
        assert!(render_all_users_homes(&[result("all-users", 0.6)]).is_err());
    }
}
