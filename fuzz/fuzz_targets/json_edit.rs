//! The structured daemon.json edit `fix` makes (`parse::json_edit`): a file, then the keys to set (a JSON object),
//! then the keys to remove (one a line). Whatever the file holds, the edit either refuses it or gives a JSON
//! object that has the settings asked for and that the same edit leaves alone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::json_edit;

fuzz_target!(|data: &[u8]| {
    let [file, set, remove] = rootless_doctor_fuzz::split::<3>(data);
    let set = json_edit::object(set).unwrap_or_else(|_| {
        [("dns".to_owned(), serde_json::json!(["10.0.0.2"]))]
            .into_iter()
            .collect()
    });
    let remove: Vec<String> = rootless_doctor_fuzz::text(remove)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    match json_edit::edit(file, &set, &remove) {
        Err(e) => assert!(e.line >= 1 && e.column <= file.len() + 1, "{e}"),
        Ok(None) => {
            let map = json_edit::object(file).expect("an unchanged file is an object");
            assert!(json_edit::is_applied(&map, &set, &remove));
        }
        Ok(Some(out)) => {
            let map = json_edit::object(out.as_bytes()).expect("the edit writes an object");
            assert!(json_edit::is_applied(&map, &set, &remove));
            assert_eq!(json_edit::edit(out.as_bytes(), &set, &remove), Ok(None));
            assert!(out.ends_with("}\n"));
        }
    }
});
