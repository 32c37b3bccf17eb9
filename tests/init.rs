//! `cargo perfgate init` scaffolds a user's repository without clobbering it.

use assert_cmd::Command;

#[test]
fn init_writes_config_workflows_and_an_example_suite_and_keeps_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("perfgate.toml"), "# mine\n").unwrap();
    Command::cargo_bin("cargo-perfgate")
        .unwrap()
        .args(["perfgate", "init", "--dir"])
        .arg(dir.path())
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("perfgate.toml")).unwrap(),
        "# mine\n"
    );
    for file in [
        ".github/workflows/perfgate.yml",
        ".github/workflows/perfgate-comment.yml",
        "benches/perfgate_stability.rs",
    ] {
        assert!(dir.path().join(file).is_file(), "{file} not written");
    }
    let config = include_str!("../templates/perfgate.toml");
    cargo_perfgate::config::Policy::from_toml(config, "templates/perfgate.toml")
        .expect("the starter config is valid");
}
