//! The layers import one way (README, "Architecture"). This reads every `crate::` and `super::`
//! path under `src/` (comments and unit-test modules left out), resolves each to the module it
//! names, and fails when a module imports from a higher layer, or when modules import each other
//! in a cycle (a module and its own children excepted). It uses nothing but the standard
//! library, so `make lint` compiles and runs it on its own in a few seconds.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: unreadable sources should panic

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first: a module may import from its own layer and the ones before it.
/// A module belongs to the layer of the longest prefix that names it.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain: pure types and state machines", &["domain"]),
    ("the token verifier", &["verify"]),
    (
        "server leaves: time, randomness, secrets, settings, hashing, message texts",
        &[
            "server::clock",
            "server::tokens",
            "server::secrets",
            "server::cookies",
            "server::client_ip",
            "server::password",
            "server::breached",
            "server::messages",
            "server::settings",
        ],
    ),
    ("the store", &["server::store"]),
    (
        "services over the store",
        &[
            "server::mfa",
            "server::delivery",
            "server::key_cache",
            "server::error",
        ],
    ),
    ("the state", &["server::state"]),
    ("the client context", &["server::client"]),
    (
        "the read models, which read and never change",
        &["server::views"],
    ),
    (
        "the flows, every step that changes something",
        &["server::flows"],
    ),
    (
        "auth() and session tokens",
        &["server::auth", "server::session_tokens"],
    ),
    (
        "the edges: HTTP plumbing, Backend API, server functions",
        &[
            "server::http",
            "server::protect",
            "server::api_v1",
            "server::testing_api",
            "api",
        ],
    ),
    ("the component kit", &["components"]),
    ("the hosted pages", &["pages"]),
    (
        "the composition root: the builder, the route list, the demo app",
        &[
            "server::startup",
            "server::route_list",
            "server",
            "demo",
            "",
        ],
    ),
];

fn layer_of(module: &str) -> usize {
    let mut best: Option<(usize, usize)> = None;
    for (rank, (_, prefixes)) in LAYERS.iter().enumerate() {
        for prefix in *prefixes {
            let matches = module == *prefix
                || prefix.is_empty()
                || module.starts_with(&format!("{prefix}::"));
            if matches && best.is_none_or(|(len, _)| prefix.len() > len) {
                best = Some((prefix.len(), rank));
            }
        }
    }
    best.map_or(LAYERS.len() - 1, |(_, rank)| rank)
}

/// `src/a/b.rs` and `src/a/b/mod.rs` → `a::b`; `src/lib.rs` → ``.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without its unit-test module.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path that starts with `crate::` or `super::` (repeated), as written.
fn paths_in(code: &str) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            let before = at.checked_sub(1).map(|b| bytes[b]);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':') {
                continue;
            }
            let rest: String = code[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let segments: Vec<String> = rest
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let ups = segments.iter().take_while(|s| *s == "super").count();
            if start == "super::" || segments.first().is_some_and(|s| s == "crate") {
                found.push((if start == "crate::" { 0 } else { ups }, segments));
            }
        }
    }
    found
}

fn is_ancestor(a: &str, b: &str) -> bool {
    a.is_empty() || b.starts_with(&format!("{a}::"))
}

#[test]
fn modules_import_only_from_their_own_layer_and_below_without_cycles() {
    // Under cargo, the crate's directory; compiled alone (`make lint`), the current one.
    let root = option_env!("CARGO_MANIFEST_DIR")
        .map_or_else(|| std::env::current_dir().unwrap(), PathBuf::from);
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.retain(|f| {
        let name = f.file_name().unwrap().to_string_lossy();
        // The binary is its own crate; test files and folders are not layered.
        name != "main.rs"
            && name != "tests.rs"
            && !name.ends_with("_tests.rs")
            && !f.components().any(|c| c.as_os_str() == "tests")
    });
    let modules: BTreeMap<String, PathBuf> = files
        .iter()
        .map(|f| (module_of(&src, f), f.clone()))
        .collect();
    let resolve = |segments: &[String]| -> Option<String> {
        (1..=segments.len())
            .rev()
            .map(|n| segments[..n].join("::"))
            .find(|m| modules.contains_key(m))
    };

    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut upward = Vec::new();
    for (module, file) in &modules {
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        // `super` in `a/b.rs` (module `a::b`) is `a`; in `a/b/mod.rs` too.
        let here: Vec<String> = module.split("::").map(str::to_string).collect();
        for (ups, segments) in paths_in(&code) {
            let absolute: Vec<String> = if ups == 0 {
                segments[1..].to_vec()
            } else {
                let keep = here.len().saturating_sub(ups);
                let mut p = here[..keep].to_vec();
                p.extend(segments[ups..].iter().cloned());
                p
            };
            let Some(target) = resolve(&absolute) else {
                continue;
            };
            if target == *module || is_ancestor(module, &target) || is_ancestor(&target, module) {
                continue;
            }
            if layer_of(&target) > layer_of(module) {
                upward.push(format!(
                    "{module} ({}) imports {target} ({})",
                    LAYERS[layer_of(module)].0,
                    LAYERS[layer_of(&target)].0
                ));
            }
            edges.entry(module.clone()).or_default().insert(target);
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "imports that run up the layers:\n  {}",
        upward.join("\n  ")
    );
    let cycles = cycles(&edges);
    assert!(
        cycles.is_empty(),
        "modules that import each other:\n  {}",
        cycles
            .iter()
            .map(|c| c.join(" ↔ "))
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn the_check_sees_an_upward_import_and_a_cycle() {
    assert!(layer_of("server::flows::sign_in") > layer_of("server::store::sql"));
    assert_eq!(layer_of("server::storefront"), layer_of("server"));
    assert_eq!(layer_of("demo::pages"), LAYERS.len() - 1);
    let found =
        paths_in("use super::super::codes::{self};\nlet x = crate::server::state::AppState;");
    assert!(found.contains(&(2, vec!["super".into(), "super".into(), "codes".into()])));
    assert!(found.iter().any(|(ups, s)| *ups == 0 && s[1] == "server"));
    assert!(code_of("// crate::x\nuse a;\n#[cfg(test)]\nmod tests { crate::y }").contains("use a"));
    assert!(!code_of("/// see crate::x\nfn f() {}").contains("crate::x"));
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    edges.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    edges.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycles(&edges), vec![vec!["a".to_string(), "b".to_string()]]);
}
