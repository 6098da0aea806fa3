//! Laying an image's merged filesystem out in a directory, for running a command inside it
//! (`drydock usage trace`). Nothing else in drydock writes an image to disk.
//!
//! Layers are applied in order as container runtimes apply them: whiteouts and opaque markers
//! first, then entries. Every write is resolved inside the root — symlinks in parent paths are
//! followed as they would be inside a chroot, `..` stops at the root — so no entry can reach
//! outside the directory. Device nodes and FIFOs are skipped (the run bind-mounts `/dev`);
//! ownership is not kept.

use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use crate::compression::sniff;
use crate::digest::HashingReader;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::paths;

/// What an extraction wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct Extracted {
    /// Files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Device nodes and FIFOs left out.
    pub skipped: u64,
    /// Tar entries applied, whiteouts included.
    pub entries: u64,
}

const MAX_LINK_HOPS: usize = 40;

/// The most an extraction writes, and the most entries it creates: a layer can claim any
/// size (a gzip bomb), the disk cannot take it. Real images stay far below both.
const MAX_EXTRACTED_BYTES: u64 = 32 << 30;
const MAX_EXTRACTED_ENTRIES: u64 = 4_000_000;

/// The real path inside `root` for an image path, following symlinks already on disk in every
/// component but the last (which is what gets written).
fn resolve_parent(root: &Path, path: &str) -> PathBuf {
    let (dir, name) = (paths::parent(path), paths::file_name(path));
    let mut real = resolve_in_root(root, dir);
    real.push(name);
    real
}

/// Follows symlinks on disk component by component; absolute targets and `..` stay in `root`.
fn resolve_in_root(root: &Path, path: &str) -> PathBuf {
    let mut todo: Vec<String> = path.split('/').rev().map(str::to_string).collect();
    let mut parts: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = todo.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                parts.pop();
                continue;
            }
            _ => {}
        }
        let mut candidate = root.to_path_buf();
        candidate.extend(&parts);
        candidate.push(&part);
        match fs::symlink_metadata(&candidate) {
            Ok(m) if m.file_type().is_symlink() && hops < MAX_LINK_HOPS => {
                hops += 1;
                let target = fs::read_link(&candidate).unwrap_or_default();
                let target = target.to_string_lossy().to_string();
                if target.starts_with('/') {
                    parts.clear();
                }
                todo.extend(target.split('/').rev().map(str::to_string));
            }
            _ => parts.push(part),
        }
    }
    let mut out = root.to_path_buf();
    out.extend(parts);
    out
}

fn remove(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            let _ = fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = fs::remove_file(path);
        }
        Err(_) => {}
    }
}

impl Image {
    /// Writes the image's merged filesystem into `root` (an empty directory the caller owns),
    /// reading every layer once more and verifying each blob's digest.
    pub fn extract_to(&self, root: &Path) -> Result<Extracted> {
        let store = self.layer_store().ok_or_else(|| {
            Error::Unsupported(format!(
                "{}: a root filesystem is already on disk; run in it directly",
                self.name
            ))
        })?;
        let mut stats = Extracted::default();
        for layer in &self.layers {
            let label = layer.digest.clone().unwrap_or_else(|| layer.blob.clone());
            let fail = |detail: String| Error::Layer {
                index: layer.index,
                digest: label.clone(),
                detail,
            };
            let mut raw = BufReader::with_capacity(
                256 << 10,
                HashingReader::new(crate::image::open_layer(store, layer)?),
            );
            let head = raw
                .fill_buf()
                .map_err(|e| fail(format!("cannot read blob: {e}")))?
                .to_vec();
            let decoder = sniff(&head).decoder(&mut raw, &label)?;
            let mut archive = tar::Archive::new(decoder);
            let entries = archive.entries().map_err(|e| fail(e.to_string()))?;
            for entry in entries {
                let mut entry = entry.map_err(|e| fail(e.to_string()))?;
                let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                let path = paths::entry_name(&raw_path, &label)?;
                if path.is_empty() {
                    continue;
                }
                stats.entries += 1;
                if stats.entries > MAX_EXTRACTED_ENTRIES {
                    return Err(fail(format!(
                        "more than {MAX_EXTRACTED_ENTRIES} entries to lay out"
                    )));
                }
                apply(root, &path, &mut entry, &mut stats).map_err(|e| fail(format!("{path}: {e}")))?;
            }
            drop(archive);
            let (digest, _) = raw.into_inner().finish().map_err(|e| fail(e.to_string()))?;
            if let Some(expected) = &layer.digest
                && *expected != digest
            {
                return Err(Error::DigestMismatch {
                    what: format!("layer {}", layer.index),
                    expected: expected.clone(),
                    actual: digest,
                });
            }
        }
        Ok(stats)
    }
}

fn apply<R: Read>(
    root: &Path,
    path: &str,
    entry: &mut tar::Entry<R>,
    stats: &mut Extracted,
) -> io::Result<()> {
    let name = paths::file_name(path);
    if name == ".wh..wh..opq" {
        let dir = resolve_in_root(root, paths::parent(path));
        if let Ok(children) = fs::read_dir(&dir) {
            for child in children.flatten() {
                remove(&child.path());
            }
        }
        return Ok(());
    }
    if let Some(hidden) = name.strip_prefix(".wh.") {
        let dir = resolve_in_root(root, paths::parent(path));
        remove(&dir.join(hidden));
        return Ok(());
    }
    let target = resolve_parent(root, path);
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)?;
    }
    let header = entry.header();
    let mode = header.mode().unwrap_or(0o644) & 0o7777;
    match header.entry_type() {
        tar::EntryType::Directory => {
            if !fs::symlink_metadata(&target).is_ok_and(|m| m.is_dir()) {
                remove(&target);
                fs::create_dir_all(&target)?;
            }
            fs::set_permissions(&target, fs::Permissions::from_mode(mode | 0o700))?;
        }
        tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
            remove(&target);
            let mut file = fs::File::create(&target)?;
            let room = MAX_EXTRACTED_BYTES.saturating_sub(stats.bytes);
            let written = io::copy(&mut entry.take(room + 1), &mut file)?;
            if written > room {
                return Err(io::Error::other(format!(
                    "the image expands to more than {} GiB",
                    MAX_EXTRACTED_BYTES >> 30
                )));
            }
            stats.bytes += written;
            stats.files += 1;
            fs::set_permissions(&target, fs::Permissions::from_mode(mode))?;
        }
        tar::EntryType::Symlink => {
            let link = entry.link_name()?.map(|l| l.to_path_buf()).unwrap_or_default();
            remove(&target);
            symlink(link, &target)?;
        }
        tar::EntryType::Link => {
            let link = entry
                .link_name()?
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default();
            let link = paths::entry_name(&link, path).map_err(io::Error::other)?;
            let source = resolve_in_root(root, &link);
            remove(&target);
            if fs::hard_link(&source, &target).is_err() {
                // A link to a file the image does not have: copy nothing, as runtimes fail it.
                return Err(io::Error::other(format!("hard link to missing {link}")));
            }
            stats.files += 1;
        }
        _ => stats.skipped += 1,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_stays_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("usr/lib")).unwrap();
        symlink("usr/lib", root.path().join("lib")).unwrap();
        symlink("/etc", root.path().join("usr/escape")).unwrap();
        symlink("../../../../..", root.path().join("usr/up")).unwrap();
        assert_eq!(
            resolve_parent(root.path(), "lib/x.so"),
            root.path().join("usr/lib/x.so")
        );
        assert_eq!(
            resolve_parent(root.path(), "usr/escape/passwd"),
            root.path().join("etc/passwd")
        );
        assert_eq!(
            resolve_parent(root.path(), "usr/up/tmp/x"),
            root.path().join("tmp/x")
        );
    }
}
