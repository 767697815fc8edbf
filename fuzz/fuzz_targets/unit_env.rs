//! systemd units with drop-ins and environment files, and the ExecStart= command line with `$VAR` expansion, as
//! daemon.config reads a docker.service: UNIT 0xFF ENVIRONMENT-FILE [0xFF DROP-IN]...
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::{dockerd, unit};

fuzz_target!(|data: &[u8]| {
    let [main, env_file, dropin_a, dropin_b] = rootless_doctor_fuzz::split::<4>(data);
    let mut files = Vec::new();
    for (label, part) in [
        ("docker.service", main),
        ("a.conf", dropin_a),
        ("b.conf", dropin_b),
    ] {
        if let Some(text) = rootless_doctor_fuzz::text(part) {
            files.push((label.to_owned(), unit::parse(text).0));
        }
    }

    let mut env = Vec::new();
    for (_, e) in unit::effective(&files, "Service", "Environment") {
        if let Ok(pairs) = unit::split_environment(&e.value) {
            env.extend(pairs);
        }
    }
    if let Some(text) = rootless_doctor_fuzz::text(env_file) {
        let (pairs, _) = unit::parse_env_file(text);
        // The init script's DOCKER_OPTS, split at whitespace.
        if let Some((_, opts)) = pairs.iter().rev().find(|(k, _)| k == "DOCKER_OPTS") {
            let args: Vec<String> = opts.split_whitespace().map(str::to_owned).collect();
            let _ = dockerd::parse_args(&args);
        }
        env.extend(pairs);
    }
    let lookup = |name: &str| {
        env.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };

    for (_, entry) in unit::effective(&files, "Service", "ExecStart") {
        let Ok((prefix, argv)) = unit::parse_command(&entry.value) else {
            continue;
        };
        // Past the expansion cap the unexpanded words stand in, as in facts/dockerd.rs.
        let argv = if prefix.contains(':') {
            argv
        } else {
            unit::expand_argv(&argv, &lookup).unwrap_or(argv)
        };
        if let Some((_, args)) = argv.split_first() {
            let (flags, _) = dockerd::parse_args(args);
            let _ = dockerd::config_file(&flags, "/etc/docker/daemon.json");
        }
    }
    // Network files go through the same parser; their Name= lists are globs.
    for (_, entries) in &files {
        for e in entries {
            let _ = unit::split_command(&e.value);
            let _ = unit::is_env_name(&e.key);
        }
    }
});
