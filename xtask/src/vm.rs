//! The vm tier: real Debian hosts with systemd as PID 1, booted under QEMU with TCG (this machine has no usable KVM), in
//! which the release binary runs as a user logged in through sshd and pam_systemd (`tests/vm.rs`).
//!
//! `tests/vm/build-image.sh` makes a base image per release, Debian 12 (bookworm: RootlessKit 1.1, docker.io 20.10)
//! and Debian 13 (trixie: RootlessKit 2.0.2, docker.io 26.1.5, passt), with debootstrap and `mkfs.ext4 -d` (no loop
//! device or mount) under `target/vm/`, each named after its release and a hash of its inputs, so a second run
//! reuses it (the two built side by side); `tests/vm.rs` boots one throw-away qcow2 overlay per scenario through `tests/vm/run-scenario.sh`, one
//! at a time, and asserts on what the VM wrote back.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// The host tools the tier runs: QEMU (system emulator and qemu-img), debootstrap, mkfs.ext4 and debugfs.
const TOOLS: &[(&str, &str)] = &[
    ("qemu-system-x86_64", "qemu-system-x86"),
    ("qemu-img", "qemu-utils"),
    ("debootstrap", "debootstrap"),
    ("mkfs.ext4", "e2fsprogs"),
    ("debugfs", "e2fsprogs"),
    // The distro matrix's Vagrantfile is validated here (no box can be downloaded, so no machine boots).
    ("vagrant", "vagrant"),
];

/// The releases built, each with the variable that hands its image to tests/vm.rs.
const RELEASES: &[(&str, &str)] = &[
    ("bookworm", "ROOTLESS_DOCTOR_VM_IMAGE"),
    ("trixie", "ROOTLESS_DOCTOR_VM_IMAGE_TRIXIE"),
];

/// The Debian sources file whose first `URIs:` line names the mirror (the image is built from it too).
const DEBIAN_SOURCES: &str = "/etc/apt/sources.list.d/debian.sources";
const BACKPORTS_LIST: &str = "/etc/apt/sources.list.d/bookworm-backports.list";

fn have(sh: &Shell, program: &str) -> bool {
    ["/usr/bin", "/usr/sbin", "/bin", "/sbin"]
        .iter()
        .any(|dir| sh.path_exists(format!("{dir}/{program}")))
}

/// Installs what is missing. On Debian 12 QEMU comes from bookworm-backports: the machine image carries
/// qemu-utils 10 from there, which `Breaks:` bookworm's own qemu-system-common 7.2, so bookworm's
/// qemu-system-x86 cannot be installed beside it.
pub fn ensure_tools(sh: &Shell) -> Result<()> {
    let mut missing: Vec<&str> = TOOLS
        .iter()
        .filter(|(program, _)| !have(sh, program))
        .map(|&(_, package)| package)
        .collect();
    missing.dedup();
    if missing.is_empty() {
        println!("vm: qemu, debootstrap and e2fsprogs installed");
        return Ok(());
    }
    let bookworm = sh
        .read_file("/etc/os-release")
        .is_ok_and(|os| os.lines().any(|l| l == "VERSION_CODENAME=bookworm"));
    let qemu: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|p| p.starts_with("qemu"))
        .collect();
    let other: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|p| !p.starts_with("qemu"))
        .collect();
    let apt = |packages: &[&str], release: Option<&str>| -> Result<()> {
        if packages.is_empty() {
            return Ok(());
        }
        let release: Vec<&str> = release.map(|r| vec!["-t", r]).unwrap_or_default();
        println!("vm: installing {}", packages.join(" "));
        cmd!(
            sh,
            "apt-get -o DPkg::Lock::Timeout=1200 install -y -q --no-install-recommends {release...} {packages...}"
        )
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
        Ok(())
    };
    if bookworm && !qemu.is_empty() && !sh.path_exists(BACKPORTS_LIST) {
        let mirror = mirror(sh)?;
        sh.write_file(
            BACKPORTS_LIST,
            format!("deb {mirror} bookworm-backports main\n"),
        )?;
    }
    cmd!(sh, "apt-get -o DPkg::Lock::Timeout=1200 update -q").run()?;
    if bookworm {
        // qemu-utils too, so both come from the same release.
        let mut qemu = qemu;
        for package in ["qemu-system-x86", "qemu-utils"] {
            if !qemu.contains(&package) {
                qemu.push(package);
            }
        }
        apt(&qemu, Some("bookworm-backports"))?;
    } else {
        apt(&qemu, None)?;
    }
    apt(&other, None)?;
    for (program, package) in TOOLS {
        if !have(sh, program) {
            bail!("{program} is still missing after installing {package}");
        }
    }
    Ok(())
}

/// The Debian mirror: the first `URIs:` line of /etc/apt/sources.list.d/debian.sources.
fn mirror(sh: &Shell) -> Result<String> {
    let sources = sh
        .read_file(DEBIAN_SOURCES)
        .with_context(|| format!("reading {DEBIAN_SOURCES}"))?;
    sources
        .lines()
        .find_map(|l| l.strip_prefix("URIs:"))
        .and_then(|uris| uris.split_whitespace().next())
        .map(str::to_owned)
        .with_context(|| format!("no URIs: line in {DEBIAN_SOURCES}"))
}

/// `vagrant validate` on the distro matrix (every machine's box, provisioner paths and settings), without a provider:
/// none is installed here. Vagrant's per-project state goes under the target directory, not into the checkout.
pub fn validate_vagrantfile(sh: &Shell) -> Result<()> {
    let dot = target_dir(sh).join("vagrant");
    let out = cmd!(sh, "vagrant validate --ignore-provider")
        .env("VAGRANT_DOTFILE_PATH", &dot)
        .env("VAGRANT_CHECKPOINT_DISABLE", "1")
        .ignore_status()
        .output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{text}");
    if !out.status.success() || !text.contains("Vagrantfile validated successfully") {
        bail!("vagrant validate refused the Vagrantfile ({})", out.status);
    }
    Ok(())
}

/// The directory cargo builds into (`CARGO_TARGET_DIR`, else `target`), absolute.
pub fn target_dir(sh: &Shell) -> PathBuf {
    let dir = sh
        .var("CARGO_TARGET_DIR")
        .ok()
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from("target"), PathBuf::from);
    if dir.is_absolute() {
        dir
    } else {
        sh.current_dir().join(dir)
    }
}

pub fn run(sh: &Shell) -> Result<()> {
    ensure_tools(sh)?;
    validate_vagrantfile(sh)?;
    let cache = target_dir(sh).join("vm");
    sh.create_dir(&cache)?;
    // Both releases at once: debootstrap spends much of its time waiting on the mirror, so the two builds together
    // take little longer than the slower one alone (about 120 s instead of 210 s in CI).
    let builds: Vec<(&str, &str, std::process::Child)> = RELEASES
        .iter()
        .map(|&(release, var)| {
            let mut build: std::process::Command =
                cmd!(sh, "tests/vm/build-image.sh {cache} {release}").into();
            // The script's last line of stdout is the image directory (everything else goes to stderr).
            build.stdout(std::process::Stdio::piped());
            let child = build
                .spawn()
                .with_context(|| format!("starting tests/vm/build-image.sh for {release}"))?;
            Ok((release, var, child))
        })
        .collect::<Result<_>>()?;
    let mut images = Vec::new();
    let mut failed = Vec::new();
    for (release, var, child) in builds {
        let output = child.wait_with_output()?;
        if output.status.success() {
            let stdout = String::from_utf8_lossy(&output.stdout);
            let image = stdout.lines().last().unwrap_or_default().trim().to_owned();
            images.push((var, image));
        } else {
            failed.push(format!("{release} ({})", output.status));
        }
    }
    if !failed.is_empty() {
        bail!(
            "building the base image failed for {} (tests/vm/build-image.sh; its messages are above)",
            failed.join(", ")
        );
    }
    // One VM at a time: TCG with -smp 2 already takes both cores.
    // One test alone: `ROOTLESS_DOCTOR_VM_ONLY=net_source_ip_on_debian_13 cargo xtask test --tier vm`.
    let only: Vec<String> = std::env::var("ROOTLESS_DOCTOR_VM_ONLY")
        .ok()
        .filter(|f| !f.is_empty())
        .into_iter()
        .collect();
    // The VMs run the release binary that ships; the test program is built in the live tier's `live-test` profile
    // (Cargo.toml), whose build the live tier has made already.
    cmd!(sh, "cargo build --release").run()?;
    let mut test = cmd!(
        sh,
        "cargo test --profile live-test --test vm -- --test-threads=1 {only...}"
    )
    .env("ROOTLESS_DOCTOR_VM", "1")
    .env(
        "ROOTLESS_DOCTOR_BIN",
        target_dir(sh).join("release/rootless-doctor"),
    );
    for (var, image) in images {
        test = test.env(var, image);
    }
    test.run()?;
    Ok(())
}
