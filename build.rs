//! Embeds the built-in projects (`projects/*/project.toml` and `README.md`) so the
//! binary works from any directory.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=projects");
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("projects");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.join("project.toml").is_file())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    let mut code = String::from("/// (folder name, project.toml, README.md) of every built-in project.\npub const PROJECTS: &[(&str, &str, &str)] = &[\n");
    for d in dirs {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let toml = d.join("project.toml");
        let readme = d.join("README.md");
        let readme_src = if readme.is_file() {
            format!("include_str!({:?})", readme.display().to_string())
        } else {
            "\"\"".to_string()
        };
        let _ = writeln!(
            code,
            "    ({name:?}, include_str!({:?}), {readme_src}),",
            toml.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("projects_embedded.rs");
    std::fs::write(out, code).expect("writing projects_embedded.rs");
}
