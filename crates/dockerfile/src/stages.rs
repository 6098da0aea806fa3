//! Build stages: each FROM with its name, its base image (global ARGs expanded as BuildKit
//! expands them) and the instructions that belong to it.

use std::collections::HashMap;

use crate::parser::{Dockerfile, Instruction};
use crate::shell::Lex;

/// An image reference split into its parts (`registry/name:tag@digest`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageRef {
    /// The registry host, when the reference names one (`quay.io`, `localhost:5000`).
    pub registry: Option<String>,
    /// The repository path (`library/debian`, `debian`).
    pub name: String,
    /// The tag, when written.
    pub tag: Option<String>,
    /// The digest, when written (`sha256:…`).
    pub digest: Option<String>,
}

impl ImageRef {
    /// Splits a reference as written; nothing is normalised (no `docker.io`, no `latest`).
    pub fn parse(reference: &str) -> ImageRef {
        let (rest, digest) = match reference.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (reference, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        let (registry, name) = match path.split_once('/') {
            Some((host, name)) if host.contains(['.', ':']) || host == "localhost" => {
                (Some(host.to_string()), name.to_string())
            }
            _ => (None, path.to_string()),
        };
        ImageRef {
            registry,
            name,
            tag,
            digest,
        }
    }
}

/// One build stage.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Its position among the stages, from 0.
    pub index: usize,
    /// `AS name`, lower-cased as BuildKit compares it.
    pub name: Option<String>,
    /// The base as written.
    pub base_raw: String,
    /// The base with global ARG defaults expanded.
    pub base: String,
    /// The index of the earlier stage this one builds on, if it does.
    pub parent: Option<usize>,
    /// Index of the FROM instruction in the file.
    pub from: usize,
    /// Instructions of the stage, FROM excluded: `from + 1 .. end`.
    pub end: usize,
}

impl Stage {
    /// Its base, split.
    pub fn image(&self) -> ImageRef {
        ImageRef::parse(&self.base)
    }

    /// Its instructions after FROM.
    pub fn instructions<'a>(&self, file: &'a Dockerfile) -> &'a [Instruction] {
        &file.instructions[self.from + 1..self.end]
    }
}

/// The global ARGs (those before the first FROM), each with its default if it has one, the
/// default expanded as BuildKit expands it (quotes removed, earlier ARGs substituted).
pub fn global_arg_defaults(file: &Dockerfile) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let lex = Lex::new(file.escape);
    for inst in file.instructions.iter().take_while(|i| !i.is("from")) {
        if !inst.is("arg") {
            continue;
        }
        for a in &inst.args {
            let env: HashMap<String, String> = out
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
                .collect();
            match a.split_once('=') {
                Some((k, v)) => {
                    let v = lex.process_word(v, &env).unwrap_or_else(|_| v.to_string());
                    out.push((k.to_string(), Some(v)));
                }
                None => out.push((a.clone(), None)),
            }
        }
    }
    out
}

/// The global ARGs with their defaults; one declared without a default expands to "".
pub fn global_args(file: &Dockerfile) -> HashMap<String, String> {
    global_arg_defaults(file)
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect()
}

/// The stages of a Dockerfile in order.
pub fn stages(file: &Dockerfile) -> Vec<Stage> {
    let args = global_args(file);
    let lex = Lex::new(file.escape);
    let mut out: Vec<Stage> = Vec::new();
    for (i, inst) in file.instructions.iter().enumerate() {
        if !inst.is("from") {
            continue;
        }
        if let Some(last) = out.last_mut() {
            last.end = i;
        }
        let base_raw = inst.args.first().cloned().unwrap_or_default();
        let base = lex
            .process_word(&base_raw, &args)
            .unwrap_or_else(|_| base_raw.clone());
        let name = match inst.args.as_slice() {
            [_, kw, name, ..] if kw.eq_ignore_ascii_case("as") => Some(name.to_lowercase()),
            _ => None,
        };
        let parent = out
            .iter()
            .position(|s| s.name.as_deref() == Some(&base.to_lowercase()));
        out.push(Stage {
            index: out.len(),
            name,
            base_raw,
            base,
            parent,
            from: i,
            end: file.instructions.len(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        let r = ImageRef::parse("localhost:5000/app/web:1.2@sha256:ab");
        assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(r.name, "app/web");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert_eq!(r.digest.as_deref(), Some("sha256:ab"));
        let r = ImageRef::parse("debian");
        assert_eq!((r.registry, r.tag, r.digest), (None, None, None));
    }

    #[test]
    fn stages_expand_global_args() {
        let f =
            crate::parse("ARG BASE=debian:12\nFROM ${BASE} AS Build\nRUN x\nFROM build\nRUN y\n").unwrap();
        let s = stages(&f);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].base, "debian:12");
        assert_eq!(s[0].name.as_deref(), Some("build"));
        assert_eq!(s[1].parent, Some(0));
        assert_eq!(s[0].instructions(&f).len(), 1);
    }
}
